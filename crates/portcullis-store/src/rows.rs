//! Rows as the database returns them, and their mapping into domain records.

use portcullis_core::ids::*;
use portcullis_core::model::*;
use portcullis_core::StoreError;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};

/// Timestamps are stored as nanoseconds since the epoch: one integer type both backends index
/// and compare the same way.
pub(crate) fn to_db(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

pub(crate) fn from_db(nanos: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn opt_to_db(at: Option<OffsetDateTime>) -> Option<i64> {
    at.map(to_db)
}

pub(crate) fn opt_from_db(nanos: Option<i64>) -> Option<OffsetDateTime> {
    nanos.map(from_db)
}

pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("stored {what} is unreadable: {detail}"))
}

#[derive(FromRow)]
pub(crate) struct TenantRow {
    id: String,
    name: String,
    settings: String,
    metadata: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;
    fn try_from(row: TenantRow) -> Result<Self, StoreError> {
        Ok(Tenant {
            id: TenantId(row.id),
            name: row.name,
            settings: serde_json::from_str(&row.settings)
                .map_err(|e| corrupt("tenant settings", e))?,
            metadata: serde_json::from_str(&row.metadata)
                .map_err(|e| corrupt("tenant metadata", e))?,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        })
    }
}

pub(crate) const TENANT_COLUMNS: &str = "id, name, settings, metadata, created_at, updated_at";

#[derive(FromRow)]
pub(crate) struct RoleRow {
    id: i64,
    tenant_id: String,
    name: String,
    display_name: Option<String>,
    description: Option<String>,
    removable: bool,
    created_at: i64,
    updated_at: i64,
}

impl From<RoleRow> for Role {
    fn from(row: RoleRow) -> Self {
        Role {
            id: RoleId(row.id),
            tenant_id: TenantId(row.tenant_id),
            name: row.name,
            display_name: row.display_name,
            description: row.description,
            removable: row.removable,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        }
    }
}

impl From<RoleRow> for Permission {
    fn from(row: RoleRow) -> Self {
        Permission {
            id: PermissionId(row.id),
            tenant_id: TenantId(row.tenant_id),
            name: row.name,
            display_name: row.display_name,
            description: row.description,
            removable: row.removable,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        }
    }
}

/// Roles and permissions share a column layout.
pub(crate) const RBAC_COLUMNS: &str =
    "id, tenant_id, name, display_name, description, removable, created_at, updated_at";

#[derive(FromRow)]
pub(crate) struct UserRow {
    id: i64,
    uid: String,
    tenant_id: String,
    username: Option<String>,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    display_name: Option<String>,
    phone: Option<String>,
    avatar: Option<String>,
    address: Option<String>,
    country_id: Option<i64>,
    role_id: i64,
    birthday: Option<String>,
    disabled: bool,
    email_verified_at: Option<i64>,
    last_login: Option<i64>,
    two_factor_country_code: Option<i64>,
    two_factor_phone: Option<String>,
    two_factor_options: Option<String>,
    metadata: String,
    created_at: i64,
    updated_at: i64,
}

/// The user columns, qualified by the alias `u` so they can be joined.
pub(crate) const USER_COLUMNS: &str = "u.id, u.uid, u.tenant_id, u.username, u.email, u.first_name, \
    u.last_name, u.display_name, u.phone, u.avatar, u.address, u.country_id, u.role_id, u.birthday, \
    u.disabled, u.email_verified_at, u.last_login, u.two_factor_country_code, u.two_factor_phone, \
    u.two_factor_options, u.metadata, u.created_at, u.updated_at";

const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        let birthday = match row.birthday {
            Some(text) => Some(Date::parse(&text, DATE).map_err(|e| corrupt("birthday", e))?),
            None => None,
        };
        let two_factor_options = match row.two_factor_options {
            Some(text) => {
                Some(serde_json::from_str(&text).map_err(|e| corrupt("two-factor options", e))?)
            }
            None => None,
        };
        Ok(User {
            id: UserId(row.id),
            uid: row.uid,
            tenant_id: TenantId(row.tenant_id),
            username: row.username,
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
            display_name: row.display_name,
            phone: row.phone,
            avatar: row.avatar,
            address: row.address,
            country_id: row.country_id,
            role_id: RoleId(row.role_id),
            birthday,
            disabled: row.disabled,
            email_verified_at: opt_from_db(row.email_verified_at),
            last_login: opt_from_db(row.last_login),
            two_factor_country_code: row.two_factor_country_code,
            two_factor_phone: row.two_factor_phone,
            two_factor_options,
            metadata: serde_json::from_str(&row.metadata)
                .map_err(|e| corrupt("user metadata", e))?,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        })
    }
}

#[derive(FromRow)]
pub(crate) struct CountryRow {
    id: i64,
    name: String,
    full_name: Option<String>,
    capital: Option<String>,
    citizenship: Option<String>,
    country_code: i64,
    currency: Option<String>,
    currency_code: Option<String>,
    currency_sub_unit: Option<String>,
    currency_symbol: Option<String>,
    iso_3166_2: String,
    iso_3166_3: String,
    region_code: Option<i64>,
    sub_region_code: Option<i64>,
    eea: bool,
    calling_code: Option<i64>,
}

pub(crate) const COUNTRY_COLUMNS: &str = "id, name, full_name, capital, citizenship, country_code, currency, \
    currency_code, currency_sub_unit, currency_symbol, iso_3166_2, iso_3166_3, region_code, sub_region_code, \
    eea, calling_code";

impl From<CountryRow> for Country {
    fn from(r: CountryRow) -> Self {
        Country {
            id: r.id,
            name: r.name,
            full_name: r.full_name,
            capital: r.capital,
            citizenship: r.citizenship,
            country_code: r.country_code,
            currency: r.currency,
            currency_code: r.currency_code,
            currency_sub_unit: r.currency_sub_unit,
            currency_symbol: r.currency_symbol,
            iso_3166_2: r.iso_3166_2,
            iso_3166_3: r.iso_3166_3,
            region_code: r.region_code,
            sub_region_code: r.sub_region_code,
            eea: r.eea,
            calling_code: r.calling_code,
        }
    }
}

/// A token joined with its session (if any), its user and its tenant's settings: everything
/// bearer authentication needs, in one read.
#[derive(FromRow)]
pub(crate) struct TokenLookupRow {
    #[sqlx(flatten)]
    user: UserRow,
    token_id: i64,
    token_session_id: Option<String>,
    token_kind: String,
    token_name: String,
    token_secret_hash: String,
    token_scopes: String,
    token_created_at: i64,
    token_last_used_at: Option<i64>,
    token_expires_at: Option<i64>,
    token_revoked_at: Option<i64>,
    session_ip_address: Option<String>,
    session_user_agent: Option<String>,
    session_browser: Option<String>,
    session_platform: Option<String>,
    session_device: Option<String>,
    session_client: Option<String>,
    session_created_at: Option<i64>,
    session_last_activity: Option<i64>,
    session_expires_at: Option<i64>,
    session_ended_at: Option<i64>,
    session_amr: Option<String>,
    tenant_settings: String,
}

pub(crate) const TOKEN_LOOKUP_COLUMNS: &str = "t.id AS token_id, t.session_id AS token_session_id, \
    t.kind AS token_kind, t.name AS token_name, t.secret_hash AS token_secret_hash, t.scopes AS token_scopes, \
    t.created_at AS token_created_at, t.last_used_at AS token_last_used_at, t.expires_at AS token_expires_at, \
    t.revoked_at AS token_revoked_at, s.ip_address AS session_ip_address, s.user_agent AS session_user_agent, \
    s.browser AS session_browser, s.platform AS session_platform, s.device AS session_device, \
    s.client AS session_client, s.created_at AS session_created_at, s.last_activity AS session_last_activity, \
    s.expires_at AS session_expires_at, s.ended_at AS session_ended_at, s.amr AS session_amr, \
    tn.settings AS tenant_settings";

impl TryFrom<TokenLookupRow> for TokenLookup {
    type Error = StoreError;
    fn try_from(row: TokenLookupRow) -> Result<Self, StoreError> {
        let user = User::try_from(row.user)?;
        let session = match (row.token_session_id.clone(), row.session_client) {
            (Some(id), Some(client)) => Some(Session {
                id: SessionId(id),
                tenant_id: user.tenant_id.clone(),
                user_id: user.id,
                ip_address: row.session_ip_address,
                user_agent: row.session_user_agent,
                browser: row.session_browser,
                platform: row.session_platform,
                device: row.session_device,
                client,
                created_at: from_db(row.session_created_at.unwrap_or_default()),
                last_activity: from_db(row.session_last_activity.unwrap_or_default()),
                expires_at: from_db(row.session_expires_at.unwrap_or_default()),
                ended_at: opt_from_db(row.session_ended_at),
                amr: row
                    .session_amr
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            }),
            _ => None,
        };
        let token = Token {
            id: TokenId(row.token_id),
            tenant_id: user.tenant_id.clone(),
            user_id: user.id,
            session_id: row.token_session_id.map(SessionId),
            kind: TokenKind::parse(&row.token_kind)
                .ok_or_else(|| corrupt("token kind", &row.token_kind))?,
            name: row.token_name,
            secret_hash: row.token_secret_hash,
            scopes: serde_json::from_str(&row.token_scopes)
                .map_err(|e| corrupt("token scopes", e))?,
            created_at: from_db(row.token_created_at),
            last_used_at: opt_from_db(row.token_last_used_at),
            expires_at: opt_from_db(row.token_expires_at),
            revoked_at: opt_from_db(row.token_revoked_at),
        };
        let settings = serde_json::from_str(&row.tenant_settings)
            .map_err(|e| corrupt("tenant settings", e))?;
        Ok(TokenLookup {
            token,
            session,
            user,
            settings,
        })
    }
}

pub(crate) const CREDENTIAL_COLUMNS: &str =
    "user_id, alg, hash, disabled, metadata, created_at, updated_at";

#[derive(FromRow)]
pub(crate) struct CredentialRow {
    user_id: i64,
    alg: String,
    hash: String,
    disabled: bool,
    metadata: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<CredentialRow> for PasswordCredential {
    type Error = StoreError;
    fn try_from(row: CredentialRow) -> Result<Self, StoreError> {
        Ok(Self {
            user_id: UserId(row.user_id),
            hash: PasswordHash {
                alg: row.alg,
                hash: row.hash,
            },
            disabled: row.disabled,
            metadata: serde_json::from_str(&row.metadata)
                .map_err(|e| corrupt("credential metadata", e))?,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        })
    }
}

/// A list of scopes as the database keeps it: JSON text.
pub(crate) fn scopes_to_db(scopes: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(scopes).map_err(|e| StoreError::Other(e.to_string()))
}

/// The columns the batched redemptions write (`redemptions.rs`), beside the single-row inserts
/// of the same tables (`INSERT_ACTIVITY`, `INSERT_GRANT`).
pub(crate) const INSERT_ACTIVITY_COLUMNS: &str =
    "tenant_id, user_id, ip_address, user_agent, description, created_at";
pub(crate) const INSERT_GRANT_COLUMNS: &str =
    "id, tenant_id, application_id, user_id, session_id, scopes, auth_time, created_at";

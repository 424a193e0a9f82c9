//! The OpenID Connect code flow's grants, codes, refresh tokens and client tokens. Single use
//! is one conditional UPDATE whose affected-row count decides who won.

use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer, BeginWrite};
use crate::rows::{corrupt, from_db, opt_from_db, opt_to_db, scopes_to_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{SessionId, TenantId, TokenId, UserId};
use portcullis_core::model::{
    ClientToken, Grant, NewActivity, NewToken, RevokedJwt, StoredCode, StoredRefreshToken,
};
use portcullis_core::store::OAuthStore;
use portcullis_core::StoreError;
use sqlx::FromRow;
use time::OffsetDateTime;

pub(crate) const GRANT_COLUMNS: &str = "g.id AS grant_id, g.tenant_id AS grant_tenant_id, \
    g.application_id AS grant_application_id, g.user_id AS grant_user_id, \
    g.session_id AS grant_session_id, g.scopes AS grant_scopes, g.auth_time AS grant_auth_time, \
    g.created_at AS grant_created_at, g.revoked_at AS grant_revoked_at";

#[derive(FromRow)]
pub(crate) struct GrantRow {
    grant_id: String,
    grant_tenant_id: String,
    grant_application_id: String,
    grant_user_id: i64,
    grant_session_id: String,
    grant_scopes: String,
    grant_auth_time: i64,
    grant_created_at: i64,
    grant_revoked_at: Option<i64>,
}

impl TryFrom<GrantRow> for Grant {
    type Error = StoreError;
    fn try_from(row: GrantRow) -> Result<Self> {
        Ok(Self {
            scopes: scopes_from_db(&row.grant_scopes)?,
            id: row.grant_id,
            tenant_id: TenantId(row.grant_tenant_id),
            application_id: row.grant_application_id,
            user_id: UserId(row.grant_user_id),
            session_id: SessionId(row.grant_session_id),
            auth_time: from_db(row.grant_auth_time),
            created_at: from_db(row.grant_created_at),
            revoked_at: opt_from_db(row.grant_revoked_at),
        })
    }
}

pub(crate) fn scopes_from_db(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| corrupt("scopes", e))
}

#[derive(FromRow)]
struct CodeRow {
    code_hash: String,
    redirect_uri: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    #[sqlx(flatten)]
    grant: GrantRow,
}

#[derive(FromRow)]
struct RefreshRow {
    secret_hash: String,
    created_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
    #[sqlx(flatten)]
    grant: GrantRow,
}

#[derive(FromRow)]
struct ClientTokenRow {
    id: i64,
    tenant_id: String,
    application_id: String,
    secret_hash: String,
    scopes: String,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
}

/// How long after its code expired an unredeemed grant is kept (for reuse detection there is
/// nothing to detect: the code was never used).
pub(crate) const PURGE_AFTER: time::Duration = time::Duration::hours(1);

/// How far nodes' clocks may disagree.
const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

const INSERT_ACCESS: &str = "INSERT INTO tokens (tenant_id, user_id, session_id, kind, name, \
    secret_hash, scopes, created_at, expires_at, grant_id) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";

/// Locks a grant that is not revoked, affecting one row (none once it is revoked). A
/// redemption or rotation takes this lock first, as [`OAuthStore::revoke_grant`] does: so a
/// revocation either waits for the tokens it must revoke to be committed, or comes first and
/// the redemption or rotation gives nothing. (On PostgreSQL an unserialized revocation's
/// statements would miss the new tokens of a rotation committing beside it.)
pub(crate) const LOCK_LIVE_GRANT: &str =
    "UPDATE oauth_grants SET revoked_at = revoked_at WHERE id = $1 AND revoked_at IS NULL";

pub(crate) const INSERT_GRANT: &str =
    "INSERT INTO oauth_grants (id, tenant_id, application_id, user_id, \
    session_id, scopes, auth_time, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Inserts `$grant` (its scopes already as stored) in transaction `$tx`.
macro_rules! insert_grant {
    ($tx:expr, $grant:expr, $scopes:expr) => {{
        let grant: &Grant = $grant;
        sqlx::query($crate::oauth::INSERT_GRANT)
            .bind(&grant.id)
            .bind(grant.tenant_id.as_str())
            .bind(&grant.application_id)
            .bind(grant.user_id.0)
            .bind(grant.session_id.as_str())
            .bind($scopes)
            .bind(to_db(grant.auth_time))
            .bind(to_db(grant.created_at))
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use insert_grant;

const INSERT_REFRESH: &str =
    "INSERT INTO oauth_refresh_tokens (secret_hash, grant_id, created_at) VALUES ($1, $2, $3)";

/// Inserts an access token of grant `$grant` and a refresh token in transaction `$tx`,
/// evaluating to the access token's id.
macro_rules! insert_grant_tokens {
    ($tx:expr, $access:expr, $scopes:expr, $refresh:expr) => {{
        let access: &NewToken = $access;
        let refresh: &StoredRefreshToken = $refresh;
        let id: i64 = sqlx::query_scalar(INSERT_ACCESS)
            .bind(access.tenant_id.as_str())
            .bind(access.user_id.0)
            .bind(access.session_id.as_ref().map(SessionId::as_str))
            .bind(access.kind.as_str())
            .bind(&access.name)
            .bind(&access.secret_hash)
            .bind($scopes)
            .bind(to_db(access.created_at))
            .bind(opt_to_db(access.expires_at))
            .bind(&refresh.grant_id)
            .fetch_one(&mut *$tx)
            .await?;
        sqlx::query(INSERT_REFRESH)
            .bind(&refresh.secret_hash)
            .bind(&refresh.grant_id)
            .bind(to_db(refresh.created_at))
            .execute(&mut *$tx)
            .await?;
        id
    }};
}

impl SqlStore {
    /// Issues an access and a refresh token of a live grant once: `claim` (an UPDATE of `$1`
    /// now, `$2` the secret's hash, `$3` the grant) must mark the presented secret used, and
    /// only the one call whose claim changed a row issues; the others get `None`. The grant's
    /// lock comes first (see [`LOCK_LIVE_GRANT`]).
    pub(crate) async fn issue_once(
        &self,
        claim: &str,
        secret_hash: &str,
        now: OffsetDateTime,
        access: &NewToken,
        refresh: &StoredRefreshToken,
        activity: Option<&NewActivity>,
    ) -> Result<Option<TokenId>> {
        let scopes = scopes_to_db(&access.scopes)?;
        let id: Option<i64> = on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let live = sqlx::query(LOCK_LIVE_GRANT)
                .bind(&refresh.grant_id)
                .execute(&mut *tx)
                .await?;
            if live.rows_affected() != 1 {
                return Ok(None);
            }
            let claimed = sqlx::query(claim)
                .bind(to_db(now))
                .bind(secret_hash)
                .bind(&refresh.grant_id)
                .execute(&mut *tx)
                .await?;
            if claimed.rows_affected() != 1 {
                return Ok(None);
            }
            let id = insert_grant_tokens!(tx, access, &scopes, refresh);
            if let Some(activity) = activity {
                crate::activity::insert_activity!(&mut *tx, activity)?;
            }
            tx.commit().await.map(|_| Some(id))
        })
        .map_err(store_error)?;
        Ok(id.map(TokenId))
    }
}

#[async_trait]
impl OAuthStore for SqlStore {
    async fn create_grant(&self, grant: &Grant, code: &StoredCode) -> Result<()> {
        let scopes = scopes_to_db(&grant.scopes)?;
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            // A grant whose code expired unredeemed led to nothing and never will: each new
            // grant clears away a few such leftovers (the code goes with its grant).
            sqlx::query(
                "DELETE FROM oauth_grants WHERE id IN (SELECT grant_id FROM oauth_codes \
                 WHERE used_at IS NULL AND expires_at < $1 ORDER BY expires_at LIMIT 20)",
            )
            .bind(to_db(grant.created_at - PURGE_AFTER))
            .execute(&mut *tx)
            .await?;
            insert_grant!(tx, grant, &scopes);
            sqlx::query(
                "INSERT INTO oauth_codes (code_hash, grant_id, redirect_uri, nonce, code_challenge, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&code.code_hash)
            .bind(&code.grant_id)
            .bind(&code.redirect_uri)
            .bind(&code.nonce)
            .bind(&code.code_challenge)
            .bind(to_db(code.created_at))
            .bind(to_db(code.expires_at))
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })
        .map_err(store_error)
    }

    async fn code(&self, code_hash: &str) -> Result<Option<(StoredCode, Grant)>> {
        let sql = format!(
            "SELECT c.code_hash, c.redirect_uri, c.nonce, c.code_challenge, c.created_at, \
             c.expires_at, c.used_at, {GRANT_COLUMNS} FROM oauth_codes c \
             JOIN oauth_grants g ON g.id = c.grant_id WHERE c.code_hash = $1"
        );
        let row: Option<CodeRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(code_hash).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };
        let grant = Grant::try_from(row.grant)?;
        let code = StoredCode {
            code_hash: row.code_hash,
            grant_id: grant.id.clone(),
            redirect_uri: row.redirect_uri,
            nonce: row.nonce,
            code_challenge: row.code_challenge,
            created_at: from_db(row.created_at),
            expires_at: from_db(row.expires_at),
            used_at: opt_from_db(row.used_at),
        };
        Ok(Some((code, grant)))
    }

    async fn redeem_code(
        &self,
        code_hash: &str,
        now: OffsetDateTime,
        access: &NewToken,
        refresh: &StoredRefreshToken,
        activity: &NewActivity,
    ) -> Result<Option<TokenId>> {
        const CLAIM: &str = "UPDATE oauth_codes SET used_at = $1 \
            WHERE code_hash = $2 AND grant_id = $3 AND used_at IS NULL";
        self.issue_once(CLAIM, code_hash, now, access, refresh, Some(activity))
            .await
    }

    async fn redeem_sealed_code(
        &self,
        grant: &Grant,
        access: &NewToken,
        refresh: &StoredRefreshToken,
        activity: &NewActivity,
    ) -> Result<Option<TokenId>> {
        if let crate::pool::Backends::Sqlite(pool) = &self.pool.backends {
            let _operation = self.pool.operation();
            let redemption = crate::redemptions::Redemption {
                grant: grant.clone(),
                access: access.clone(),
                refresh: refresh.clone(),
                activity: activity.clone(),
            };
            return self.redemptions.redeem(pool, redemption).await;
        }
        let grant_scopes = scopes_to_db(&grant.scopes)?;
        let scopes = scopes_to_db(&access.scopes)?;
        let id: Option<i64> = on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            // The grant's id is the code's: a second redemption finds it taken (on
            // PostgreSQL, after waiting for the first to commit or roll back).
            let inserted = sqlx::query(&format!("{INSERT_GRANT} ON CONFLICT (id) DO NOTHING"))
                .bind(&grant.id)
                .bind(grant.tenant_id.as_str())
                .bind(&grant.application_id)
                .bind(grant.user_id.0)
                .bind(grant.session_id.as_str())
                .bind(&grant_scopes)
                .bind(to_db(grant.auth_time))
                .bind(to_db(grant.created_at))
                .execute(&mut *tx)
                .await?;
            if inserted.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(None);
            }
            let id = insert_grant_tokens!(tx, access, &scopes, refresh);
            crate::activity::insert_activity!(&mut *tx, activity)?;
            tx.commit().await.map(|_| Some(id))
        })
        .map_err(store_error)?;
        Ok(id.map(TokenId))
    }

    async fn refresh_token(
        &self,
        secret_hash: &str,
    ) -> Result<Option<(StoredRefreshToken, Grant)>> {
        let sql = format!(
            "SELECT r.secret_hash, r.created_at, r.used_at, r.revoked_at, {GRANT_COLUMNS} \
             FROM oauth_refresh_tokens r JOIN oauth_grants g ON g.id = r.grant_id \
             WHERE r.secret_hash = $1"
        );
        let row: Option<RefreshRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(secret_hash).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };
        let grant = Grant::try_from(row.grant)?;
        let refresh = StoredRefreshToken {
            secret_hash: row.secret_hash,
            grant_id: grant.id.clone(),
            created_at: from_db(row.created_at),
            used_at: opt_from_db(row.used_at),
            revoked_at: opt_from_db(row.revoked_at),
        };
        Ok(Some((refresh, grant)))
    }

    async fn rotate_refresh_token(
        &self,
        secret_hash: &str,
        now: OffsetDateTime,
        access: &NewToken,
        next: &StoredRefreshToken,
    ) -> Result<Option<TokenId>> {
        const CLAIM: &str = "UPDATE oauth_refresh_tokens SET used_at = $1 \
            WHERE secret_hash = $2 AND grant_id = $3 AND used_at IS NULL AND revoked_at IS NULL";
        self.issue_once(CLAIM, secret_hash, now, access, next, None)
            .await
    }

    async fn revoke_grant(&self, grant_id: &str, now: OffsetDateTime) -> Result<()> {
        let now = to_db(now);
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE oauth_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(grant_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(grant_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE oauth_refresh_tokens SET revoked_at = $1 \
                 WHERE grant_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(grant_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })
        .map_err(store_error)
    }

    async fn grant_of_token(&self, token: TokenId) -> Result<Option<Grant>> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM tokens t JOIN oauth_grants g ON g.id = t.grant_id \
             WHERE t.id = $1"
        );
        let row: Option<GrantRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(token.0).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(Grant::try_from).transpose()
    }

    async fn create_client_token(&self, token: &ClientToken) -> Result<i64> {
        let scopes = scopes_to_db(&token.scopes)?;
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            // One row per client_credentials call: each new token clears away a few that
            // expired long enough ago that nobody asks about them any more.
            sqlx::query(
                "DELETE FROM oauth_client_tokens WHERE id IN (SELECT id FROM oauth_client_tokens \
                 WHERE expires_at < $1 ORDER BY expires_at LIMIT 20)",
            )
            .bind(to_db(token.created_at - PURGE_AFTER))
            .execute(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO oauth_client_tokens (tenant_id, application_id, secret_hash, scopes, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(token.tenant_id.as_str())
            .bind(&token.application_id)
            .bind(&token.secret_hash)
            .bind(&scopes)
            .bind(to_db(token.created_at))
            .bind(to_db(token.expires_at))
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(id)
        })
        .map_err(store_error)
    }

    async fn client_token(&self, id: i64) -> Result<Option<ClientToken>> {
        let row: Option<ClientTokenRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT id, tenant_id, application_id, secret_hash, scopes, created_at, \
                 expires_at, revoked_at FROM oauth_client_tokens WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await
        })
        .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(ClientToken {
            scopes: scopes_from_db(&row.scopes)?,
            id: row.id,
            tenant_id: TenantId(row.tenant_id),
            application_id: row.application_id,
            secret_hash: row.secret_hash,
            created_at: from_db(row.created_at),
            expires_at: from_db(row.expires_at),
            revoked_at: opt_from_db(row.revoked_at),
        }))
    }

    async fn revoke_jwt(&self, revoked: &RevokedJwt) -> Result<()> {
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "DELETE FROM revoked_access_tokens WHERE jti IN (SELECT jti FROM \
                 revoked_access_tokens WHERE expires_at < $1 ORDER BY expires_at LIMIT 20)",
            )
            // Kept a while past expiry: a node whose clock lags still refuses the token.
            .bind(to_db(revoked.revoked_at - CLOCK_SKEW))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO revoked_access_tokens (jti, tenant_id, expires_at, revoked_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (jti) DO NOTHING",
            )
            .bind(&revoked.jti)
            .bind(revoked.tenant_id.as_str())
            .bind(to_db(revoked.expires_at))
            .bind(to_db(revoked.revoked_at))
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })
        .map_err(store_error)
    }

    async fn revoked_jwts(&self, now: OffsetDateTime) -> Result<Vec<(String, OffsetDateTime)>> {
        let rows: Vec<(String, i64)> = on_pool!(&self.pool, pool => {
            sqlx::query_as("SELECT jti, expires_at FROM revoked_access_tokens WHERE expires_at > $1")
                .bind(to_db(now))
                .fetch_all(pool)
                .await
        })
        .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|(jti, expires_at)| (jti, from_db(expires_at)))
            .collect())
    }

    async fn revoke_client_token(&self, id: i64, now: OffsetDateTime) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query("UPDATE oauth_client_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(to_db(now))
                .bind(id)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .map_err(store_error)
    }
}

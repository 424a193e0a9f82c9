//! Moving a tenant between servers: `portcullis tenant export` writes its settings, roles,
//! permissions, scopes, applications, users with their credentials' hashes, second factors,
//! passkeys, social links, avatars, consents and metadata (never tokens or sessions), and
//! `portcullis tenant import` recreates it on another server, keeping every id that is free
//! there.
//!
//! Secrets we read back (application secrets, authenticator seeds, social client secrets) are
//! sealed with each server's own key, and bound to the ids they belong to; the file holds them
//! opened, and the import seals them again under the ids they end up with. So the file is as
//! secret as the database itself.

use crate::error::Error;
use crate::ids::TenantId;
use crate::model::Tenant;
use crate::sealing::SealedFor;
use crate::services::Services;
use crate::store::TableRows;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

pub const FORMAT: &str = "portcullis-tenant";

/// The tables whose integer ids the database assigns, kept on import where free.
const INTEGER_IDS: [&str; 6] = [
    "permissions",
    "roles",
    "scopes",
    "users",
    "recovery_codes",
    "passkeys",
];
pub const VERSION: u32 = 1;

/// The file `tenant export` writes.
#[derive(Debug, Serialize, Deserialize)]
pub struct TenantExport {
    pub format: String,
    pub version: u32,
    /// Unix seconds.
    pub exported_at: i64,
    pub tables: Vec<TableRows>,
}

impl TenantExport {
    pub fn row_count(&self) -> u64 {
        self.tables.iter().map(|t| t.rows.len() as u64).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Domain(#[from] Error),
}

impl From<crate::error::StoreError> for TransferError {
    fn from(error: crate::error::StoreError) -> Self {
        Self::Domain(error.into())
    }
}

/// What an import made.
#[derive(Debug)]
pub struct Imported {
    pub tenant: TenantId,
    pub name: String,
    pub rows: u64,
    /// Ids that were taken on this server and were given new ones: `table.column old → new`.
    pub changed: Vec<String>,
    /// Switches the file turned on that loosen what the tenant's applications may do, for the
    /// operator to confirm.
    pub loosened: Vec<String>,
}

/// Where the import goes: the tenant's name and domain, unless the file's are to be kept.
#[derive(Debug, Default)]
pub struct ImportAs {
    pub name: Option<String>,
    /// `Some(None)`: no domain.
    pub domain: Option<Option<String>>,
}

fn refused(message: String) -> TransferError {
    TransferError::Refused(message)
}

fn text<'a>(row: &'a serde_json::Map<String, Value>, column: &str) -> Option<&'a str> {
    row.get(column).and_then(Value::as_str)
}

/// Old id to new, for the ids an import had to change.
#[derive(Default)]
struct Renamed(HashMap<Value, Value>);

impl Renamed {
    fn apply(&self, row: &mut serde_json::Map<String, Value>, column: &str) {
        if let Some(value) = row.get_mut(column) {
            if let Some(new) = self.0.get(value) {
                *value = new.clone();
            }
        }
    }
}

impl Services {
    /// The tenant, as `tenant import` reads it back.
    pub async fn export_tenant(&self, tenant: &Tenant) -> Result<TenantExport, TransferError> {
        let mut tables = self.store.dump_tenant(&tenant.id).await?;
        let owner = tenant.id.0.as_str();
        for table in &mut tables {
            for row in &mut table.rows {
                match table.table.as_str() {
                    "tenants" => self.reseal_social_secrets(row, |s, network, secret| {
                        s.unseal(
                            SealedFor::SocialClient {
                                tenant: owner,
                                network,
                            },
                            secret,
                        )
                    })?,
                    "applications" => {
                        let id = text(row, "id").unwrap_or_default().to_owned();
                        if let Some(secret) = text(row, "secret") {
                            let open = self.unseal(
                                SealedFor::Application {
                                    tenant: owner,
                                    id: &id,
                                },
                                secret,
                            )?;
                            row.insert("secret".to_owned(), Value::from(open));
                        }
                    }
                    "two_factor" => {
                        let user = row
                            .get("user_id")
                            .and_then(Value::as_i64)
                            .unwrap_or_default();
                        if let Some(seed) = text(row, "totp_secret") {
                            let open = self.unseal(SealedFor::TotpSeed { user }, seed)?;
                            row.insert("totp_secret".to_owned(), Value::from(open));
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(TenantExport {
            format: FORMAT.to_owned(),
            version: VERSION,
            exported_at: self.now().unix_timestamp(),
            tables,
        })
    }

    /// Recreates an exported tenant here, in one transaction; `inserted` is told after each
    /// row. Ids taken on this server get new ones, and every reference to them follows.
    pub async fn import_tenant(
        &self,
        mut export: TenantExport,
        import_as: ImportAs,
        inserted: &(dyn Fn() + Send + Sync),
    ) -> Result<Imported, TransferError> {
        if export.format != FORMAT || export.version != VERSION {
            return Err(refused(format!(
                "not a tenant export this release reads (format {:?} version {}; expected {FORMAT:?} version {VERSION})",
                export.format, export.version
            )));
        }
        let tenant_row = match export
            .tables
            .iter()
            .find(|t| t.table == "tenants")
            .map(|t| t.rows.as_slice())
        {
            Some([row]) => row.clone(),
            _ => return Err(refused("the file must hold exactly one tenant".to_owned())),
        };
        let old_tenant = text(&tenant_row, "id").unwrap_or_default().to_owned();
        let name = import_as
            .name
            .or_else(|| text(&tenant_row, "name").map(str::to_owned))
            .unwrap_or_default();
        if name.trim().is_empty() {
            return Err(refused("the tenant needs a name".to_owned()));
        }
        let domain = match import_as.domain {
            Some(domain) => domain,
            None => text(&tenant_row, "domain").map(str::to_owned),
        };
        let domain = match domain {
            Some(domain) => Some(
                crate::tenants::normalize_domain(&domain)
                    .map_err(|problem| refused(format!("domain {domain:?}: {problem}")))?,
            )
            .filter(|d| !d.is_empty()),
            None => None,
        };
        if let Some(domain) = &domain {
            // Never the server's own host: that is the default tenant's.
            self.check_host_is_free(&name, domain).map_err(|_| {
                refused(format!("{domain:?} is this server's own host (public_url)"))
            })?;
        }
        check_references(&export)?;
        if self.tenant_has("name", &name).await? {
            return Err(refused(format!(
                "a tenant named {name:?} exists here; import under another name (--name)"
            )));
        }
        if let Some(domain) = &domain {
            if self.tenant_has("domain", domain).await? {
                return Err(refused(format!(
                    "another tenant here answers for {domain:?}; import with another domain (--domain, or --no-domain)"
                )));
            }
        }

        let mut changed = Vec::new();
        let mut renamed: HashMap<(&'static str, &'static str), Renamed> = HashMap::new();
        // The tenant's own id.
        let tenant_id = if !self.tenant_has("id", &old_tenant).await? {
            old_tenant.clone()
        } else {
            let new = crate::random::base62(16);
            changed.push(format!("tenants.id {old_tenant} → {new}"));
            new
        };
        // Integer ids: kept where free, otherwise past the largest id here and in the file.
        for table in INTEGER_IDS {
            let ids: Vec<Value> = rows_of(&export, table)
                .filter_map(|r| r.get("id").cloned())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let taken = self.store.values_taken(table, "id", &ids).await?;
            if taken.is_empty() {
                continue;
            }
            let largest = ids.iter().filter_map(Value::as_i64).max().unwrap_or(0);
            let fresh = self
                .store
                .reserve_ids(table, taken.len(), largest + 1)
                .await?;
            let map = renamed.entry((table, "id")).or_default();
            for (old, new) in taken.into_iter().zip(fresh) {
                changed.push(format!("{table}.id {old} → {new}"));
                map.0.insert(old, Value::from(new));
            }
        }
        // Text ids: kept where free, otherwise new random ones of the same length.
        for (table, column) in [
            ("users", "uid"),
            ("applications", "id"),
            ("avatars", "name"),
        ] {
            let ids: Vec<Value> = rows_of(&export, table)
                .filter_map(|r| r.get(column).cloned())
                .collect();
            let taken = self.store.values_taken(table, column, &ids).await?;
            let map = renamed.entry((table, column)).or_default();
            for old in taken {
                let length = old.as_str().map_or(12, str::len).max(12);
                let new = crate::random::base62(length);
                changed.push(format!("{table}.{column} {old} → {new}"));
                map.0.insert(old, Value::from(new));
            }
        }

        let none = Renamed::default();
        let map = |key: (&'static str, &'static str)| renamed.get(&key).unwrap_or(&none);
        let tenant_value = Value::from(tenant_id.clone());
        for table in &mut export.tables {
            let name_of_table = table.table.clone();
            for row in &mut table.rows {
                if row.contains_key("tenant_id") {
                    row.insert("tenant_id".to_owned(), tenant_value.clone());
                }
                match name_of_table.as_str() {
                    "tenants" => {
                        row.insert("id".to_owned(), tenant_value.clone());
                        row.insert("name".to_owned(), Value::from(name.clone()));
                        row.insert(
                            "domain".to_owned(),
                            domain.clone().map_or(Value::Null, Value::from),
                        );
                        // The settings name the domain too (issuer, mail links, passkeys):
                        // the chosen one, never the file's.
                        set_settings_domain(row, domain.as_deref())?;
                        self.reseal_social_secrets(row, |s, network, secret| {
                            s.seal(
                                SealedFor::SocialClient {
                                    tenant: &tenant_id,
                                    network,
                                },
                                secret,
                            )
                        })?;
                    }
                    "permissions" | "roles" | "scopes" | "recovery_codes" | "passkeys" => {
                        let table_key = INTEGER_IDS
                            .into_iter()
                            .find(|table| *table == name_of_table)
                            .unwrap_or_default();
                        map((table_key, "id")).apply(row, "id");
                        map(("users", "id")).apply(row, "user_id");
                    }
                    "permission_role" => {
                        map(("permissions", "id")).apply(row, "permission_id");
                        map(("roles", "id")).apply(row, "role_id");
                    }
                    "applications" => {
                        map(("applications", "id")).apply(row, "id");
                        let id = text(row, "id").unwrap_or_default().to_owned();
                        if let Some(secret) = text(row, "secret") {
                            let sealed = self.seal(
                                SealedFor::Application {
                                    tenant: &tenant_id,
                                    id: &id,
                                },
                                secret,
                            )?;
                            row.insert("secret".to_owned(), Value::from(sealed));
                        }
                    }
                    "users" => {
                        map(("users", "id")).apply(row, "id");
                        map(("users", "uid")).apply(row, "uid");
                        map(("roles", "id")).apply(row, "role_id");
                        // An avatar of ours is served here now, perhaps under a new name.
                        if let Some(url) = text(row, "avatar").map(str::to_owned) {
                            if let Some((_, old)) = url.rsplit_once("/api/avatars/") {
                                let old = Value::from(old);
                                let name = map(("avatars", "name")).0.get(&old).unwrap_or(&old);
                                let name = name.as_str().unwrap_or_default().to_owned();
                                row.insert(
                                    "avatar".to_owned(),
                                    Value::from(self.avatar_url(&name)),
                                );
                            }
                        }
                    }
                    "two_factor" => {
                        map(("users", "id")).apply(row, "user_id");
                        let user = row
                            .get("user_id")
                            .and_then(Value::as_i64)
                            .unwrap_or_default();
                        if let Some(seed) = text(row, "totp_secret") {
                            let sealed = self.seal(SealedFor::TotpSeed { user }, seed)?;
                            row.insert("totp_secret".to_owned(), Value::from(sealed));
                        }
                    }
                    "avatars" => {
                        map(("avatars", "name")).apply(row, "name");
                        map(("users", "id")).apply(row, "user_id");
                    }
                    "consents" => {
                        map(("users", "id")).apply(row, "user_id");
                        map(("applications", "id")).apply(row, "application_id");
                    }
                    _ => map(("users", "id")).apply(row, "user_id"),
                }
            }
        }
        let loosened = loosened(&tenant_row);
        let rows = export.row_count();
        self.store.load_tenant(&export.tables, inserted).await?;
        // A host that named no tenant may name this one now.
        self.principals.forget_all();
        Ok(Imported {
            tenant: TenantId(tenant_id),
            name,
            rows,
            changed,
            loosened,
        })
    }

    /// Whether a tenant here already has this id, name or domain.
    async fn tenant_has(&self, column: &str, value: &str) -> Result<bool, TransferError> {
        let taken = self
            .store
            .values_taken("tenants", column, &[Value::from(value)])
            .await?;
        Ok(!taken.is_empty())
    }

    /// Opens or seals (by `change`) each social network's client secret in a tenant row's
    /// settings.
    fn reseal_social_secrets(
        &self,
        row: &mut serde_json::Map<String, Value>,
        change: impl Fn(&Self, &str, &str) -> crate::error::Result<String>,
    ) -> Result<(), TransferError> {
        let Some(settings) = text(row, "settings") else {
            return Ok(());
        };
        let mut settings: Value = serde_json::from_str(settings)
            .map_err(|e| refused(format!("the tenant's settings are not JSON: {e}")))?;
        let Some(networks) = settings
            .get_mut("social_networks")
            .and_then(Value::as_array_mut)
        else {
            return Ok(());
        };
        for network in networks {
            let name = network
                .get("network")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(secret) = network.get("client_secret").and_then(Value::as_str) {
                let changed = change(self, &name, secret)?;
                network["client_secret"] = Value::from(changed);
            }
        }
        row.insert("settings".to_owned(), Value::from(settings.to_string()));
        Ok(())
    }
}

/// The file's references must name rows the file itself holds: a reference to anything else
/// would join the imported tenant to another tenant's users, roles or permissions.
fn check_references(export: &TenantExport) -> Result<(), TransferError> {
    use std::collections::HashSet;
    let defined = |table: &str| -> HashSet<Value> {
        rows_of(export, table)
            .filter_map(|r| r.get("id").cloned())
            .collect()
    };
    let (users, roles) = (defined("users"), defined("roles"));
    let (permissions, applications) = (defined("permissions"), defined("applications"));
    let references: [(&str, &str, &HashSet<Value>); 11] = [
        ("users", "role_id", &roles),
        ("permission_role", "role_id", &roles),
        ("permission_role", "permission_id", &permissions),
        ("credentials", "user_id", &users),
        ("two_factor", "user_id", &users),
        ("recovery_codes", "user_id", &users),
        ("passkeys", "user_id", &users),
        ("social_identities", "user_id", &users),
        ("avatars", "user_id", &users),
        ("consents", "user_id", &users),
        ("consents", "application_id", &applications),
    ];
    for (table, column, targets) in references {
        for row in rows_of(export, table) {
            match row.get(column) {
                Some(value) if targets.contains(value) => {}
                other => {
                    return Err(refused(format!(
                        "{table}.{column} {} names no row of the file: a tenant's rows refer to \
                         its own rows only",
                        other.map_or("(missing)".to_owned(), Value::to_string)
                    )))
                }
            }
        }
    }
    Ok(())
}

/// The operator-level switches a tenant row's settings turn on.
fn loosened(tenant: &serde_json::Map<String, Value>) -> Vec<String> {
    let settings: crate::model::TenantSettings = text(tenant, "settings")
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let mut on = Vec::new();
    if settings.developer_mode {
        on.push("developer_mode (applications may use plain-http URLs on any host)".to_owned());
    }
    if settings.allow_client_registration {
        on.push("allow_client_registration (anyone may register an application)".to_owned());
    }
    if !settings.cors_origins.is_empty() {
        on.push(format!(
            "cors_origins ({})",
            settings.cors_origins.join(", ")
        ));
    }
    on
}

/// Writes `domain` into a tenant row's settings.
fn set_settings_domain(
    row: &mut serde_json::Map<String, Value>,
    domain: Option<&str>,
) -> Result<(), TransferError> {
    let settings = text(row, "settings").unwrap_or("{}");
    let mut settings: Value = serde_json::from_str(settings)
        .map_err(|e| refused(format!("the tenant's settings are not JSON: {e}")))?;
    let Some(fields) = settings.as_object_mut() else {
        return Err(refused(
            "the tenant's settings are not an object".to_owned(),
        ));
    };
    fields.insert("domain".to_owned(), domain.map_or(Value::Null, Value::from));
    row.insert("settings".to_owned(), Value::from(settings.to_string()));
    Ok(())
}

fn rows_of<'a>(
    export: &'a TenantExport,
    table: &'a str,
) -> impl Iterator<Item = &'a serde_json::Map<String, Value>> + 'a {
    export
        .tables
        .iter()
        .filter(move |t| t.table == table)
        .flat_map(|t| t.rows.iter())
}

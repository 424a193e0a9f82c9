//! A tenant's rows, read and written column by column for `portcullis tenant export` and
//! `import`. The tables and columns are listed here once; a test holds the lists to the
//! migrated schema on both backends, so a column added later cannot be silently left behind.

use crate::error::{store_error, Result};
use crate::pool::{on_pool, Backends, BeginWrite};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use portcullis_core::ids::TenantId;
use portcullis_core::store::{Row, TableRows, TransferStore};
use portcullis_core::StoreError;
use serde_json::Value;
use sqlx::Row as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Text,
    Bool,
    Bytes,
}
use Kind::{Bool, Bytes, Int, Text};

/// One exported table: which of its rows are the tenant's, its columns, and the columns that
/// identify a row across servers (checked for collisions on import).
pub(crate) struct Exported {
    pub(crate) table: &'static str,
    which: &'static str,
    pub(crate) columns: &'static [(&'static str, Kind)],
    identifying: &'static [&'static str],
    /// An integer id the database assigns: on PostgreSQL its sequence is moved past what an
    /// import wrote.
    generated_id: bool,
}

/// Roles and permissions have the same columns.
const RBAC_COLUMNS: &[(&str, Kind)] = &[
    ("id", Int),
    ("tenant_id", Text),
    ("name", Text),
    ("display_name", Text),
    ("description", Text),
    ("removable", Bool),
    ("created_at", Int),
    ("updated_at", Int),
];

/// Values asked about in one query; well under either backend's limit on parameters.
const TAKEN_BATCH: usize = 500;

const OF_TENANT: &str = "tenant_id = $1";
const OF_USERS: &str = "user_id IN (SELECT id FROM users WHERE tenant_id = $1)";

/// Parents before children. Left out, as never moving with a tenant: sessions, tokens, grants
/// and codes of every kind, API keys, registration tokens, throttles, captchas, challenges,
/// queued mail and logout notices, remembered devices, the audit trail.
pub(crate) const EXPORTED: &[Exported] = &[
    Exported {
        table: "tenants",
        which: "id = $1",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("domain", Text),
            ("settings", Text),
            ("metadata", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        identifying: &["id", "name", "domain"],
        generated_id: false,
    },
    Exported {
        table: "permissions",
        which: OF_TENANT,
        columns: RBAC_COLUMNS,
        identifying: &["id"],
        generated_id: true,
    },
    Exported {
        table: "roles",
        which: OF_TENANT,
        columns: RBAC_COLUMNS,
        identifying: &["id"],
        generated_id: true,
    },
    Exported {
        table: "permission_role",
        which: "role_id IN (SELECT id FROM roles WHERE tenant_id = $1)",
        columns: &[("permission_id", Int), ("role_id", Int)],
        identifying: &[],
        generated_id: false,
    },
    Exported {
        table: "scopes",
        which: OF_TENANT,
        columns: &[
            ("id", Int),
            ("tenant_id", Text),
            ("name", Text),
            ("description", Text),
            ("created_at", Int),
        ],
        identifying: &["id"],
        generated_id: true,
    },
    Exported {
        table: "applications",
        which: OF_TENANT,
        columns: &[
            ("id", Text),
            ("tenant_id", Text),
            ("name", Text),
            ("secret", Text),
            ("login_url", Text),
            ("logout_urls", Text),
            ("redirect_urls", Text),
            ("metadata", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("backchannel_logout_uri", Text),
        ],
        identifying: &["id"],
        generated_id: false,
    },
    Exported {
        table: "users",
        which: OF_TENANT,
        columns: &[
            ("id", Int),
            ("uid", Text),
            ("tenant_id", Text),
            ("username", Text),
            ("email", Text),
            ("first_name", Text),
            ("last_name", Text),
            ("display_name", Text),
            ("phone", Text),
            ("avatar", Text),
            ("address", Text),
            ("country_id", Int),
            ("role_id", Int),
            ("birthday", Text),
            ("disabled", Bool),
            ("email_verified_at", Int),
            ("last_login", Int),
            ("two_factor_country_code", Int),
            ("two_factor_phone", Text),
            ("two_factor_options", Text),
            ("metadata", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        identifying: &["id", "uid"],
        generated_id: true,
    },
    Exported {
        table: "credentials",
        which: OF_USERS,
        columns: &[
            ("user_id", Int),
            ("kind", Text),
            ("alg", Text),
            ("hash", Text),
            ("disabled", Bool),
            ("metadata", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        identifying: &[],
        generated_id: false,
    },
    Exported {
        table: "two_factor",
        which: OF_USERS,
        columns: &[
            ("user_id", Int),
            ("method", Text),
            ("totp_secret", Text),
            ("last_totp_step", Int),
            ("confirmed_at", Int),
            ("created_at", Int),
        ],
        identifying: &[],
        generated_id: false,
    },
    Exported {
        table: "recovery_codes",
        which: OF_USERS,
        columns: &[
            ("id", Int),
            ("user_id", Int),
            ("code_hash", Text),
            ("used_at", Int),
        ],
        identifying: &["id"],
        generated_id: true,
    },
    Exported {
        table: "passkeys",
        which: OF_TENANT,
        columns: &[
            ("id", Int),
            ("tenant_id", Text),
            ("user_id", Int),
            ("name", Text),
            ("credential_id", Text),
            ("user_handle", Text),
            ("credential", Text),
            ("aaguid", Text),
            ("sign_count", Int),
            ("backup_eligible", Bool),
            ("backed_up", Bool),
            ("disabled", Bool),
            ("metadata", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("last_used_at", Int),
        ],
        identifying: &["id"],
        generated_id: true,
    },
    Exported {
        table: "social_identities",
        which: OF_TENANT,
        columns: &[
            ("tenant_id", Text),
            ("network", Text),
            ("subject", Text),
            ("user_id", Int),
            ("created_at", Int),
        ],
        identifying: &[],
        generated_id: false,
    },
    Exported {
        table: "avatars",
        which: OF_TENANT,
        columns: &[
            ("name", Text),
            ("tenant_id", Text),
            ("user_id", Int),
            ("content_type", Text),
            ("bytes", Bytes),
            ("created_at", Int),
        ],
        identifying: &["name"],
        generated_id: false,
    },
    Exported {
        table: "consents",
        which: OF_TENANT,
        columns: &[
            ("tenant_id", Text),
            ("user_id", Int),
            ("application_id", Text),
            ("scopes", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        identifying: &[],
        generated_id: false,
    },
];

/// Tables with a tenant's or a user's rows that never move with the tenant: credentials of the
/// moment (sessions, tokens, grants, codes, challenges, API and registration keys), counters,
/// queues and the audit trail.
pub const LEFT_BEHIND: &[&str] = &[
    "activities",
    "api_keys",
    "captchas",
    "client_registrations",
    "device_codes",
    "login_challenges",
    "logout_notices",
    "mail_queue",
    "oauth_client_tokens",
    "oauth_grants",
    "one_time_tokens",
    "registration_tokens",
    "remembered_devices",
    "revoked_access_tokens",
    "sessions",
    "throttles",
    "tokens",
    "webauthn_challenges",
];

/// Each exported table with its columns, to hold the lists to the schema.
pub fn exported_columns() -> Vec<(&'static str, Vec<&'static str>)> {
    EXPORTED
        .iter()
        .map(|spec| (spec.table, spec.columns.iter().map(|(c, _)| *c).collect()))
        .collect()
}

fn exported(table: &str) -> Result<&'static Exported> {
    EXPORTED
        .iter()
        .find(|e| e.table == table)
        .ok_or_else(|| StoreError::Other(format!("{table:?} is not a table a tenant moves with")))
}

fn column_list(spec: &Exported) -> String {
    spec.columns
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads one row's columns by their kinds; the same code for either backend's row type.
macro_rules! read_row {
    ($row:expr, $spec:expr) => {{
        let mut out = Row::new();
        for (name, kind) in $spec.columns {
            let value = match kind {
                Int => $row.try_get::<Option<i64>, _>(*name)?.map(Value::from),
                Text => $row.try_get::<Option<String>, _>(*name)?.map(Value::from),
                Bool => $row.try_get::<Option<bool>, _>(*name)?.map(Value::from),
                Bytes => $row
                    .try_get::<Option<Vec<u8>>, _>(*name)?
                    .map(|bytes| Value::from(STANDARD.encode(bytes))),
            };
            out.insert((*name).to_owned(), value.unwrap_or(Value::Null));
        }
        out
    }};
}

/// A value from the file as the column's kind; what is wrong with it otherwise.
enum Bound {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Bytes(Option<Vec<u8>>),
}

fn bound(table: &str, name: &str, kind: Kind, value: Option<&Value>) -> Result<Bound> {
    let wrong = |expected: &str| {
        StoreError::Other(format!(
            "{table}.{name}: expected {expected}, found {}",
            value.map_or("nothing".to_owned(), |v| v.to_string())
        ))
    };
    let value = value.filter(|v| !v.is_null());
    Ok(match kind {
        Int => Bound::Int(match value {
            None => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| wrong("an integer"))?),
        }),
        Text => Bound::Text(match value {
            None => None,
            Some(v) => Some(v.as_str().ok_or_else(|| wrong("text"))?.to_owned()),
        }),
        Bool => Bound::Bool(match value {
            None => None,
            Some(v) => Some(v.as_bool().ok_or_else(|| wrong("true or false"))?),
        }),
        Bytes => Bound::Bytes(match value {
            None => None,
            Some(v) => Some(
                v.as_str()
                    .and_then(|text| STANDARD.decode(text).ok())
                    .ok_or_else(|| wrong("base64"))?,
            ),
        }),
    })
}

/// Binds a row's values in column order.
macro_rules! bind_row {
    ($query:expr, $values:expr) => {{
        let mut query = $query;
        for value in $values {
            query = match value {
                Bound::Int(v) => query.bind(v),
                Bound::Text(v) => query.bind(v),
                Bound::Bool(v) => query.bind(v),
                Bound::Bytes(v) => query.bind(v),
            };
        }
        query
    }};
}

#[async_trait]
impl TransferStore for SqlStore {
    async fn dump_tenant(&self, tenant: &TenantId) -> Result<Vec<TableRows>> {
        let postgres = matches!(self.pool.backends, Backends::Postgres(_));
        // One read transaction: users and their credentials as of one moment, even while the
        // tenant is in use.
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin().await?;
            if postgres {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            let mut tables = Vec::with_capacity(EXPORTED.len());
            for spec in EXPORTED {
                let sql = format!(
                    "SELECT {} FROM {} WHERE {}",
                    column_list(spec),
                    spec.table,
                    spec.which
                );
                let found = sqlx::query(&sql).bind(&tenant.0).fetch_all(&mut *tx).await?;
                let mut rows = Vec::with_capacity(found.len());
                for row in &found {
                    rows.push(read_row!(row, spec));
                }
                tables.push(TableRows {
                    table: spec.table.to_owned(),
                    rows,
                });
            }
            tx.rollback().await?;
            Ok::<_, sqlx::Error>(tables)
        })
        .map_err(store_error)
    }

    async fn values_taken(
        &self,
        table: &str,
        column: &str,
        values: &[Value],
    ) -> Result<Vec<Value>> {
        let spec = exported(table)?;
        if !spec.identifying.contains(&column) {
            return Err(StoreError::Other(format!(
                "{table}.{column} does not identify a row"
            )));
        }
        let kind = spec
            .columns
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, kind)| *kind)
            .unwrap_or(Text);
        if !matches!(kind, Int | Text) {
            return Err(StoreError::Other(format!("{table}.{column} is no id")));
        }
        // Names and domains are unique without regard to case where users see them.
        let folds_case = table == "tenants" && matches!(column, "name" | "domain");
        let compared = |value: &Value| match value.as_str() {
            Some(text) if folds_case => Value::from(text.to_lowercase()),
            _ => value.clone(),
        };
        let given: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
        let mut found = std::collections::HashSet::new();
        // One query per batch of values, not one per value: an import asks about every user.
        for batch in given.chunks(TAKEN_BATCH) {
            let sought = if folds_case {
                format!("lower({column})")
            } else {
                column.to_owned()
            };
            let placeholders = (1..=batch.len())
                .map(|n| {
                    if folds_case {
                        format!("lower(${n})")
                    } else {
                        format!("${n}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("SELECT {sought} FROM {table} WHERE {sought} IN ({placeholders})");
            let values = batch
                .iter()
                .map(|value| bound(table, column, kind, Some(value)))
                .collect::<Result<Vec<_>>>()?;
            let rows = on_pool!(&self.pool, pool => {
                let rows = bind_row!(sqlx::query(&sql), &values).fetch_all(pool).await?;
                rows.iter()
                    .map(|row| {
                        Ok(match kind {
                            Int => Value::from(row.try_get::<i64, _>(0)?),
                            _ => Value::from(row.try_get::<String, _>(0)?),
                        })
                    })
                    .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
            })
            .map_err(store_error)?;
            found.extend(rows);
        }
        Ok(given
            .into_iter()
            .filter(|value| found.contains(&compared(value)))
            .cloned()
            .collect())
    }

    async fn reserve_ids(&self, table: &str, count: usize, at_least: i64) -> Result<Vec<i64>> {
        let spec = exported(table)?;
        if !spec.generated_id {
            return Err(StoreError::Other(format!("{table} has no generated id")));
        }
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        match &self.pool.backends {
            Backends::Postgres(pool) => {
                // Past `at_least` first, then drawn from the sequence itself.
                let sequence = format!("pg_get_serial_sequence('{table}', 'id')");
                let mut tx = pool.begin().await.map_err(store_error)?;
                sqlx::query(&format!(
                    "SELECT setval({sequence}, GREATEST(nextval({sequence}), $1))"
                ))
                .bind(at_least)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
                let ids = sqlx::query_scalar(&format!(
                    "SELECT nextval({sequence}) FROM generate_series(1, $1)"
                ))
                .bind(count)
                .fetch_all(&mut *tx)
                .await
                .map_err(store_error)?;
                tx.commit().await.map_err(store_error)?;
                Ok(ids)
            }
            Backends::Sqlite(pool) => {
                // AUTOINCREMENT never hands out an id below its counter: moving the counter
                // past the ids taken here keeps them ours, and deleted rows' ids unused.
                let mut tx = pool.begin_write().await.map_err(store_error)?;
                let start: i64 = sqlx::query_scalar(&format!(
                    "SELECT MAX($1, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, \
                     COALESCE((SELECT seq FROM sqlite_sequence WHERE name = $2), 0) + 1)"
                ))
                .bind(at_least)
                .bind(table)
                .fetch_one(&mut *tx)
                .await
                .map_err(store_error)?;
                let last = start + count - 1;
                let moved = sqlx::query("UPDATE sqlite_sequence SET seq = $1 WHERE name = $2")
                    .bind(last)
                    .bind(table)
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?;
                if moved.rows_affected() == 0 {
                    sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES ($1, $2)")
                        .bind(table)
                        .bind(last)
                        .execute(&mut *tx)
                        .await
                        .map_err(store_error)?;
                }
                tx.commit().await.map_err(store_error)?;
                Ok((start..=last).collect())
            }
        }
    }

    async fn load_tenant(
        &self,
        tables: &[TableRows],
        inserted: &(dyn Fn() + Send + Sync),
    ) -> Result<()> {
        for given in tables {
            exported(&given.table)?;
        }
        // Checked whole before anything is written.
        let mut prepared = Vec::new();
        for spec in EXPORTED {
            let mut rows = Vec::new();
            for given in tables.iter().filter(|t| t.table == spec.table) {
                for row in &given.rows {
                    if let Some(unknown) = row
                        .keys()
                        .find(|k| !spec.columns.iter().any(|(c, _)| c == k))
                    {
                        return Err(StoreError::Other(format!(
                            "{}.{unknown} is not a column this release knows",
                            spec.table
                        )));
                    }
                    let values = spec
                        .columns
                        .iter()
                        .map(|(name, kind)| bound(spec.table, name, *kind, row.get(*name)))
                        .collect::<Result<Vec<_>>>()?;
                    rows.push(values);
                }
            }
            prepared.push((spec, rows));
        }
        let postgres = matches!(self.pool.backends, Backends::Postgres(_));
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            for (spec, rows) in &prepared {
                let placeholders = (1..=spec.columns.len())
                    .map(|n| format!("${n}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({placeholders})",
                    spec.table,
                    column_list(spec)
                );
                for values in rows {
                    bind_row!(sqlx::query(&sql), values)
                        .execute(&mut *tx)
                        .await?;
                    inserted();
                }
                if postgres && spec.generated_id && !rows.is_empty() {
                    // Ids written by hand leave the identity's sequence behind them.
                    // Never backwards: others may have drawn ids meanwhile.
                    sqlx::query(&format!(
                        "SELECT setval(pg_get_serial_sequence('{0}', 'id'), \
                         GREATEST((SELECT MAX(id) FROM {0}), \
                         nextval(pg_get_serial_sequence('{0}', 'id'))))",
                        spec.table
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await
        })
        .map_err(store_error)
    }
}

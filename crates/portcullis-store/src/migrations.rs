use crate::error::{store_error, Result};
use crate::pool::{on_pool, Backends};
use crate::sql_store::SqlStore;
use portcullis_core::StoreError;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::borrow::Cow;

type Embedded = &'static [(i64, &'static str, &'static str)];

/// Rolling upgrades: while one release's nodes migrate, the previous release's nodes keep
/// running on the same database, so a migration only adds (tables, columns, indexes, backfills).
/// What the previous release could still read or write is removed or renamed only in a later
/// release, by a migration listed here as the contract step of the expansions that made it
/// unneeded. A test refuses a `DROP` or `RENAME` in any migration not listed.
/// (Listed here, not marked in the files: a changed file would no longer match the checksum
/// of databases that applied it.)
#[cfg_attr(not(test), allow(dead_code))] // read by the test that holds migrations to it
const CONTRACTS: &[(i64, &[i64])] = &[
    // Two indexes whose lookups 0007's (user_id, kind) and 0022's (user_id, application_id)
    // answer since; no release reads them by name.
    (25, &[7, 22]),
];

/// Migrations compiled into the binary, one list per backend, so the binary needs no files.
const SQLITE: Embedded = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
    ),
    (
        2,
        "mail and one-time tokens",
        include_str!("../migrations/sqlite/0002_mail_and_one_time_tokens.sql"),
    ),
    (
        3,
        "avatars",
        include_str!("../migrations/sqlite/0003_avatars.sql"),
    ),
    (
        4,
        "two-factor authentication",
        include_str!("../migrations/sqlite/0004_two_factor.sql"),
    ),
    (
        5,
        "social identities",
        include_str!("../migrations/sqlite/0005_social_identities.sql"),
    ),
    (
        6,
        "user search",
        include_str!("../migrations/sqlite/0006_user_search.sql"),
    ),
    (
        7,
        "scopes and API keys",
        include_str!("../migrations/sqlite/0007_scopes_and_api_keys.sql"),
    ),
    (
        8,
        "principal changes",
        include_str!("../migrations/sqlite/0008_principal_changes.sql"),
    ),
    (
        9,
        "captchas",
        include_str!("../migrations/sqlite/0009_captchas.sql"),
    ),
    (
        10,
        "throttles",
        include_str!("../migrations/sqlite/0010_throttles.sql"),
    ),
    (
        11,
        "applications",
        include_str!("../migrations/sqlite/0011_applications.sql"),
    ),
    (
        12,
        "signing keys",
        include_str!("../migrations/sqlite/0012_signing_keys.sql"),
    ),
    (
        13,
        "new tenants announced",
        include_str!("../migrations/sqlite/0013_new_tenants_announced.sql"),
    ),
    (
        14,
        "oauth grants",
        include_str!("../migrations/sqlite/0014_oauth_grants.sql"),
    ),
    (
        15,
        "remembered devices",
        include_str!("../migrations/sqlite/0015_remembered_devices.sql"),
    ),
    (
        16,
        "oauth lookups for deletes and purges",
        include_str!("../migrations/sqlite/0016_oauth_lookups.sql"),
    ),
    (
        17,
        "pending email addresses",
        include_str!("../migrations/sqlite/0017_pending_email.sql"),
    ),
    (
        18,
        "passkeys",
        include_str!("../migrations/sqlite/0018_passkeys.sql"),
    ),
    (
        19,
        "back-channel logout",
        include_str!("../migrations/sqlite/0019_backchannel_logout.sql"),
    ),
    (
        20,
        "device codes",
        include_str!("../migrations/sqlite/0020_device_codes.sql"),
    ),
    (
        21,
        "client registration",
        include_str!("../migrations/sqlite/0021_client_registration.sql"),
    ),
    (
        22,
        "consents",
        include_str!("../migrations/sqlite/0022_consents.sql"),
    ),
    (
        23,
        "console lookups",
        include_str!("../migrations/sqlite/0023_console_lookups.sql"),
    ),
    (
        24,
        "JWT access tokens",
        include_str!("../migrations/sqlite/0024_jwt_access_tokens.sql"),
    ),
    (
        25,
        "lean sign-in writes",
        include_str!("../migrations/sqlite/0025_lean_sign_in_writes.sql"),
    ),
];
const POSTGRES: Embedded = &[
    (
        1,
        "foundation",
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "mail and one-time tokens",
        include_str!("../migrations/postgres/0002_mail_and_one_time_tokens.sql"),
    ),
    (
        3,
        "avatars",
        include_str!("../migrations/postgres/0003_avatars.sql"),
    ),
    (
        4,
        "two-factor authentication",
        include_str!("../migrations/postgres/0004_two_factor.sql"),
    ),
    (
        5,
        "social identities",
        include_str!("../migrations/postgres/0005_social_identities.sql"),
    ),
    (
        6,
        "user search",
        include_str!("../migrations/postgres/0006_user_search.sql"),
    ),
    (
        7,
        "scopes and API keys",
        include_str!("../migrations/postgres/0007_scopes_and_api_keys.sql"),
    ),
    (
        8,
        "principal changes",
        include_str!("../migrations/postgres/0008_principal_changes.sql"),
    ),
    (
        9,
        "captchas",
        include_str!("../migrations/postgres/0009_captchas.sql"),
    ),
    (
        10,
        "throttles",
        include_str!("../migrations/postgres/0010_throttles.sql"),
    ),
    (
        11,
        "applications",
        include_str!("../migrations/postgres/0011_applications.sql"),
    ),
    (
        12,
        "signing keys",
        include_str!("../migrations/postgres/0012_signing_keys.sql"),
    ),
    (
        13,
        "new tenants announced",
        include_str!("../migrations/postgres/0013_new_tenants_announced.sql"),
    ),
    (
        14,
        "oauth grants",
        include_str!("../migrations/postgres/0014_oauth_grants.sql"),
    ),
    (
        15,
        "remembered devices",
        include_str!("../migrations/postgres/0015_remembered_devices.sql"),
    ),
    (
        16,
        "oauth lookups for deletes and purges",
        include_str!("../migrations/postgres/0016_oauth_lookups.sql"),
    ),
    (
        17,
        "pending email addresses",
        include_str!("../migrations/postgres/0017_pending_email.sql"),
    ),
    (
        18,
        "passkeys",
        include_str!("../migrations/postgres/0018_passkeys.sql"),
    ),
    (
        19,
        "back-channel logout",
        include_str!("../migrations/postgres/0019_backchannel_logout.sql"),
    ),
    (
        20,
        "device codes",
        include_str!("../migrations/postgres/0020_device_codes.sql"),
    ),
    (
        21,
        "client registration",
        include_str!("../migrations/postgres/0021_client_registration.sql"),
    ),
    (
        22,
        "consents",
        include_str!("../migrations/postgres/0022_consents.sql"),
    ),
    (
        23,
        "console lookups",
        include_str!("../migrations/postgres/0023_console_lookups.sql"),
    ),
    (
        24,
        "JWT access tokens",
        include_str!("../migrations/postgres/0024_jwt_access_tokens.sql"),
    ),
    (
        25,
        "lean sign-in writes",
        include_str!("../migrations/postgres/0025_lean_sign_in_writes.sql"),
    ),
];

#[derive(Debug)]
struct EmbeddedSource(Embedded);

impl<'s> MigrationSource<'s> for EmbeddedSource {
    fn resolve(
        self,
    ) -> futures_core::future::BoxFuture<'s, std::result::Result<Vec<Migration>, BoxDynError>> {
        let migrations = self
            .0
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

impl SqlStore {
    /// Applies pending migrations, unless the database's schema is newer than this release.
    /// On PostgreSQL, sqlx holds an advisory lock meanwhile, so many nodes may start at once.
    pub async fn migrate(&self) -> Result<()> {
        self.newest_applied_within_release().await?;
        let migrator = Migrator::new(EmbeddedSource(self.embedded()))
            .await
            .map_err(|e| StoreError::Other(format!("migrations: {e}")))?;
        on_pool!(&self.pool, pool => migrator.run(pool).await).map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => store_error(inner),
            other => StoreError::Other(format!("migrations: {other}")),
        })
    }
}

impl SqlStore {
    fn embedded(&self) -> Embedded {
        match self.pool.backends {
            Backends::Sqlite(_) => SQLITE,
            Backends::Postgres(_) => POSTGRES,
        }
    }

    /// The newest migration the database has applied, if it has any (none on a new database,
    /// which has no migrations table yet); refused when it is newer than this release knows:
    /// this release would read and write tables as they no longer are.
    async fn newest_applied_within_release(&self) -> Result<Option<i64>> {
        let applied = on_pool!(&self.pool, pool => {
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
            )
            .fetch_one(pool)
            .await
        })
        .ok()
        .flatten();
        let known = self
            .embedded()
            .iter()
            .map(|(v, _, _)| *v)
            .max()
            .unwrap_or(0);
        match applied {
            Some(applied) if applied > known => Err(StoreError::Other(format!(
                "the database's schema is at version {applied}, newer than this release knows \
                 (version {known}): run the release that migrated it, or a newer one"
            ))),
            applied => Ok(applied),
        }
    }

    /// The newest migration applied (none on an empty database); refused when it is newer than
    /// this release knows.
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        self.newest_applied_within_release().await
    }

    /// What [`Self::migrate`] would apply, version and description, oldest first; refused as
    /// `migrate` would refuse a schema newer than this release.
    pub async fn pending_migrations(&self) -> Result<Vec<(i64, &'static str)>> {
        let applied = self.newest_applied_within_release().await?;
        let pending = match applied {
            // A new database: no migrations table yet.
            None => self.embedded().iter().map(|(v, _, _)| *v).collect(),
            Some(_) => self.unapplied_migrations().await?,
        };
        Ok(self
            .embedded()
            .iter()
            .filter(|(version, _, _)| pending.contains(version))
            .map(|(version, description, _)| (*version, *description))
            .collect())
    }

    /// Versions this binary carries that the database has not applied successfully.
    pub(crate) async fn unapplied_migrations(&self) -> Result<Vec<i64>> {
        let applied: Vec<i64> = on_pool!(&self.pool, pool => {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(pool)
                .await
        })
        .map_err(store_error)?;
        Ok(self
            .embedded()
            .iter()
            .map(|(version, _, _)| *version)
            .filter(|version| !applied.contains(version))
            .collect())
    }
}

/// The migrations that drop or rename something without being listed in `contracts` as the
/// contract step of earlier expansions: each with what is wrong.
#[cfg(test)]
fn uncontracted(embedded: Embedded, contracts: &[(i64, &[i64])]) -> Vec<String> {
    let mut problems = Vec::new();
    for (version, description, sql) in embedded {
        let statements: String = sql
            .lines()
            .map(|line| line.split("--").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_uppercase();
        let removes = statements
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|word| word == "DROP" || word == "RENAME");
        if !removes {
            continue;
        }
        match contracts.iter().find(|(contract, _)| contract == version) {
            None => problems.push(format!(
                "{version:04} {description} drops or renames, but is no contract step"
            )),
            Some((_, [])) => problems.push(format!(
                "{version:04} {description} names no expansion it completes"
            )),
            Some((_, expansions)) => {
                for expansion in *expansions {
                    let earlier = embedded.iter().any(|(v, _, _)| v == expansion);
                    if expansion >= version || !earlier {
                        problems.push(format!(
                            "{version:04} {description} completes {expansion:04}, which is not an earlier migration"
                        ));
                    }
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_contract_steps_drop_or_rename() {
        assert_eq!(uncontracted(SQLITE, CONTRACTS), Vec::<String>::new());
        assert_eq!(uncontracted(POSTGRES, CONTRACTS), Vec::<String>::new());
    }

    #[test]
    fn a_drop_or_rename_outside_a_contract_step_is_found() {
        const ADDED: Embedded = &[
            (1, "tables", "CREATE TABLE a (id INTEGER);"),
            (
                2,
                "more",
                "-- we drop nothing here\nALTER TABLE a ADD COLUMN b TEXT;",
            ),
            (3, "renamed", "ALTER TABLE a RENAME COLUMN b TO c;"),
            (4, "dropped", "ALTER TABLE a DROP COLUMN c;"),
        ];
        assert_eq!(
            uncontracted(ADDED, &[(3, &[2]), (4, &[3])]),
            Vec::<String>::new()
        );
        let problems = uncontracted(ADDED, &[(4, &[5])]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("0003 renamed drops or renames"));
        assert!(problems[1].contains("completes 0005"));
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let versions = |embedded: Embedded| -> Vec<(i64, &str)> {
            embedded.iter().map(|(v, d, _)| (*v, *d)).collect()
        };
        assert_eq!(versions(SQLITE), versions(POSTGRES));
    }
}

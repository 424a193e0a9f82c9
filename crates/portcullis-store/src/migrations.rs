use crate::error::{store_error, Result};
use crate::pool::{on_pool, Pool};
use crate::SqlStore;
use portcullis_core::StoreError;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::borrow::Cow;

type Embedded = &'static [(i64, &'static str, &'static str)];

/// Migrations compiled into the binary, one list per backend, so the binary needs no files.
const SQLITE: Embedded = &[(
    1,
    "foundation",
    include_str!("../migrations/sqlite/0001_foundation.sql"),
)];
const POSTGRES: Embedded = &[(
    1,
    "foundation",
    include_str!("../migrations/postgres/0001_foundation.sql"),
)];

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
    /// Applies pending migrations. On PostgreSQL, sqlx holds an advisory lock meanwhile, so
    /// many nodes may start at once.
    pub async fn migrate(&self) -> Result<()> {
        let source = match self.pool {
            Pool::Sqlite(_) => SQLITE,
            Pool::Postgres(_) => POSTGRES,
        };
        let migrator = Migrator::new(EmbeddedSource(source))
            .await
            .map_err(|e| StoreError::Other(format!("migrations: {e}")))?;
        on_pool!(&self.pool, pool => migrator.run(pool).await).map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => store_error(inner),
            other => StoreError::Other(format!("migrations: {other}")),
        })
    }
}

//! Copies of a SQLite database: a consistent one taken while the server runs, and the checks a
//! copy passes before it is restored. PostgreSQL has its own tools for both (`pg_dump`,
//! `pg_restore`), which know more about a live server than we could.

use crate::error::{store_error, Result};
use crate::pool::Backends;
use crate::SqlStore;
use portcullis_core::StoreError;
use sqlx::sqlite::SqliteConnectOptions;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The file a `sqlite:` URL names; `None` for any other database.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    SqliteConnectOptions::from_str(url)
        .ok()
        .map(|options| options.get_filename().to_path_buf())
}

impl SqlStore {
    /// Writes a consistent copy of the whole SQLite database to `target`, a file that must not
    /// exist yet, while others go on reading and writing: it is one read transaction
    /// (`VACUUM INTO`), so it holds every write committed before it began and none after.
    pub async fn back_up_into(&self, target: &Path) -> Result<()> {
        let Backends::Sqlite(pool) = &self.pool.backends else {
            return Err(StoreError::Other(
                "only a SQLite database is backed up by Portcullis itself".to_owned(),
            ));
        };
        let target = target
            .to_str()
            .ok_or_else(|| StoreError::Other("the backup's path must be valid UTF-8".to_owned()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Whether the SQLite database is whole (`PRAGMA integrity_check`, and every reference
    /// naming a row): the problems found,
    /// none when it is. PostgreSQL is not asked.
    pub async fn integrity_problems(&self) -> Result<Vec<String>> {
        let Backends::Sqlite(pool) = &self.pool.backends else {
            return Ok(Vec::new());
        };
        let report: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(pool)
            .await
            .map_err(store_error)?;
        let mut problems: Vec<String> = report.into_iter().filter(|line| line != "ok").collect();
        let dangling: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(pool)
                .await
                .map_err(store_error)?;
        problems.extend(
            dangling
                .into_iter()
                .map(|(table,)| format!("a row of {table} refers to nothing")),
        );
        Ok(problems)
    }
}

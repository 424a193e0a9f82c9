use crate::error::store_error;
use portcullis_core::StoreError;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `sqlite://path/to/file.db` or `postgres://user:pass@host/db`.
    pub url: String,
    pub max_connections: u32,
}

impl ConnectOptions {
    pub fn backend(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body against whichever backend is open. The body is compiled once per
/// backend, so a query that one of them rejects fails that backend's tests, not the build.
/// It runs in its own async block, so `?` inside it yields the body's `sqlx::Error`.
macro_rules! on_pool {
    ($pool:expr, $conn:ident => $body:expr) => {
        match $pool {
            $crate::pool::Pool::Sqlite($conn) => async { $body }.await,
            $crate::pool::Pool::Postgres($conn) => async { $body }.await,
        }
    };
}
pub(crate) use on_pool;

impl Pool {
    pub async fn connect(options: &ConnectOptions) -> Result<Self, StoreError> {
        let acquire_timeout = Duration::from_secs(10);
        match ConnectOptions::backend(&options.url) {
            Some(Backend::Sqlite) => {
                let connect = SqliteConnectOptions::from_str(&options.url)
                    .map_err(store_error)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                let pool = SqlitePoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(acquire_timeout)
                    .connect_with(connect)
                    .await
                    .map_err(store_error)?;
                Ok(Self::Sqlite(pool))
            }
            Some(Backend::Postgres) => {
                let pool = PgPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(acquire_timeout)
                    .connect(&options.url)
                    .await
                    .map_err(store_error)?;
                Ok(Self::Postgres(pool))
            }
            None => Err(StoreError::Unavailable(
                "database URL must start with sqlite: or postgres://".to_owned(),
            )),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

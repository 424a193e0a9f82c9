use crate::error::store_error;
use portcullis_core::store::PoolStats;
use portcullis_core::StoreError;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
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
pub(crate) enum Backends {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The open pool, and how many store operations are using or waiting for it.
#[derive(Clone, Debug)]
pub(crate) struct Pool {
    pub(crate) backends: Backends,
    max_connections: u32,
    in_flight: Arc<AtomicUsize>,
}

/// Runs the same body against whichever backend is open. The body is compiled once per
/// backend, so a query that one of them rejects fails that backend's tests, not the build.
/// It runs in its own async block, so `?` inside it yields the body's `sqlx::Error`.
macro_rules! on_pool {
    ($pool:expr, $conn:ident => $body:expr) => {{
        let _operation = $pool.operation();
        match &$pool.backends {
            $crate::pool::Backends::Sqlite($conn) => async { $body }.await,
            $crate::pool::Backends::Postgres($conn) => async { $body }.await,
        }
    }};
}
pub(crate) use on_pool;

/// One store operation in flight; counted while it lives.
pub(crate) struct Operation(Arc<AtomicUsize>);

impl Drop for Operation {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

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
                Ok(Self::new(Backends::Sqlite(pool), options))
            }
            Some(Backend::Postgres) => {
                let pool = PgPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(acquire_timeout)
                    .connect(&options.url)
                    .await
                    .map_err(store_error)?;
                Ok(Self::new(Backends::Postgres(pool), options))
            }
            None => Err(StoreError::Unavailable(
                "database URL must start with sqlite: or postgres://".to_owned(),
            )),
        }
    }

    fn new(backends: Backends, options: &ConnectOptions) -> Self {
        Self {
            backends,
            max_connections: options.max_connections,
            in_flight: Arc::default(),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.backends {
            Backends::Sqlite(_) => Backend::Sqlite,
            Backends::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) fn operation(&self) -> Operation {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Operation(Arc::clone(&self.in_flight))
    }

    pub fn stats(&self) -> PoolStats {
        let (open, idle) = match &self.backends {
            Backends::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Backends::Postgres(pool) => (pool.size(), pool.num_idle()),
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        let in_use = open.saturating_sub(idle) as usize;
        let in_flight = self.in_flight.load(Ordering::Relaxed);
        PoolStats {
            max: self.max_connections,
            open,
            idle,
            waiting: u32::try_from(in_flight.saturating_sub(in_use)).unwrap_or(u32::MAX),
        }
    }

    pub async fn close(&self) {
        match &self.backends {
            Backends::Sqlite(pool) => pool.close().await,
            Backends::Postgres(pool) => pool.close().await,
        }
    }
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`), waiting for it as long as `busy_timeout` allows: a deferred transaction that
/// first reads (foreign-key and unique checks count) and then writes fails at once with
/// "database is locked" when another connection wrote in between. PostgreSQL needs no such
/// care.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.begin().await
    }
}

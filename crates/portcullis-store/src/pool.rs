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

/// [`on_pool!`] for a statement that writes outside a transaction: on SQLite it takes its turn
/// first (see [`WriteTurns`]), as a write transaction does, instead of meeting the busy
/// handler's sleeps of up to 100 ms whenever a transaction holds the lock.
macro_rules! on_writer {
    ($pool:expr, $conn:ident => $body:expr) => {{
        let _operation = $pool.operation();
        match &$pool.backends {
            $crate::pool::Backends::Sqlite($conn) => {
                async {
                    let _turn = $crate::pool::write_turn($conn).await?;
                    $body
                }
                .await
            }
            $crate::pool::Backends::Postgres($conn) => async { $body }.await,
        }
    }};
}
pub(crate) use on_writer;

/// One store operation in flight; counted while it lives.
pub(crate) struct Operation(Arc<AtomicUsize>);

impl Drop for Operation {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How long SQLite waits for its write lock (`busy_timeout`), and a write its turn.
const WRITE_TURN_TIMEOUT: Duration = Duration::from_secs(10);

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
                    .busy_timeout(WRITE_TURN_TIMEOUT);
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
/// IMMEDIATE`): a deferred transaction that first reads (foreign-key and unique checks count)
/// and then writes fails at once with "database is locked" when another connection wrote in
/// between. And it waits its turn in this process first (see [`WriteTurns`]). PostgreSQL needs
/// no such care.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = sqlx::Result<WriteTx<Self::Db>>> + Send;
}

/// A write transaction, holding its turn (on SQLite) until it commits or rolls back. Used like
/// the transaction it wraps: `&mut *tx` is the connection.
pub(crate) struct WriteTx<DB: sqlx::Database> {
    tx: sqlx::Transaction<'static, DB>,
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    pub(crate) async fn commit(self) -> sqlx::Result<()> {
        self.tx.commit().await
    }

    pub(crate) async fn rollback(self) -> sqlx::Result<()> {
        self.tx.rollback().await
    }
}

impl<DB: sqlx::Database> std::ops::Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// SQLite lets one connection write at a time; the others wait in its busy handler, which
/// polls with sleeps of up to 100 ms, so under load the lock sits free while every waiter
/// sleeps. Write transactions therefore queue here, per database file, and are handed the lock
/// in turn the moment the previous one ends. (Other processes on the same file, such as the
/// CLI, still meet the busy handler.)
struct WriteTurns;

impl WriteTurns {
    fn of(pool: &SqlitePool) -> Arc<tokio::sync::Semaphore> {
        use std::collections::HashMap;
        use std::sync::{Mutex, OnceLock};
        static TURNS: OnceLock<Mutex<HashMap<std::path::PathBuf, Arc<tokio::sync::Semaphore>>>> =
            OnceLock::new();
        let options = pool.connect_options();
        let file = options.get_filename();
        let mut turns = TURNS
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Every write transaction passes here: look the file up without copying its path.
        if let Some(turn) = turns.get(file) {
            return Arc::clone(turn);
        }
        let turn = Arc::new(tokio::sync::Semaphore::new(1));
        turns.insert(file.to_owned(), Arc::clone(&turn));
        turn
    }
}

/// This process's turn to write to the pool's file, once the writer before it is done.
pub(crate) async fn write_turn(
    pool: &SqlitePool,
) -> sqlx::Result<tokio::sync::OwnedSemaphorePermit> {
    // As long as the busy handler would have waited, so a turn never waits forever.
    tokio::time::timeout(WRITE_TURN_TIMEOUT, WriteTurns::of(pool).acquire_owned())
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?
        .map_err(|_| sqlx::Error::PoolClosed)
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> sqlx::Result<WriteTx<sqlx::Sqlite>> {
        let turn = write_turn(self).await?;
        let tx = self.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx {
            tx,
            _turn: Some(turn),
        })
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> sqlx::Result<WriteTx<sqlx::Postgres>> {
        let tx = self.begin().await?;
        Ok(WriteTx { tx, _turn: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn open(file: &std::path::Path) -> SqlitePool {
        let options = ConnectOptions {
            url: format!("sqlite://{}?mode=rwc", file.display()),
            max_connections: 4,
        };
        match Pool::connect(&options).await.unwrap().backends {
            Backends::Sqlite(pool) => pool,
            Backends::Postgres(_) => unreachable!(),
        }
    }

    #[tokio::test]
    async fn write_transactions_on_one_file_take_turns_and_other_files_do_not_wait() {
        let dir = tempfile::tempdir().unwrap();
        let (one, same) = (
            open(&dir.path().join("a.db")).await,
            open(&dir.path().join("a.db")).await,
        );
        let other = open(&dir.path().join("b.db")).await;
        let first = one.begin_write().await.unwrap();
        // Another file's writer goes ahead; this file's waits for the first to end.
        other.begin_write().await.unwrap().commit().await.unwrap();
        let queued = same.clone();
        let second = tokio::spawn(async move { queued.begin_write().await.map(drop) });
        tokio::task::yield_now().await;
        let waiting = tokio::time::timeout(Duration::from_millis(200), async {
            while !second.is_finished() {
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert!(waiting.is_err(), "the second writer did not wait its turn");
        // In this process's queue, not inside SQLite's busy handler holding a connection.
        assert_eq!(same.num_idle(), same.size() as usize);
        first.commit().await.unwrap();
        second.await.unwrap().unwrap();
    }
}

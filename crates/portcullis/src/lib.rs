//! The Portcullis binary as a library, so tests and the benchmark build exactly the app that
//! `portcullis serve` runs.

pub mod cli;
pub mod config;

pub use config::Config;

use axum::Router;
use portcullis_core::password::{PasswordHasher, Policy};
use portcullis_core::{Clock, Services, StoreError};
use portcullis_http::{AppState, HttpSettings};
use portcullis_store::{Backend, ConnectOptions, SqlStore};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A built application: its services and router, over an open, migrated, seeded store.
pub struct App {
    pub services: Services,
    pub store: SqlStore,
    pub state: AppState,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Domain(#[from] portcullis_core::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

impl App {
    /// Opens the database (creating `data_dir` for a SQLite default), migrates, seeds the
    /// default tenant, and wires the services.
    pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let store = SqlStore::open(&ConnectOptions {
            url: config.database_url(),
            max_connections: config.database_max_connections,
        })
        .await?;
        let policy = match config.password_algorithm.as_str() {
            "argon2id" => Policy::argon2id(),
            _ => Policy::Bcrypt {
                cost: config.bcrypt_cost,
            },
        };
        let workers = config
            .hash_workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let cache_seconds = config.auth_cache_seconds.unwrap_or(match store.backend() {
            Backend::Sqlite => 10,
            Backend::Postgres => 0,
        });
        let hasher = PasswordHasher::new(policy, workers);
        let services = Services::new(Arc::new(store.clone()), clock, hasher)
            .with_principal_cache(time::Duration::seconds(cache_seconds as i64));
        services.ensure_defaults().await?;
        let state = AppState {
            services: services.clone(),
            http: Arc::new(HttpSettings {
                max_body_bytes: config.max_body_bytes,
                public_url: config.public_url(),
            }),
        };
        Ok(Self {
            services,
            store,
            state,
        })
    }

    pub fn router(&self) -> Router {
        portcullis_http::router(self.state.clone())
    }
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

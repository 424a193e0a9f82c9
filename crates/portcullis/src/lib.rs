//! The Portcullis binary as a library, so tests and the benchmark build exactly the app that
//! `portcullis serve` runs.

pub mod backup;
pub mod cli;
pub mod config;
pub mod import;
pub mod logging;
pub mod server;

pub use config::Config;
pub use server::{serve, ServeOptions};

use axum::Router;
use portcullis_core::model::SigningKeySecret;
use portcullis_core::password::{PasswordHasher, Policy};
use portcullis_core::{Clock, Services, StoreError};
use portcullis_http::{AppState, HttpSettings};
use portcullis_store::{ConnectOptions, PrincipalChange, SqlStore};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How much queued password-hashing work, in seconds, a node accepts before it refuses
/// logins (unless `hash_queue_max` says otherwise).
const HASH_QUEUE_SECONDS: f64 = 3.0;

/// A built application: its services and router, over an open, migrated, seeded store.
#[derive(Clone)]
pub struct App {
    pub services: Services,
    pub store: SqlStore,
    pub state: AppState,
    pub serve_options: ServeOptions,
    /// A SQLite database is marked in use while the app lives, so no restore replaces it.
    pub in_use: Option<Arc<backup::InUse>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("signing key secret {path}: {problem}")]
    SigningKeySecret { path: String, problem: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Domain(#[from] portcullis_core::Error),
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Backup(#[from] backup::BackupError),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

/// The configured signing-key secret or, without one, the 32 bytes of `<data_dir>/signing.key`
/// (made on first start, readable by this user only).
fn signing_key_secret(config: &Config) -> Result<SigningKeySecret, StartError> {
    if let Some(secret) = config.signing_key_secret()? {
        return Ok(secret);
    }
    let path = config.signing_key_file();
    let failed = |problem: String| StartError::SigningKeySecret {
        path: path.display().to_string(),
        problem,
    };
    match std::fs::read(&path) {
        Ok(bytes) => <[u8; 32]>::try_from(bytes.as_slice())
            .map(SigningKeySecret::new)
            .map_err(|_| failed(format!("holds {} bytes, not 32", bytes.len()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = SigningKeySecret::generate();
            match write_new_secret(&path, &secret) {
                Ok(()) => Ok(secret),
                // Another process sharing the data dir made it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    signing_key_secret(config)
                }
                Err(e) => Err(failed(e.to_string())),
            }
        }
        Err(e) => Err(failed(e.to_string())),
    }
}

/// Creates `path`, which must not exist yet, readable and writable by this user only: for
/// files that hold secrets (the signing-key secret, backups).
pub(crate) fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Writes the secret to a private temporary file, then links it into place, so the file
/// appears whole or not at all, and an existing one is never replaced.
fn write_new_secret(path: &std::path::Path, secret: &SigningKeySecret) -> std::io::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension(format!("{}.tmp", portcullis_core::random::base62(8)));
    let written = create_private(&temporary).and_then(|mut file| {
        file.write_all(secret.as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    linked
}

impl App {
    /// Opens the database (creating `data_dir` for a SQLite default), migrates, seeds the
    /// default tenant, and wires the services.
    pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let in_use = backup::InUse::of(config)?.map(Arc::new);
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
        let cache_ttl = time::Duration::seconds(config.auth_cache_seconds.unwrap_or(10) as i64);
        let mut hasher = PasswordHasher::new(policy, workers);
        if let Some(queue_max) = config.hash_queue_max {
            hasher = hasher.with_queue_max(queue_max);
        }
        hasher.calibrate(HASH_QUEUE_SECONDS).await?;
        let mailer = config.mailer()?;
        let mut services = Services::new(Arc::new(store.clone()), clock, hasher);
        // Other nodes (and the CLI) may change a shared database; what they change reaches
        // this node's cache through the store's change feed, which `serve` runs.
        services = if store.has_change_feed() {
            services.with_principal_cache_on_change_feed(cache_ttl)
        } else {
            services.with_principal_cache(cache_ttl)
        };
        services = services
            .with_public_url(&config.public_url())
            .with_mailer(
                mailer,
                config.mail_from.clone(),
                Duration::from_secs(config.smtp_timeout_seconds),
            )
            .with_texter(config.texter()?)
            .with_egress_policy(config.egress_policy()?)
            .with_network_client(Arc::new(
                portcullis_mail::HttpNetworks::new(
                    Duration::from_secs(config.smtp_timeout_seconds),
                    config.egress_policy()?,
                )
                .map_err(|problem| config::ConfigError::Invalid {
                    setting: "social networks",
                    problem,
                })?,
            ));
        if let Some(verifier) = config.captcha_verifier()? {
            services = services.with_captcha_verifier(verifier);
        }
        services = services.with_signing_key_secret(signing_key_secret(config)?);
        services = services.with_device_endpoint(config.enable_device_auth_endpoint);
        services.ensure_defaults().await?;
        services.ensure_signing_keys().await?;
        let sealed = services.seal_stored_secrets().await?;
        if sealed > 0 {
            tracing::info!(sealed, "sealed secrets an older version stored in clear");
        }
        let http = HttpSettings {
            max_body_bytes: config.max_body_bytes,
            max_upload_bytes: config.max_upload_bytes,
            public_url: config.public_url(),
            request_timeout: Duration::from_secs(config.request_timeout_seconds),
            metrics_route: config.metrics_listen.is_none(),
            trusted_proxies: config.trusted_proxies()?,
        };
        Ok(Self {
            state: AppState::new(services.clone(), http, config.metrics),
            services,
            store,
            serve_options: config.serve_options()?,
            in_use,
        })
    }

    pub fn router(&self) -> Router {
        portcullis_http::router(self.state.clone())
    }

    /// Serves the app on `listener` (and `/metrics` alone on `metrics_listener`, when given),
    /// delivering queued mail and logout notices and forwarding the database's changes to the token-lookup cache
    /// in the background, until `shutdown` completes; then lets in-flight requests finish
    /// within the grace period and closes the database pool.
    pub async fn serve(
        &self,
        listener: TcpListener,
        metrics_listener: Option<TcpListener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut stopping = stopping.clone();
            async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            }
        };
        let options = &self.serve_options;
        let main = serve(listener, self.router(), options.clone(), stopped());
        let metrics = async {
            match metrics_listener {
                Some(listener) => {
                    let router = portcullis_http::metrics_router(self.state.clone());
                    serve(listener, router, options.clone(), stopped()).await
                }
                None => Ok(()),
            }
        };
        let mail = async {
            if let Some(worker) = self.services.mail_worker() {
                worker.run(stopped()).await;
            }
        };
        let logouts = self.services.run_logout_notices(stopped());
        let changes = async {
            tokio::select! {
                () = self.forward_principal_changes() => {}
                () = stopped() => {}
            }
        };
        let signal = async move {
            shutdown.await;
            let _ = stop.send(true);
        };
        let ((), main, metrics, (), (), ()) =
            tokio::join!(signal, main, metrics, mail, logouts, changes);
        self.store.close().await;
        main.and(metrics)
    }

    /// Keeps the token-lookup cache in step with changes any node makes (PostgreSQL only;
    /// returns at once on SQLite, where this process is the only writer).
    async fn forward_principal_changes(&self) {
        let cache = self.services.principal_cache();
        self.store
            .watch_principal_changes(|change| match change {
                PrincipalChange::Connected => {
                    tracing::info!("principal change feed connected");
                    cache.feed_connected();
                }
                PrincipalChange::User(user) => cache.forget_user(user),
                PrincipalChange::All => cache.forget_all(),
                PrincipalChange::RevokedJwt(Some((jti, expires_at))) => {
                    match time::OffsetDateTime::from_unix_timestamp(expires_at) {
                        Ok(expires_at) => cache.revoke_jwt(jti, expires_at, self.services.now()),
                        Err(_) => cache.forget_revoked_jwts(),
                    }
                }
                PrincipalChange::RevokedJwt(None) => cache.forget_revoked_jwts(),
                PrincipalChange::Lost => cache.feed_lost(),
            })
            .await;
    }
}

//! The real application, served in-process on SQLite in a temporary directory, with one extra
//! route that does nothing behind the same layers.

use crate::BoxError;
use portcullis::{App, Config};
use portcullis_core::accounts::CreateUser;
use portcullis_core::model::Tenant;
use portcullis_core::{Secret, SystemClock};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const USERNAME: &str = "bench";
pub const PASSWORD: &str = "bench-password";
/// The bare route: nothing but the common layers between it and the socket.
pub const CEILING_PATH: &str = "/bench/ceiling";

pub struct Server {
    pub addr: SocketAddr,
    pub app: App,
    pub config: Config,
    /// The default tenant, where the user is.
    pub tenant: Tenant,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    // Kept last so the database is closed before its directory goes.
    _dir: tempfile::TempDir,
}

impl Server {
    /// Production defaults, changed by `configure`.
    pub async fn start(configure: impl FnOnce(&mut Config)) -> Result<Self, BoxError> {
        let dir = tempfile::tempdir()?;
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        configure(&mut config);
        let app = App::build(&config, Arc::new(SystemClock)).await?;
        let mut tenant = app.services.ensure_defaults().await?;
        // Every benchmark login comes from one address; the throttles still do their writes.
        let mut settings = tenant.settings.clone();
        settings.throttle_attempts = 1_000_000;
        tenant = app.services.update_settings(&tenant, settings).await?;
        app.services
            .create_user(
                &tenant,
                CreateUser {
                    username: Some(USERNAME.into()),
                    email: "bench@example.com".into(),
                    password: Secret::new(PASSWORD),
                    role: "User".into(),
                    first_name: None,
                    last_name: None,
                },
            )
            .await?;
        let router = portcullis_http::with_layers(
            portcullis_http::routes(app.state.clone())
                .route(CEILING_PATH, axum::routing::get(|| async { "ok" })),
            app.state.clone(),
        );
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(portcullis::serve(
            listener,
            router,
            app.serve_options.clone(),
            async {
                let _ = stopped.await;
            },
        ));
        Ok(Self {
            addr,
            app,
            config,
            tenant,
            stop,
            task,
            _dir: dir,
        })
    }

    /// Asks the server to stop and waits a little for it; clients should be dropped first.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        match tokio::time::timeout(Duration::from_secs(5), self.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => eprintln!("server stopped with an error: {e}"),
            Ok(Err(e)) => eprintln!("server task failed: {e}"),
            Err(_) => eprintln!("server did not stop within 5 s; leaving it"),
        }
    }
}

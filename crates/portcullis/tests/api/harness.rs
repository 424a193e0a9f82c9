//! Boots the real server for a test and speaks HTTP to it.

use portcullis::{App, Config};
use portcullis_core::accounts::CreateUser;
use portcullis_core::model::{Tenant, TenantSettings, User};
use portcullis_core::{ManualClock, Secret};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use std::sync::Arc;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "correct-horse-battery";

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// SQLite always; PostgreSQL too when `PORTCULLIS_TEST_POSTGRES_URL` names a server.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("PORTCULLIS_TEST_POSTGRES_URL") {
        if !url.is_empty() {
            all.push(Backend::Postgres(url));
        }
    }
    all
}

pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub tenant: Tenant,
    pub backend_name: &'static str,
    pub database_url: String,
    pub data_dir: TempDir,
    /// Where `/metrics` is served when the test asked for its own listener.
    pub metrics_base: Option<String>,
    pub addr: std::net::SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<std::io::Result<()>>>,
    pg_cleanup: Option<(String, String)>,
}

impl TestServer {
    pub async fn start(backend: &Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    /// Starts with the test defaults changed by `configure`. A `metrics_listen` set there is
    /// replaced by an ephemeral port on 127.0.0.1.
    pub async fn start_with(backend: &Backend, configure: impl FnOnce(&mut Config)) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (database_url, pg_cleanup, backend_name) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}/test.db?mode=rwc", data_dir.path().display()),
                None,
                "sqlite",
            ),
            Backend::Postgres(admin_url) => {
                let (url, name) = fresh_postgres_database(admin_url).await;
                (url, Some((admin_url.clone(), name)), "postgres")
            }
        };
        let mut config = Config {
            data_dir: data_dir.path().to_owned(),
            database_url: Some(database_url.clone()),
            database_max_connections: 4,
            // Cheap hashes, set explicitly for tests only.
            bcrypt_cost: 4,
            hash_workers: Some(2),
            public_url: Some("http://portcullis.test".to_owned()),
            // The tests' stand-ins for social networks and gateways listen on loopback, which
            // the egress policy refuses unless the operator names it.
            egress_allow: vec!["127.0.0.0/8".to_owned()],
            ..Config::default()
        };
        configure(&mut config);
        let clock = Arc::new(ManualClock::starting_now());
        let app = App::build(&config, clock.clone())
            .await
            .expect("app builds");
        let tenant = app.services.default_tenant().await.expect("default tenant");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        let metrics_listener = match config.metrics_listen {
            Some(_) => Some(
                tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind"),
            ),
            None => None,
        };
        let metrics_base = metrics_listener
            .as_ref()
            .map(|l| format!("http://{}", l.local_addr().expect("addr")));
        let (tx, rx) = oneshot::channel::<()>();
        let app_to_serve = app.clone();
        let serving = tokio::spawn(async move {
            app_to_serve
                .serve(listener, metrics_listener, async {
                    let _ = rx.await;
                })
                .await
        });
        // On PostgreSQL the token-lookup cache keeps nothing until its change feed listens;
        // waiting for that makes caching the same on both backends from the first request.
        let cache = app.services.principal_cache();
        for _ in 0..1000 {
            if cache.synced() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(cache.synced(), "the change feed connects within 10 s");
        Self {
            base,
            http: reqwest::Client::new(),
            app,
            clock,
            tenant,
            backend_name,
            database_url,
            data_dir,
            metrics_base,
            addr,
            shutdown: Some(tx),
            serving: Some(serving),
            pg_cleanup,
        }
    }

    /// Signals shutdown, as SIGTERM does, without waiting for it.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Waits until the server has stopped serving (after [`begin_shutdown`](Self::begin_shutdown)).
    pub async fn stopped(&mut self) -> std::io::Result<()> {
        match self.serving.take() {
            Some(task) => task.await.expect("server task"),
            None => Ok(()),
        }
    }

    /// Stops the server and drops a PostgreSQL test database.
    pub async fn stop(mut self) {
        self.begin_shutdown();
        self.app.store.close().await;
        if let Some((admin_url, name)) = self.pg_cleanup.take() {
            let admin = sqlx::PgPool::connect(&admin_url)
                .await
                .expect("admin connection");
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin)
                .await;
            admin.close().await;
        }
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{}", self.base, path))
    }

    pub async fn create_user(&self, username: &str, role: &str) -> User {
        self.app
            .services
            .create_user(
                &self.tenant,
                CreateUser {
                    username: Some(username.to_owned()),
                    email: format!("{username}@example.com"),
                    password: Secret::new(PASSWORD),
                    role: role.to_owned(),
                    first_name: None,
                    last_name: None,
                },
            )
            .await
            .expect("user created")
    }

    /// `POST /api/login` with these credentials; the status and JSON body.
    pub async fn try_login(&self, username: &str, password: &str) -> (u16, Value) {
        let body = serde_json::json!({ "username": username, "password": password });
        json(
            self.request(Method::POST, "/api/login")
                .json(&body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Logs in with the test password and returns the token.
    pub async fn login(&self, username: &str) -> String {
        let (status, body) = self.try_login(username, PASSWORD).await;
        assert_eq!(status, 200, "[{}] login failed: {body}", self.backend_name);
        body["token"].as_str().expect("token").to_owned()
    }

    /// A new user of this role, logged in: the token.
    pub async fn signed_in(&self, username: &str, role: &str) -> String {
        self.create_user(username, role).await;
        self.login(username).await
    }

    /// Changes the default tenant's settings, as an administrator would.
    pub async fn set_settings(&mut self, change: impl FnOnce(&mut TenantSettings)) {
        let mut settings = self.tenant.settings.clone();
        change(&mut settings);
        self.tenant = self
            .app
            .services
            .update_settings(&self.tenant, settings)
            .await
            .expect("settings saved");
    }

    /// The mails delivered to `to` so far, decoded, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.data_dir.path().join("outbox")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| decode_eml(&std::fs::read_to_string(path).expect("readable mail")))
            .filter(|mail| mail.contains(&format!("To: {to}")))
            .collect()
    }

    /// The text messages sent to `to` so far, oldest first.
    pub fn texts_to(&self, to: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.data_dir.path().join("outbox")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "sms"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| std::fs::read_to_string(path).expect("readable text"))
            .filter(|text| text.starts_with(&format!("To: {to}\n")))
            .collect()
    }

    /// `PUT`, `PATCH`, `POST` or `DELETE` with a bearer token and a JSON body.
    pub async fn send(&self, method: Method, path: &str, token: &str, body: Value) -> (u16, Value) {
        json(
            self.request(method, path)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Waits (up to 10 s) for the `n`th mail to `to`, counting from 1, and returns it.
    pub async fn wait_for_mail(&self, to: &str, n: usize) -> String {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(mail) = self.mails_to(to).into_iter().nth(n - 1) {
                return mail;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "[{}] no mail #{n} to {to} within 10 s",
                self.backend_name
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Waits (up to 10 s) for the `n`th mail to `to` that contains `marker`, counting from 1
    /// and skipping other mails (notices of account changes, say).
    pub async fn wait_for_mail_with(&self, to: &str, marker: &str, n: usize) -> String {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let found = self
                .mails_to(to)
                .into_iter()
                .filter(|mail| mail.contains(marker))
                .nth(n - 1);
            if let Some(mail) = found {
                return mail;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "[{}] no mail #{n} to {to} with {marker:?} within 10 s",
                self.backend_name
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// `POST` a JSON body without credentials; the status and JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        json(
            self.request(Method::POST, path)
                .json(&body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub fn clock_now(&self) -> time::OffsetDateTime {
        use portcullis_core::Clock;
        self.clock.now()
    }

    /// A request with no credentials and no body; the status and JSON body.
    pub async fn call(&self, method: Method, path: &str) -> (u16, Value) {
        json(self.request(method, path).send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        json(
            self.request(Method::GET, path)
                .bearer_auth(token)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// The bare settings of another start on this server's data directory and database (a
    /// restart, or a second node).
    pub fn same_database(&self) -> Config {
        Config {
            data_dir: self.data_dir.path().to_owned(),
            database_url: Some(self.database_url.clone()),
            bcrypt_cost: 4,
            ..Config::default()
        }
    }

    /// A pool on the same database, for inspecting what was stored.
    pub async fn inspect(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.database_url)
            .await
            .expect("inspection pool")
    }
}

/// The status, content type and body of a response.
pub async fn text(response: Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, content_type, response.text().await.expect("body"))
}

/// Turns on codes by mail for a new user `name`; the code of its first challenge is mailed.
pub async fn with_mailed_codes(server: &mut TestServer, name: &str) -> String {
    server.set_settings(|s| s.two_factor_enabled = true).await;
    let token = server.signed_in(name, "User").await;
    let (status, body) = server
        .send(
            Method::PUT,
            "/api/me/2fa",
            &token,
            json!({ "method": "email" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    token
}

/// [`json`] with the whole seconds of `Retry-After`, when the answer has one.
pub async fn json_and_retry_after(response: Response) -> (u16, Value, Option<u64>) {
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse::<u64>().expect("whole seconds"));
    let (status, body) = json(response).await;
    (status, body, retry_after)
}

/// A sign-up body for `username` (`username@example.com`, [`PASSWORD`] twice).
pub fn registration(username: &str) -> Value {
    json!({
        "username": username,
        "email": format!("{username}@example.com"),
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    })
}

pub async fn json(response: Response) -> (u16, Value) {
    let (status, content_type, text) = text(response).await;
    assert!(
        content_type.starts_with("application/json"),
        "status {status}: not JSON ({content_type}): {text}"
    );
    (
        status,
        serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("status {status}: invalid JSON: {text}")),
    )
}

async fn fresh_postgres_database(admin_url: &str) -> (String, String) {
    let name = format!(
        "portcullis_t_{}",
        portcullis_core::random::base62(12).to_lowercase()
    );
    let admin = sqlx::PgPool::connect(admin_url)
        .await
        .expect("PORTCULLIS_TEST_POSTGRES_URL must be reachable");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    let (prefix, _) = admin_url.rsplit_once('/').expect("database URL has a path");
    let query = admin_url
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    (format!("{prefix}/{name}{query}"), name)
}

/// Runs `test` once per backend, each on a fresh server.
macro_rules! each_backend {
    (|$server:ident| $body:block) => {
        for backend in $crate::harness::backends() {
            #[allow(unused_mut)] // some tests change settings
            let mut $server = $crate::harness::TestServer::start(&backend).await;
            $body
            $server.stop().await;
        }
    };
}
pub(crate) use each_backend;

/// A raw HTTP/1.1 connection, for what a well-behaved client never sends: a request cut in
/// half, headers that never end.
pub struct RawConnection(tokio::net::TcpStream);

impl RawConnection {
    pub async fn open(addr: std::net::SocketAddr) -> std::io::Result<Self> {
        tokio::net::TcpStream::connect(addr).await.map(Self)
    }

    /// A connection from another loopback address (any of 127.0.0.0/8), so one test can play
    /// several clients.
    pub async fn open_from(
        local: std::net::Ipv4Addr,
        addr: std::net::SocketAddr,
    ) -> std::io::Result<Self> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind((local, 0).into())?;
        socket.connect(addr).await.map(Self)
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        self.0.write_all(bytes).await.expect("write");
    }

    /// The next whole response (head and `Content-Length` body) as text, or `None` when the
    /// server closed the connection first. Gives up after 30 s.
    pub async fn response(&mut self) -> Option<String> {
        use tokio::io::AsyncReadExt;
        let read = async {
            let mut bytes = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if bytes.len() >= end + 4 + length {
                        return Some(String::from_utf8_lossy(&bytes).into_owned());
                    }
                }
                match self.0.read(&mut chunk).await {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                }
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), read)
            .await
            .expect("an answer or a close within 30 s")
    }
}

/// A login request whose body is cut after `sent` bytes: the head and that much body.
pub fn partial_login(username: &str, sent: usize) -> (Vec<u8>, Vec<u8>) {
    let body = serde_json::json!({ "username": username, "password": PASSWORD }).to_string();
    let head = format!(
        "POST /api/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.as_bytes().split_at(sent);
    ([head.as_bytes(), first].concat(), rest.to_vec())
}

/// An `.eml` file with quoted-printable soft line breaks and `=3D` undone, enough to read the
/// links and tokens our mails carry.
pub fn decode_eml(raw: &str) -> String {
    raw.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// The run of base62 characters right after `marker` in `text`.
pub fn token_after(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{text}"))
        + marker.len();
    text[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

/// The id of the user with this username.
pub async fn user_id(server: &TestServer, username: &str) -> portcullis_core::UserId {
    use portcullis_core::store::UserStore;
    server
        .app
        .store
        .user_by_login(&server.tenant.id, username)
        .await
        .expect("lookup")
        .expect("user exists")
        .id
}

/// The id of the user with this email.
pub async fn user_id_by_email(server: &TestServer, email: &str) -> portcullis_core::UserId {
    use portcullis_core::store::UserStore;
    server
        .app
        .store
        .user_by_email(&server.tenant.id, email)
        .await
        .expect("lookup")
        .expect("user exists")
        .id
}

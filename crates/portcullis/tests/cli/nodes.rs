//! Two `portcullis serve` processes on one PostgreSQL database, each remembering token lookups
//! for 10 s: a logout or a ban on one node, or a change made straight in the database, stops
//! the token on the other within a second. Skipped unless `PORTCULLIS_TEST_POSTGRES_URL` is set.

use super::portcullis;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

const PASSWORD: &str = "s3cret-password";

/// How soon a node must stop honouring a token revoked elsewhere.
const PROPAGATION: Duration = Duration::from_secs(1);

/// A database of its own on the test server, dropped when the test ends.
struct Database {
    admin_url: String,
    name: String,
    url: String,
}

impl Database {
    async fn create(admin_url: &str) -> Self {
        let name = format!("portcullis_nodes_{}", std::process::id());
        let admin = sqlx::PgPool::connect(admin_url)
            .await
            .expect("admin connection");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await
            .unwrap();
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
        Self {
            admin_url: admin_url.to_owned(),
            url: format!("{prefix}/{name}{query}"),
            name,
        }
    }

    async fn drop_it(self) {
        let admin = sqlx::PgPool::connect(&self.admin_url).await.unwrap();
        let _ = sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&admin)
        .await;
        admin.close().await;
    }
}

/// A `portcullis serve` child process, killed when dropped.
struct Node {
    child: Child,
    base: String,
}

impl Node {
    /// Starts a node and waits until it listens for HTTP and for the database's changes.
    fn start(dir: &Path, database_url: &str) -> Self {
        let mut child = portcullis(dir)
            .env("PORTCULLIS_DATABASE_URL", database_url)
            .env("PORTCULLIS_AUTH_CACHE_SECONDS", "10")
            .env("PORTCULLIS_LOG_FORMAT", "json")
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = log_lines(&mut child);
        let deadline = Instant::now() + Duration::from_secs(60);
        let (mut addr, mut feed) = (None, false);
        while addr.is_none() || !feed {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = lines.recv_timeout(left) else {
                let _ = child.kill();
                panic!("node did not listen (HTTP and change feed) within a minute");
            };
            let entry: Value = serde_json::from_str(&line).expect("JSON log lines");
            let message = &entry["fields"]["message"];
            if message == "portcullis listening" {
                addr = entry["fields"]["addr"].as_str().map(str::to_owned);
            }
            feed |= message == "principal change feed connected";
        }
        // The rest of the log is not needed; keep the pipe drained.
        std::thread::spawn(move || lines.iter().for_each(drop));
        Self {
            child,
            base: format!("http://{}", addr.expect("address")),
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_lines(child: &mut Child) -> Receiver<String> {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn create_user(dir: &Path, database_url: &str, username: &str, role: &str) -> i64 {
    let output = portcullis(dir)
        .env("PORTCULLIS_DATABASE_URL", database_url)
        .args(["user", "create", "--username", username])
        .args(["--email", &format!("{username}@example.com")])
        .args(["--password", PASSWORD, "--role", role])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap()
}

struct Client(reqwest::Client);

impl Client {
    async fn login(&self, node: &Node, username: &str) -> String {
        let response = self
            .0
            .post(format!("{}/api/login", node.base))
            .json(&json!({ "username": username, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().expect("token").to_owned()
    }

    async fn me(&self, node: &Node, token: &str) -> u16 {
        self.0
            .get(format!("{}/api/me", node.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn send(
        &self,
        node: &Node,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> u16 {
        self.0
            .request(method, format!("{}{path}", node.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn cache_hits(&self, node: &Node) -> f64 {
        let metrics = self
            .0
            .get(format!("{}/metrics", node.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let key = "portcullis_token_cache_lookups_total{result=\"hit\"} ";
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("no cache hits in {metrics}"))
    }

    /// Uses the token on `node` until a request is answered from the node's memory (the
    /// second, unless the news of the login itself makes the node forget the first lookup).
    async fn cache_on(&self, node: &Node, token: &str) {
        let hits = self.cache_hits(node).await;
        for _ in 0..10 {
            assert_eq!(self.me(node, token).await, 200);
            if self.cache_hits(node).await > hits {
                return;
            }
        }
        panic!("{} never answered from its cache", node.base);
    }

    /// Polls `node` every 20 ms until the token is refused; how long that took.
    async fn refused_after(&self, node: &Node, token: &str, since: Instant) -> Duration {
        loop {
            let status = self.me(node, token).await;
            if status == 401 {
                return since.elapsed();
            }
            assert_eq!(status, 200);
            assert!(
                since.elapsed() < Duration::from_secs(5),
                "still honoured 5 s after it was revoked elsewhere"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn a_token_revoked_on_one_node_stops_on_the_other_within_a_second() {
    let Some(admin_url) = std::env::var("PORTCULLIS_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        return;
    };
    let database = Database::create(&admin_url).await;
    let dir = tempfile::tempdir().unwrap();
    let url = &database.url;
    create_user(dir.path(), url, "boss", "Admin");
    let member = create_user(dir.path(), url, "member", "User");
    let (a, b) = (Node::start(dir.path(), url), Node::start(dir.path(), url));
    let client = Client(reqwest::Client::new());

    // Logged out on A.
    let token = client.login(&a, "member").await;
    client.cache_on(&b, &token).await;
    let status = client
        .send(&a, reqwest::Method::POST, "/api/logout", &token, json!({}))
        .await;
    assert_eq!(status, 200);
    let took = client.refused_after(&b, &token, Instant::now()).await;
    assert!(took < PROPAGATION, "logout reached B after {took:?}");

    // Its session ended straight in the database, as another program (or the CLI) might.
    let token = client.login(&a, "member").await;
    client.cache_on(&b, &token).await;
    let db = sqlx::PgPool::connect(url).await.unwrap();
    sqlx::query("UPDATE sessions SET ended_at = 1 WHERE user_id = $1 AND ended_at IS NULL")
        .bind(member)
        .execute(&db)
        .await
        .unwrap();
    let took = client.refused_after(&b, &token, Instant::now()).await;
    assert!(took < PROPAGATION, "ended session reached B after {took:?}");
    db.close().await;

    // Banned by an administrator on A.
    let token = client.login(&a, "member").await;
    client.cache_on(&b, &token).await;
    let boss = client.login(&a, "boss").await;
    let status = client
        .send(
            &a,
            reqwest::Method::PUT,
            &format!("/api/users/{member}"),
            &boss,
            json!({ "status": "Banned" }),
        )
        .await;
    assert_eq!(status, 201);
    let took = client.refused_after(&b, &token, Instant::now()).await;
    assert!(took < PROPAGATION, "ban reached B after {took:?}");

    drop((a, b));
    database.drop_it().await;
}

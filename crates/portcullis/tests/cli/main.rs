//! The binary itself: zero-configuration start, `migrate`, `user create`, `api-key`, bad
//! settings, the device endpoint switch, `keys rotate`, `tenant registration-token`.

mod backups;
mod browser;
mod nodes;
mod registration;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

fn portcullis(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    command.current_dir(dir).env("PORTCULLIS_BCRYPT_COST", "4");
    for (key, _) in std::env::vars() {
        if key.starts_with("PORTCULLIS_") && key != "PORTCULLIS_BCRYPT_COST" {
            command.env_remove(key);
        }
    }
    command.env_remove("ENABLE_DEVICE_AUTH_ENDPOINT");
    command
}

/// A `portcullis serve` child on an ephemeral port with JSON logs, killed if a test panics.
struct Serving {
    child: Child,
    addr: String,
    /// Log lines after the one that named the address.
    lines: Receiver<String>,
}

impl Serving {
    /// Starts the server on an ephemeral port and waits for the line that says which.
    fn start(command: Command) -> Self {
        Self::start_on(command, "127.0.0.1:0")
    }

    /// Starts the server listening on `listen` and waits for the line that says it does.
    fn start_on(mut command: Command, listen: &str) -> Self {
        let mut child = command
            .env("PORTCULLIS_LOG_FORMAT", "json")
            .args(["serve", "--listen", listen])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (lines_tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = lines.recv_timeout(left) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("server did not report its address within a minute");
            };
            let entry: serde_json::Value = serde_json::from_str(&line).expect("JSON log lines");
            if let Some(addr) = entry["fields"]["addr"].as_str() {
                let addr = addr.to_owned();
                return Self { child, addr, lines };
            }
        }
    }

    /// Stops the server as SIGTERM does in production and waits for it to exit.
    fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One HTTP/1.1 exchange on a fresh connection; the whole response as text.
fn exchange(addr: &str, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

/// `(status, body)` of a JSON `POST`.
fn post_json(addr: &str, path: &str, body: &serde_json::Value) -> (u16, String) {
    let body = body.to_string();
    let response = exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    status_and_body(&response)
}

fn status_and_body(response: &str) -> (u16, String) {
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    let (_, body) = response.split_once("\r\n\r\n").unwrap_or_default();
    (status, body.to_owned())
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn migrate_check_says_what_would_run_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let check = || {
        stdout(
            &portcullis(dir.path())
                .args(["migrate", "--check"])
                .output()
                .unwrap(),
        )
    };
    let pending = check();
    assert!(pending.contains("would apply 0001 foundation"), "{pending}");
    assert!(
        pending.contains("would apply 0025 lean sign-in writes"),
        "{pending}"
    );
    assert_eq!(check(), pending, "checking applied nothing");
    let migrate = portcullis(dir.path()).arg("migrate").output().unwrap();
    assert!(migrate.status.success());
    assert_eq!(check(), "nothing to migrate\n");
}

#[test]
fn migrate_and_user_create_work_with_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = portcullis(dir.path()).arg("migrate").output().unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(
        dir.path().join("data/portcullis.db").is_file(),
        "creates ./data and the SQLite file"
    );

    let create = |username: &str, email: &str| {
        portcullis(dir.path())
            .args(["user", "create", "--username", username, "--email", email])
            .args(["--password", "s3cret-password", "--role", "Admin"])
            .output()
            .unwrap()
    };
    let first = create("admin", "admin@example.com");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&first.stdout).trim(), "1");

    let duplicate = create("admin2", "ADMIN@example.com");
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("email has already been taken"));

    let bad_role = portcullis(dir.path())
        .args([
            "user",
            "create",
            "--username",
            "x",
            "--email",
            "x@example.com",
            "--password",
            "long-enough",
        ])
        .args(["--role", "Emperor"])
        .output()
        .unwrap();
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("role"));
}

#[test]
fn a_bad_setting_stops_startup_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value, named) in [
        ("PORTCULLIS_BCRYPT_COST", "99", "bcrypt_cost"),
        ("PORTCULLIS_LISTEN", "nowhere", "LISTEN"),
        ("PORTCULLIS_DATABASE_URL", "mysql://x", "database_url"),
        ("PORTCULLIS_PUBLIC_URL", "not a url", "public_url"),
    ] {
        let output = portcullis(dir.path())
            .env(key, value)
            .arg("migrate")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{key}={value} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{key}: {stderr}");
    }
    let missing = portcullis(dir.path())
        .args(["--config", "missing.toml", "migrate"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--config"));
}

#[test]
fn serve_answers_http_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = portcullis(dir.path());
    command.env("PORTCULLIS_LOG", "info,portcullis::access=debug");
    let mut server = Serving::start(command);
    let response = exchange(
        &server.addr,
        "GET /api/me HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         X-Request-Id: cli-req-42\r\n\r\n",
    );
    let status = server.stop();
    let rest: Vec<serde_json::Value> = server
        .lines
        .iter()
        .map(|line| serde_json::from_str(&line).expect("JSON log lines"))
        .collect();
    let access = rest
        .iter()
        .find(|entry| entry["target"] == "portcullis::access")
        .expect("the request is logged");
    assert_eq!(access["span"]["id"], "cli-req-42", "{access}");
    assert_eq!(access["span"]["route"], "/api/me", "{access}");
    assert_eq!(access["fields"]["status"], 401, "{access}");
    assert!(
        rest.iter().any(|e| e["fields"]["message"] == "stopped"),
        "{rest:?}"
    );
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    assert!(
        response.contains(r#"{"error":"Unauthorized."}"#),
        "{response}"
    );
    assert!(status.success(), "graceful shutdown exits 0");
}

#[test]
fn social_networks_are_configured_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        portcullis(dir.path())
            .arg("social")
            .args(args)
            .output()
            .unwrap()
    };
    // A client for the login page's button; its secret from the environment.
    let set = portcullis(dir.path())
        .args([
            "social",
            "set",
            "--network",
            "google",
            "--client-id",
            "pc-at-google",
        ])
        .env("PORTCULLIS_SOCIAL_CLIENT_SECRET", "google-secret")
        .output()
        .unwrap();
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    assert!(
        stdout(&set).contains("register this callback with google: ")
            && stdout(&set).contains("/login/social/google/callback"),
        "{}",
        stdout(&set)
    );
    // The secret is kept sealed: no file under the data directory holds it in clear.
    let mut files = vec![dir.path().to_owned()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(13).any(|w| w == b"google-secret"),
                "{} holds the client secret in clear",
                path.display()
            );
        }
    }
    // A mistyped tenant is refused, not created.
    let mistyped = run(&["set", "--network", "google", "--tenant", "defualt"]);
    assert!(!mistyped.status.success());
    assert!(
        String::from_utf8_lossy(&mistyped.stderr).contains("No tenant has the id or name"),
        "{}",
        String::from_utf8_lossy(&mistyped.stderr)
    );
    let no_endpoints = run(&[
        "set",
        "--network",
        "acme",
        "--userinfo-url",
        "https://id.acme.test/me",
        "--client-id",
        "x",
        "--client-secret",
        "y",
    ]);
    assert!(!no_endpoints.status.success());
    assert!(String::from_utf8_lossy(&no_endpoints.stderr).contains("--authorize-url"));
    let custom = run(&[
        "set",
        "--network",
        "acme",
        "--userinfo-url",
        "https://id.acme.test/me",
        "--id-field",
        "data.id",
        "--emails-verified",
    ]);
    assert!(
        custom.status.success(),
        "{}",
        String::from_utf8_lossy(&custom.stderr)
    );
    let listed = run(&["list"]);
    let networks: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(networks[0]["network"], "google");
    assert_eq!(networks[0]["client_id"], "pc-at-google");
    assert_eq!(
        networks[0]["client_secret"], "(set)",
        "secrets are never shown"
    );
    assert_eq!(networks[1]["id_field"], "data.id");
    assert_eq!(networks[1]["emails_verified"], true);

    let unknown = run(&["set", "--network", "myspace"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--userinfo-url"));
    assert!(run(&["remove", "--network", "google"]).status.success());
    assert!(!run(&["remove", "--network", "google"]).status.success());
    let listed = run(&["list"]);
    let networks: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(networks.as_array().unwrap().len(), 1);
}

/// `api-key list`'s lines split into their five tab-separated columns.
fn api_keys(dir: &std::path::Path) -> Vec<Vec<String>> {
    let list = portcullis(dir).args(["api-key", "list"]).output().unwrap();
    stdout(&list)
        .lines()
        .map(|line| line.split('\t').map(str::to_owned).collect::<Vec<_>>())
        .inspect(|columns| assert_eq!(columns.len(), 5, "{columns:?}"))
        .collect()
}

#[test]
fn api_keys_are_created_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let create = |args: &[&str]| {
        portcullis(dir.path())
            .args(["api-key", "create"])
            .args(args)
            .output()
            .unwrap()
    };
    let key = stdout(&create(&["--name", "billing"])).trim().to_owned();
    let (id, secret) = key
        .strip_prefix("pcsk_")
        .and_then(|rest| rest.split_once('_'))
        .unwrap_or_else(|| panic!("not an API key: {key:?}"));
    assert_eq!(id.len(), 16, "{key}");
    assert_eq!(secret.len(), 40, "{key}");
    assert!(stdout(&create(&["--name", "reports", "--tenant", "default"])).starts_with("pcsk_"));

    let keys = api_keys(dir.path());
    assert_eq!(keys.len(), 2, "{keys:?}");
    let billing = &keys[0];
    assert_eq!(billing[0], id);
    assert_eq!(billing[1], "*", "an unbound key reaches every tenant");
    assert_eq!(billing[2], "billing");
    assert!(billing[3].contains('T'), "RFC 3339: {}", billing[3]);
    assert_eq!(billing[4], "active");
    let tenant = keys[1][1].clone();
    assert_eq!(keys[1][2], "reports");
    assert!(
        tenant.len() == 16 && tenant.bytes().all(|b| b.is_ascii_alphanumeric()),
        "the default tenant's id, not its name: {tenant:?}"
    );
    // The id `list` prints names the tenant as well as its name does.
    stdout(&create(&["--name", "audit", "--tenant", &tenant]));
    assert_eq!(api_keys(dir.path())[2][1], tenant);

    let revoked = portcullis(dir.path())
        .args(["api-key", "revoke", id])
        .output()
        .unwrap();
    assert_eq!(stdout(&revoked).trim(), "revoked");
    let keys = api_keys(dir.path());
    assert_eq!(keys[0][4], "revoked");
    assert_eq!(keys[1][4], "active", "only that key is revoked");

    for unknown in ["0000000000000000", id] {
        let output = portcullis(dir.path())
            .args(["api-key", "revoke", unknown])
            .output()
            .unwrap();
        assert!(
            !output.status.success(),
            "revoking {unknown} again succeeded"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("no active API key has the id \"{unknown}\"")),
            "{stderr}"
        );
    }

    let nosuch = create(&["--name", "x", "--tenant", "nosuch"]);
    assert!(!nosuch.status.success());
    let stderr = String::from_utf8_lossy(&nosuch.stderr);
    assert!(
        stderr.contains(r#"No tenant has the id or name "nosuch""#),
        "{stderr}"
    );
    let unnamed = create(&["--name", " "]);
    assert!(!unnamed.status.success());
    assert!(String::from_utf8_lossy(&unnamed.stderr).contains("name"));
    assert_eq!(
        api_keys(dir.path()).len(),
        3,
        "failed creations store nothing"
    );
}

#[test]
fn enable_device_auth_endpoint_turns_the_device_endpoint_on() {
    let dir = tempfile::tempdir().unwrap();
    let user = portcullis(dir.path())
        .args([
            "user",
            "create",
            "--username",
            "ann",
            "--email",
            "ann@example.com",
        ])
        .args(["--password", "s3cret-password"])
        .output()
        .unwrap();
    stdout(&user);
    let body = |password: &str| {
        serde_json::json!({
            "email": "ann@example.com",
            "password": password,
            "device_name": "iPhone 16 Pro",
        })
    };

    let mut off = Serving::start(portcullis(dir.path()));
    let (status, answer) = post_json(&off.addr, "/api/sanctum/token", &body("s3cret-password"));
    off.stop();
    assert_eq!(status, 404, "off by default: {answer}");

    // The unprefixed name document 000 uses.
    let mut command = portcullis(dir.path());
    command.env("ENABLE_DEVICE_AUTH_ENDPOINT", "true");
    let mut on = Serving::start(command);
    let (status, answer) = post_json(&on.addr, "/api/sanctum/token", &body("s3cret-password"));
    let (wrong_status, wrong) = post_json(&on.addr, "/api/sanctum/token", &body("wrong"));
    on.stop();
    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let token = answer["token"].as_str().unwrap_or_default();
    let (id, secret) = token.split_once('|').unwrap_or_default();
    assert!(
        id.parse::<i64>().is_ok() && secret.len() >= 40,
        "`<id>|<secret>`: {answer}"
    );
    assert_eq!(wrong_status, 422, "{wrong}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&wrong).unwrap(),
        serde_json::json!({ "email": ["The provided credentials are incorrect."] })
    );
}

#[test]
fn import_users_reports_bad_lines_resumes_and_the_imported_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.jsonl");
    let sha256 = "c775e7b757ede630cd0aa1113bd102661ab38829ca52a6422ab782862f268646";
    let lines = [
        serde_json::json!({ "profile": { "email": "ann@example.test", "name": "Ann" },
            "metadata": { "other_id": "7" }, "password": { "alg": "sha256", "hash": sha256 } })
        .to_string(),
        "{not json".to_owned(),
        serde_json::json!({ "profile": { "email": "bob@example.test" },
            "password": { "alg": "plain", "hash": "bobs-password" } })
        .to_string(),
        serde_json::json!({ "profile": { "name": "No Email" } }).to_string(),
        String::new(),
        serde_json::json!({ "profile": { "email": "cy@example.test", "email_verified": true } })
            .to_string(),
        serde_json::json!({ "profile": { "email": "dee@example.test" },
            "password": { "alg": "md5", "hash": "tooshort" } })
        .to_string(),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let import = || {
        portcullis(dir.path())
            .args(["import", "users", "users.jsonl"])
            .output()
            .unwrap()
    };

    let first = import();
    let (out, err) = (
        String::from_utf8_lossy(&first.stdout).into_owned(),
        String::from_utf8_lossy(&first.stderr).into_owned(),
    );
    assert!(
        !first.status.success(),
        "bad lines make the exit status fail"
    );
    assert!(out.contains("imported 3, skipped 0"), "{out}\n{err}");
    assert!(out.contains("failed 3"), "{out}");
    for (line, reason) in [(2, "not a JSON user"), (4, "email"), (7, "md5")] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("line {line}: ")) && l.contains(reason)),
            "line {line} ({reason}) reported in:\n{err}"
        );
    }
    assert!(!err.contains("line 5:"), "blank lines are no error: {err}");

    // A second run, as after an interruption: what is there is skipped.
    std::fs::write(
        &file,
        lines.join("\n")
            + "\n"
            + &serde_json::json!({ "profile": { "email": "eve@example.test" } }).to_string()
            + "\n",
    )
    .unwrap();
    let second = import();
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(out.contains("imported 1, skipped 3 "), "{out}");
    assert!(out.contains("failed 3 "), "{out}");

    let unknown = portcullis(dir.path())
        .args(["import", "users", "users.jsonl", "--tenant", "nowhere"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nowhere"));

    // The imported digest logs in, and is then a plain bcrypt.
    let mut serving = Serving::start(portcullis(dir.path()));
    let login = serde_json::json!({ "username": "ann@example.test", "password": "1234567890" });
    let (status, body) = post_json(&serving.addr, "/api/login", &login);
    assert_eq!(status, 200, "{body}");
    let wrong = serde_json::json!({ "username": "bob@example.test", "password": "nope-nope" });
    assert_eq!(post_json(&serving.addr, "/api/login", &wrong).0, 401);
    let bob = serde_json::json!({ "username": "bob@example.test", "password": "bobs-password" });
    assert_eq!(post_json(&serving.addr, "/api/login", &bob).0, 200);
    assert!(serving.stop().success());
}

#[test]
fn tenant_create_prints_the_new_tenants_id() {
    let dir = tempfile::tempdir().unwrap();
    let create = |args: &[&str]| {
        portcullis(dir.path())
            .args(["tenant", "create"])
            .args(args)
            .output()
            .unwrap()
    };
    let created = create(&["--name", "acme01", "--domain", "ACME01.example.test"]);
    let id = stdout(&created).trim().to_owned();
    assert!(
        id.len() == 16 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{id:?}"
    );
    // The id names the tenant for the other commands.
    let key = portcullis(dir.path())
        .args(["api-key", "create", "--name", "acme", "--tenant", &id])
        .output()
        .unwrap();
    assert!(stdout(&key).starts_with("pcsk_"));
    assert_eq!(api_keys(dir.path())[0][1], id);

    let again = create(&["--name", "acme01"]);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("name: Another tenant already has this name."),
        "{stderr}"
    );
    let bad = create(&["--name", "acme02", "--domain", "acme02.test:8080"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("settings.domain"));
}

#[test]
fn keys_rotate_prints_the_new_keys_and_a_bad_secret_stops_startup() {
    let dir = tempfile::tempdir().unwrap();
    let rotate = || {
        portcullis(dir.path())
            .args(["keys", "rotate"])
            .output()
            .unwrap()
    };
    let first = rotate();
    assert!(first.status.success(), "{first:?}");
    let lines: Vec<String> = stdout(&first).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("RS256 ") && lines[1].starts_with("EdDSA "));
    let second = stdout(&rotate());
    assert!(!second.contains(&lines[0][6..]), "new keys each time");
    assert_eq!(
        std::fs::read(dir.path().join("data/signing.key"))
            .unwrap()
            .len(),
        32
    );

    let bad = portcullis(dir.path())
        .env("PORTCULLIS_SIGNING_KEY_SECRET", "c2hvcnQ=")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("signing_key_secret"), "{stderr}");
}

#[test]
fn social_endpoints_the_server_calls_must_pass_the_egress_policy() {
    let dir = tempfile::tempdir().unwrap();
    let set = |url: &str, allow: Option<&str>| {
        let mut command = portcullis(dir.path());
        if let Some(allow) = allow {
            command.env("PORTCULLIS_EGRESS_ALLOW", allow);
        }
        command
            .args(["social", "set", "--network", "acme"])
            .args(["--userinfo-url", url])
            .output()
            .unwrap()
    };
    for internal in [
        "https://10.0.0.1/me",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]/me",
        "http://localhost:8080/me",
        "http://id.example.com/me",
    ] {
        let output = set(internal, None);
        assert!(!output.status.success(), "{internal}");
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(error.contains("egress policy"), "{internal}: {error}");
    }
    // The operator's exception opens an internal network, over plain http too.
    stdout(&set("http://10.0.0.1/me", Some("10.0.0.0/8")));
    stdout(&set("https://id.example.com/me", None));
}

#[test]
fn the_operator_names_the_passkey_models_a_tenant_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let models = |aaguids: &[&str]| {
        let mut command = portcullis(dir.path());
        command.args(["tenant", "passkey-models"]);
        for aaguid in aaguids {
            command.args(["--aaguid", aaguid]);
        }
        command.output().unwrap()
    };
    let refused = models(&["not-a-uuid"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a UUID"));
    let issued = "2FC0579F-8113-47EA-B116-BB5A8DB9202A";
    assert!(stdout(&models(&[issued])).contains("1 model(s) only"));
    assert!(stdout(&models(&[])).contains("any model"));
}

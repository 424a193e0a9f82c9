//! The binary itself: zero-configuration start, `migrate`, `user create`, bad settings.

mod nodes;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn portcullis(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    command.current_dir(dir).env("PORTCULLIS_BCRYPT_COST", "4");
    for (key, _) in std::env::vars() {
        if key.starts_with("PORTCULLIS_") && key != "PORTCULLIS_BCRYPT_COST" {
            command.env_remove(key);
        }
    }
    command
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
    let mut child = portcullis(dir.path())
        .env("PORTCULLIS_LOG", "info,portcullis::access=debug")
        .env("PORTCULLIS_LOG_FORMAT", "json")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut addr = None;
    while addr.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = lines_rx.recv_timeout(left) else {
            let _ = child.kill();
            panic!("server did not report its address within a minute");
        };
        let entry: serde_json::Value = serde_json::from_str(&line).expect("JSON log lines");
        addr = entry["fields"]["addr"].as_str().map(str::to_owned);
    }
    let addr = addr.expect("listening line");
    let response = std::net::TcpStream::connect(&addr).and_then(|mut stream| {
        use std::io::{Read, Write};
        stream.write_all(
            b"GET /api/me HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
              X-Request-Id: cli-req-42\r\n\r\n",
        )?;
        let mut text = String::new();
        stream.read_to_string(&mut text)?;
        Ok(text)
    });
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    let rest: Vec<serde_json::Value> = lines_rx
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
    let response = response.unwrap();
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
    let set = run(&["set", "--network", "google"]);
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
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

//! `portcullis backup` of a live SQLite database under a write load, and `portcullis restore`
//! into another data directory; a restore refused while a server uses the database.

use super::{exchange, portcullis, post_json, status_and_body, stdout, Serving};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Backup-Pass-2026";

/// Makes personal tokens over and over until told to stop: each with the moment its answer
/// arrived. (Personal tokens, not sign-ins: a sign-in over the session limit ends the oldest
/// session, and its token with it.)
fn making_tokens(
    addr: String,
    bearer: String,
    stop: Arc<AtomicBool>,
    issued: Arc<Mutex<Vec<(Instant, String)>>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let body = r#"{"name":"loaded","scopes":["*"]}"#;
        while !stop.load(Ordering::Relaxed) {
            let response = exchange(
                &addr,
                &format!(
                    "POST /api/me/tokens HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
                     Authorization: Bearer {bearer}\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                ),
            );
            let (status, answer) = status_and_body(&response);
            assert_eq!(status, 201, "{answer}");
            let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
            let token = answer["token"].as_str().unwrap().to_owned();
            issued.lock().unwrap().push((Instant::now(), token));
        }
    })
}

/// `portcullis COMMAND FILE` in `dir`.
fn on_file(dir: &std::path::Path, command: &str, file: &std::path::Path) -> std::process::Output {
    portcullis(dir).arg(command).arg(file).output().unwrap()
}

fn me(addr: &str, token: &str) -> u16 {
    let response = exchange(
        addr,
        &format!(
            "GET /api/me HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Authorization: Bearer {token}\r\n\r\n"
        ),
    );
    status_and_body(&response).0
}

#[test]
fn a_backup_under_load_restores_into_a_server_that_takes_every_earlier_token() {
    let source = tempfile::tempdir().unwrap();
    stdout(
        &portcullis(source.path())
            .args(["user", "create", "--username", "loaded"])
            .args(["--email", "loaded@example.test", "--password", PASSWORD])
            .output()
            .unwrap(),
    );
    let mut server = Serving::start(portcullis(source.path()));
    let body = serde_json::json!({ "username": "loaded", "password": PASSWORD });
    let (status, answer) = post_json(&server.addr, "/api/login", &body);
    assert_eq!(status, 200, "{answer}");
    let login: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let login = login["token"].as_str().unwrap().to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let issued = Arc::new(Mutex::new(vec![(Instant::now(), login.clone())]));
    let load: Vec<_> = (0..3)
        .map(|_| {
            let (addr, stop, issued) =
                (server.addr.clone(), Arc::clone(&stop), Arc::clone(&issued));
            making_tokens(addr, login.clone(), stop, issued)
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while issued.lock().unwrap().len() < 30 {
        assert!(Instant::now() < deadline, "the load did not start");
        std::thread::sleep(Duration::from_millis(20));
    }

    let backup = source.path().join("backup.db");
    let started = Instant::now();
    let said = stdout(&on_file(source.path(), "backup", &backup));
    assert!(
        said.contains("signing.key"),
        "names the secret to keep: {said}"
    );
    // The load goes on past the backup, then stops.
    let after = issued.lock().unwrap().len() + 10;
    while issued.lock().unwrap().len() < after {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    load.into_iter().for_each(|thread| thread.join().unwrap());
    let before: Vec<String> = issued
        .lock()
        .unwrap()
        .iter()
        .filter(|(at, _)| *at < started)
        .map(|(_, token)| token.clone())
        .collect();
    assert!(before.len() >= 30);

    // A backup never overwrites, and a restore never replaces a database in use.
    let again = on_file(source.path(), "backup", &backup);
    assert!(!again.status.success());
    let refused = on_file(source.path(), "restore", &backup);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("in use"), "{why}");
    assert!(server.stop().success());

    // Another machine: the restore wants the secret the keys were sealed with first.
    let target = tempfile::tempdir().unwrap();
    let without_secret = on_file(target.path(), "restore", &backup);
    assert!(!without_secret.status.success());
    assert!(String::from_utf8_lossy(&without_secret.stderr).contains("signing.key"));
    std::fs::create_dir_all(target.path().join("data")).unwrap();
    std::fs::copy(
        source.path().join("data/signing.key"),
        target.path().join("data/signing.key"),
    )
    .unwrap();
    let said = stdout(&on_file(target.path(), "restore", &backup));
    assert!(said.contains("restored"), "{said}");

    let restored = Serving::start(portcullis(target.path()));
    for token in &before {
        assert_eq!(
            me(&restored.addr, token),
            200,
            "a token issued before the backup"
        );
    }
    // Restoring over a database in use is refused here too; replacing an idle one keeps it.
    let refused = on_file(target.path(), "restore", &backup);
    assert!(!refused.status.success());
    drop(restored);
    let said = stdout(&on_file(target.path(), "restore", &backup));
    assert!(said.contains("is kept as"), "{said}");
}

#[test]
fn a_file_that_is_not_a_backup_is_refused_and_nothing_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&portcullis(dir.path()).arg("migrate").output().unwrap());
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, just some bytes").unwrap();
    let refused = on_file(dir.path(), "restore", &junk);
    assert!(!refused.status.success());
    // The database is still there, and still ours.
    stdout(
        &portcullis(dir.path())
            .args(["migrate", "--check"])
            .output()
            .unwrap(),
    );
    assert!(!dir.path().join("data/portcullis.db.restoring").exists());
}

#[test]
fn on_postgresql_backup_and_restore_say_how_with_its_tools() {
    let Ok(url) = std::env::var("PORTCULLIS_TEST_POSTGRES_URL") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (command, tool) in [("backup", "pg_dump"), ("restore", "pg_restore")] {
        let output = portcullis(dir.path())
            .env("PORTCULLIS_DATABASE_URL", &url)
            .arg(command)
            .arg(dir.path().join("dump"))
            .output()
            .unwrap();
        assert!(!output.status.success());
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains(tool), "{command}: {said}");
        assert!(said.contains("signing_key_secret"), "{command}: {said}");
    }
}

#[test]
fn tenant_export_and_import_move_a_tenant_between_servers() {
    let source = tempfile::tempdir().unwrap();
    stdout(
        &portcullis(source.path())
            .args(["user", "create", "--username", "traveller"])
            .args(["--email", "traveller@example.test", "--password", PASSWORD])
            .output()
            .unwrap(),
    );
    let exported = portcullis(source.path())
        .args(["tenant", "export", "default"])
        .output()
        .unwrap();
    let file = stdout(&exported);
    assert!(file.contains("traveller@example.test"));
    assert!(String::from_utf8_lossy(&exported.stderr).contains("private"));
    let path = source.path().join("tenant.json");
    std::fs::write(&path, file).unwrap();

    let target = tempfile::tempdir().unwrap();
    let imported = portcullis(target.path())
        .args([
            "tenant",
            "import",
            "--name",
            "moved",
            "--domain",
            "moved.test",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let id = stdout(&imported);
    assert_eq!(id.trim().len(), 16, "prints the tenant's id: {id}");
    let said = String::from_utf8_lossy(&imported.stderr);
    assert!(said.contains("imported tenant moved"), "{said}");
    // The user came along, with its password: signing in works on the tenant's host.
    let server = Serving::start(portcullis(target.path()));
    let body = serde_json::json!({ "username": "traveller", "password": PASSWORD }).to_string();
    let response = exchange(
        &server.addr,
        &format!(
            "POST /api/login HTTP/1.1\r\nHost: moved.test\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(status_and_body(&response).0, 200, "{response}");
}

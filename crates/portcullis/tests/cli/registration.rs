//! `tenant registration-token create/list/revoke`: the operator's initial access tokens for
//! OAuth dynamic client registration, and a running server taking them until revoked.

use super::{exchange, portcullis, status_and_body, stdout, Serving};

/// `tenant registration-token list`'s lines split into their five tab-separated columns.
fn tokens(dir: &std::path::Path, args: &[&str]) -> Vec<Vec<String>> {
    let list = portcullis(dir)
        .args(["tenant", "registration-token", "list"])
        .args(args)
        .output()
        .unwrap();
    stdout(&list)
        .lines()
        .map(|line| line.split('\t').map(str::to_owned).collect::<Vec<_>>())
        .inspect(|columns| assert_eq!(columns.len(), 5, "{columns:?}"))
        .collect()
}

/// `POST /oauth2/register` with this bearer token: the status and body.
fn register(addr: &str, token: &str) -> (u16, String) {
    let body = serde_json::json!({
        "redirect_uris": ["https://rp.example.test/callback"],
        "client_name": "From the CLI test",
    })
    .to_string();
    let response = exchange(
        addr,
        &format!(
            "POST /oauth2/register HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    status_and_body(&response)
}

#[test]
fn registration_tokens_are_created_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let create = |args: &[&str]| {
        portcullis(dir.path())
            .args(["tenant", "registration-token", "create"])
            .args(args)
            .output()
            .unwrap()
    };
    let token = stdout(&create(&["--tenant", "default"])).trim().to_owned();
    let (id, secret) = token
        .strip_prefix("pcrt_")
        .and_then(|rest| rest.split_once('_'))
        .unwrap_or_else(|| panic!("not a registration token: {token:?}"));
    assert_eq!((id.len(), secret.len()), (16, 40), "{token}");
    let brief = stdout(&create(&["--tenant", "default", "--expires-in", "1s"]))
        .trim()
        .to_owned();

    let listed = tokens(dir.path(), &[]);
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0][0], id);
    let tenant = listed[0][1].clone();
    assert!(
        tenant.len() == 16 && tenant.bytes().all(|b| b.is_ascii_alphanumeric()),
        "the default tenant's id: {tenant:?}"
    );
    assert!(listed[0][2].contains('T'), "RFC 3339: {}", listed[0][2]);
    assert_eq!(listed[0][3], "never");
    assert_eq!(listed[0][4], "active");
    assert!(listed[1][3].contains('T'), "expires: {}", listed[1][3]);
    assert_eq!(tokens(dir.path(), &["--tenant", &tenant]).len(), 2);

    for (args, complaint) in [
        (
            &["--tenant", "nosuch"][..],
            r#"No tenant has the id or name "nosuch""#,
        ),
        (
            &["--tenant", "default", "--expires-in", "5w"][..],
            "--expires-in",
        ),
        (
            &["--tenant", "default", "--expires-in", "0"][..],
            "--expires-in",
        ),
    ] {
        let output = create(args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(complaint), "{args:?}: {stderr}");
    }
    assert_eq!(
        tokens(dir.path(), &[]).len(),
        2,
        "failed creations store nothing"
    );

    let mut serving = Serving::start(portcullis(dir.path()));
    let (status, body) = register(&serving.addr, &token);
    assert_eq!(status, 201, "{body}");
    let registered: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(registered["client_name"], "From the CLI test");
    // The brief token lived a second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (status, body) = register(&serving.addr, &brief);
    assert_eq!(status, 401, "{body}");

    let revoked = portcullis(dir.path())
        .args(["tenant", "registration-token", "revoke", id])
        .output()
        .unwrap();
    assert_eq!(stdout(&revoked).trim(), "revoked");
    let (status, body) = register(&serving.addr, &token);
    assert_eq!(status, 401, "a revoked token registers nothing: {body}");
    serving.stop();

    let listed = tokens(dir.path(), &[]);
    assert_eq!(listed[0][4], "revoked");
    assert_eq!(listed[1][4], "expired");
    for unknown in ["0000000000000000", id] {
        let output = portcullis(dir.path())
            .args(["tenant", "registration-token", "revoke", unknown])
            .output()
            .unwrap();
        assert!(!output.status.success(), "revoking {unknown} succeeded");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "no active registration token has the id \"{unknown}\""
            )),
            "{stderr}"
        );
    }
}

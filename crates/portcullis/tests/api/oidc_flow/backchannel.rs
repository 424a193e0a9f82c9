//! Back-channel logout: a receiving application in the test, told by a signed logout token
//! whenever a session it got tokens in ends, whatever ended it.

use super::*;
use crate::harness::{token_after, user_id};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A relying party's back-channel logout endpoint: it keeps every `logout_token` posted to it.
struct Receiver {
    port: u16,
    tokens: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Receiver {
    /// Listens on `port` (0: any free one).
    async fn start(port: u16) -> Self {
        let tokens: Arc<Mutex<Vec<String>>> = Arc::default();
        let kept = Arc::clone(&tokens);
        let router = axum::Router::new().route(
            "/backchannel",
            axum::routing::post(move |body: String| {
                let kept = Arc::clone(&kept);
                async move {
                    let form: std::collections::HashMap<String, String> =
                        serde_urlencoded::from_str(&body).unwrap_or_default();
                    let token = form.get("logout_token").cloned().unwrap_or_default();
                    kept.lock().unwrap().push(token);
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            port,
            tokens,
            stop: Some(stop),
        }
    }

    fn uri(port: u16) -> String {
        format!("http://127.0.0.1:{port}/backchannel")
    }

    fn received(&self) -> Vec<String> {
        self.tokens.lock().unwrap().clone()
    }

    /// Waits (at most 60 s, for a busy machine: the outbox is looked at every 2 s) until `n`
    /// tokens came.
    async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..1200 {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{n} logout tokens within 20 s; got {}",
            self.received().len()
        );
    }

    fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn login_with(server: &TestServer, username: &str, password: &str) -> String {
    let (status, body) = server.try_login(username, password).await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// Waits (at most 60 s) until the count `sql` selects is `n`.
async fn wait_for_count(server: &TestServer, sql: &str, n: i64) {
    let pool = server.inspect().await;
    let mut count = 0;
    for _ in 0..1200 {
        (count,) = sqlx::query_as::<_, (i64,)>(sql)
            .fetch_one(&pool)
            .await
            .unwrap();
        if count == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{sql}: {count}, not {n}, within 60 s");
}

const GIVEN_UP: &str = "SELECT COUNT(*) FROM logout_notices WHERE gave_up_at IS NOT NULL";

/// A port nothing listens on (yet).
async fn free_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// The claims of a logout token, checked as Back-Channel Logout 1.0 §2.6 says a receiver
/// must: its signature against the published keys, typed `logout+jwt`, our issuer, the
/// application as audience, an `events` member with the logout event, no `nonce`.
async fn verified(server: &TestServer, token: &str, audience: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let (status, jwks) = server.call(Method::GET, "/oauth2/jwks").await;
    assert_eq!(status, 200);
    let kid = header.kid.expect("a kid");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the key is published")
        .clone();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&["http://portcullis.test"]);
    validation.set_required_spec_claims(&["iss", "aud", "iat", "exp"]);
    // The server's clock is the test's own; the library compares with the real one.
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
        &validation,
    )
    .unwrap_or_else(|e| panic!("the logout token verifies: {e}"))
    .claims;
    let now = server.clock_now().unix_timestamp();
    let iat = claims["iat"].as_i64().unwrap();
    assert!((now - 5..=now).contains(&iat), "{claims}");
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 120, "{claims}");
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert_eq!(
        claims["events"],
        json!({ "http://schemas.openid.net/event/backchannel-logout": {} })
    );
    assert!(claims.get("nonce").is_none(), "{claims}");
    claims
}

/// The `sub` and `sid` of an ID token (its payload; the relying-party tests verify them).
fn subject_and_session(id_token: &str) -> (String, String) {
    let payload = id_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    (
        claims["sub"].as_str().unwrap().to_owned(),
        claims["sid"].as_str().unwrap().to_owned(),
    )
}

async fn app_told_at(server: &TestServer, port: u16) -> App {
    create_app(
        server,
        json!({
            "backchannel_logout_uri": Receiver::uri(port),
            "backchannel_logout_session_required": "true",
        }),
    )
    .await
}

/// A new browser session of `username` in which `app` got tokens: its sub and sid.
async fn signed_in_to(server: &TestServer, username: &str, app: &App) -> (String, String, String) {
    let cookie = server.login(username).await;
    let issued = tokens(server, app, &cookie).await;
    let (sub, sid) = subject_and_session(issued["id_token"].as_str().unwrap());
    (cookie, sub, sid)
}

#[tokio::test]
async fn discovery_advertises_back_channel_logout_and_the_uri_is_checked() {
    each_backend!(|server| {
        let (status, discovery) = server
            .call(Method::GET, "/.well-known/openid-configuration")
            .await;
        assert_eq!(status, 200);
        assert_eq!(discovery["backchannel_logout_supported"], true);
        assert_eq!(discovery["backchannel_logout_session_supported"], true);

        let key = api_key(&server, None).await;
        let path = format!("/v1/tenants/{}/applications", server.tenant.id.0);
        for (metadata, field) in [
            (
                json!({ "backchannel_logout_uri": "ftp://rp.example.test/bcl" }),
                "backchannel_logout_uri",
            ),
            (
                json!({ "backchannel_logout_uri": "http://rp.example.test/bcl" }),
                "backchannel_logout_uri",
            ),
            (
                json!({ "backchannel_logout_session_required": "maybe" }),
                "backchannel_logout_session_required",
            ),
        ] {
            let body = json!({
                "type": "Application", "name": "Bad", "login_url": "",
                "logout_urls": [], "redirect_urls": [CALLBACK], "metadata": metadata,
            });
            let (status, _, answer) = v1(&server, Method::POST, &path, &key, Some(body)).await;
            assert_eq!(status, 400, "{metadata}: {answer}");
            assert!(answer.to_string().contains(field), "{answer}");
        }
    });
}

#[tokio::test]
async fn every_way_a_session_ends_tells_the_applications_that_got_tokens_in_it() {
    each_backend!(|server| {
        let receiver = Receiver::start(0).await;
        let told = app_told_at(&server, receiver.port).await;
        // Has no back-channel URI: nothing to send it.
        let quiet = create_app(&server, json!({})).await;
        // Has one, but gets no tokens in these sessions.
        let unused = app_told_at(&server, receiver.port).await;
        server.create_user("boss", "Admin").await;
        let admin = server.login("boss").await;
        let alice = server.create_user("alice", "User").await;
        let mut expected = Vec::new();

        // Signing out.
        let (cookie, sub, sid) = signed_in_to(&server, "alice", &told).await;
        tokens(&server, &quiet, &cookie).await;
        let (status, _) = server
            .send(Method::POST, "/api/logout", &cookie, json!({}))
            .await;
        assert_eq!(status, 200);
        expected.push(sid.clone());
        let received = receiver.wait_for(expected.len()).await;
        let claims = verified(&server, &received[0], &told.id).await;
        assert_eq!(claims["sub"], sub.as_str(), "{claims}");
        assert_eq!(claims["sid"], sid.as_str(), "{claims}");
        // Signed by the same keys, a logout token is still no ID token.
        let cookie = server.login("alice").await;
        let path = format!(
            "/oauth2/logout?{}",
            serde_urlencoded::to_string([("id_token_hint", received[0].as_str())]).unwrap()
        );
        let (status, _, page) = text(browse(&server, &path, Some(&cookie)).await).await;
        assert_eq!(status, 400, "{page}");
        assert!(page.contains("not an ID token of this provider"), "{page}");
        let (status, _) = server
            .send(Method::POST, "/api/logout", &cookie, json!({}))
            .await;
        assert_eq!(status, 200);

        // RP-initiated logout with the ID token as hint.
        let cookie = server.login("alice").await;
        let issued = tokens(&server, &told, &cookie).await;
        let (_, sid) = subject_and_session(issued["id_token"].as_str().unwrap());
        let path = format!(
            "/oauth2/logout?{}",
            serde_urlencoded::to_string([("id_token_hint", issued["id_token"].as_str().unwrap())])
                .unwrap()
        );
        assert_eq!(browse(&server, &path, Some(&cookie)).await.status(), 200);
        expected.push(sid);
        receiver.wait_for(expected.len()).await;

        // An administrator ends one session.
        let (_, _, sid) = signed_in_to(&server, "alice", &told).await;
        let (status, body) = server
            .send(
                Method::DELETE,
                &format!("/api/sessions/{sid}"),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        expected.push(sid);
        receiver.wait_for(expected.len()).await;

        // A password reset ends them all.
        let (_, _, sid) = signed_in_to(&server, "alice", &told).await;
        let (status, body) = server
            .post(
                "/api/password/remind",
                json!({ "email": "alice@example.com" }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let mail = server.wait_for_mail("alice@example.com", 1).await;
        let reset = token_after(&mail, "minutes: ");
        let (status, body) = server
            .post(
                "/api/password/reset",
                json!({
                    "token": reset, "email": "alice@example.com",
                    "password": "a-brand-new-password",
                    "password_confirmation": "a-brand-new-password",
                }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        expected.push(sid);
        receiver.wait_for(expected.len()).await;

        // A ban ends every session of the user at once: each is told about.
        let cookie = login_with(&server, "alice", "a-brand-new-password").await;
        let first = tokens(&server, &told, &cookie).await;
        let second_cookie = login_with(&server, "alice", "a-brand-new-password").await;
        let second = tokens(&server, &told, &second_cookie).await;
        let path = format!("/api/users/{}", alice.id.0);
        let (status, body) = server
            .send(Method::PUT, &path, &admin, json!({ "status": "Banned" }))
            .await;
        assert_eq!(status, 201, "{body}");
        for issued in [first, second] {
            expected.push(subject_and_session(issued["id_token"].as_str().unwrap()).1);
        }
        let received = receiver.wait_for(expected.len()).await;

        // Deleting a user ends their sessions too.
        server.create_user("bob", "User").await;
        let (_, _, sid) = signed_in_to(&server, "bob", &told).await;
        let bob = user_id(&server, "bob").await;
        let (status, body) = server
            .send(
                Method::DELETE,
                &format!("/api/users/{}", bob.0),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        expected.push(sid);
        let received = {
            let _ = received;
            receiver.wait_for(expected.len()).await
        };

        let mut told_sids = Vec::new();
        for token in &received {
            let claims = verified(&server, token, &told.id).await;
            told_sids.push(claims["sid"].as_str().unwrap().to_owned());
        }
        let mut want = expected.clone();
        want.sort();
        told_sids.sort();
        assert_eq!(
            told_sids, want,
            "each ended session once, to the one application"
        );
        // Nothing more comes: not for the quiet application, not for the unused one.
        server.app.services.deliver_logout_notices().await;
        assert_eq!(receiver.received().len(), expected.len());
        assert_ne!(unused.id, told.id);

        let (status, log) = server.get("/api/activity?per_page=100", &admin).await;
        assert_eq!(status, 200, "{log}");
        let delivered = log.to_string().matches("(back-channel logout)").count();
        assert_eq!(delivered, expected.len(), "{log}");
        receiver.stop();
    });
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_the_token_once_it_is_back_and_a_dead_one_is_given_up() {
    each_backend!(|server| {
        let port = free_port().await;
        let app = app_told_at(&server, port).await;
        server.create_user("alice", "User").await;
        let (cookie, _, sid) = signed_in_to(&server, "alice", &app).await;
        let (status, _) = server
            .send(Method::POST, "/api/logout", &cookie, json!({}))
            .await;
        assert_eq!(status, 200);

        // Nobody listens: the first try fails and a retry is planned.
        wait_for_count(
            &server,
            "SELECT COUNT(*) FROM logout_notices WHERE attempts = 1",
            1,
        )
        .await;
        let pool = server.inspect().await;
        let (error,): (Option<String>,) = sqlx::query_as("SELECT last_error FROM logout_notices")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(error.is_some());

        // Back up: once the retry is due, it is delivered, once.
        let receiver = Receiver::start(port).await;
        server.clock.advance(time::Duration::seconds(11));
        let received = receiver.wait_for(1).await;
        let claims = verified(&server, &received[0], &app.id).await;
        assert_eq!(claims["sid"], sid.as_str());
        // The worker has recorded the delivery before the clock jumps: a claim still in
        // flight when its lease runs out would be sent again (at least once, by design).
        wait_for_count(
            &server,
            "SELECT COUNT(*) FROM logout_notices WHERE delivered_at IS NOT NULL",
            1,
        )
        .await;
        server.clock.advance(time::Duration::hours(2));
        server.app.services.deliver_logout_notices().await;
        assert_eq!(receiver.received().len(), 1);
        receiver.stop();

        // Down for good: after a day of tries it is given up, and the log says so.
        let (cookie, _, _) = signed_in_to(&server, "alice", &app).await;
        let (status, _) = server
            .send(Method::POST, "/api/logout", &cookie, json!({}))
            .await;
        assert_eq!(status, 200);
        wait_for_count(
            &server,
            "SELECT COUNT(*) FROM logout_notices WHERE attempts = 1 AND delivered_at IS NULL",
            1,
        )
        .await;
        server.clock.advance(time::Duration::hours(25));
        wait_for_count(&server, GIVEN_UP, 1).await;
        let admin = server.signed_in("boss", "Admin").await;
        let (_, log) = server.get("/api/activity?per_page=100", &admin).await;
        assert!(
            log.to_string().contains("Could not tell the application"),
            "{log}"
        );
    });
}

/// An endpoint that takes connections and never answers.
async fn silent_receiver() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    (port, held)
}

#[tokio::test]
async fn an_application_that_never_answers_holds_up_no_other() {
    each_backend!(|server| {
        let receiver = Receiver::start(0).await;
        let answering = app_told_at(&server, receiver.port).await;
        let (silent_port, held) = silent_receiver().await;
        let mut silent = Vec::new();
        for _ in 0..3 {
            silent.push(app_told_at(&server, silent_port).await);
        }
        server.create_user("alice", "User").await;
        let cookie = server.login("alice").await;
        for app in &silent {
            tokens(&server, app, &cookie).await;
        }
        tokens(&server, &answering, &cookie).await;
        let (status, _) = server
            .send(Method::POST, "/api/logout", &cookie, json!({}))
            .await;
        assert_eq!(status, 200);
        receiver.wait_for(1).await;
        // Sent side by side: when the answering application has its token, the silent ones are
        // still being waited for, not yet counted as failed tries.
        let pool = server.inspect().await;
        let (failed,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM logout_notices WHERE attempts > 0 AND delivered_at IS NULL",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(failed, 0);
        // Each is given its few seconds, then tried again later.
        wait_for_count(
            &server,
            "SELECT COUNT(*) FROM logout_notices WHERE attempts = 1 AND last_error IS NOT NULL",
            3,
        )
        .await;
        held.abort();
        receiver.stop();
    });
}

#[tokio::test]
async fn several_deliverers_at_once_send_each_notice_once() {
    each_backend!(|server| {
        let receiver = Receiver::start(0).await;
        let app = app_told_at(&server, receiver.port).await;
        server.create_user("alice", "User").await;
        let mut sids = Vec::new();
        for _ in 0..6 {
            sids.push(signed_in_to(&server, "alice", &app).await.2);
        }
        let admin = server.signed_in("boss", "Admin").await;
        let alice = user_id(&server, "alice").await;
        let path = format!("/api/users/{}", alice.0);
        let (status, body) = server
            .send(Method::PUT, &path, &admin, json!({ "status": "Banned" }))
            .await;
        assert_eq!(status, 201, "{body}");
        // Three rounds at once besides the server's own worker, as several nodes would run.
        let services = &server.app.services;
        tokio::join!(
            services.deliver_logout_notices(),
            services.deliver_logout_notices(),
            services.deliver_logout_notices(),
        );
        let received = receiver.wait_for(sids.len()).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut told: Vec<String> = Vec::new();
        for token in receiver.received() {
            let claims = verified(&server, &token, &app.id).await;
            told.push(claims["sid"].as_str().unwrap().to_owned());
        }
        told.sort();
        sids.sort();
        assert_eq!(told, sids, "each session once: {}", received.len());
        receiver.stop();
    });
}

#[tokio::test]
async fn a_uri_the_egress_policy_refuses_is_given_up_at_once() {
    each_backend!(|server| {
        let app = create_app(
            &server,
            json!({ "backchannel_logout_uri": "https://10.1.2.3/backchannel" }),
        )
        .await;
        server.create_user("alice", "User").await;
        let (cookie, _, _) = signed_in_to(&server, "alice", &app).await;
        let (status, _) = server
            .send(Method::POST, "/api/logout", &cookie, json!({}))
            .await;
        assert_eq!(status, 200);
        wait_for_count(&server, GIVEN_UP, 1).await;
        let admin = server.signed_in("boss", "Admin").await;
        let (_, log) = server.get("/api/activity?per_page=100", &admin).await;
        assert!(log.to_string().contains("off limits"), "{log}");
    });
}

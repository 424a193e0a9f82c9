//! The device authorization grant (RFC 8628): `/oauth2/device_authorization`, the `/device`
//! page a signed-in person approves on, and the token endpoint's polling, driven by the
//! `openidconnect` crate as the device and by hand for every way it can go wrong.

use crate::harness::{each_backend, json, TestServer, PASSWORD};
use crate::oidc_flow::relying_party::send;
use crate::oidc_flow::tokens::id_token_claims;
use crate::oidc_flow::{create_app, str_of, token, App};
use crate::pages::{Answer, Browser};
use openidconnect::core::{
    CoreClient, CoreDeviceAuthorizationResponse, CoreJsonWebKeySet, CoreProviderMetadata,
};
use openidconnect::{
    ClientId, ClientSecret, DeviceAuthorizationUrl, HttpRequest, Nonce, OAuth2TokenResponse, Scope,
    TokenResponse,
};
use reqwest::Method;
use serde_json::{json, Value};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const TV: &str = "LivingRoomTV/2.0";

/// An application that may use the device flow.
async fn device_app(server: &TestServer, extra: Value) -> App {
    let mut metadata = json!({ "device_flow": "true" });
    for (key, value) in extra.as_object().unwrap() {
        metadata[key] = value.clone();
    }
    create_app(server, metadata).await
}

/// `POST /oauth2/device_authorization` as `app`, from the television.
async fn authorize_device(server: &TestServer, app: &App, scope: &str) -> (u16, Value) {
    let response = server
        .request(Method::POST, "/oauth2/device_authorization")
        .basic_auth(&app.id, Some(&app.secret))
        .header("user-agent", TV)
        .form(&[("scope", scope)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    json(response).await
}

/// A device code and its user code for `app`.
async fn codes(server: &TestServer, app: &App) -> (String, String) {
    let (status, body) = authorize_device(server, app, "openid profile email").await;
    assert_eq!(status, 200, "{body}");
    (
        str_of(&body, "device_code").to_owned(),
        str_of(&body, "user_code").to_owned(),
    )
}

/// One poll of the token endpoint as `app`.
async fn poll(server: &TestServer, app: &App, device_code: &str) -> (u16, Value) {
    token(
        server,
        &[("grant_type", GRANT), ("device_code", device_code)],
        Some(app),
    )
    .await
}

fn error_of(answer: &(u16, Value)) -> (u16, &str) {
    (answer.0, answer.1["error"].as_str().unwrap_or_default())
}

/// A new user signed in on the hosted pages in a fresh browser.
async fn signed_in_browser(server: &TestServer, username: &str, role: &str) -> Browser {
    server.create_user(username, role).await;
    let mut browser = Browser::new(server);
    let answer = browser.sign_in(username, PASSWORD).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    browser
}

/// Enters `typed` on the page, then decides (`approve` or `deny`).
async fn decide(browser: &mut Browser, typed: &str, decision: &str) -> Answer {
    let shown = browser.post("/device", &[("user_code", typed)]).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    browser
        .post("/device", &[("user_code", typed), ("decision", decision)])
        .await
}

#[tokio::test]
async fn a_device_signs_in_through_the_openidconnect_crate_once_a_person_approves() {
    each_backend!(|server| {
        let app = device_app(&server, json!({})).await;
        let (_, discovery) = json(
            server
                .request(Method::GET, "/.well-known/openid-configuration")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            discovery["device_authorization_endpoint"],
            "http://portcullis.test/oauth2/device_authorization"
        );
        assert!(
            discovery["grant_types_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(GRANT)),
            "{discovery}"
        );
        let (_, keys) = json(
            server
                .request(Method::GET, "/oauth2/jwks")
                .send()
                .await
                .unwrap(),
        )
        .await;
        let keys: CoreJsonWebKeySet = serde_json::from_value(keys).unwrap();
        let endpoint = str_of(&discovery, "device_authorization_endpoint").to_owned();
        let metadata: CoreProviderMetadata = serde_json::from_value(discovery).unwrap();
        let client = CoreClient::from_provider_metadata(
            metadata.set_jwks(keys),
            ClientId::new(app.id.clone()),
            Some(ClientSecret::new(app.secret.clone())),
        )
        .set_device_authorization_url(DeviceAuthorizationUrl::new(endpoint).unwrap());
        let base = server.base.clone();
        let http = move |request: HttpRequest| send(base.clone(), request);

        let details: CoreDeviceAuthorizationResponse = client
            .exchange_device_code()
            .add_scope(Scope::new("profile".to_owned()))
            .add_scope(Scope::new("email".to_owned()))
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("device authorization: {e:?}"));
        let user_code = details.user_code().secret().clone();
        assert_eq!(user_code.len(), 9, "{user_code}");
        assert_eq!(&user_code[4..5], "-");
        assert!(user_code
            .chars()
            .filter(|c| *c != '-')
            .all(|c| "BCDFGHJKLMNPQRSTVWXZ".contains(c)));
        assert_eq!(
            details.verification_uri().as_str(),
            "http://portcullis.test/device"
        );
        let complete = details
            .verification_uri_complete()
            .expect("verification_uri_complete")
            .secret()
            .clone();
        assert_eq!(
            complete,
            format!("http://portcullis.test/device?user_code={user_code}")
        );
        assert_eq!(details.expires_in().as_secs(), 600);
        assert_eq!(details.interval().as_secs(), 5);

        // The person opens the link signed out: the login page sends them back to it.
        server.create_user("alice", "User").await;
        let mut browser = Browser::new(&server);
        let page = complete.trim_start_matches("http://portcullis.test");
        let answer = browser.get(page).await;
        assert_eq!(answer.status, 303);
        let login = answer.location().to_owned();
        assert!(login.starts_with("/login?return_to="), "{login}");
        let answer = browser.sign_in_to(&login, "alice", PASSWORD, page).await;
        assert_eq!(
            (answer.status, answer.location()),
            (303, page),
            "{}",
            answer.body
        );
        let answer = browser.get(page).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        crate::pages::assert_security_headers(&answer);
        assert!(
            answer.body.contains(&format!("value=\"{user_code}\"")),
            "prefilled: {}",
            answer.body
        );
        // Typed in lower case without its dash, it is the same code.
        let typed = user_code.replace('-', "").to_lowercase();
        let shown = browser.post("/device", &[("user_code", &typed)]).await;
        assert_eq!(shown.status, 200, "{}", shown.body);
        assert!(
            shown.body.contains("<strong>Backups</strong>"),
            "{}",
            shown.body
        );
        for claim in [
            "know that it is you",
            "see your name and username",
            "see your email address",
        ] {
            assert!(shown.body.contains(claim), "{claim}: {}", shown.body);
        }
        let done = browser
            .post("/device", &[("user_code", &typed), ("decision", "approve")])
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.body.contains("Device connected"), "{}", done.body);

        let response = client
            .exchange_device_access_token(&details)
            .unwrap()
            .request_async(&http, |_| async {}, None)
            .await
            .unwrap_or_else(|e| panic!("device token: {e:?}"));
        let verifier = client.id_token_verifier();
        let id_token = response.id_token().expect("an ID token");
        let claims = id_token
            .claims(&verifier, |_: Option<&Nonce>| Ok(()))
            .expect("the ID token verifies");
        assert_eq!(claims.email().unwrap().as_str(), "alice@example.com");
        let scopes: Vec<String> = response
            .scopes()
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(scopes, ["openid", "profile", "email"]);
        let raw = id_token_claims(&id_token.to_string());
        assert_eq!(raw["amr"], json!(["pwd"]), "the browser's sign-in: {raw}");

        // The device has a session of its own, and the person sees it.
        let bearer = server.login("alice").await;
        let (_, sessions) = server.get("/api/me/sessions", &bearer).await;
        let device = sessions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == raw["sid"])
            .unwrap_or_else(|| panic!("the device's session in {sessions}"));
        assert_eq!(
            sessions.as_array().unwrap().len(),
            3,
            "the browser's, the device's and this login's: {sessions}"
        );

        // Refresh works, and ending the device's session ends it.
        let refreshed = client
            .exchange_refresh_token(response.refresh_token().unwrap())
            .unwrap()
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("refresh: {e:?}"));
        assert!(refreshed.id_token().is_some());
        let (status, body) = server
            .send(
                Method::DELETE,
                &format!("/api/sessions/{}", str_of(device, "id")),
                &bearer,
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refreshed.refresh_token().unwrap().secret()),
        ];
        let refused = token(&server, &form, Some(&app)).await;
        assert_eq!(error_of(&refused), (400, "invalid_grant"));
    });
}

#[tokio::test]
async fn the_id_tokens_auth_time_is_the_browsers_sign_in() {
    each_backend!(|server| {
        let app = device_app(&server, json!({})).await;
        let mut browser = signed_in_browser(&server, "alice", "User").await;
        let signed_in_at = server.clock_now().unix_timestamp();
        server.clock.advance(time::Duration::minutes(3));
        let (device_code, user_code) = codes(&server, &app).await;
        let answer = decide(&mut browser, &user_code, "approve").await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let issued = poll(&server, &app, &device_code).await;
        assert_eq!(issued.0, 200, "{}", issued.1);
        let claims = id_token_claims(str_of(&issued.1, "id_token"));
        let auth_time = claims["auth_time"].as_i64().unwrap();
        assert!(
            (signed_in_at - 1..=signed_in_at).contains(&auth_time),
            "{auth_time} vs {signed_in_at}"
        );
        // The device's session is listed with where the device asked from.
        let bearer = server.login("alice").await;
        let (_, sessions) = server.get("/api/me/sessions", &bearer).await;
        let device = sessions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == claims["sid"])
            .unwrap_or_else(|| panic!("the device's session in {sessions}"));
        assert_eq!(device["user_agent"], TV);
        // The session's own login token, which nobody holds, carries no scope either.
        let inspect = server.inspect().await;
        let scopes: Vec<(String,)> =
            sqlx::query_as("SELECT scopes FROM tokens WHERE session_id = $1 AND grant_id IS NULL")
                .bind(str_of(device, "id"))
                .fetch_all(&inspect)
                .await
                .unwrap();
        assert_eq!(scopes.len(), 1, "{scopes:?}");
        assert!(!scopes[0].0.contains('*'), "{scopes:?}");
        inspect.close().await;
    });
}

#[tokio::test]
async fn polling_is_pending_then_slowed_down_and_the_interval_grows() {
    each_backend!(|server| {
        let app = device_app(&server, json!({})).await;
        let (device_code, _) = codes(&server, &app).await;
        let first = poll(&server, &app, &device_code).await;
        assert_eq!(
            error_of(&first),
            (400, "authorization_pending"),
            "{}",
            first.1
        );
        let second = poll(&server, &app, &device_code).await;
        assert_eq!(error_of(&second), (400, "slow_down"), "{}", second.1);
        // The interval is 10 seconds now: 6 later is still too soon, and makes it 15.
        server.clock.advance(time::Duration::seconds(6));
        assert_eq!(
            error_of(&poll(&server, &app, &device_code).await),
            (400, "slow_down")
        );
        server.clock.advance(time::Duration::seconds(14));
        assert_eq!(
            error_of(&poll(&server, &app, &device_code).await),
            (400, "slow_down"),
            "15 seconds now"
        );
        server.clock.advance(time::Duration::seconds(21));
        assert_eq!(
            error_of(&poll(&server, &app, &device_code).await),
            (400, "authorization_pending")
        );
    });
}

#[tokio::test]
async fn a_denied_request_answers_access_denied() {
    each_backend!(|server| {
        let app = device_app(&server, json!({})).await;
        let mut browser = signed_in_browser(&server, "alice", "User").await;
        let (device_code, user_code) = codes(&server, &app).await;
        let answer = decide(&mut browser, &user_code, "deny").await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(answer.body.contains("Request denied"), "{}", answer.body);
        let denied = poll(&server, &app, &device_code).await;
        assert_eq!(error_of(&denied), (400, "access_denied"), "{}", denied.1);
        // Decided once: the code cannot be approved afterwards.
        let again = browser.post("/device", &[("user_code", &user_code)]).await;
        assert_eq!(again.status, 422);
        assert!(again.body.contains("was used already"), "{}", again.body);
    });
}

#[tokio::test]
async fn an_expired_code_answers_expired_token_and_the_page_says_so() {
    each_backend!(|server| {
        let app = device_app(&server, json!({})).await;
        let mut browser = signed_in_browser(&server, "alice", "User").await;
        let (device_code, user_code) = codes(&server, &app).await;
        server.clock.advance(time::Duration::seconds(601));
        let expired = poll(&server, &app, &device_code).await;
        assert_eq!(error_of(&expired), (400, "expired_token"), "{}", expired.1);
        let page = browser.post("/device", &[("user_code", &user_code)]).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("That code has expired"), "{}", page.body);
        assert!(page.body.contains("aria-invalid=\"true\""), "{}", page.body);
    });
}

#[tokio::test]
async fn unknown_codes_and_other_clients_codes_are_invalid_grants() {
    each_backend!(|server| {
        let app = device_app(&server, json!({})).await;
        let other = device_app(&server, json!({})).await;
        let (device_code, _) = codes(&server, &app).await;
        let unknown = poll(&server, &app, "not-a-device-code").await;
        assert_eq!(error_of(&unknown), (400, "invalid_grant"), "{}", unknown.1);
        let stolen = poll(&server, &other, &device_code).await;
        assert_eq!(error_of(&stolen), (400, "invalid_grant"), "{}", stolen.1);
        let missing = token(&server, &[("grant_type", GRANT)], Some(&app)).await;
        assert_eq!(error_of(&missing), (400, "invalid_request"));
        // A request without openid is refused, as at the authorization endpoint.
        let plain = authorize_device(&server, &app, "profile").await;
        assert_eq!(error_of(&plain), (400, "invalid_scope"));
    });
}

#[tokio::test]
async fn a_client_without_device_flow_is_an_unauthorized_client() {
    each_backend!(|server| {
        let app = create_app(&server, json!({})).await;
        let refused = authorize_device(&server, &app, "openid").await;
        assert_eq!(
            error_of(&refused),
            (400, "unauthorized_client"),
            "{}",
            refused.1
        );
        let polled = poll(&server, &app, "anything").await;
        assert_eq!(error_of(&polled), (400, "unauthorized_client"));
        let wrong_secret = App {
            id: app.id.clone(),
            secret: "wrong".into(),
        };
        let unauthenticated = authorize_device(&server, &wrong_secret, "openid").await;
        assert_eq!(error_of(&unauthenticated), (401, "invalid_client"));
    });
}

#[tokio::test]
async fn the_tokens_are_issued_once_even_to_two_pollers_at_once() {
    each_backend!(|server| {
        let app = device_app(&server, json!({})).await;
        let mut browser = signed_in_browser(&server, "alice", "User").await;
        let (device_code, user_code) = codes(&server, &app).await;
        decide(&mut browser, &user_code, "approve").await;
        let (a, b) = tokio::join!(
            poll(&server, &app, &device_code),
            poll(&server, &app, &device_code)
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [200, 400], "{} {}", a.1, b.1);
        let loser = if a.0 == 400 { &a } else { &b };
        assert_eq!(error_of(loser), (400, "invalid_grant"));
        let third = poll(&server, &app, &device_code).await;
        assert_eq!(error_of(&third), (400, "invalid_grant"));
        assert_eq!(
            str_of(&third.1, "error_description"),
            "The device code was used already."
        );
    });
}

#[tokio::test]
async fn guessing_user_codes_is_throttled_per_address() {
    each_backend!(|server| {
        let app = device_app(&server, json!({})).await;
        let mut browser = signed_in_browser(&server, "alice", "User").await;
        let (_, user_code) = codes(&server, &app).await;
        // A right code gives its hit back: it is no guess.
        let right = browser.post("/device", &[("user_code", &user_code)]).await;
        assert_eq!(right.status, 200);
        for n in 0..10 {
            let wrong = browser.post("/device", &[("user_code", "BBBB-BBBB")]).await;
            assert_eq!(wrong.status, 422, "guess {n}: {}", wrong.body);
            assert!(
                wrong.body.contains("That code is not right"),
                "{}",
                wrong.body
            );
        }
        let locked = browser.post("/device", &[("user_code", &user_code)]).await;
        assert_eq!(locked.status, 429, "{}", locked.body);
        assert!(
            locked.body.contains("Too many wrong codes"),
            "{}",
            locked.body
        );
        assert!(locked.headers.get("retry-after").is_some());
        server.clock.advance(time::Duration::minutes(11));
        let (_, fresh) = codes(&server, &app).await;
        let after = browser.post("/device", &[("user_code", &fresh)]).await;
        assert_eq!(after.status, 200, "the window ended: {}", after.body);
    });
}

#[tokio::test]
async fn a_disabled_user_gets_nothing_and_signed_out_browsers_sign_in_first() {
    each_backend!(|server| {
        let app = device_app(&server, json!({})).await;
        let admin = server.signed_in("boss", "Admin").await;
        let mut browser = signed_in_browser(&server, "alice", "User").await;
        let (device_code, user_code) = codes(&server, &app).await;
        decide(&mut browser, &user_code, "approve").await;
        let alice = crate::harness::user_id(&server, "alice").await;
        let (status, body) = server
            .send(
                Method::PUT,
                &format!("/api/users/{}", alice.0),
                &admin,
                json!({ "status": "Banned" }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let refused = poll(&server, &app, &device_code).await;
        assert_eq!(error_of(&refused), (400, "invalid_grant"), "{}", refused.1);
        // The ban ended the browser's session too: the page asks for a sign-in.
        let (_, user_code) = codes(&server, &app).await;
        let answer = browser.post("/device", &[("user_code", &user_code)]).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert!(
            answer.location().starts_with("/login?return_to=%2Fdevice"),
            "{}",
            answer.location()
        );
    });
}

#[tokio::test]
async fn an_applications_allowed_roles_decide_who_may_approve() {
    each_backend!(|server| {
        let app = device_app(&server, json!({ "allowed_roles": "Admin" })).await;
        let mut browser = signed_in_browser(&server, "alice", "User").await;
        let (device_code, user_code) = codes(&server, &app).await;
        let answer = browser.post("/device", &[("user_code", &user_code)]).await;
        assert_eq!(answer.status, 422);
        assert!(
            answer.body.contains("no access to this application"),
            "{}",
            answer.body
        );
        let approve = browser
            .post(
                "/device",
                &[("user_code", &user_code), ("decision", "approve")],
            )
            .await;
        assert_eq!(approve.status, 422);
        let pending = poll(&server, &app, &device_code).await;
        assert_eq!(error_of(&pending), (400, "authorization_pending"));
    });
}

#[tokio::test]
async fn the_device_page_refuses_forms_from_elsewhere() {
    each_backend!(|server| {
        let app = device_app(&server, json!({})).await;
        let mut browser = signed_in_browser(&server, "alice", "User").await;
        let (_, user_code) = codes(&server, &app).await;
        // The browser's cookies, but no token in the form.
        let request = reqwest::Client::new()
            .post(format!("{}/device", server.base))
            .form(&[("user_code", user_code.as_str()), ("decision", "approve")]);
        let answer = browser.send(request).await;
        assert_eq!(answer.status, 403, "no CSRF token: {}", answer.body);
    });
}

#[tokio::test]
async fn codes_are_stored_as_hashes_only_and_long_expired_ones_are_purged() {
    each_backend!(|server| {
        let app = device_app(&server, json!({})).await;
        let (device_code, user_code) = codes(&server, &app).await;
        let inspect = server.inspect().await;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT device_code_hash, user_code_hash FROM device_codes")
                .fetch_all(&inspect)
                .await
                .unwrap();
        let normalized = user_code.replace('-', "");
        assert_eq!(
            rows,
            [(
                portcullis_core::tokens::hash_secret(&device_code),
                portcullis_core::tokens::hash_secret(&normalized)
            )]
        );
        // Each new request clears away a few codes that expired long ago.
        server.clock.advance(time::Duration::hours(2));
        let (fresh, _) = codes(&server, &app).await;
        let left: Vec<(String,)> = sqlx::query_as("SELECT device_code_hash FROM device_codes")
            .fetch_all(&inspect)
            .await
            .unwrap();
        assert_eq!(left, [(portcullis_core::tokens::hash_secret(&fresh),)]);
        inspect.close().await;
    });
}

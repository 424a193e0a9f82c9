//! The hosted pages and the OpenID Connect provider in a real browser: Debian's Chromium,
//! driven by playwright-core (`browser-tests/flow.mjs`), signs a person up, confirms the email
//! from the outbox, turns on an authenticator app, authorizes a test application (signing in
//! with the app's code on the way) and creates an API token on the account page, then adds a
//! passkey there (Chromium's virtual authenticator, through the DevTools protocol), signs in
//! with it from the login field's autofill, answers a password sign-in's second step with it,
//! and signs in to the application again with it alone; at the end the tenant goes
//! passwordless and a new person signs up by making a passkey on the confirmation page. This test
//! owns the server and checks what the browser brought back: the application's code is
//! exchanged and its ID token verified with the `openidconnect` crate, and the token made on
//! the account page works with the scope chosen there; a television (the script, by `fetch`)
//! signs in with the device flow, approved on `/device`. Last, a fresh browser continues with a
//! social network: a stand-in served here, on another site (127.0.0.1 against the server's
//! localhost), whose page sends it back as a real network's would. Every page of ours on the
//! way is checked with axe-core (any accessibility rule it breaks fails the test), and
//! screenshots of every page are written to `target/browser-screenshots/`.

use super::{portcullis, stdout, Serving};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJsonWebKeySet, CoreProviderMetadata,
};
use openidconnect::{
    ClientId, ClientSecret, CsrfToken, Nonce, PkceCodeChallenge, RedirectUrl, Scope,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The test application's callback. Nothing serves it: the script catches the browser's
/// navigation there.
const REDIRECT_URI: &str = "http://localhost:9/callback";
const ADMIN_PASSWORD: &str = "admin-password-1";
const NETWORK_CLIENT: &str = "portcullis-browser-test";
const NETWORK_SECRET: &str = "network-secret";

/// A social network's stand-in: its sign-in page (an "Allow" link back with a code),
/// its token endpoint (checking the client and the PKCE verifier) and its userinfo endpoint,
/// which says the person is Ada, with her verified address. Returns its origin.
async fn start_network() -> String {
    use axum::extract::{Query, State};
    use axum::response::Html;
    use base64::Engine;
    use sha2::{Digest, Sha256};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    type Challenges = Arc<Mutex<HashMap<String, String>>>;

    async fn authorize(
        State(challenges): State<Challenges>,
        Query(query): Query<HashMap<String, String>>,
    ) -> Html<String> {
        let field = |name: &str| query.get(name).cloned().unwrap_or_default();
        assert_eq!(field("client_id"), NETWORK_CLIENT);
        assert_eq!(field("code_challenge_method"), "S256");
        challenges
            .lock()
            .unwrap()
            .insert("code-1".to_owned(), field("code_challenge"));
        let back = reqwest::Url::parse_with_params(
            &field("redirect_uri"),
            [("code", "code-1"), ("state", field("state").as_str())],
        )
        .unwrap();
        Html(format!(
            "<!doctype html><title>Acme</title><p>Sign in to Portcullis as Ada?</p>\
             <a id=\"allow\" href=\"{back}\">Allow</a>"
        ))
    }
    async fn token(State(challenges): State<Challenges>, body: String) -> axum::response::Response {
        use axum::response::IntoResponse;
        let form: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
        let field = |name: &str| form.get(name).cloned().unwrap_or_default();
        let challenge = challenges.lock().unwrap().remove(&field("code"));
        let verified = challenge
            == Some(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(Sha256::digest(field("code_verifier").as_bytes())),
            );
        if verified
            && field("client_id") == NETWORK_CLIENT
            && field("client_secret") == NETWORK_SECRET
        {
            axum::Json(json!({ "access_token": "token-ada", "token_type": "Bearer" }))
                .into_response()
        } else {
            axum::http::StatusCode::BAD_REQUEST.into_response()
        }
    }
    async fn me(headers: axum::http::HeaderMap) -> axum::response::Response {
        use axum::response::IntoResponse;
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some("Bearer token-ada") => {
                axum::Json(json!({ "id": "acme-ada", "email": "ada@example.com", "name": "Ada" }))
                    .into_response()
            }
            _ => axum::http::StatusCode::UNAUTHORIZED.into_response(),
        }
    }
    let app = axum::Router::new()
        .route("/authorize", axum::routing::get(authorize))
        .route("/token", axum::routing::post(token))
        .route("/me", axum::routing::get(me))
        .with_state(Challenges::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn call(request: reqwest::RequestBuilder) -> Value {
    let response = request.send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_signs_up_and_authorizes_an_application_in_chromium() {
    let root = project_root();
    let setup = Command::new("bash")
        .arg(root.join("scripts/browser.sh"))
        .status()
        .unwrap();
    assert!(
        setup.success(),
        "scripts/browser.sh installs Chromium and playwright-core"
    );

    let dir = tempfile::tempdir().unwrap();
    stdout(
        &portcullis(dir.path())
            .args(["user", "create", "--username", "admin"])
            .args(["--email", "admin@example.com", "--password", ADMIN_PASSWORD])
            .args(["--role", "Admin"])
            .output()
            .unwrap(),
    );
    let key = stdout(
        &portcullis(dir.path())
            .args(["api-key", "create", "--name", "browser-test"])
            .output()
            .unwrap(),
    )
    .trim()
    .to_owned();
    let network = start_network().await;
    // The network's stand-in listens on loopback: the operator lets the server reach it.
    let egress_allow = ("PORTCULLIS_EGRESS_ALLOW", "127.0.0.0/8");
    stdout(
        &portcullis(dir.path())
            .env(egress_allow.0, egress_allow.1)
            .args(["social", "set", "--network", "acme", "--emails-verified"])
            .args(["--userinfo-url", &format!("{network}/me")])
            .args(["--authorize-url", &format!("{network}/authorize")])
            .args(["--token-url", &format!("{network}/token")])
            .args([
                "--client-id",
                NETWORK_CLIENT,
                "--client-secret",
                NETWORK_SECRET,
            ])
            .output()
            .unwrap(),
    );
    // The issuer is the public URL, and the browser must reach the server by that name.
    let port = free_port();
    let base = format!("http://localhost:{port}");
    let mut command = portcullis(dir.path());
    command.env("PORTCULLIS_PUBLIC_URL", &base);
    command.env(egress_allow.0, egress_allow.1);
    let _server = Serving::start_on(command, &format!("127.0.0.1:{port}"));
    let http = reqwest::Client::new();

    // Sign-ups confirm their email; accounts may use an authenticator app.
    let admin = call(
        http.post(format!("{base}/api/login"))
            .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD })),
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        http.patch(format!("{base}/api/settings"))
            .bearer_auth(&admin)
            .json(&json!({ "reg_email_confirmation": true, "2fa": { "enabled": true } })),
    )
    .await;

    let tenants = call(http.get(format!("{base}/v1/tenants")).bearer_auth(&key)).await;
    let tenant = tenants["data"][0]["id"].as_str().unwrap().to_owned();
    let application = call(
        http.post(format!("{base}/v1/tenants/{tenant}/applications"))
            .bearer_auth(&key)
            .json(&json!({
                "type": "Application",
                "name": "Browser test",
                "login_url": "http://localhost:9/",
                "logout_urls": ["http://localhost:9/"],
                "redirect_urls": [REDIRECT_URI],
            })),
    )
    .await;
    let client_id = application["id"].as_str().unwrap().to_owned();
    let client_secret = application["secret"].as_str().unwrap().to_owned();

    let metadata = call(http.get(format!("{base}/.well-known/openid-configuration"))).await;
    let metadata: CoreProviderMetadata = serde_json::from_value(metadata).unwrap();
    let keys: CoreJsonWebKeySet =
        serde_json::from_value(call(http.get(format!("{base}/oauth2/jwks"))).await).unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata.set_jwks(keys),
        ClientId::new(client_id.clone()),
        Some(ClientSecret::new(client_secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_owned()))
        .add_scope(Scope::new("profile".to_owned()))
        .set_pkce_challenge(challenge)
        .url();

    let shots = root.join("target/browser-screenshots");
    // Only this run's pictures.
    let _ = std::fs::remove_dir_all(&shots);
    let mut node = Command::new("node");
    node.arg(root.join("browser-tests/flow.mjs"))
        .env("BASE", &base)
        .env("OUTBOX", dir.path().join("data/outbox"))
        .env("AUTHORIZE_URL", authorize_url.as_str())
        .env("REDIRECT_URI", REDIRECT_URI)
        .env("SHOTS", &shots)
        .env("TENANT", &tenant)
        .env("MGMT_KEY", &key)
        .env("ADMIN_USER", "admin")
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD);
    // Off the runtime's workers, which serve the network's stand-in meanwhile.
    let run = tokio::task::spawn_blocking(move || node.output().unwrap())
        .await
        .unwrap();
    let log = String::from_utf8_lossy(&run.stderr);
    eprintln!("{log}");
    assert!(run.status.success(), "the browser flow fails:\n{log}");
    let seen: Value = serde_json::from_str(
        String::from_utf8_lossy(&run.stdout)
            .lines()
            .last()
            .unwrap_or_default(),
    )
    .expect("the script's JSON line");

    // The single-page app on another origin did the code flow and the token exchange from
    // JavaScript; a page of an origin no application redirects to could not read an answer.
    assert_eq!(seen["spa"]["email"], "ada@example.com", "{seen}");
    assert_eq!(seen["spa"]["id_token"], true, "{seen}");
    assert_eq!(seen["stranger"], "blocked", "{seen}");
    // The third-party client got its code only through the consent screen.
    assert!(
        seen["consent_callback"]
            .as_str()
            .is_some_and(|url| url.contains("code=") && url.contains("state=printer-state")),
        "{seen}"
    );

    // The operator banned a user in the console and let them back in.
    assert_eq!(seen["console_ban"], json!(["Banned", "Active"]), "{seen}");
    // It invited a user, made an application, closed sign-ups (the sign-up page answered 404)
    // and opened them again, and made an API key that worked until it revoked it.
    assert_eq!(seen["console_invited"], "cy@example.com", "{seen}");
    assert_eq!(seen["console_application"], true, "{seen}");
    assert_eq!(seen["console_signups_closed"], 404, "{seen}");
    assert_eq!(seen["console_key"], json!([200, 401]), "{seen}");
    // It made a tenant and managed it from the same console: an application, a user banned and
    // let back in, a role holding only users.manage with someone invited to it, and sign-ups
    // closed (the tenant's host then refused one); then it returned to its own tenant.
    assert_eq!(seen["console_managing"], "co", "{seen}");
    assert_eq!(seen["console_managed_application"], true, "{seen}");
    assert_eq!(
        seen["console_managed_ban"],
        json!(["Banned", "Active"]),
        "{seen}"
    );
    assert_eq!(seen["console_managed_signup"], json!([200, 404]), "{seen}");
    assert_eq!(seen["console_returned"], 0, "{seen}");
    // That role's holder, signed in on the tenant's own host, sees the Users section only.
    assert_eq!(
        seen["console_clerk_sections"],
        json!(["Overview", "Users", "Your account"]),
        "{seen}"
    );
    assert_eq!(seen["console_clerk_sees_dee"], true, "{seen}");
    assert_eq!(seen["console_clerk_settings"], 403, "{seen}");

    // A person walked their account page: profile and picture saved (served as the pipeline's
    // 160-pixel square), a new password (the old one refused afterwards), a new address
    // confirmed from the outbox, an authenticator app set up from the key under its QR code and
    // used to sign in again, the recovery codes downloaded as text.
    assert_eq!(seen["account_profile"], json!(["Eve", 160]), "{seen}");
    assert_eq!(seen["account_password"], json!([true, true]), "{seen}");
    assert_eq!(seen["account_email"], "eve.new@example.com", "{seen}");
    assert_eq!(seen["account_codes_downloaded"], true, "{seen}");
    assert_eq!(seen["account_second_factor"], true, "{seen}");
    // Then read their activity, downloaded their data (their address in it, no password, key
    // or recovery code), and deleted the account, which then signed in nowhere; and Ada
    // unlinked the stand-in social network.
    assert_eq!(seen["account_export"], json!([true, false]), "{seen}");
    assert_eq!(
        seen["account_deleted"],
        json!(["Your account is deleted", true]),
        "{seen}"
    );
    assert_eq!(seen["account_unlinked"], json!([["Acme"], 1]), "{seen}");

    // The application got a code for its own state, which it exchanges for tokens.
    let callback = reqwest::Url::parse(seen["callback"].as_str().unwrap()).unwrap();
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {callback}"))
    };
    assert_eq!(param("state"), *state.secret());
    let tokens = call(
        http.post(format!("{base}/oauth2/token"))
            .basic_auth(&client_id, Some(&client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &param("code")),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier.secret()),
            ]),
    )
    .await;
    let id_token: CoreIdToken = tokens["id_token"].as_str().unwrap().parse().unwrap();
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the ID token verifies against the JWKS");
    assert_eq!(
        claims.email().map(|email| email.as_str()),
        Some("ada@example.com")
    );
    assert_eq!(claims.email_verified(), Some(true));

    // The second visit, signed in with the passkey added on the account page alone: its ID
    // token says so (RFC 8176: a hardware key, and its user verified).
    let passkey_callback = reqwest::Url::parse(seen["passkey_callback"].as_str().unwrap()).unwrap();
    let passkey_code = passkey_callback
        .query_pairs()
        .find(|(key, _)| key == "code")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no code in {passkey_callback}"));
    let tokens = call(
        http.post(format!("{base}/oauth2/token"))
            .basic_auth(&client_id, Some(&client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &passkey_code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier.secret()),
            ]),
    )
    .await;
    let id_token: CoreIdToken = tokens["id_token"].as_str().unwrap().parse().unwrap();
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the passkey sign-in's ID token verifies");
    let amr: Vec<&str> = claims
        .auth_method_refs()
        .map(|methods| methods.iter().map(|m| m.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(amr, ["hwk", "user"]);
    assert_eq!(seen["passkey_autofill"], true, "{seen}");
    assert_eq!(seen["passkey_second_factor"], true, "{seen}");
    assert_eq!(seen["passwordless_signup"], true, "{seen}");

    // The token made on the account page works, with the one scope chosen there.
    let api_token = seen["api_token"].as_str().unwrap();
    let current = call(
        http.get(format!("{base}/api/me/token"))
            .bearer_auth(api_token),
    )
    .await;
    assert_eq!(current["scopes"], json!(["view-profile"]), "{current}");

    // A device (the script, by fetch) got its tokens once the person approved it on /device.
    assert_eq!(seen["device_tokens"], true, "{seen}");
    // Back from the network, past the second factor, with a browser session of its own.
    assert_eq!(seen["social_session"], true, "{seen}");
    // Every page of ours on the way passed axe-core's accessibility rules.
    assert!(seen["pages_audited"].as_u64() >= Some(19), "{seen}");
}

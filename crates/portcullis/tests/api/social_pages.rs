//! "Continue with …" on the login page: the browser goes to a network (a real local HTTP
//! server standing in for it, with an OAuth 2.0 token endpoint that checks PKCE) and comes back
//! with a code, which Portcullis exchanges and turns into a web session.

use crate::harness::{each_backend, TestServer};
use crate::pages::{assert_security_headers, Answer, Browser};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use base64::Engine;
use portcullis_core::model::SocialNetwork;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const CLIENT_ID: &str = "portcullis-at-network";
const CLIENT_SECRET: &str = "network-secret";
const CALLBACK: &str = "http://portcullis.test/login/social/google/callback";

/// Codes the network handed out: code → (the PKCE challenge it was given, the access token).
type Codes = Arc<Mutex<HashMap<String, (String, String)>>>;

/// The network: `POST /token` (code + client secret + PKCE verifier → access token, once) and
/// `GET /me` (who a token belongs to).
async fn start_network() -> (String, Codes) {
    async fn token(
        State(codes): State<Codes>,
        body: String,
    ) -> Result<Json<Value>, (StatusCode, Json<Value>)> {
        let form: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
        let refused = || {
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "invalid_grant"})),
            )
        };
        let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
        let client_ok = field("client_id") == CLIENT_ID && field("client_secret") == CLIENT_SECRET;
        let grant_ok =
            field("grant_type") == "authorization_code" && field("redirect_uri") == CALLBACK;
        let Some((challenge, access)) = codes.lock().unwrap().remove(field("code")) else {
            return Err(refused());
        };
        let verified = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(field("code_verifier").as_bytes()))
            == challenge;
        if !(client_ok && grant_ok && verified) {
            return Err(refused());
        }
        Ok(Json(
            json!({ "access_token": access, "token_type": "Bearer" }),
        ))
    }
    async fn me(headers: HeaderMap) -> Result<Json<Value>, StatusCode> {
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let person = |sub: &str, email: &str| json!({ "sub": sub, "email": email, "email_verified": true, "name": "Ada Lovelace" });
        match bearer {
            "token-ada" => Ok(Json(person("n-1", "ada@example.com"))),
            "token-grace" => Ok(Json(person("n-2", "grace@example.com"))),
            _ => Err(StatusCode::UNAUTHORIZED),
        }
    }
    let codes = Codes::default();
    let app = axum::Router::new()
        .route("/token", axum::routing::post(token))
        .route("/me", axum::routing::get(me))
        .with_state(codes.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, codes)
}

async fn configure(server: &mut TestServer, network: &str) {
    let google = SocialNetwork {
        network: "google".into(),
        userinfo_url: Some(format!("{network}/me")),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(CLIENT_SECRET.into()),
        authorize_url: Some(format!("{network}/authorize")),
        token_url: Some(format!("{network}/token")),
        ..SocialNetwork::default()
    };
    // API-only: no client registered, so no button.
    let acme = SocialNetwork {
        network: "acme".into(),
        userinfo_url: Some(format!("{network}/me")),
        ..SocialNetwork::default()
    };
    server
        .set_settings(|s| {
            s.allow_social = true;
            s.social_networks = vec![google, acme];
        })
        .await;
}

fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    serde_urlencoded::from_str(query).unwrap()
}

/// Clicks "Continue with Google": the query of the authorization request it is sent to.
async fn continue_with_google(
    browser: &mut Browser,
    network: &str,
    path: &str,
) -> HashMap<String, String> {
    let started = browser.get(path).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let location = started.location().to_owned();
    assert!(
        location.starts_with(&format!("{network}/authorize?")),
        "{location}"
    );
    let pending = started
        .set_cookie("portcullis_social")
        .expect("the sign-in waits");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/;",
        "Max-Age=600",
    ] {
        assert!(pending.contains(attribute), "{pending}");
    }
    query_of(&location)
}

/// What the network does once the person agrees: a code bound to the request's challenge.
fn network_agrees(codes: &Codes, request: &HashMap<String, String>, code: &str, token: &str) {
    codes.lock().unwrap().insert(
        code.to_owned(),
        (request["code_challenge"].clone(), token.to_owned()),
    );
}

async fn come_back(browser: &mut Browser, code: &str, state: &str) -> Answer {
    let query = serde_urlencoded::to_string([("code", code), ("state", state)]).unwrap();
    browser
        .get(&format!("/login/social/google/callback?{query}"))
        .await
}

#[tokio::test]
async fn a_person_continues_with_a_network_and_comes_back_signed_in() {
    each_backend!(|server| {
        let (network, codes) = start_network().await;
        configure(&mut server, &network).await;
        let mut browser = Browser::new(&server);
        let login = browser
            .get("/login?return_to=%2Faccount%3Ftab%3Dtokens")
            .await;
        assert!(
            login
                .body
                .contains("href=\"/login/social/google?return_to=%2Faccount%3Ftab%3Dtokens\""),
            "{}",
            login.body
        );
        assert!(login.body.contains("Continue with Google"));
        assert!(!login.body.contains("social-acme"), "no client, no button");

        let path = "/login/social/google?return_to=%2Faccount%3Ftab%3Dtokens";
        let request = continue_with_google(&mut browser, &network, path).await;
        assert_eq!(request["response_type"], "code");
        assert_eq!(request["client_id"], CLIENT_ID);
        assert_eq!(request["redirect_uri"], CALLBACK);
        assert_eq!(request["scope"], "openid email profile");
        assert_eq!(request["code_challenge_method"], "S256");
        assert!(request["state"].len() >= 32);
        network_agrees(&codes, &request, "code-ada", "token-ada");

        let back = come_back(&mut browser, "code-ada", &request["state"]).await;
        assert_eq!(back.status, 303, "[{}] {}", server.backend_name, back.body);
        assert_eq!(back.location(), "/account?tab=tokens");
        assert!(back.set_cookie("portcullis_session").is_some());
        assert!(
            browser.cookie("portcullis_social").is_none(),
            "the wait is over"
        );
        let account = browser.get("/account").await;
        assert_eq!(account.status, 200);
        assert!(account.body.contains("ada@example.com"), "{}", account.body);
        // An ordinary session, which the account API lists.
        let session = browser.cookie("portcullis_session").unwrap();
        let (status, sessions) = server.get("/api/me/sessions", &session).await;
        assert_eq!(status, 200, "{sessions}");
        assert_eq!(sessions.as_array().map(Vec::len), Some(1), "{sessions}");

        // The same return again finds nothing waiting.
        let again = come_back(&mut browser, "code-ada", &request["state"]).await;
        assert_eq!(again.status, 400);
        assert!(
            again.body.contains("This sign-in expired"),
            "{}",
            again.body
        );
    });
}

#[tokio::test]
async fn returns_that_are_not_this_browsers_own_sign_in_are_refused() {
    each_backend!(|server| {
        let (network, codes) = start_network().await;
        configure(&mut server, &network).await;

        // Another state: a return forged to sign this browser in as someone else.
        let mut browser = Browser::new(&server);
        let request = continue_with_google(&mut browser, &network, "/login/social/google").await;
        network_agrees(&codes, &request, "code-1", "token-grace");
        let forged = come_back(&mut browser, "code-1", "not-the-state").await;
        assert_eq!(forged.status, 400, "{}", forged.body);
        assert!(forged.body.contains("This sign-in expired"));
        assert!(forged.set_cookie("portcullis_session").is_none());
        assert_security_headers(&forged);

        // A browser that never started one.
        let mut stranger = Browser::new(&server);
        let request = continue_with_google(&mut browser, &network, "/login/social/google").await;
        network_agrees(&codes, &request, "code-2", "token-grace");
        let answer = come_back(&mut stranger, "code-2", &request["state"]).await;
        assert_eq!(answer.status, 400);
        assert!(answer.set_cookie("portcullis_session").is_none());

        // The person said no at the network.
        let request = continue_with_google(&mut browser, &network, "/login/social/google").await;
        let query = format!("error=access_denied&state={}", request["state"]);
        let denied = browser
            .get(&format!("/login/social/google/callback?{query}"))
            .await;
        assert_eq!(denied.status, 400);
        assert!(denied
            .body
            .contains("Signing in with Google did not finish"));

        // The network refuses the code (here: issued for another challenge, as if the
        // verifier were wrong).
        let request = continue_with_google(&mut browser, &network, "/login/social/google").await;
        let mut other = request.clone();
        other.insert("code_challenge".into(), "another-challenge".into());
        network_agrees(&codes, &other, "code-3", "token-grace");
        let refused = come_back(&mut browser, "code-3", &request["state"]).await;
        assert_eq!(refused.status, 502, "{}", refused.body);
        assert!(refused.body.contains("Could not sign in with Google"));
        assert!(refused.set_cookie("portcullis_session").is_none());
    });
}

#[tokio::test]
async fn the_tenants_settings_and_the_accounts_state_still_decide() {
    each_backend!(|server| {
        let (network, codes) = start_network().await;
        configure(&mut server, &network).await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.get("/login/social/acme").await.status, 404);
        assert_eq!(browser.get("/login/social/nowhere").await.status, 404);
        assert_eq!(browser.get("/login/social/..%2Fadmin").await.status, 404);
        assert_eq!(browser.get("/login/social/caf%C3%A9").await.status, 404);
        for not_utf8 in [
            "/login/social/%FF",
            "/login/social/%FF/callback?code=x&state=y",
        ] {
            let answer = browser.get(not_utf8).await;
            assert_eq!(answer.status, 404, "{not_utf8}");
            assert!(answer.body.contains("Not available"), "{}", answer.body);
        }
        let broken = SocialNetwork {
            network: "broken".into(),
            userinfo_url: Some(format!("{network}/me")),
            client_id: Some(CLIENT_ID.into()),
            client_secret: Some(CLIENT_SECRET.into()),
            authorize_url: Some("not a URL".into()),
            token_url: Some(format!("{network}/token")),
            ..SocialNetwork::default()
        };
        server
            .set_settings(|s| s.social_networks.push(broken))
            .await;
        let start = browser.get("/login/social/broken").await;
        assert_eq!(start.status, 502, "{}", start.body);
        assert!(start.body.contains("Could not sign in with Broken."));
        // A return with a cookie that is not ours.
        let garbage = Browser::new(&server)
            .send(
                reqwest::Client::new()
                    .get(format!(
                        "{}/login/social/google/callback?code=x&state=y",
                        server.base
                    ))
                    .header("cookie", "portcullis_social=%FF%00garbage"),
            )
            .await;
        assert_eq!(garbage.status, 400, "{}", garbage.body);

        // A banned account does not get in this way either.
        let request = continue_with_google(&mut browser, &network, "/login/social/google").await;
        network_agrees(&codes, &request, "code-1", "token-grace");
        let back = come_back(&mut browser, "code-1", &request["state"]).await;
        assert_eq!(back.status, 303, "{}", back.body);
        let boss = server.signed_in("boss", "Admin").await;
        let grace = crate::harness::user_id_by_email(&server, "grace@example.com").await;
        let path = format!("/api/users/{}", grace.0);
        let (status, _) = server
            .send(Method::PUT, &path, &boss, json!({ "status": "Banned" }))
            .await;
        assert_eq!(status, 201);
        let mut later = Browser::new(&server);
        let request = continue_with_google(&mut later, &network, "/login/social/google").await;
        network_agrees(&codes, &request, "code-2", "token-grace");
        let banned = come_back(&mut later, "code-2", &request["state"]).await;
        assert_eq!(banned.status, 403);
        assert!(banned.body.contains("This account is disabled."));

        // Closed sign-ups: a new person is turned away.
        server.set_settings(|s| s.allow_signups = false).await;
        let request = continue_with_google(&mut later, &network, "/login/social/google").await;
        network_agrees(&codes, &request, "code-3", "token-ada");
        let closed = come_back(&mut later, "code-3", &request["state"]).await;
        assert_eq!(closed.status, 403);
        assert!(closed
            .body
            .contains("Only people who already have an account"));

        // Failing returns from one address are limited like password attempts: the banned and
        // the turned-away ones above were two, two more make four.
        server
            .set_settings(|s| {
                s.allow_signups = true;
                s.throttle_attempts = 4;
            })
            .await;
        for _ in 0..2 {
            let request = continue_with_google(&mut later, &network, "/login/social/google").await;
            let refused = come_back(&mut later, "never-issued", &request["state"]).await;
            assert_eq!(refused.status, 502);
        }
        let request = continue_with_google(&mut later, &network, "/login/social/google").await;
        network_agrees(&codes, &request, "code-4", "token-ada");
        let throttled = come_back(&mut later, "code-4", &request["state"]).await;
        assert_eq!(throttled.status, 429, "{}", throttled.body);
        assert!(throttled.body.contains("Too many sign-in attempts"));
        assert!(throttled.headers.contains_key("retry-after"));

        // Social logins off: no buttons, and the way in is closed.
        server.set_settings(|s| s.allow_social = false).await;
        let login = later.get("/login").await;
        assert!(!login.body.contains("Continue with"), "{}", login.body);
        let off = later.get("/login/social/google").await;
        assert_eq!(off.status, 403);
        assert!(off.body.contains("Social logins are turned off"));
    });
}

#[tokio::test]
async fn a_signed_in_person_links_another_network_in_their_own_session_only() {
    each_backend!(|server| {
        let (network, codes) = start_network().await;
        configure(&mut server, &network).await;
        server.create_user("pat", "User").await;
        server.create_user("mallory", "User").await;
        let mut pat = Browser::new(&server);
        assert_eq!(
            pat.sign_in("pat", crate::harness::PASSWORD).await.status,
            303
        );
        let page = pat.get("/account/linked").await;
        assert!(page.body.contains("Link Google"), "{}", page.body);
        assert_security_headers(&page);

        // Linking is a form (CSRF-checked), not a link anyone could send.
        let forged = pat
            .send(
                reqwest::Client::new()
                    .post(format!("{}/account/linked/link", server.base))
                    .form(&[("network", "google")]),
            )
            .await;
        assert_eq!(forged.status, 403);
        let started = pat
            .post("/account/linked/link", &[("network", "google")])
            .await;
        assert_eq!(started.status, 303, "{}", started.body);
        let request = query_of(started.location());
        assert!(started
            .location()
            .starts_with(&format!("{network}/authorize?")));
        network_agrees(&codes, &request, "code-grace", "token-grace");
        let waiting = pat.cookie("portcullis_social").unwrap();

        // Another browser session that comes back with the same trip links nothing.
        let mut mallory = Browser::new(&server);
        assert_eq!(
            mallory
                .sign_in("mallory", crate::harness::PASSWORD)
                .await
                .status,
            303
        );
        mallory.plant_cookie("portcullis_social", &waiting);
        let stolen = come_back(&mut mallory, "code-grace", &request["state"]).await;
        assert_eq!(stolen.status, 409, "{}", stolen.body);
        let mut stranger = Browser::new(&server);
        stranger.plant_cookie("portcullis_social", &waiting);
        let signed_out = come_back(&mut stranger, "code-grace", &request["state"]).await;
        assert_eq!(signed_out.status, 409);

        // Nor does a trip someone else wrote into Pat's browser (a sibling host can plant
        // cookies), naming Pat's session by its id, which applications learn as `sid`.
        let session = pat.cookie("portcullis_session").unwrap();
        let (_, sessions) = server.get("/api/me/sessions", &session).await;
        let sid = sessions[0]["id"].as_str().unwrap().to_owned();
        let verifier = "v".repeat(64);
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        codes
            .lock()
            .unwrap()
            .insert("code-planted".into(), (challenge, "token-grace".into()));
        let planted = serde_urlencoded::to_string([
            ("network", "google"),
            ("state", "planted-state"),
            ("verifier", verifier.as_str()),
            ("link", sid.as_str()),
        ])
        .unwrap();
        let mut victim = Browser::new(&server);
        victim.plant_cookie("portcullis_session", &session);
        victim.plant_cookie("portcullis_social", &planted);
        let forged = come_back(&mut victim, "code-planted", "planted-state").await;
        assert_eq!(forged.status, 409, "{}", forged.body);
        let page = pat.get("/account/linked").await;
        assert!(!page.body.contains("Unlink Google"), "nothing linked");

        let back = come_back(&mut pat, "code-grace", &request["state"]).await;
        assert_eq!(back.status, 303, "{}", back.body);
        assert_eq!(back.location(), "/account/linked?linked=google");
        let page = pat.get(back.location()).await;
        assert!(page.body.contains("id=\"linked\""), "{}", page.body);
        assert!(page.body.contains("Unlink Google"), "{}", page.body);
        server
            .wait_for_mail_with("pat@example.com", "Google can now be used", 1)
            .await;

        // From now on the network's account signs in to Pat's, whatever address it has.
        let mut later = Browser::new(&server);
        let request = continue_with_google(&mut later, &network, "/login/social/google").await;
        network_agrees(&codes, &request, "code-grace-2", "token-grace");
        let signed_in = come_back(&mut later, "code-grace-2", &request["state"]).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        let account = later.get("/account").await;
        assert!(account.body.contains("pat@example.com"), "{}", account.body);

        // Mallory cannot take the same network account for hers.
        mallory.get("/account/linked").await;
        let again = mallory
            .post("/account/linked/link", &[("network", "google")])
            .await;
        let request = query_of(again.location());
        network_agrees(&codes, &request, "code-grace-3", "token-grace");
        let taken = come_back(&mut mallory, "code-grace-3", &request["state"]).await;
        assert_eq!(taken.status, 409, "{}", taken.body);
        assert!(taken.body.contains("already signs in to another account"));
    });
}

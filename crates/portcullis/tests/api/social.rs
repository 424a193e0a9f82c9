//! Social login against a real local HTTP server standing in for the networks.

use crate::harness::{each_backend, TestServer};
use axum::http::HeaderMap;
use portcullis_core::model::SocialNetwork;
use serde_json::{json, Value};

/// The client id the tests' tenant registered with the stand-in networks.
pub const OUR_CLIENT: &str = "our-client";

/// Answers `GET /me` like Google's userinfo endpoint and `GET /acme` with a nested id, by
/// the bearer token, and `GET /tokeninfo?access_token=…` like Google's tokeninfo: every token
/// was issued to [`OUR_CLIENT`] except `token-foreign`, which another site obtained from Alice.
pub async fn start_provider() -> String {
    fn answer(headers: &HeaderMap) -> Result<axum::Json<Value>, axum::http::StatusCode> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let person = |sub: &str, email: &str, verified: bool, name: &str| {
            json!({ "sub": sub, "email": email, "email_verified": verified, "name": name,
                    "data": { "id": sub } })
        };
        match token {
            "token-alice" | "token-foreign" => Ok(axum::Json(person(
                "g-1",
                "alice@example.com",
                true,
                "Alice Liddell",
            ))),
            "token-bob" => Ok(axum::Json(person("g-2", "bob@example.com", true, "Bob"))),
            "token-impostor" => Ok(axum::Json(person(
                "g-3",
                "bob@example.com",
                false,
                "Not Bob",
            ))),
            "token-carol" => Ok(axum::Json(person(
                "g-4",
                "carol@example.com",
                true,
                "Carol",
            ))),
            _ => Err(axum::http::StatusCode::UNAUTHORIZED),
        }
    }
    async fn tokeninfo(
        query: axum::extract::Query<std::collections::HashMap<String, String>>,
    ) -> Result<axum::Json<Value>, axum::http::StatusCode> {
        let audience = match query.get("access_token").map(String::as_str) {
            Some("token-foreign") => "another-client",
            Some("token-alice" | "token-bob" | "token-impostor" | "token-carol") => OUR_CLIENT,
            _ => return Err(axum::http::StatusCode::BAD_REQUEST),
        };
        Ok(axum::Json(
            json!({ "aud": audience, "azp": audience, "expires_in": 3000 }),
        ))
    }
    let app = axum::Router::new()
        .route("/tokeninfo", axum::routing::get(tokeninfo))
        .route(
            "/me",
            axum::routing::get(|h: HeaderMap| async move { answer(&h) }),
        )
        .route(
            "/acme",
            axum::routing::get(|h: HeaderMap| async move { answer(&h) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

pub async fn social(server: &TestServer, network: &str, token: &str) -> (u16, Value) {
    server
        .post(
            "/api/login/social",
            json!({ "network": network, "social_token": token }),
        )
        .await
}

/// Google (a preset: its audience check is known) and a custom network told how to check.
pub async fn configure(server: &mut TestServer, provider: &str) {
    let google = SocialNetwork {
        network: "google".into(),
        userinfo_url: Some(format!("{provider}/me")),
        client_id: Some(OUR_CLIENT.into()),
        audience_url: Some(format!("{provider}/tokeninfo")),
        ..SocialNetwork::default()
    };
    let acme = SocialNetwork {
        network: "acme".into(),
        userinfo_url: Some(format!("{provider}/acme")),
        id_field: Some("data.id".into()),
        client_id: Some(OUR_CLIENT.into()),
        audience_check: Some(portcullis_core::model::AudienceCheck::TokenInfo),
        audience_url: Some(format!("{provider}/tokeninfo")),
        ..SocialNetwork::default()
    };
    server
        .set_settings(|s| s.social_networks = vec![google, acme])
        .await;
}

#[tokio::test]
async fn a_social_account_logs_in_and_is_linked_once() {
    let provider = start_provider().await;
    each_backend!(|server| {
        configure(&mut server, &provider).await;
        assert_eq!(
            social(&server, "myspace", "token-alice").await,
            (
                422,
                json!({ "network": ["The selected network is invalid."] })
            )
        );
        let (status, body) = social(&server, "google", "token-alice").await;
        assert_eq!(status, 200, "{body}");
        let token = body["token"].as_str().unwrap();
        let (_, me) = server.get("/api/me", token).await;
        assert_eq!(
            (
                &me["email"],
                &me["first_name"],
                &me["last_name"],
                &me["status"]
            ),
            (
                &json!("alice@example.com"),
                &json!("Alice"),
                &json!("Liddell"),
                &json!("Active")
            )
        );
        let (status, again) = social(&server, "google", "token-alice").await;
        assert_eq!(status, 200);
        let (_, me_again) = server
            .get("/api/me", again["token"].as_str().unwrap())
            .await;
        assert_eq!(me_again["id"], me["id"], "the same user, linked");

        // A verified email links to the account that has it.
        server.create_user("bob", "User").await;
        let (status, body) = social(&server, "google", "token-bob").await;
        assert_eq!(status, 200, "{body}");
        let (_, me) = server.get("/api/me", body["token"].as_str().unwrap()).await;
        assert_eq!(me["username"], "bob");
        // An unverified one does not take it over.
        assert_eq!(
            social(&server, "google", "token-impostor").await,
            (
                422,
                json!({ "email": ["The email has already been taken."] })
            )
        );
        // Another network's ids are its own.
        let (status, _) = social(&server, "acme", "token-carol").await;
        assert_eq!(status, 200);
    });
}

#[tokio::test]
async fn refusals_use_document_001_answers() {
    let provider = start_provider().await;
    each_backend!(|server| {
        configure(&mut server, &provider).await;
        assert_eq!(
            social(&server, "google", "revoked").await,
            (
                500,
                json!({ "error": "Could not connect to specified social network." })
            ),
            "the network does not know the token"
        );
        assert_eq!(
            server.post("/api/login/social", json!({})).await,
            (
                422,
                json!({
                    "network": ["The network field is required."],
                    "social_token": ["The social token field is required."],
                })
            )
        );
        server.set_settings(|s| s.allow_signups = false).await;
        assert_eq!(
            social(&server, "google", "token-carol").await,
            (
                403,
                json!({ "error": "Only users who already created an account can log in." })
            )
        );
        server.set_settings(|s| s.allow_signups = true).await;
        // Document 003's allow_social turns every social login off, before any network is asked.
        server.set_settings(|s| s.allow_social = false).await;
        assert_eq!(
            social(&server, "google", "token-carol").await,
            (
                403,
                json!({ "error": "Social logins are turned off for this tenant." })
            )
        );
        server.set_settings(|s| s.allow_social = true).await;
        assert_eq!(social(&server, "google", "token-carol").await.0, 200);
        let carol = crate::harness::user_id_by_email(&server, "carol@example.com").await;
        server
            .app
            .services
            .set_banned(&server.tenant, carol, true)
            .await
            .unwrap();
        assert_eq!(
            social(&server, "google", "token-carol").await,
            (
                403,
                json!({ "error": "Your account is banned by administrators." })
            )
        );
    });
}

#[tokio::test]
async fn a_network_on_an_internal_address_is_refused_without_the_operators_exception() {
    let provider = start_provider().await;
    for backend in crate::harness::backends() {
        // No `egress_allow`: the loopback stand-in is off limits, however the tenant names it.
        let mut server =
            TestServer::start_with(&backend, |config| config.egress_allow.clear()).await;
        configure(&mut server, &provider).await;
        let (status, body) = social(&server, "google", "token-alice").await;
        assert_eq!(
            (status, body),
            (
                500,
                json!({ "error": "Could not connect to specified social network." })
            ),
            "[{}]",
            server.backend_name
        );
        // Counted by reason, and written where the tenant's administrators look.
        let refused = server.app.services.stats().egress_refused;
        assert!(
            refused.contains(&("loopback", 1)),
            "[{}] {refused:?}",
            server.backend_name
        );
        let db = server.inspect().await;
        let (logged,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM activities WHERE description LIKE 'Refused a request to the google network%'",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(logged, 1);
        for internal in [
            "http://10.0.0.1/me",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/me",
            "https://[::ffff:127.0.0.1]/me",
            "https://localhost/me",
        ] {
            assert!(
                server
                    .app
                    .services
                    .check_outbound_url("userinfo_url", internal, false)
                    .is_err(),
                "{internal}"
            );
        }
        server.stop().await;
    }
}

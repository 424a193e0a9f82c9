//! Two-factor authentication end to end: enabling each method, logging in with a challenge,
//! recovery codes, and turning it off; the token-lookup cache is on (SQLite's default).

use crate::harness::{each_backend, token_after, with_mailed_codes, TestServer, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

/// The current code of an authenticator app holding `secret`, at the server's clock.
pub(crate) fn app_code(server: &TestServer, secret: &str, offset_seconds: i64) -> String {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let now = server.clock_now().unix_timestamp() + offset_seconds;
    totp.generate(now as u64).to_string()
}

/// Turns on an authenticator app for `username` through the API; its secret.
pub(crate) async fn enable_totp(server: &TestServer, username: &str) -> String {
    let token = server.login(username).await;
    let (status, setup) = server
        .send(
            Method::PUT,
            "/api/me/2fa",
            &token,
            json!({ "method": "totp" }),
        )
        .await;
    assert_eq!(status, 200, "{setup}");
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let (status, body) = server
        .send(
            Method::POST,
            "/api/me/2fa/verify",
            &token,
            json!({ "code": app_code(server, &secret, 0) }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    secret
}

pub(crate) async fn second_factor(
    server: &TestServer,
    challenge: &str,
    code: &str,
) -> (u16, Value) {
    server
        .post(
            "/api/login/2fa",
            json!({ "challenge": challenge, "code": code }),
        )
        .await
}

/// Logs in with the password and returns the challenge.
pub(crate) async fn challenge(server: &TestServer, username: &str, method: &str) -> String {
    let (status, body) = server.try_login(username, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["requires_2fa"], true, "{body}");
    assert_eq!(body["method"], method);
    assert!(body.get("token").is_none());
    body["challenge"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn two_factor_is_forbidden_unless_the_tenant_uses_it() {
    each_backend!(|server| {
        let token = server.signed_in("plain", "User").await;
        let forbidden = (403, json!({ "error": "Forbidden." }));
        assert_eq!(
            server
                .send(
                    Method::PUT,
                    "/api/me/2fa",
                    &token,
                    json!({ "method": "email" })
                )
                .await,
            forbidden
        );
        assert_eq!(
            server
                .send(Method::DELETE, "/api/me/2fa", &token, json!({}))
                .await,
            forbidden
        );
    });
}

#[tokio::test]
async fn a_method_the_tenant_does_not_offer_cannot_be_set_up() {
    each_backend!(|server| {
        server
            .set_settings(|s| {
                s.two_factor_enabled = true;
                s.allow_totp_app = false;
                s.allow_totp_email = false;
            })
            .await;
        let token = server.signed_in("offered", "User").await;
        for method in ["totp", "email"] {
            assert_eq!(
                server
                    .send(
                        Method::PUT,
                        "/api/me/2fa",
                        &token,
                        json!({ "method": method })
                    )
                    .await,
                (
                    422,
                    json!({ "method": ["This two-factor method is not offered here."] })
                ),
                "{method}"
            );
        }
        server.set_settings(|s| s.allow_totp_email = true).await;
        let (status, body) = server
            .send(
                Method::PUT,
                "/api/me/2fa",
                &token,
                json!({ "method": "email" }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        // Turning the method off later does not lock the account out: it still gets a code.
        server.set_settings(|s| s.allow_totp_email = false).await;
        challenge(&server, "offered", "email").await;
    });
}

#[tokio::test]
async fn an_authenticator_app_guards_the_login() {
    each_backend!(|server| {
        // Many logins below; the first session must outlive them (no session limit).
        server
            .set_settings(|s| {
                s.two_factor_enabled = true;
                s.max_sessions = 0;
            })
            .await;
        let token = server.signed_in("apped", "User").await;
        let (status, setup) = server
            .send(
                Method::PUT,
                "/api/me/2fa",
                &token,
                json!({ "method": "totp" }),
            )
            .await;
        assert_eq!(status, 200, "{setup}");
        let secret = setup["secret"].as_str().unwrap().to_owned();
        let url = setup["otpauth_url"].as_str().unwrap();
        assert!(
            url.starts_with("otpauth://totp/") && url.contains(&secret),
            "{url}"
        );
        // Not active until confirmed: logins still get a token.
        assert!(server.try_login("apped", PASSWORD).await.1["token"].is_string());

        assert_eq!(
            server
                .send(
                    Method::POST,
                    "/api/me/2fa/verify",
                    &token,
                    json!({ "code": "000000" })
                )
                .await,
            (422, json!({ "code": ["The two-factor code is invalid."] }))
        );
        let (status, body) = server
            .send(
                Method::POST,
                "/api/me/2fa/verify",
                &token,
                json!({ "code": app_code(&server, &secret, 0) }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let recovery: Vec<String> = body["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(recovery.len(), 10);
        assert_eq!(
            server
                .send(
                    Method::PUT,
                    "/api/me/2fa",
                    &token,
                    json!({ "method": "email" })
                )
                .await,
            (
                422,
                json!({ "error": "2FA is already enabled for this user." })
            )
        );

        // The next step's code (one step of skew) logs in; the same code does not again.
        server.clock.advance(time::Duration::seconds(30));
        let code = app_code(&server, &secret, 30);
        let first = challenge(&server, "apped", "totp").await;
        let (status, body) = second_factor(&server, &first, &code).await;
        assert_eq!(status, 200, "{body}");
        let new_token = body["token"].as_str().unwrap().to_owned();
        assert_eq!(server.get("/api/me", &new_token).await.0, 200);
        let second = challenge(&server, "apped", "totp").await;
        assert_eq!(
            second_factor(&server, &second, &code).await,
            (422, json!({ "code": ["The two-factor code is invalid."] })),
            "a code works once"
        );
        assert_eq!(
            second_factor(&server, &first, &code).await,
            (
                422,
                json!({ "challenge": ["The challenge is invalid or has expired."] })
            ),
            "a challenge works once"
        );

        // A recovery code works once, in place of a code.
        let (status, _) = second_factor(&server, &second, &recovery[0]).await;
        assert_eq!(status, 200);
        let third = challenge(&server, "apped", "totp").await;
        assert_eq!(second_factor(&server, &third, &recovery[0]).await.0, 422);
        assert_eq!(
            second_factor(&server, &third, &recovery[1].to_uppercase())
                .await
                .0,
            200
        );

        // Turning it off: logins get a token again.
        let (status, user) = server
            .send(Method::DELETE, "/api/me/2fa", &token, json!({}))
            .await;
        assert_eq!(
            (status, &user["two_factor_options"]),
            (200, &Value::Null),
            "{user}"
        );
        assert!(server.try_login("apped", PASSWORD).await.1["token"].is_string());
        assert_eq!(
            server
                .send(Method::DELETE, "/api/me/2fa", &token, json!({}))
                .await,
            (422, json!({ "error": "2FA is not enabled for this user." }))
        );
    });
}

#[tokio::test]
async fn a_challenge_allows_five_wrong_codes_and_expires() {
    each_backend!(|server| {
        with_mailed_codes(&mut server, "guessed").await;
        let first = challenge(&server, "guessed", "email").await;
        let mail = server
            .wait_for_mail_with("guessed@example.com", "Your login code is ", 1)
            .await;
        let code = token_after(&mail, "Your login code is ");
        assert_eq!(code.len(), 6);
        for _ in 0..5 {
            assert_eq!(second_factor(&server, &first, "999999x").await.0, 422);
        }
        assert_eq!(
            second_factor(&server, &first, &code).await,
            (
                422,
                json!({ "challenge": ["The challenge is invalid or has expired."] })
            ),
            "locked after five wrong codes"
        );

        let second = challenge(&server, "guessed", "email").await;
        let code = token_after(
            &server
                .wait_for_mail_with("guessed@example.com", "Your login code is ", 2)
                .await,
            "Your login code is ",
        );
        server.clock.advance(time::Duration::minutes(11));
        assert_eq!(
            second_factor(&server, &second, &code).await.0,
            422,
            "expired"
        );

        let third = challenge(&server, "guessed", "email").await;
        let code = token_after(
            &server
                .wait_for_mail_with("guessed@example.com", "Your login code is ", 3)
                .await,
            "Your login code is ",
        );
        let (status, body) = second_factor(&server, &third, &code).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            server.post("/api/login/2fa", json!({})).await,
            (
                422,
                json!({
                    "challenge": ["The challenge field is required."],
                    "code": ["The code field is required."],
                })
            )
        );
    });
}

#[tokio::test]
async fn codes_by_text_message_as_document_001_enables_them() {
    each_backend!(|server| {
        server.set_settings(|s| s.two_factor_enabled = true).await;
        let token = server.signed_in("texted", "User").await;
        assert_eq!(
            server
                .send(Method::PUT, "/api/me/2fa", &token, json!({}))
                .await,
            (
                422,
                json!({
                    "country_code": ["The country code field is required."],
                    "phone_number": ["The phone number field is required."],
                })
            )
        );
        let (status, user) = server
            .send(
                Method::PUT,
                "/api/me/2fa",
                &token,
                json!({ "country_code": 381, "phone_number": 6412345678u64 }),
            )
            .await;
        assert_eq!(status, 200, "{user}");
        assert_eq!(user["two_factor_country_code"], 381);
        assert_eq!(user["two_factor_phone"], "6412345678");
        // The cached principal was forgotten.
        assert_eq!(
            server.get("/api/me", &token).await.1["two_factor_phone"],
            "6412345678"
        );

        let pending = challenge(&server, "texted", "phone").await;
        let texts = server.texts_to("+3816412345678");
        assert_eq!(texts.len(), 1, "{texts:?}");
        let code = token_after(&texts[0], "your login code is ");
        let (status, body) = second_factor(&server, &pending, &code).await;
        assert_eq!(status, 200, "{body}");

        // Banning still wins over a valid challenge.
        let another = challenge(&server, "texted", "phone").await;
        let code = token_after(&server.texts_to("+3816412345678")[1], "your login code is ");
        let user_id = crate::harness::user_id(&server, "texted").await;
        server
            .app
            .services
            .set_banned(&server.tenant, user_id, true)
            .await
            .unwrap();
        assert_eq!(second_factor(&server, &another, &code).await.0, 403);
    });
}

#[tokio::test]
async fn text_messages_go_through_a_configured_sms_webhook() {
    use axum::http::HeaderMap;
    use std::sync::{Arc, Mutex};
    /// What the gateway got: the `Authorization` header and the JSON body.
    type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;
    let received: Received = Arc::default();
    let gateway = {
        let received = Arc::clone(&received);
        axum::Router::new().route(
            "/sms",
            axum::routing::post(
                move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                    let received = Arc::clone(&received);
                    async move {
                        let auth = headers
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_owned());
                        received.lock().unwrap().push((auth, body));
                        "queued"
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway_url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, gateway).await });

    for backend in crate::harness::backends() {
        received.lock().unwrap().clear();
        let mut server = TestServer::start_with(&backend, |config| {
            config.sms_webhook_url = Some(gateway_url.clone());
            config.sms_webhook_token = Some("gateway-secret".to_owned());
        })
        .await;
        server.set_settings(|s| s.two_factor_enabled = true).await;
        let token = server.signed_in("hooked", "User").await;
        let enable = json!({ "country_code": 1, "phone_number": "5550100" });
        assert_eq!(
            server
                .send(Method::PUT, "/api/me/2fa", &token, enable)
                .await
                .0,
            200
        );
        let pending = challenge(&server, "hooked", "phone").await;
        let (auth, body) = received.lock().unwrap()[0].clone();
        assert_eq!(auth.as_deref(), Some("Bearer gateway-secret"));
        assert_eq!(body["to"], "+15550100");
        let code = token_after(body["text"].as_str().unwrap(), "your login code is ");
        assert_eq!(second_factor(&server, &pending, &code).await.0, 200);
        assert!(
            server.texts_to("+15550100").is_empty(),
            "nothing in the outbox"
        );
        server.stop().await;
    }

    // A gateway that is down makes the login 503, not 500, and tells nothing more.
    for backend in crate::harness::backends() {
        let dead = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let mut server = TestServer::start_with(&backend, |config| {
            config.sms_webhook_url = Some(format!("http://{dead}/sms"));
        })
        .await;
        server.set_settings(|s| s.two_factor_enabled = true).await;
        let token = server.signed_in("unlucky", "User").await;
        let enable = json!({ "country_code": 1, "phone_number": "5550101" });
        assert_eq!(
            server
                .send(Method::PUT, "/api/me/2fa", &token, enable)
                .await
                .0,
            200
        );
        assert_eq!(
            server.try_login("unlucky", PASSWORD).await,
            (503, json!({ "error": "Service temporarily unavailable." }))
        );
        server.stop().await;
    }
}

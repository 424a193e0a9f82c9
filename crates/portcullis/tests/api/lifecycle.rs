//! Registration, email confirmation and password reset over HTTP, with mail read from the
//! outbox, on both backends.

use crate::harness::{each_backend, registration, token_after, PASSWORD};
use serde_json::json;
use time::Duration;

#[tokio::test]
async fn registering_creates_an_account_that_can_log_in() {
    each_backend!(|server| {
        assert_eq!(
            server.post("/api/register", registration("newbie")).await,
            (201, json!({ "requires_email_confirmation": false }))
        );
        let token = server.login("newbie").await;
        let (status, me) = server.get("/api/me?include=role", &token).await;
        assert_eq!(status, 200);
        assert_eq!(me["email"], "newbie@example.com");
        assert_eq!(me["status"], "Active");
        assert_eq!(me["role"]["name"], "User");
        let db = server.inspect().await;
        let created: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM activities WHERE description = 'Created an account.'",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(created, 1);
        db.close().await;
    });
}

#[tokio::test]
async fn registration_errors_use_documented_messages() {
    each_backend!(|server| {
        assert_eq!(
            server.post("/api/register", json!({})).await,
            (
                422,
                json!({
                    "email": ["The email field is required."],
                    "username": ["The username field is required."],
                    "password": ["The password field is required."],
                })
            )
        );
        let mut body = registration("first");
        assert_eq!(server.post("/api/register", body.clone()).await.0, 201);
        body["username"] = json!("FIRST");
        body["email"] = json!("First@Example.com");
        assert_eq!(
            server.post("/api/register", body).await,
            (
                422,
                json!({
                    "email": ["The email has already been taken."],
                    "username": ["The username has already been taken."],
                })
            )
        );
        let mut body = registration("second");
        body["username"] = json!("First");
        assert_eq!(
            server.post("/api/register", body).await,
            (
                422,
                json!({ "username": ["The username has already been taken."] })
            )
        );
        let mut body = registration("third");
        body["email"] = json!("not-an-email");
        body["password_confirmation"] = json!("something-else");
        assert_eq!(
            server.post("/api/register", body).await,
            (
                422,
                json!({
                    "email": ["The email must be a valid email address."],
                    "password": ["The password confirmation does not match."],
                })
            )
        );
        let mut body = registration("fourth");
        body["password"] = json!("short");
        body["password_confirmation"] = json!("short");
        let (status, errors) = server.post("/api/register", body).await;
        assert_eq!(status, 422);
        assert_eq!(
            errors["password"][0],
            "The password must be at least 8 characters."
        );
        let mut body = registration("sql");
        body["username"] = json!("x'); DROP TABLE users; --");
        assert_eq!(server.post("/api/register", body).await.0, 422);
        assert_eq!(server.login("first").await.split('|').count(), 2);
    });
}

#[tokio::test]
async fn tenant_settings_close_registration_or_add_requirements() {
    each_backend!(|server| {
        server.set_settings(|s| s.tos = true).await;
        assert_eq!(
            server.post("/api/register", registration("terms")).await,
            (
                422,
                json!({ "tos": ["You have to accept Terms of Service."] })
            )
        );
        let mut body = registration("terms");
        body["tos"] = json!(true);
        assert_eq!(server.post("/api/register", body).await.0, 201);

        server.set_settings(|s| s.captcha_enabled = true).await;
        let mut body = registration("robot");
        body["tos"] = json!("on");
        let (status, errors) = server.post("/api/register", body.clone()).await;
        assert_eq!(
            (status, &errors["g-recaptcha-response"]),
            (422, &json!(["The g-recaptcha-response field is required."]))
        );
        body["g-recaptcha-response"] = json!("anything");
        let (status, errors) = server.post("/api/register", body).await;
        assert_eq!(
            (status, &errors["g-recaptcha-response"]),
            (422, &json!(["reCAPTCHA value is invalid."])),
            "no verifier configured: fail closed"
        );

        server.set_settings(|s| s.allow_signups = false).await;
        assert_eq!(
            server.post("/api/register", json!({})).await,
            (404, json!({ "error": "Resource not found." }))
        );
    });
}

#[tokio::test]
async fn an_unconfirmed_account_logs_in_only_after_confirming_its_email() {
    each_backend!(|server| {
        assert_eq!(
            server
                .post("/api/registration/verify-email/anything", json!({}))
                .await,
            (404, json!({ "error": "Resource not found." })),
            "confirmation is off by default"
        );
        server.set_settings(|s| s.allow_unverified = false).await;
        assert_eq!(
            server.post("/api/register", registration("pending")).await,
            (201, json!({ "requires_email_confirmation": true }))
        );
        assert_eq!(
            server.try_login("pending", PASSWORD).await,
            (
                401,
                json!({ "error": "Please confirm your email address before logging in." })
            )
        );
        assert_eq!(
            server.try_login("pending", "wrong-password").await,
            (401, json!({ "error": "Invalid credentials." })),
            "the confirmation rule only speaks to someone who knows the password"
        );
        let mail = server.wait_for_mail("pending@example.com", 1).await;
        assert!(
            mail.contains("Subject: Portcullis: Confirm your email address"),
            "{mail}"
        );
        assert!(mail.contains("text/html"), "{mail}");
        let token = token_after(&mail, "/api/registration/verify-email/");
        assert_eq!(token.len(), 60);

        let wrong = format!("/api/registration/verify-email/{}", "x".repeat(60));
        assert_eq!(
            server.post(&wrong, json!({})).await,
            (400, json!({ "error": "Invalid confirmation token." }))
        );
        let path = format!("/api/registration/verify-email/{token}");
        assert_eq!(
            server.post(&path, json!({})).await,
            (200, json!({ "success": true }))
        );
        assert_eq!(
            server.post(&path, json!({})).await.0,
            400,
            "a token is single-use"
        );
        let token = server.login("pending").await;
        assert_eq!(server.get("/api/me", &token).await.1["status"], "Active");

        // Only the hash of the mailed secret is stored.
        let db = server.inspect().await;
        let stored: Vec<String> = sqlx::query_scalar("SELECT secret_hash FROM one_time_tokens")
            .fetch_all(&db)
            .await
            .unwrap();
        assert!(!stored.iter().any(|h| mail.contains(h.as_str())));
        db.close().await;
    });
}

#[tokio::test]
async fn a_confirmation_link_expires() {
    each_backend!(|server| {
        server.set_settings(|s| s.allow_unverified = false).await;
        server.post("/api/register", registration("late")).await;
        let mail = server.wait_for_mail("late@example.com", 1).await;
        let token = token_after(&mail, "/api/registration/verify-email/");
        server.clock.advance(Duration::days(8));
        let path = format!("/api/registration/verify-email/{token}");
        assert_eq!(server.post(&path, json!({})).await.0, 400);
    });
}

#[tokio::test]
async fn a_password_reset_replaces_the_password_and_ends_every_session() {
    each_backend!(|server| {
        let old_token = server.signed_in("forgetful", "User").await;
        // Warm the token-lookup cache, so the reset must also make this node forget it.
        assert_eq!(server.get("/api/me", &old_token).await.0, 200);

        assert_eq!(
            server
                .post(
                    "/api/password/remind",
                    json!({ "email": "nobody@example.com" })
                )
                .await,
            (422, json!({ "email": ["The selected email is invalid."] }))
        );
        assert_eq!(
            server.post("/api/password/remind", json!({})).await,
            (422, json!({ "email": ["The email field is required."] }))
        );
        assert_eq!(
            server
                .post(
                    "/api/password/remind",
                    json!({ "email": "FORGETFUL@example.com" })
                )
                .await,
            (200, json!({ "success": true }))
        );
        let mail = server.wait_for_mail("forgetful@example.com", 1).await;
        let token = token_after(&mail, "minutes: ");
        assert_eq!(token.len(), 60);

        let new_password = "a-brand-new-password";
        let reset = |token: &str, email: &str| {
            json!({
                "token": token,
                "email": email,
                "password": new_password,
                "password_confirmation": new_password,
            })
        };
        let invalid = (
            400,
            json!({ "error": "This password reset token is invalid." }),
        );
        assert_eq!(
            server
                .post(
                    "/api/password/reset",
                    reset(&"y".repeat(60), "forgetful@example.com")
                )
                .await,
            invalid
        );
        server.create_user("bystander", "User").await;
        assert_eq!(
            server
                .post(
                    "/api/password/reset",
                    reset(&token, "bystander@example.com")
                )
                .await,
            invalid,
            "the token belongs to one email"
        );
        assert_eq!(
            server
                .post("/api/password/reset", json!({ "token": token }))
                .await,
            (
                422,
                json!({
                    "email": ["The email field is required."],
                    "password": ["The password field is required."],
                })
            )
        );
        assert_eq!(
            server
                .post(
                    "/api/password/reset",
                    reset(&token, "forgetful@example.com")
                )
                .await,
            (200, json!({ "success": true }))
        );
        assert_eq!(
            server.get("/api/me", &old_token).await.0,
            401,
            "sessions ended"
        );
        assert_eq!(server.try_login("forgetful", PASSWORD).await.0, 401);
        assert_eq!(server.try_login("forgetful", new_password).await.0, 200);
        assert_eq!(
            server
                .post(
                    "/api/password/reset",
                    reset(&token, "forgetful@example.com")
                )
                .await,
            invalid,
            "single-use"
        );
        assert_eq!(server.try_login("bystander", PASSWORD).await.0, 200);
    });
}

#[tokio::test]
async fn reset_tokens_expire_and_a_new_one_voids_the_old() {
    each_backend!(|server| {
        server.create_user("twice", "User").await;
        let remind = json!({ "email": "twice@example.com" });
        server.post("/api/password/remind", remind.clone()).await;
        let first = token_after(
            &server.wait_for_mail("twice@example.com", 1).await,
            "minutes: ",
        );
        server.post("/api/password/remind", remind.clone()).await;
        let second = token_after(
            &server.wait_for_mail("twice@example.com", 2).await,
            "minutes: ",
        );
        let reset = |token: &str| {
            json!({
                "token": token,
                "email": "twice@example.com",
                "password": "another-password",
                "password_confirmation": "another-password",
            })
        };
        assert_eq!(
            server.post("/api/password/reset", reset(&first)).await.0,
            400
        );
        // Default lifetime: 60 minutes.
        server.clock.advance(Duration::minutes(61));
        assert_eq!(
            server.post("/api/password/reset", reset(&second)).await.0,
            400
        );

        server.set_settings(|s| s.forgot_password = false).await;
        assert_eq!(
            server.post("/api/password/remind", remind).await,
            (404, json!({ "error": "Resource not found." }))
        );
        assert_eq!(server.post("/api/password/reset", json!({})).await.0, 404);
    });
}

#[tokio::test]
async fn a_registration_captcha_is_checked_with_a_siteverify_service() {
    use std::collections::HashMap;
    let service = axum::Router::new().route(
        "/siteverify",
        axum::routing::post(|body: String| async move {
            // Our answers are plain ASCII, so the form needs no decoding.
            let form: HashMap<String, String> = body
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let right_secret = form.get("secret").map(String::as_str) == Some("captcha-secret");
            let from_client = form.get("remoteip").map(String::as_str) == Some("127.0.0.1");
            match form.get("response").map(String::as_str) {
                Some("down") => Err(axum::http::StatusCode::BAD_GATEWAY),
                Some(answer) => Ok(axum::Json(json!({
                    "success": right_secret && from_client && answer == "human"
                }))),
                None => Ok(axum::Json(json!({ "success": false }))),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/siteverify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, service).await });

    for backend in crate::harness::backends() {
        let mut server = crate::harness::TestServer::start_with(&backend, |config| {
            config.captcha_verify_url = Some(url.clone());
            config.captcha_secret = Some("captcha-secret".to_owned());
        })
        .await;
        server.set_settings(|s| s.captcha_enabled = true).await;
        let with_answer = |username: &str, answer: &str| {
            let mut body = registration(username);
            body["g-recaptcha-response"] = json!(answer);
            body
        };
        assert_eq!(
            server
                .post("/api/register", with_answer("robot", "robot"))
                .await,
            (
                422,
                json!({ "g-recaptcha-response": ["reCAPTCHA value is invalid."] })
            )
        );
        assert_eq!(
            server
                .post("/api/register", with_answer("human", "human"))
                .await,
            (201, json!({ "requires_email_confirmation": false }))
        );
        assert_eq!(
            server
                .post("/api/register", with_answer("unlucky", "down"))
                .await
                .0,
            503,
            "a captcha service that fails is not a pass"
        );
        server.stop().await;
    }
}

//! A user changing their own details and credentials, with the token-lookup cache on (the
//! SQLite default) so stale principals would show.

use crate::harness::{each_backend, json as read_json, token_after, TestServer, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

async fn patch(server: &TestServer, path: &str, token: &str, body: Value) -> (u16, Value) {
    read_json(
        server
            .request(Method::PATCH, path)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn details_change_only_what_is_sent() {
    each_backend!(|server| {
        let token = server.signed_in("detailed", "User").await;
        assert_eq!(server.get("/api/me", &token).await.0, 200);
        let (status, user) = patch(
            &server,
            "/api/me/details",
            &token,
            json!({
                "first_name": "Milos", "last_name": "Stojanovic", "birthday": "1990-10-18",
                "phone": "+381641234567", "address": "Some street 123", "country_id": 688,
            }),
        )
        .await;
        assert_eq!(status, 200, "{user}");
        assert_eq!(
            (&user["first_name"], &user["birthday"], &user["country_id"]),
            (&json!("Milos"), &json!("1990-10-18"), &json!(688))
        );
        let (status, user) = patch(
            &server,
            "/api/me/details",
            &token,
            json!({ "last_name": "Doe", "first_name": null }),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(user["last_name"], "Doe");
        assert_eq!(user["first_name"], Value::Null);
        assert_eq!(user["phone"], "+381641234567", "untouched");
        // The cached principal was forgotten: /api/me shows the change at once.
        assert_eq!(server.get("/api/me", &token).await.1["last_name"], "Doe");

        assert_eq!(
            patch(
                &server,
                "/api/me/details",
                &token,
                json!({ "birthday": "1990-02-31", "country_id": 99999 }),
            )
            .await,
            (
                422,
                json!({ "birthday": ["The birthday is not a valid date."] })
            )
        );
        assert_eq!(
            patch(
                &server,
                "/api/me/details",
                &token,
                json!({ "country_id": 99999 })
            )
            .await,
            (
                422,
                json!({ "country_id": ["The selected country id is invalid."] })
            )
        );
        assert_eq!(
            patch(
                &server,
                "/api/me/details",
                &token,
                json!({ "country_id": [1] })
            )
            .await,
            (
                422,
                json!({ "country_id": ["The country id must be an integer."] })
            )
        );
        assert_eq!(
            patch(
                &server,
                "/api/me/details",
                &token,
                json!({ "address": "x".repeat(300) })
            )
            .await
            .0,
            422
        );
        assert_eq!(
            patch(&server, "/api/me/details", "1|nope", json!({})).await,
            (401, json!({ "error": "Unauthorized." }))
        );
        assert_eq!(server.get("/api/me", &token).await.1["last_name"], "Doe");
    });
}

#[tokio::test]
async fn a_new_password_ends_every_other_session() {
    each_backend!(|server| {
        server.create_user("mover", "User").await;
        server.create_user("neighbour", "User").await;
        let here = server.login("mover").await;
        let elsewhere = server.login("mover").await;
        assert_eq!(server.get("/api/me", &elsewhere).await.0, 200);

        let body = |email: &str, username: &str, password: &str, confirmation: &str| {
            json!({
                "email": email, "username": username,
                "password": password, "password_confirmation": confirmation,
            })
        };
        assert_eq!(
            patch(
                &server,
                "/api/me/details/auth",
                &here,
                body(
                    "neighbour@example.com",
                    "Neighbour",
                    "new-password-1",
                    "other"
                ),
            )
            .await,
            (
                422,
                json!({
                    "email": ["The email has already been taken."],
                    "username": ["The username has already been taken."],
                    "password": ["The password confirmation does not match."],
                })
            )
        );
        assert_eq!(
            patch(&server, "/api/me/details/auth", &here, json!({})).await,
            (422, json!({ "email": ["The email field is required."] }))
        );
        let (status, user) = patch(
            &server,
            "/api/me/details/auth",
            &here,
            body(
                "moved@example.com",
                "moved",
                "new-password-1",
                "new-password-1",
            ),
        )
        .await;
        assert_eq!(status, 200, "{user}");
        assert_eq!(
            (&user["email"], &user["username"]),
            (&json!("moved@example.com"), &json!("moved"))
        );
        assert_eq!(
            server.get("/api/me", &here).await.0,
            200,
            "this session stays"
        );
        assert_eq!(
            server.get("/api/me", &elsewhere).await.0,
            401,
            "the others end"
        );
        assert_eq!(server.try_login("moved", PASSWORD).await.0, 401);
        assert_eq!(
            server
                .try_login("moved@example.com", "new-password-1")
                .await
                .0,
            200
        );

        // Same email, no password: nothing else changes, no session ends.
        let (status, _) = patch(
            &server,
            "/api/me/details/auth",
            &here,
            json!({ "email": "MOVED@example.com" }),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(server.get("/api/me", &here).await.0, 200);
    });
}

#[tokio::test]
async fn a_new_email_must_be_confirmed_where_the_tenant_requires_it() {
    each_backend!(|server| {
        let token = server.signed_in("verified", "User").await;
        server.set_settings(|s| s.allow_unverified = false).await;
        let (status, user) = patch(
            &server,
            "/api/me/details/auth",
            &token,
            json!({ "email": "fresh@example.com" }),
        )
        .await;
        assert_eq!(status, 200, "{user}");
        // The old address stays in force (and verified) until the new one is confirmed.
        assert_eq!(
            (&user["email"], &user["status"]),
            (&json!("verified@example.com"), &json!("Active"))
        );
        let mail = server.wait_for_mail("fresh@example.com", 1).await;
        let secret = token_after(&mail, "/api/registration/verify-email/");
        let path = format!("/api/registration/verify-email/{secret}");
        assert_eq!(server.post(&path, json!({})).await.0, 200);
        let (_, me) = server.get("/api/me", &token).await;
        assert_eq!(
            (&me["email"], &me["status"]),
            (&json!("fresh@example.com"), &json!("Active"))
        );
    });
}

//! The dashboard figures, the settings as document 001 shows them, and the countries.

use crate::harness::{each_backend, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

async fn patch(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    server
        .send(Method::PATCH, "/api/settings", token, body)
        .await
}

#[tokio::test]
async fn administrators_see_registrations_and_others_their_activity() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        let banned = server.create_user("outcast", "User").await;
        for n in 0..8 {
            server.create_user(&format!("fresh{n}"), "User").await;
        }
        let admin = server.login("boss").await;
        let path = format!("/api/users/{}", banned.id.0);
        server
            .send(Method::PUT, &path, &admin, json!({ "status": "Banned" }))
            .await;

        let (status, stats) = server.get("/api/stats", &admin).await;
        assert_eq!(status, 200, "{stats}");
        let now = server.clock_now();
        let month = format!("{}", now.month());
        let per_month = stats["users_per_month"].as_object().unwrap();
        assert_eq!(per_month.len(), 12);
        assert_eq!(per_month[&month], 10, "{stats}");
        assert_eq!(
            per_month.values().filter_map(Value::as_i64).sum::<i64>(),
            10
        );
        assert_eq!(
            stats["users_per_status"],
            json!({ "total": 10, "new": 10, "banned": 1, "unconfirmed": 0 })
        );
        let latest = stats["latest_registrations"].as_array().unwrap();
        assert_eq!(latest.len(), 7);
        assert_eq!(latest[0]["username"], "fresh7", "newest first");

        let token = server.signed_in("plain", "User").await;
        server.get("/api/me", &token).await;
        let (status, days) = server.get("/api/stats", &token).await;
        assert_eq!(status, 200, "{days}");
        let days = days.as_object().unwrap();
        assert_eq!(days.len(), 14);
        let today = now.date().to_string();
        let (last_day, count) = days.iter().next_back().unwrap();
        assert_eq!(last_day, &today, "today comes last");
        assert!(count.as_i64().unwrap() >= 1, "the login was recorded");
        assert_eq!(server.call(Method::GET, "/api/stats").await.0, 401);
    });
}

#[tokio::test]
async fn settings_are_shown_and_changed_as_document_001_shapes_them() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        server.create_user("plain", "User").await;
        let admin = server.login("boss").await;
        let (status, settings) = server.get("/api/settings", &admin).await;
        assert_eq!(status, 200);
        assert_eq!(
            settings,
            json!({
                "remember_me": true, "notifications_signup_email": false, "forgot_password": true,
                "login_reset_token_lifetime": 60, "throttle_enabled": true, "throttle_attempts": 10,
                "throttle_lockout_time": 10, "reg_enabled": true, "reg_email_confirmation": false,
                "2fa": { "enabled": false }, "app_name": "Portcullis", "sessions_limit": 5,
                "registration": { "captcha": { "enabled": false } }, "tos": false,
                "reauth_seconds": null, "cors_origins": [],
                "third_party_consent": false
            })
        );

        let (status, changed) = patch(
            &server,
            &admin,
            json!({ "app_name": "Acme", "reg_enabled": false, "2fa": { "enabled": true }, "throttle_attempts": 3 }),
        )
        .await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(
            (
                &changed["app_name"],
                &changed["reg_enabled"],
                &changed["2fa"]["enabled"],
                &changed["throttle_attempts"]
            ),
            (&json!("Acme"), &json!(false), &json!(true), &json!(3))
        );
        assert_eq!(changed["tos"], false, "what is not sent stays");
        assert_eq!(server.get("/api/settings", &admin).await.1, changed);
        // They take effect: sign-ups are closed.
        let (status, _) = server
            .post(
                "/api/register",
                json!({ "email": "new@example.com", "username": "newbie", "password": "long-enough-1",
                        "password_confirmation": "long-enough-1" }),
            )
            .await;
        assert_eq!(status, 404);

        let (status, errors) = patch(
            &server,
            &admin,
            json!({ "throttle_attempts": 0, "app_name": "X" }),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(
            errors,
            json!({ "throttle_attempts": ["The throttle attempts must be between 1 and 1000000."] })
        );
        let (status, errors) = patch(&server, &admin, json!({ "reauth_seconds": -1 })).await;
        assert_eq!(
            (status, errors),
            (
                422,
                json!({ "reauth_seconds": ["The reauth seconds must be between 0 and 2592000."] })
            )
        );
        let (status, errors) = patch(&server, &admin, json!({ "tos": "maybe" })).await;
        assert_eq!(
            (status, errors),
            (
                422,
                json!({ "tos": ["The tos field must be true or false."] })
            )
        );
        assert_eq!(
            server.get("/api/settings", &admin).await.1["app_name"],
            "Acme"
        );
        assert_eq!(
            server.get("/api/settings", &admin).await.1["throttle_attempts"],
            3,
            "nothing half-written"
        );

        let token = server.login("plain").await;
        assert_eq!(
            server.get("/api/settings", &token).await,
            (403, json!({ "error": "Forbidden." }))
        );
        assert_eq!(
            patch(&server, &token, json!({ "app_name": "Mine" }))
                .await
                .0,
            403
        );
    });
}

#[tokio::test]
async fn countries_carry_every_documented_field() {
    each_backend!(|server| {
        let token = server.signed_in("plain", "User").await;
        let (status, countries) = server.get("/api/countries", &token).await;
        assert_eq!(status, 200);
        let countries = countries.as_array().unwrap();
        assert!(countries.len() >= 240, "{}", countries.len());
        let bahamas = countries.iter().find(|c| c["iso_3166_2"] == "BS").unwrap();
        let keys: Vec<&String> = bahamas.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "calling_code",
                "capital",
                "citizenship",
                "country_code",
                "currency",
                "currency_code",
                "currency_sub_unit",
                "currency_symbol",
                "eea",
                "flag",
                "full_name",
                "id",
                "iso_3166_2",
                "iso_3166_3",
                "name",
                "region_code",
                "sub_region_code"
            ]
        );
        assert_eq!(
            (&bahamas["iso_3166_3"], &bahamas["eea"]),
            (&json!("BHS"), &json!(false))
        );
        assert_eq!(server.call(Method::GET, "/api/countries").await.0, 401);
    });
}

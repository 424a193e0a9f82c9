//! `POST /api/v1/token` of document 002: the documented shapes, the session limit (atomic
//! under concurrency), the captcha across a 419 retry, and every request counting against the
//! throttles.

use crate::harness::{each_backend, TestServer, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const ANDROID: &str = "Xiaomi / M2102J20SG / 11 / 1.1.0 / Android";

async fn token(server: &TestServer, body: Value) -> (u16, Value) {
    let response = server
        .request(Method::POST, "/api/v1/token")
        .header("user-agent", ANDROID)
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap();
    crate::harness::json(response).await
}

fn login(name: &str) -> Value {
    json!({ "login": name, "password": PASSWORD, "session_id": null })
}

/// The bearer value inside `access_token`.
fn bearer(answer: &Value) -> String {
    let header = answer["access_token"].as_str().unwrap();
    header.strip_prefix("Bearer ").unwrap().to_owned()
}

#[tokio::test]
async fn a_login_gets_the_documented_user_and_token() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        let (status, answer) = token(&server, login("boss@example.com")).await;
        assert_eq!(status, 200, "{answer}");
        let user = &answer["user"];
        let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "access_token_id",
                "analytic_license",
                "can_update_password",
                "created_at",
                "id",
                "login",
                "name",
                "parent_id",
                "permissions",
                "updated_at"
            ]
        );
        assert_eq!(user["login"], "boss");
        assert_eq!(user["name"], "boss");
        assert_eq!(user["parent_id"], Value::Null);
        assert_eq!(user["can_update_password"], true);
        assert_eq!(user["analytic_license"], json!([]));
        let permissions: Vec<&str> = user["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                assert!(p["id"].is_i64() && p.as_object().unwrap().len() == 2, "{p}");
                p["name"].as_str().unwrap()
            })
            .collect();
        assert!(
            permissions.contains(&"users.manage") && permissions.len() == 7,
            "{permissions:?}"
        );
        assert!(user["created_at"].as_str().unwrap().len() == 19);

        let access = bearer(&answer);
        let (status, sessions) = server.get("/api/me/sessions", &access).await;
        assert_eq!(status, 200);
        assert_eq!(sessions[0]["id"], user["access_token_id"]);
        let (_, current) = server.get("/api/me/token", &access).await;
        assert_eq!(
            current["name"], "android",
            "the client kind names the session"
        );

        // A plain user's role grants nothing.
        server.create_user("pat", "User").await;
        let (_, answer) = token(&server, login("pat")).await;
        assert_eq!(answer["user"]["permissions"], json!([]));
    });
}

#[tokio::test]
async fn bad_requests_get_document_002_s_validation_shape() {
    each_backend!(|server| {
        server.create_user("pat", "User").await;
        let (status, answer) = token(&server, json!({})).await;
        assert_eq!(status, 422);
        assert_eq!(
            answer,
            json!({
                "message": "The given data was invalid.",
                "errors": {
                    "login": ["The login field is required."],
                    "password": ["The password field is required."]
                }
            })
        );
        let wrong = json!({ "login": "pat", "password": "wrong-password" });
        let (status, answer) = token(&server, wrong).await;
        assert_eq!(status, 422);
        assert_eq!(
            answer["errors"],
            json!({ "login": ["These credentials do not match our records."] })
        );
        let (status, answer) = token(&server, json!({ "login": 5, "password": [] })).await;
        assert_eq!(status, 422, "{answer}");
        let response = server
            .request(Method::POST, "/api/v1/token")
            .header("content-type", "application/json")
            .body("{\"login\": ")
            .send()
            .await
            .unwrap();
        let (status, answer) = crate::harness::json(response).await;
        assert_eq!(status, 400);
        assert!(answer["message"].is_string(), "{answer}");
        let (status, answer) = token(
            &server,
            json!({ "login": "pat", "password": PASSWORD, "session_id": "no-such-session" }),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(
            answer["errors"],
            json!({ "session_id": ["The selected session id is invalid."] })
        );
    });
}

#[tokio::test]
async fn past_the_session_limit_a_login_names_a_session_to_end() {
    each_backend!(|server| {
        server.create_user("pat", "User").await;
        // More logins than the throttle allows by default.
        server.set_settings(|s| s.throttle_attempts = 100).await;
        let mut tokens = Vec::new();
        let mut session_ids = Vec::new();
        for _ in 0..5 {
            let (status, answer) = token(&server, login("pat")).await;
            assert_eq!(status, 200, "{answer}");
            tokens.push(bearer(&answer));
            session_ids.push(answer["user"]["access_token_id"].clone());
        }
        let (status, refused) = token(&server, login("pat")).await;
        assert_eq!(status, 419, "{refused}");
        assert_eq!(
            (&refused["sessions_limit"], &refused["sessions_count"]),
            (&json!(5), &json!(5))
        );
        assert!(
            refused.get("captcha_will_required_in").is_none(),
            "captcha is off"
        );
        let sessions = refused["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 5);
        let first = &sessions[0];
        let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["client", "id", "ip", "is_current", "online", "user_agent"]
        );
        assert_eq!(
            (
                &first["client"],
                &first["online"],
                &first["is_current"],
                &first["user_agent"]
            ),
            (
                &json!("android"),
                &json!(true),
                &json!(false),
                &json!(ANDROID)
            )
        );
        assert_eq!(first["ip"], "127.0.0.1");

        // Ending one: its token stops at once (it was cached), and the login goes through.
        assert!(sessions.iter().all(|s| session_ids.contains(&s["id"])));
        let victim = tokens[2].clone();
        assert_eq!(server.get("/api/me", &victim).await.0, 200);
        let victim_id = session_ids[2].clone();
        let retry = json!({ "login": "pat", "password": PASSWORD, "session_id": victim_id });
        let (status, answer) = token(&server, retry).await;
        assert_eq!(status, 200, "{answer}");
        let live: Vec<u16> = statuses(&server, &tokens).await;
        assert_eq!(live, [200, 200, 401, 200, 200]);

        // Other sessions are not touched by a refusal; unlimited when the limit is 0.
        server.set_settings(|s| s.max_sessions = 0).await;
        for _ in 0..3 {
            assert_eq!(token(&server, login("pat")).await.0, 200);
        }
        server.set_settings(|s| s.max_sessions = 2).await;
        let (status, refused) = token(&server, login("pat")).await;
        assert_eq!(status, 419);
        assert_eq!(
            (&refused["sessions_limit"], &refused["sessions_count"]),
            (&json!(2), &json!(8))
        );
    });
}

/// `GET /api/me` with each token; the statuses.
async fn statuses(server: &TestServer, tokens: &[String]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for token in tokens {
        statuses.push(server.get("/api/me", token).await.0);
    }
    statuses
}

#[tokio::test]
async fn twenty_concurrent_logins_never_exceed_the_limit() {
    each_backend!(|server| {
        server.create_user("pat", "User").await;
        server.set_settings(|s| s.throttle_attempts = 1000).await;
        let attempts = (0..20).map(|_| token(&server, login("pat")));
        let statuses: Vec<u16> = futures_util::future::join_all(attempts)
            .await
            .into_iter()
            .map(|(status, answer)| {
                assert!(status == 200 || status == 419, "{status} {answer}");
                status
            })
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            5,
            "{statuses:?}"
        );
        let pool = server.inspect().await;
        let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(live, 5);
    });
}

#[tokio::test]
async fn a_solved_captcha_carries_over_a_419_retry_once() {
    each_backend!(|server| {
        server.create_user("pat", "User").await;
        server
            .set_settings(|s| {
                s.captcha_enabled = true;
                s.max_sessions = 1;
            })
            .await;
        let (status, answer) = token(&server, login("pat")).await;
        assert_eq!(status, 422);
        assert_eq!(
            answer["errors"],
            json!({ "captcha": ["The captcha field is required."], "key": ["The key field is required."] })
        );
        let (status, captcha) = server.call(Method::GET, "/api/v1/captcha").await;
        assert_eq!(status, 200);
        let wrong = json!({ "login": "pat", "password": PASSWORD, "captcha": "nope", "key": captcha["key"] });
        let (status, answer) = token(&server, wrong).await;
        assert_eq!(status, 422);
        assert!(answer["errors"]["captcha"].is_array(), "{answer}");

        let services = &server.app.services;
        let with = |made: &portcullis_core::captcha::NewCaptcha, session: Value| {
            json!({
                "login": "pat",
                "password": PASSWORD,
                "session_id": session,
                "captcha": made.answer.expose().to_lowercase(),
                "key": made.key.expose(),
            })
        };
        let first = services.new_captcha(&server.tenant).await.unwrap();
        let (status, answer) = token(&server, with(&first, Value::Null)).await;
        assert_eq!(status, 200, "{answer}");
        let (status, _) = token(&server, with(&first, Value::Null)).await;
        assert_eq!(status, 422, "a captcha that logged someone in is spent");

        let second = services.new_captcha(&server.tenant).await.unwrap();
        let (status, refused) = token(&server, with(&second, Value::Null)).await;
        assert_eq!(status, 419);
        assert_eq!(refused["captcha_will_required_in"], 120);
        let session = refused["sessions"][0]["id"].clone();
        server.clock.advance(time::Duration::seconds(100));
        let (status, answer) = token(&server, with(&second, session)).await;
        assert_eq!(status, 200, "within 120 s the same answer works: {answer}");

        let third = services.new_captcha(&server.tenant).await.unwrap();
        let (status, refused) = token(&server, with(&third, Value::Null)).await;
        assert_eq!(status, 419);
        server.clock.advance(time::Duration::seconds(121));
        let session = refused["sessions"][0]["id"].clone();
        let (status, _) = token(&server, with(&third, session)).await;
        assert_eq!(status, 422, "past 120 s a new captcha is needed");
    });
}

#[tokio::test]
async fn every_request_counts_against_the_throttles() {
    each_backend!(|server| {
        server.create_user("pat", "User").await;
        server.set_settings(|s| s.max_sessions = 0).await;
        for n in 0..10 {
            assert_eq!(token(&server, login("pat")).await.0, 200, "attempt {n}");
        }
        let response = server
            .request(Method::POST, "/api/v1/token")
            .json(&login("pat"))
            .send()
            .await
            .unwrap();
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=600).contains(&retry_after), "{retry_after}");
        let (status, answer) = crate::harness::json(response).await;
        assert_eq!(
            (status, answer),
            (429, json!({ "message": "Too Many Attempts." }))
        );
        server.clock.advance(time::Duration::minutes(11));
        assert_eq!(token(&server, login("pat")).await.0, 200);
    });
}

#[tokio::test]
async fn the_limit_is_a_setting_and_the_surface_answers_in_its_own_shape() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let (status, settings) = server.get("/api/settings", &admin).await;
        assert_eq!((status, &settings["sessions_limit"]), (200, &json!(5)));
        let (status, settings) = server
            .send(
                Method::PATCH,
                "/api/settings",
                &admin,
                json!({ "sessions_limit": 1 }),
            )
            .await;
        assert_eq!(
            (status, &settings["sessions_limit"]),
            (200, &json!(1)),
            "{settings}"
        );
        let (status, errors) = server
            .send(
                Method::PATCH,
                "/api/settings",
                &admin,
                json!({ "sessions_limit": -1 }),
            )
            .await;
        assert_eq!(status, 422, "{errors}");
        // The admin's /api/login session already fills the one place.
        let (status, refused) = token(&server, login("boss")).await;
        assert_eq!((status, &refused["sessions_count"]), (419, &json!(1)));

        let (status, body) = server.call(Method::GET, "/api/v1/nothing-here").await;
        assert_eq!((status, body), (404, json!({ "message": "Not Found." })));
        let (status, body) = server.call(Method::GET, "/api/v1/token").await;
        assert_eq!(status, 405);
        assert!(body["message"].is_string(), "{body}");
        let (status, body) = server.call(Method::GET, "/api/nothing-here").await;
        assert_eq!(
            (status, body),
            (404, json!({ "error": "Resource not found." }))
        );
    });
}

#[tokio::test]
async fn an_address_gets_a_bounded_number_of_captchas() {
    each_backend!(|server| {
        server.set_settings(|s| s.throttle_attempts = 2).await;
        for n in 0..12 {
            assert_eq!(
                server.call(Method::GET, "/api/v1/captcha").await.0,
                200,
                "{n}"
            );
        }
        let response = server
            .request(Method::GET, "/api/v1/captcha")
            .send()
            .await
            .unwrap();
        assert!(response.headers().get("retry-after").is_some());
        let (status, body) = crate::harness::json(response).await;
        assert_eq!(
            (status, body),
            (429, json!({ "message": "Too Many Attempts." }))
        );
    });
}

//! Administration: sessions and the activity log, with permissions checked in one place and
//! the token-lookup cache on (SQLite's default), so an ended session stops at once.

use crate::harness::{each_backend, user_id, TestServer, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_6) AppleWebKit/537.36 \
                      (KHTML, like Gecko) Chrome/60.0.3112.90 Safari/537.36";

async fn login_as(server: &TestServer, username: &str, agent: &str) -> String {
    let response = server
        .request(Method::POST, "/api/login")
        .header("user-agent", agent)
        .json(&json!({ "username": username, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    crate::harness::json(response).await.1["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn delete(server: &TestServer, path: &str, token: &str) -> (u16, Value) {
    server.send(Method::DELETE, path, token, json!({})).await
}

#[tokio::test]
async fn users_see_and_end_their_own_sessions() {
    each_backend!(|server| {
        server.create_user("sessioned", "User").await;
        let laptop = login_as(&server, "sessioned", CHROME).await;
        let phone = login_as(&server, "sessioned", "curl/8.0").await;
        assert_eq!(server.get("/api/me", &phone).await.0, 200);
        let (status, sessions) = server.get("/api/me/sessions", &laptop).await;
        assert_eq!(status, 200);
        let sessions = sessions.as_array().unwrap().clone();
        assert_eq!(sessions.len(), 2);
        let chrome = sessions.iter().find(|s| s["user_agent"] == CHROME).unwrap();
        assert_eq!(
            (&chrome["browser"], &chrome["platform"], &chrome["device"]),
            (&json!("Chrome"), &json!("Mac OSX"), &json!("Macintosh"))
        );
        assert_eq!(chrome["ip_address"], "127.0.0.1");
        let keys: Vec<&String> = chrome.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "browser",
                "device",
                "id",
                "ip_address",
                "last_activity",
                "platform",
                "user_agent",
                "user_id"
            ]
        );
        let other = sessions
            .iter()
            .find(|s| s["user_agent"] == "curl/8.0")
            .unwrap();
        let path = format!("/api/sessions/{}", other["id"].as_str().unwrap());
        assert_eq!(server.get(&path, &laptop).await.1["id"], other["id"]);
        assert_eq!(
            delete(&server, &path, &laptop).await,
            (200, json!({ "success": true }))
        );
        assert_eq!(server.get("/api/me", &phone).await.0, 401, "ended at once");
        assert_eq!(
            server.get(&path, &laptop).await.0,
            200,
            "an ended session can be read"
        );
        assert_eq!(
            server
                .get("/api/me/sessions", &laptop)
                .await
                .1
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            server.get("/api/sessions/nope", &laptop).await,
            (404, json!({ "error": "Resource not found." }))
        );
    });
}

#[tokio::test]
async fn other_users_sessions_need_users_manage() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        server.create_user("worker", "User").await;
        server.create_user("peer", "User").await;
        let boss = server.login("boss").await;
        let worker = server.login("worker").await;
        let peer = server.login("peer").await;
        assert_eq!(server.get("/api/me", &worker).await.0, 200);
        let worker_id = user_id(&server, "worker").await.0;
        let path = format!("/api/users/{worker_id}/sessions");
        let forbidden = (403, json!({ "error": "Forbidden." }));
        assert_eq!(server.get(&path, &peer).await, forbidden);
        let (status, sessions) = server.get(&path, &boss).await;
        assert_eq!(status, 200);
        let session = format!("/api/sessions/{}", sessions[0]["id"].as_str().unwrap());
        assert_eq!(server.get(&session, &peer).await, forbidden);
        assert_eq!(delete(&server, &session, &peer).await, forbidden);
        assert_eq!(server.get("/api/me", &worker).await.0, 200, "still alive");
        assert_eq!(delete(&server, &session, &boss).await.0, 200);
        assert_eq!(server.get("/api/me", &worker).await.0, 401, "ended at once");
        for missing in [
            "/api/users/999999/sessions",
            "/api/users/abc/sessions",
            "/api/users/-1/sessions",
        ] {
            assert_eq!(server.get(missing, &boss).await.0, 404, "{missing}");
        }
    });
}

#[tokio::test]
async fn the_activity_log_pages_searches_and_includes_users() {
    each_backend!(|server| {
        server.create_user("auditor", "Admin").await;
        let audited = server.signed_in("audited", "User").await;
        assert_eq!(server.try_login("audited", "wrong-password").await.0, 401);
        let auditor = server.login("auditor").await;
        assert_eq!(
            server.get("/api/activity", &audited).await,
            (403, json!({ "error": "Forbidden." }))
        );

        let (status, page) = server
            .get("/api/activity?per_page=2&search=logged", &auditor)
            .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(
            page["meta"],
            json!({
                "total": 2, "per_page": 2, "current_page": 1, "last_page": 1,
                "next_page_url": null, "prev_page_url": null, "from": 1, "to": 2,
            })
        );
        assert_eq!(page["data"][0]["description"], "Logged in.");
        assert!(page["data"][0].get("user").is_none());

        let (_, page) = server
            .get(
                "/api/activity?per_page=1&search=LOGGED&include=user",
                &auditor,
            )
            .await;
        assert_eq!(page["meta"]["last_page"], 2);
        assert_eq!(
            page["meta"]["next_page_url"],
            "/api/activity?page=2&per_page=1&search=LOGGED&include=user"
        );
        assert_eq!(
            page["data"][0]["user"]["username"], "auditor",
            "newest first"
        );
        let (_, second) = server
            .get(
                "/api/activity?page=2&per_page=1&search=LOGGED&include=user",
                &auditor,
            )
            .await;
        assert_eq!(second["data"][0]["user"]["username"], "audited");
        assert_eq!(
            second["meta"]["prev_page_url"],
            "/api/activity?page=1&per_page=1&search=LOGGED&include=user"
        );

        let audited_id = user_id(&server, "audited").await.0;
        let (_, theirs) = server
            .get(&format!("/api/users/{audited_id}/activity"), &auditor)
            .await;
        let descriptions: Vec<&str> = theirs["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["description"].as_str().unwrap())
            .collect();
        assert_eq!(descriptions, ["Failed login attempt.", "Logged in."]);
        // Wildcards in a search are taken literally.
        let (_, none) = server.get("/api/activity?search=%25", &auditor).await;
        assert_eq!(none["meta"]["total"], 0);
        let (_, odd) = server
            .get("/api/activity?page=abc&per_page=-5", &auditor)
            .await;
        assert_eq!(
            (
                odd["meta"]["current_page"].clone(),
                odd["meta"]["per_page"].clone()
            ),
            (json!(1), json!(1))
        );
        assert_eq!(
            server.get("/api/users/999999/activity", &auditor).await.0,
            404
        );
    });
}

//! Roles and permissions over HTTP. The token-lookup cache is on (SQLite's default): a change
//! to what a role may do, or the role's deletion, must reach its holders' next request.

use crate::harness::{each_backend, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

pub(crate) async fn find(server: &TestServer, token: &str, path: &str, name: &str) -> Value {
    let (status, list) = server.get(path, token).await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn roles_are_created_named_changed_and_deleted() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let builtin = find(&server, &admin, "/api/roles", "Admin").await;
        assert_eq!(
            (&builtin["removable"], &builtin["users_count"]),
            (&json!(false), &json!(1))
        );
        let keys: Vec<&String> = builtin.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "created_at",
                "description",
                "display_name",
                "id",
                "name",
                "removable",
                "updated_at",
                "users_count"
            ]
        );

        let body = json!({ "name": "editor", "display_name": "Editor", "description": "Edits." });
        let (status, created) = server
            .send(Method::POST, "/api/roles", &admin, body.clone())
            .await;
        assert_eq!(status, 200, "{created}");
        let role = &created[0];
        assert_eq!(
            (
                &role["name"],
                &role["display_name"],
                &role["removable"],
                &role["users_count"]
            ),
            (&json!("editor"), &json!("Editor"), &json!(true), &json!(0))
        );
        let id = role["id"].as_i64().unwrap();
        let taken = json!({ "name": ["The name has already been taken."] });
        assert_eq!(
            server.send(Method::POST, "/api/roles", &admin, body).await,
            (422, taken.clone())
        );
        for (bad, message) in [
            (json!({}), "The name field is required."),
            (json!({ "name": "my role" }), "The name format is invalid."),
            (
                json!({ "name": "x'; DROP TABLE roles; --" }),
                "The name format is invalid.",
            ),
        ] {
            assert_eq!(
                server.send(Method::POST, "/api/roles", &admin, bad).await,
                (422, json!({ "name": [message] }))
            );
        }

        let path = format!("/api/roles/{id}");
        let (status, changed) = server
            .send(
                Method::PATCH,
                &path,
                &admin,
                json!({ "display_name": "Chief Editor" }),
            )
            .await;
        assert_eq!(
            (status, &changed["display_name"], &changed["name"]),
            (200, &json!("Chief Editor"), &json!("editor"))
        );
        assert_eq!(
            server
                .send(Method::PATCH, &path, &admin, json!({ "name": "User" }))
                .await,
            (422, taken)
        );
        assert_eq!(server.get("/api/roles/999999", &admin).await.0, 404);
        assert_eq!(server.get("/api/roles/abc", &admin).await.0, 404);
        let admin_path = format!("/api/roles/{}", builtin["id"]);
        assert_eq!(
            server
                .send(Method::DELETE, &admin_path, &admin, json!({}))
                .await,
            (403, json!({ "error": "Forbidden." })),
            "built-in roles stay"
        );

        // The role's users move to User when it goes.
        let editor = server.create_user("writer", "editor").await;
        let token = server.login("writer").await;
        assert_eq!(
            server.get("/api/me", &token).await.1["role_id"],
            id,
            "cached"
        );
        assert_eq!(
            server.send(Method::DELETE, &path, &admin, json!({})).await,
            (200, json!({ "success": true }))
        );
        let user_role = find(&server, &admin, "/api/roles", "User").await;
        let (_, me) = server.get("/api/me", &token).await;
        assert_eq!(me["role_id"], user_role["id"], "forgotten at once");
        let (_, shown) = server
            .get(&format!("/api/users/{}", editor.id.0), &admin)
            .await;
        assert_eq!(shown["role_id"], user_role["id"]);
        assert_eq!(server.get(&path, &admin).await.0, 404);
        assert_eq!(
            server.get("/api/roles", &token).await,
            (403, json!({ "error": "Forbidden." }))
        );
    });
}

#[tokio::test]
async fn a_roles_permissions_are_synced_and_take_effect_at_once() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let (_, created) = server
            .send(
                Method::POST,
                "/api/roles",
                &admin,
                json!({ "name": "auditor" }),
            )
            .await;
        let role = created[0]["id"].as_i64().unwrap();
        let token = server.signed_in("inspector", "auditor").await;
        assert_eq!(server.get("/api/activity", &token).await.0, 403);

        let activity = find(&server, &admin, "/api/permissions", "users.activity").await;
        let path = format!("/api/roles/{role}/permissions");
        let (status, held) = server
            .send(
                Method::PUT,
                &path,
                &admin,
                json!({ "permissions": [activity["id"], activity["id"]] }),
            )
            .await;
        assert_eq!(status, 200, "{held}");
        assert_eq!(held.as_array().unwrap().len(), 1);
        assert_eq!(held[0]["name"], "users.activity");
        assert_eq!(
            server.get("/api/activity", &token).await.0,
            200,
            "granted at once"
        );
        assert_eq!(server.get(&path, &admin).await.1, held);
        let (_, roles) = server.get("/api/roles?include=permissions", &admin).await;
        let auditor = roles
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == role)
            .unwrap();
        assert_eq!(auditor["permissions"][0]["name"], "users.activity");
        let (_, shown) = server
            .get(&format!("/api/roles/{role}?include=permissions"), &admin)
            .await;
        assert_eq!(shown["permissions"], held);

        assert_eq!(
            server
                .send(
                    Method::PUT,
                    &path,
                    &admin,
                    json!({ "permissions": [999999] })
                )
                .await
                .0,
            422
        );
        assert_eq!(
            server
                .send(Method::PUT, &path, &admin, json!({ "permissions": "all" }))
                .await
                .0,
            422
        );
        let (status, held) = server
            .send(Method::PUT, &path, &admin, json!({ "permissions": [] }))
            .await;
        assert_eq!((status, held), (200, json!([])));
        assert_eq!(
            server.get("/api/activity", &token).await.0,
            403,
            "revoked at once"
        );
    });
}

#[tokio::test]
async fn permissions_are_created_changed_and_deleted() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        server.create_user("plain", "User").await;
        let admin = server.login("boss").await;
        let builtin = find(&server, &admin, "/api/permissions", "users.manage").await;
        assert_eq!(builtin["removable"], false);
        let keys: Vec<&String> = builtin.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "created_at",
                "description",
                "display_name",
                "id",
                "name",
                "removable",
                "updated_at"
            ]
        );

        let (status, created) = server
            .send(
                Method::POST,
                "/api/permissions",
                &admin,
                json!({ "name": "reports.view", "display_name": "View Reports" }),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        let id = created[0]["id"].as_i64().unwrap();
        let path = format!("/api/permissions/{id}");
        assert_eq!(
            server.get(&path, &admin).await.1["display_name"],
            "View Reports"
        );
        let (status, changed) = server
            .send(
                Method::PATCH,
                &path,
                &admin,
                json!({ "name": "reports.read", "description": null }),
            )
            .await;
        assert_eq!((status, &changed["name"]), (200, &json!("reports.read")));
        assert_eq!(
            server
                .send(
                    Method::PATCH,
                    &path,
                    &admin,
                    json!({ "name": "users.manage" })
                )
                .await,
            (422, json!({ "name": ["The name has already been taken."] }))
        );
        assert_eq!(
            server
                .send(
                    Method::PATCH,
                    &path,
                    &admin,
                    json!({ "name": "reports read" })
                )
                .await,
            (422, json!({ "name": ["The name format is invalid."] }))
        );
        let builtin_path = format!("/api/permissions/{}", builtin["id"]);
        assert_eq!(
            server
                .send(Method::DELETE, &builtin_path, &admin, json!({}))
                .await
                .0,
            403
        );
        assert_eq!(
            server.send(Method::DELETE, &path, &admin, json!({})).await,
            (200, json!({ "success": true }))
        );
        assert_eq!(server.get(&path, &admin).await.0, 404);
        assert_eq!(
            server
                .send(Method::DELETE, &path, &admin, json!({}))
                .await
                .0,
            404
        );

        let token = server.login("plain").await;
        assert_eq!(server.get("/api/permissions", &token).await.0, 403);
        assert_eq!(
            server
                .send(
                    Method::POST,
                    "/api/permissions",
                    &token,
                    json!({ "name": "x" })
                )
                .await
                .0,
            403
        );
    });
}

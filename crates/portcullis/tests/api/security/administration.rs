//! What a tenant administrator may do is bounded by what their own role holds: `users.manage`
//! is not a way to Admin, and built-in roles and permissions keep their names.

use crate::harness::{each_backend, TestServer};
use crate::roles::find;
use reqwest::Method;
use serde_json::{json, Value};

/// A `manager` role holding `users.manage` alone, and mallory who holds it; the admin's token.
async fn manager(server: &TestServer) -> (String, String) {
    let admin = server.signed_in("boss", "Admin").await;
    let (status, created) = server
        .send(
            Method::POST,
            "/api/roles",
            &admin,
            json!({ "name": "manager" }),
        )
        .await;
    assert!(status < 300, "{created}");
    let role = find(server, &admin, "/api/roles", "manager").await["id"].clone();
    let manage = find(server, &admin, "/api/permissions", "users.manage").await["id"].clone();
    let (status, held) = server
        .send(
            Method::PUT,
            &format!("/api/roles/{role}/permissions"),
            &admin,
            json!({ "permissions": [manage] }),
        )
        .await;
    assert_eq!(status, 200, "{held}");
    server.create_user("mallory", "manager").await;
    (server.login("mallory").await, admin)
}

async fn put_user(server: &TestServer, token: &str, id: i64, body: Value) -> (u16, Value) {
    server
        .send(Method::PUT, &format!("/api/users/{id}"), token, body)
        .await
}

#[tokio::test]
async fn users_manage_cannot_make_anyone_admin_or_take_an_admins_account() {
    each_backend!(|server| {
        let (mallory, admin) = manager(&server).await;
        let forbidden = (403, json!({ "error": "Forbidden." }));
        let admin_role = find(&server, &admin, "/api/roles", "Admin").await["id"].clone();
        let me = crate::harness::user_id(&server, "mallory").await.0;
        let boss = crate::harness::user_id(&server, "boss").await.0;
        // Herself to Admin.
        assert_eq!(
            put_user(&server, &mallory, me, json!({ "role_id": admin_role })).await,
            forbidden
        );
        // A new accomplice as Admin.
        let accomplice = json!({ "email": "eve@example.com", "username": "eve",
            "password": "long-enough-1", "password_confirmation": "long-enough-1",
            "role_id": admin_role });
        assert_eq!(
            server
                .send(Method::POST, "/api/users", &mallory, accomplice)
                .await,
            forbidden
        );
        // The admin's address or password, then a reset to it.
        for change in [
            json!({ "email": "mallory-owns@example.com" }),
            json!({ "password": "taken-over-1", "password_confirmation": "taken-over-1" }),
            json!({ "username": "renamed" }),
        ] {
            assert_eq!(put_user(&server, &mallory, boss, change).await, forbidden);
        }
        // The admin's second factor is a credential too.
        let path = format!("/api/users/{boss}/2fa");
        assert_eq!(
            server
                .send(Method::DELETE, &path, &mallory, json!({}))
                .await
                .0,
            403
        );
        assert_eq!(
            server.try_login("boss", crate::harness::PASSWORD).await.0,
            200
        );
        // Users within her reach she still manages.
        let pat = server.create_user("pat", "User").await;
        let (status, body) = put_user(
            &server,
            &mallory,
            pat.id.0,
            json!({ "email": "pat.new@example.com" }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    });
}

#[tokio::test]
async fn built_in_roles_and_permissions_keep_their_names() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let forbidden = (403, json!({ "error": "Forbidden." }));
        for (list, name) in [
            ("/api/roles", "Admin"),
            ("/api/roles", "User"),
            ("/api/permissions", "users.manage"),
        ] {
            let id = find(&server, &admin, list, name).await["id"].clone();
            let path = format!("{list}/{id}");
            assert_eq!(
                server
                    .send(Method::PATCH, &path, &admin, json!({ "name": "renamed" }))
                    .await,
                forbidden,
                "{name}"
            );
            // Its other fields, and its own name, may still be sent.
            let (status, body) = server
                .send(
                    Method::PATCH,
                    &path,
                    &admin,
                    json!({ "name": name, "display_name": "Shown" }),
                )
                .await;
            assert_eq!(status, 200, "{name}: {body}");
        }
    });
}

#[tokio::test]
async fn users_manage_cannot_ban_delete_or_sign_out_those_above() {
    each_backend!(|server| {
        let (mallory, admin) = manager(&server).await;
        let boss = crate::harness::user_id(&server, "boss").await.0;
        let forbidden = (403, json!({ "error": "Forbidden." }));
        for status in ["Banned", "Unconfirmed"] {
            assert_eq!(
                put_user(&server, &mallory, boss, json!({ "status": status })).await,
                forbidden
            );
        }
        assert_eq!(
            server
                .send(
                    Method::DELETE,
                    &format!("/api/users/{boss}"),
                    &mallory,
                    json!({})
                )
                .await,
            forbidden
        );
        let (_, sessions) = server
            .get(&format!("/api/users/{boss}/sessions"), &admin)
            .await;
        let session = sessions[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(
            server
                .send(
                    Method::DELETE,
                    &format!("/api/sessions/{session}"),
                    &mallory,
                    json!({})
                )
                .await,
            forbidden
        );
        assert_eq!(server.get("/api/me", &admin).await.0, 200);
    });
}

#[tokio::test]
async fn an_admins_token_scoped_to_users_cannot_hand_out_admin() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let scoped =
            crate::tokens::make_token(&server, &admin, &["update-users", "view-users"]).await;
        let pat = server.create_user("pat", "User").await;
        let admin_role = find(&server, &admin, "/api/roles", "Admin").await["id"].clone();
        assert_eq!(
            put_user(&server, &scoped, pat.id.0, json!({ "role_id": admin_role })).await,
            (403, json!({ "error": "Forbidden." }))
        );
        // Within its scopes it still works.
        let (status, body) =
            put_user(&server, &scoped, pat.id.0, json!({ "first_name": "Pat" })).await;
        assert_eq!(status, 201, "{body}");
    });
}

#[tokio::test]
async fn holding_every_built_in_permission_is_not_being_admin() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        // A custom permission, which the Admin role holds by definition, linked or not.
        let (status, _) = server
            .send(
                Method::POST,
                "/api/permissions",
                &admin,
                json!({ "name": "billing.admin" }),
            )
            .await;
        assert!(status < 300);
        let (status, _) = server
            .send(
                Method::POST,
                "/api/roles",
                &admin,
                json!({ "name": "deputy" }),
            )
            .await;
        assert!(status < 300);
        let deputy_role = find(&server, &admin, "/api/roles", "deputy").await["id"].clone();
        let (_, all) = server.get("/api/permissions", &admin).await;
        let built_in: Vec<Value> = all
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["removable"] == false)
            .map(|p| p["id"].clone())
            .collect();
        let (status, body) = server
            .send(
                Method::PUT,
                &format!("/api/roles/{deputy_role}/permissions"),
                &admin,
                json!({ "permissions": built_in }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let deputy = server.signed_in("deputy1", "deputy").await;
        let me = crate::harness::user_id(&server, "deputy1").await.0;
        let admin_role = find(&server, &admin, "/api/roles", "Admin").await["id"].clone();
        let forbidden = (403, json!({ "error": "Forbidden." }));
        assert_eq!(
            put_user(&server, &deputy, me, json!({ "role_id": admin_role })).await,
            forbidden
        );
        // Nor can the Admin role be emptied into something anyone may hand out.
        assert_eq!(
            server
                .send(
                    Method::PUT,
                    &format!("/api/roles/{admin_role}/permissions"),
                    &admin,
                    json!({ "permissions": [] }),
                )
                .await,
            forbidden
        );
    });
}

//! The console's roles section: the list and its forms (create, rename, delete; built-in roles
//! kept), the role × permission matrix, who may open them, and another tenant's roles.

use super::*;
use portcullis_core::tenants::TenantInput;
use serde_json::Value;

/// A new role holding exactly `permissions` (by name), made through the JSON API: its id.
pub(crate) async fn role_with(
    server: &TestServer,
    admin: &str,
    name: &str,
    permissions: &[&str],
) -> i64 {
    let (status, created) = server
        .send(Method::POST, "/api/roles", admin, json!({ "name": name }))
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created[0]["id"].as_i64().unwrap();
    let (status, all) = server.get("/api/permissions", admin).await;
    assert_eq!(status, 200, "{all}");
    let ids: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| permissions.contains(&p["name"].as_str().unwrap()))
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), permissions.len());
    let path = format!("/api/roles/{id}/permissions");
    let (status, held) = server
        .send(Method::PUT, &path, admin, json!({ "permissions": ids }))
        .await;
    assert_eq!(status, 200, "{held}");
    id
}

/// A browser signed in as a new user of `role`.
pub(crate) async fn browser_as(server: &TestServer, username: &str, role: &str) -> Browser {
    server.create_user(username, role).await;
    let mut browser = Browser::new(server);
    let answer = browser.sign_in(username, PASSWORD).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    browser
}

async fn roles_json(server: &TestServer, admin: &str) -> Vec<Value> {
    let (status, list) = server.get("/api/roles?include=permissions", admin).await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

fn named<'a>(roles: &'a [Value], name: &str) -> Option<&'a Value> {
    roles.iter().find(|r| r["name"] == name)
}

#[tokio::test]
async fn the_sections_open_for_their_permissions_only() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        role_with(&server, &admin, "keeper", &["roles.manage"]).await;
        role_with(&server, &admin, "clerk", &["users.manage"]).await;

        let mut keeper = browser_as(&server, "keeper1", "keeper").await;
        let list = keeper.get("/admin/roles").await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert_security_headers(&list);
        assert!(list.body.contains("<a href=\"/admin/roles\">Roles</a>"));
        // The matrix is also `permissions.manage`'s.
        assert!(!list.body.contains("href=\"/admin/permissions\""));
        assert_eq!(keeper.get("/admin/permissions").await.status, 403);

        let mut clerk = browser_as(&server, "clerk1", "clerk").await;
        for path in ["/admin/roles", "/admin/permissions"] {
            let answer = clerk.get(path).await;
            assert_eq!(answer.status, 403, "{path}: {}", answer.body);
            assert!(answer.body.contains("Not for this account"));
        }
        let overview = clerk.get("/admin").await;
        assert!(!overview.body.contains("href=\"/admin/roles\""));
        // Someone who holds only `users.manage` sees the Users section and no other.
        assert!(overview.body.contains("<a href=\"/admin/users\">Users</a>"));
        for other in [
            "/admin/activity",
            "/admin/permissions",
            "/admin/settings",
            "/admin/applications",
            "/admin/tenants",
            "/admin/api-keys",
            "/admin/signing-keys",
        ] {
            assert!(
                !overview.body.contains(&format!("href=\"{other}\"")),
                "{other}: {}",
                overview.body
            );
            assert_eq!(clerk.get(other).await.status, 403, "{other}");
        }
        assert_eq!(clerk.get("/admin/users").await.status, 200);
        let before = roles_json(&server, &admin).await.len();
        let tried = clerk.post("/admin/roles", &[("name", "sneaky")]).await;
        assert_eq!(tried.status, 403, "{}", tried.body);
        assert_eq!(roles_json(&server, &admin).await.len(), before);

        let mut stranger = Browser::new(&server);
        let answer = stranger.get("/admin/roles").await;
        assert_eq!(answer.status, 303);
        assert_eq!(answer.location(), "/login?return_to=%2Fadmin%2Froles");

        let mut boss = Browser::new(&server);
        boss.sign_in("boss", PASSWORD).await;
        let matrix = boss.get("/admin/permissions").await;
        assert_eq!(matrix.status, 200, "{}", matrix.body);
        assert!(matrix.body.contains("<th scope=\"col\""));
        assert!(matrix
            .body
            .contains("<a href=\"/admin/permissions\">Permissions</a>"));
    });
}

#[tokio::test]
async fn roles_are_created_renamed_and_deleted_but_built_ins_stay() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let mut boss = Browser::new(&server);
        boss.sign_in("boss", PASSWORD).await;
        let page = boss.get("/admin/roles").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let roles = roles_json(&server, &admin).await;
        let admin_id = named(&roles, "Admin").unwrap()["id"].as_i64().unwrap();
        // No delete button for a built-in role, and its name is not to be typed over.
        assert!(!page.body.contains(&format!("id=\"delete-{admin_id}\"")));
        assert!(page.body.contains(&format!(
            "id=\"name-{admin_id}\" name=\"name\" type=\"text\" value=\"Admin\" readonly"
        )));

        let made = boss
            .post(
                "/admin/roles",
                &[
                    ("name", "editor"),
                    ("display_name", "Editor"),
                    ("description", "Edits."),
                ],
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
        assert_eq!(made.location(), "/admin/roles");
        let roles = roles_json(&server, &admin).await;
        let editor = named(&roles, "editor").expect("created");
        assert_eq!(editor["display_name"], "Editor");
        assert_eq!(editor["description"], "Edits.");
        let id = editor["id"].as_i64().unwrap();
        let page = boss.get("/admin/roles").await;
        assert!(
            page.body.contains(&format!("id=\"delete-{id}\"")),
            "{}",
            page.body
        );

        // The service's words, next to the field, and what was typed kept.
        let bad = boss.post("/admin/roles", &[("name", "my role")]).await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(
            bad.body.contains("The name format is invalid."),
            "{}",
            bad.body
        );
        assert!(
            bad.body.contains("aria-describedby=\"name-error\""),
            "{}",
            bad.body
        );
        assert!(bad.body.contains("value=\"my role\""));
        let taken = boss.post("/admin/roles", &[("name", "editor")]).await;
        assert_eq!(taken.status, 422);
        assert!(taken.body.contains("The name has already been taken."));

        let path = format!("/admin/roles/{id}");
        let renamed = boss
            .post(
                &path,
                &[
                    ("name", "writer"),
                    ("display_name", ""),
                    ("description", "Writes."),
                ],
            )
            .await;
        assert_eq!(renamed.status, 303, "{}", renamed.body);
        let roles = roles_json(&server, &admin).await;
        let writer = named(&roles, "writer").expect("renamed");
        assert_eq!(
            (&writer["display_name"], &writer["description"]),
            (&Value::Null, &json!("Writes."))
        );
        let long = "d".repeat(1001);
        let wordy = boss
            .post(&path, &[("name", "writer"), ("description", &long)])
            .await;
        assert_eq!(wordy.status, 422, "{}", wordy.body);
        assert!(wordy.body.contains(&format!("id=\"description-{id}-error\">The description may not be greater than 1000 characters.")), "{}", wordy.body);
        let clash = boss.post(&path, &[("name", "Admin")]).await;
        assert_eq!(clash.status, 422, "{}", clash.body);
        assert!(
            clash.body.contains(&format!("id=\"name-{id}-error\"")),
            "{}",
            clash.body
        );

        // A built-in role keeps its name and stays.
        let admin_path = format!("/admin/roles/{admin_id}");
        assert_eq!(
            boss.post(&admin_path, &[("name", "Boss")]).await.status,
            403
        );
        assert_eq!(
            boss.post(&format!("{admin_path}/delete"), &[]).await.status,
            403
        );
        assert!(named(&roles_json(&server, &admin).await, "Admin").is_some());

        // Its holders fall back to User.
        server.create_user("scribe", "writer").await;
        let deleted = boss.post(&format!("{path}/delete"), &[]).await;
        assert_eq!(deleted.status, 303, "{}", deleted.body);
        assert_eq!(deleted.location(), "/admin/roles");
        let roles = roles_json(&server, &admin).await;
        assert!(named(&roles, "writer").is_none());
        assert_eq!(named(&roles, "User").unwrap()["users_count"], 1);
    });
}

#[tokio::test]
async fn the_matrix_saves_a_role_s_permissions_within_the_caller_s_own() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let id = role_with(&server, &admin, "editor", &["users.manage"]).await;
        let mut boss = Browser::new(&server);
        boss.sign_in("boss", PASSWORD).await;
        let (_, all) = server.get("/api/permissions", &admin).await;
        let id_of = |name: &str| {
            all.as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap()["id"]
                .as_i64()
                .unwrap()
                .to_string()
        };
        let (users, activity) = (id_of("users.manage"), id_of("users.activity"));
        let matrix = boss.get("/admin/permissions").await;
        assert_eq!(matrix.status, 200, "{}", matrix.body);
        assert!(
            matrix.body.contains(&format!("id=\"p-{id}-{users}\" name=\"permission\" value=\"{users}\" checked form=\"matrix-{id}\"")),
            "{}",
            matrix.body
        );
        assert!(matrix.body.contains(&format!(
            "<label for=\"p-{id}-{users}\" class=\"visually-hidden\">editor: Manage Users</label>"
        )));

        let path = format!("/admin/roles/{id}/permissions");
        let saved = boss.post(&path, &[("permission", &activity)]).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert_eq!(saved.location(), "/admin/permissions");
        let (_, held) = server
            .get(&format!("/api/roles/{id}/permissions"), &admin)
            .await;
        let names: Vec<&str> = held
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["users.activity"]);
        // Nothing ticked: nothing held.
        assert_eq!(boss.post(&path, &[]).await.status, 303);
        let (_, held) = server
            .get(&format!("/api/roles/{id}/permissions"), &admin)
            .await;
        assert_eq!(held, json!([]));
        assert_eq!(boss.post(&path, &[("permission", "x")]).await.status, 400);
        assert_eq!(
            boss.post(&path, &[("permission", "99999")]).await.status,
            400
        );

        // The built-in Admin row is shown, never saved.
        let roles = roles_json(&server, &admin).await;
        let admin_id = named(&roles, "Admin").unwrap()["id"].as_i64().unwrap();
        assert!(!matrix.body.contains(&format!("id=\"save-{admin_id}\"")));
        let emptied = boss
            .post(&format!("/admin/roles/{admin_id}/permissions"), &[])
            .await;
        assert_eq!(emptied.status, 403);

        // Someone who manages roles and permissions hands out only what they hold.
        role_with(
            &server,
            &admin,
            "warden",
            &["roles.manage", "permissions.manage"],
        )
        .await;
        let mut warden = browser_as(&server, "warden1", "warden").await;
        assert_eq!(warden.get("/admin/permissions").await.status, 200);
        let grab = warden.post(&path, &[("permission", &users)]).await;
        assert_eq!(grab.status, 403, "{}", grab.body);
        let (_, held) = server
            .get(&format!("/api/roles/{id}/permissions"), &admin)
            .await;
        assert_eq!(held, json!([]));
    });
}

#[tokio::test]
async fn forms_need_their_token_and_links_change_nothing() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let id = role_with(&server, &admin, "editor", &["users.manage"]).await;
        let mut boss = Browser::new(&server);
        boss.sign_in("boss", PASSWORD).await;
        let before = roles_json(&server, &admin).await;
        for (path, fields) in [
            ("/admin/roles".to_owned(), vec![("name", "forged")]),
            (format!("/admin/roles/{id}"), vec![("name", "forged")]),
            (format!("/admin/roles/{id}/delete"), vec![]),
            (format!("/admin/roles/{id}/permissions"), vec![]),
        ] {
            let forged = boss
                .send(
                    reqwest::Client::new()
                        .post(format!("{}{path}", server.base))
                        .form(&fields),
                )
                .await;
            assert_eq!(forged.status, 403, "{path}");
            // A GET of an action is no action.
            assert_eq!(
                boss.get(&path).await.status,
                if path == "/admin/roles" { 200 } else { 405 },
                "{path}"
            );
        }
        assert_eq!(boss.get("/admin/permissions").await.status, 200);
        assert_eq!(roles_json(&server, &admin).await, before);
    });
}

#[tokio::test]
async fn another_tenants_roles_are_not_found() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let mut boss = Browser::new(&server);
        boss.sign_in("boss", PASSWORD).await;
        server
            .app
            .services
            .create_tenant(TenantInput {
                name: "other".into(),
                ..TenantInput::default()
            })
            .await
            .unwrap();
        let ours: Vec<i64> = roles_json(&server, &admin)
            .await
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        let theirs: i64 = sqlx::query_scalar("SELECT CAST(MAX(id) AS BIGINT) FROM roles")
            .fetch_one(&server.inspect().await)
            .await
            .unwrap();
        assert!(!ours.contains(&theirs));
        let path = format!("/admin/roles/{theirs}");
        assert_eq!(boss.post(&path, &[("name", "mine")]).await.status, 404);
        assert_eq!(boss.post(&format!("{path}/delete"), &[]).await.status, 404);
        assert_eq!(
            boss.post(&format!("{path}/permissions"), &[]).await.status,
            404
        );
        assert_eq!(boss.post("/admin/roles/nope/delete", &[]).await.status, 404);
        let page = boss.get("/admin/roles").await;
        assert!(!page.body.contains(&format!("id=\"role-{theirs}\"")));
    });
}

//! Administering users over HTTP: the paginated, searchable list, creating, changing, banning
//! and deleting accounts, and a user's avatar and second factor. The token-lookup cache is on
//! (SQLite's default), so bans and deletions must make this node forget cached principals.

use crate::harness::{each_backend, json, user_id, TestServer, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

async fn users_page(server: &TestServer, token: &str, query: &str) -> Value {
    let (status, page) = server.get(&format!("/api/users?{query}"), token).await;
    assert_eq!(status, 200, "{query}: {page}");
    page
}

fn usernames(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn create(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    server.send(Method::POST, "/api/users", token, body).await
}

async fn put(server: &TestServer, token: &str, id: i64, body: Value) -> (u16, Value) {
    server
        .send(Method::PUT, &format!("/api/users/{id}"), token, body)
        .await
}

#[tokio::test]
async fn admins_page_through_and_search_the_users() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        for n in 1..=25 {
            server.create_user(&format!("member{n:02}"), "User").await;
        }
        let admin = server.login("boss").await;

        let page = users_page(&server, &admin, "per_page=10&search=member").await;
        let meta = &page["meta"];
        assert_eq!(
            (&meta["total"], &meta["per_page"], &meta["current_page"]),
            (&json!(25), &json!(10), &json!(1))
        );
        assert_eq!(
            (&meta["last_page"], &meta["from"], &meta["to"]),
            (&json!(3), &json!(1), &json!(10))
        );
        assert_eq!(
            meta["next_page_url"], "/api/users?page=2&per_page=10&search=member",
            "links keep the other parameters"
        );
        assert_eq!(meta["prev_page_url"], Value::Null);
        assert_eq!(usernames(&page)[0], "member25", "newest first");

        let last = users_page(&server, &admin, "per_page=10&search=member&page=3").await;
        assert_eq!(usernames(&last).len(), 5);
        assert_eq!(last["meta"]["next_page_url"], Value::Null);

        // Case-insensitive substrings, long and short, over username and email alike.
        let teens = users_page(&server, &admin, "search=MEMBER1").await;
        assert_eq!(teens["meta"]["total"], 10);
        let short = users_page(&server, &admin, "search=r0").await;
        assert_eq!(short["meta"]["total"], 9);
        let by_email = users_page(&server, &admin, "search=r07%40example.COM").await;
        assert_eq!(usernames(&by_email), ["member07"]);

        // Wildcards and SQL are just text.
        for nothing in [
            "%25",
            "_",
            "%27%20OR%201%3D1%20--",
            "%22member%22",
            "member*",
        ] {
            let page = users_page(&server, &admin, &format!("search={nothing}")).await;
            assert_eq!(page["meta"]["total"], 0, "{nothing}");
        }

        // per_page is capped, and a page past the end is empty.
        let all = users_page(&server, &admin, "per_page=1000").await;
        assert_eq!(
            (&all["meta"]["per_page"], &all["meta"]["total"]),
            (&json!(100), &json!(26))
        );
        let far = users_page(&server, &admin, "page=9223372036854775807").await;
        assert_eq!(far["data"], json!([]));
        assert_eq!(far["meta"]["from"], Value::Null);
    });
}

#[tokio::test]
async fn the_list_filters_by_status_and_embeds_roles_and_countries() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        let banned = server.create_user("outcast", "User").await;
        server.create_user("regular", "User").await;
        let admin = server.login("boss").await;
        assert_eq!(
            put(
                &server,
                &admin,
                banned.id.0,
                json!({ "status": "Banned", "country_id": 688 })
            )
            .await
            .0,
            201
        );

        let page = users_page(&server, &admin, "status=Banned&include=role,country").await;
        assert_eq!(usernames(&page), ["outcast"]);
        let user = &page["data"][0];
        assert_eq!(user["status"], "Banned");
        assert_eq!(user["role"]["name"], "User");
        assert_eq!(user["country"]["iso_3166_2"], "RS");
        let active = users_page(&server, &admin, "status=Active").await;
        assert_eq!(usernames(&active), ["regular", "boss"]);
        let unknown = users_page(&server, &admin, "status=Sleeping").await;
        assert_eq!(unknown["meta"]["total"], 0);
        let plain = users_page(&server, &admin, "search=regular").await;
        assert!(plain["data"][0].get("role").is_none(), "only when included");

        // Only users.manage may look.
        let token = server.login("regular").await;
        assert_eq!(
            server.get("/api/users", &token).await,
            (403, json!({ "error": "Forbidden." }))
        );
        assert_eq!(server.call(Method::GET, "/api/users").await.0, 401);
    });
}

#[tokio::test]
async fn creating_a_user_checks_every_documented_field() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        server.create_user("taken", "User").await;
        let admin = server.login("boss").await;

        let (status, errors) = create(&server, &admin, json!({})).await;
        assert_eq!(status, 422);
        assert_eq!(errors["email"], json!(["The email field is required."]));
        assert_eq!(
            errors["password"],
            json!(["The password field is required."])
        );
        assert_eq!(errors["role_id"], json!(["The role id field is required."]));

        let (status, errors) = create(
            &server,
            &admin,
            json!({
                "email": "taken@example.com", "username": "TAKEN", "password": "short",
                "password_confirmation": "other", "role_id": 9999, "country_id": 1,
                "birthday": "1989-02-31"
            }),
        )
        .await;
        assert_eq!(status, 422, "{errors}");
        // Every failing field at once, as document 001's validation reports them: the one the
        // request got wrong in its shape, and the ones the rules refuse.
        assert_eq!(
            errors,
            json!({
                "birthday": ["The birthday is not a valid date."],
                "email": ["The email has already been taken."],
                "username": ["The username has already been taken."],
                "password": [
                    "The password confirmation does not match.",
                    "The password must be at least 8 characters."
                ],
                "role_id": ["The selected role id is invalid."],
                "country_id": ["The selected country id is invalid."],
            })
        );
        let (status, errors) = create(
            &server,
            &admin,
            json!({
                "email": "taken@example.com", "username": "TAKEN", "password": "short",
                "password_confirmation": "other", "role_id": 9999, "country_id": 1
            }),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(
            errors["email"],
            json!(["The email has already been taken."])
        );
        assert_eq!(
            errors["username"],
            json!(["The username has already been taken."])
        );
        assert_eq!(
            errors["password"],
            json!([
                "The password confirmation does not match.",
                "The password must be at least 8 characters."
            ])
        );
        assert_eq!(
            errors["role_id"],
            json!(["The selected role id is invalid."])
        );
        assert_eq!(
            errors["country_id"],
            json!(["The selected country id is invalid."])
        );
        let (status, errors) = create(&server, &admin, json!({ "email": "not-an-email" })).await;
        assert_eq!(status, 422);
        assert_eq!(
            errors["email"],
            json!(["The email must be a valid email address."])
        );

        let roles = server.get("/api/roles", &admin).await.1;
        let user_role = roles
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "User")
            .unwrap()["id"]
            .clone();
        let (status, user) = create(
            &server,
            &admin,
            json!({
                "email": "john@example.com", "password": PASSWORD, "password_confirmation": PASSWORD,
                "role_id": user_role, "username": "johndoe", "first_name": "John", "last_name": "Doe",
                "phone": "+381641234567", "address": "Some random street, 123, Serbia",
                "country_id": 688, "birthday": "1989-01-03"
            }),
        )
        .await;
        assert_eq!(status, 201, "{user}");
        assert_eq!(
            (
                &user["username"],
                &user["first_name"],
                &user["country_id"],
                &user["birthday"],
                &user["status"]
            ),
            (
                &json!("johndoe"),
                &json!("John"),
                &json!(688),
                &json!("1989-01-03"),
                &json!("Active")
            )
        );
        assert_eq!(user["role_id"], user_role);
        // A real account: it logs in.
        assert_eq!(server.try_login("johndoe", PASSWORD).await.0, 200);
        let (status, shown) = server
            .get(
                &format!("/api/users/{}?include=role,country", user["id"]),
                &admin,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            (&shown["role"]["name"], &shown["country"]["name"]),
            (&json!("User"), &json!("Serbia"))
        );
        let activity = server.get("/api/activity?search=created", &admin).await.1;
        assert_eq!(
            activity["data"][0]["description"],
            "Created an account for john@example.com."
        );

        // Without users.manage, nothing is created.
        let token = server.login("taken").await;
        assert_eq!(create(&server, &token, json!({})).await.0, 403);
    });
}

#[tokio::test]
async fn updates_are_partial_and_a_ban_or_new_password_ends_sessions_at_once() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        let user = server.create_user("subject", "User").await;
        let admin = server.login("boss").await;
        let token = server.login("subject").await;
        assert_eq!(server.get("/api/me", &token).await.0, 200, "now cached");

        let (status, updated) =
            put(&server, &admin, user.id.0, json!({ "first_name": "Sub" })).await;
        assert_eq!(status, 201, "{updated}");
        assert_eq!(
            (&updated["first_name"], &updated["username"]),
            (&json!("Sub"), &json!("subject"))
        );
        assert_eq!(
            server.get("/api/me", &token).await.1["first_name"],
            "Sub",
            "forgotten at once"
        );

        let (status, banned) = put(&server, &admin, user.id.0, json!({ "status": "Banned" })).await;
        assert_eq!((status, &banned["status"]), (201, &json!("Banned")));
        assert_eq!(
            server.get("/api/me", &token).await.0,
            401,
            "the ban ends the session at once"
        );
        assert_eq!(server.try_login("subject", PASSWORD).await.0, 403);

        assert_eq!(
            put(&server, &admin, user.id.0, json!({ "status": "Active" }))
                .await
                .0,
            201
        );
        let token = server.login("subject").await;
        assert_eq!(server.get("/api/me", &token).await.0, 200);
        let new_password = "a-brand-new-password";
        let (status, _) = put(
            &server,
            &admin,
            user.id.0,
            json!({ "password": new_password, "password_confirmation": new_password }),
        )
        .await;
        assert_eq!(status, 201);
        assert_eq!(
            server.get("/api/me", &token).await.0,
            401,
            "a new password ends sessions"
        );
        let (status, login) = server.try_login("subject", new_password).await;
        assert_eq!(status, 200);
        let token = login["token"].as_str().unwrap().to_owned();

        let (status, errors) = put(
            &server,
            &admin,
            user.id.0,
            json!({ "email": "boss@example.com", "status": "Asleep", "role_id": "x" }),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(errors["status"], json!(["The selected status is invalid."]));
        assert!(errors.get("role_id").is_some());
        let (status, errors) = put(
            &server,
            &admin,
            user.id.0,
            json!({ "email": "BOSS@example.com" }),
        )
        .await;
        assert_eq!(
            (status, &errors["email"]),
            (422, &json!(["The email has already been taken."]))
        );
        assert_eq!(
            put(
                &server,
                &admin,
                user.id.0,
                json!({ "email": "SUBJECT@example.com" })
            )
            .await
            .0,
            201,
            "one's own email is not taken"
        );

        assert_eq!(
            put(&server, &admin, 999_999, json!({})).await,
            (404, json!({ "error": "Resource not found." }))
        );
        assert_eq!(server.get("/api/users/abc", &admin).await.0, 404);
        assert_eq!(server.get("/api/users/-1", &admin).await.0, 404);
        assert_eq!(
            put(&server, &token, user.id.0, json!({ "first_name": "Me" }))
                .await
                .0,
            403
        );
    });
}

#[tokio::test]
async fn deleting_a_user_removes_them_but_never_oneself() {
    each_backend!(|server| {
        let boss = server.create_user("boss", "Admin").await;
        let user = server.create_user("leaving", "User").await;
        let admin = server.login("boss").await;
        let token = server.login("leaving").await;
        assert_eq!(server.get("/api/me", &token).await.0, 200, "now cached");

        let own = format!("/api/users/{}", boss.id.0);
        assert_eq!(
            server.send(Method::DELETE, &own, &admin, json!({})).await,
            (403, json!({ "error": "You cannot delete yourself." }))
        );
        let path = format!("/api/users/{}", user.id.0);
        assert_eq!(
            server
                .send(Method::DELETE, &path, &token, json!({}))
                .await
                .0,
            403,
            "users.manage is needed"
        );
        assert_eq!(
            server.send(Method::DELETE, &path, &admin, json!({})).await,
            (200, json!({ "success": true }))
        );
        assert_eq!(
            server.get("/api/me", &token).await.0,
            401,
            "forgotten at once"
        );
        assert_eq!(server.get(&path, &admin).await.0, 404);
        assert_eq!(
            server
                .send(Method::DELETE, &path, &admin, json!({}))
                .await
                .0,
            404
        );
        assert_eq!(server.try_login("leaving", PASSWORD).await.0, 401);
        assert_eq!(user_id(&server, "boss").await, boss.id);
    });
}

#[tokio::test]
async fn admins_set_a_users_avatar_and_second_factor() {
    each_backend!(|server| {
        server.create_user("boss", "Admin").await;
        let user = server.create_user("managed", "User").await;
        let admin = server.login("boss").await;
        let base = format!("/api/users/{}", user.id.0);

        let mut png = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(image::RgbImage::new(20, 20))
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        let (status, uploaded) = json(
            server
                .request(Method::PUT, &format!("{base}/avatar"))
                .bearer_auth(&admin)
                .header("content-type", "image/png")
                .body(png.into_inner())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{uploaded}");
        assert_eq!(uploaded["id"], user.id.0);
        let url = uploaded["avatar"].as_str().unwrap();
        assert!(url.contains("/api/avatars/"), "{url}");
        let (status, errors) = json(
            server
                .request(Method::PUT, &format!("{base}/avatar"))
                .bearer_auth(&admin)
                .body("not an image")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, &errors["file"]),
            (422, &json!(["The file must be an image."]))
        );

        let external = "https://images.example.com/me.png";
        let (status, changed) = server
            .send(
                Method::PUT,
                &format!("{base}/avatar/external"),
                &admin,
                json!({ "url": external }),
            )
            .await;
        assert_eq!((status, &changed["avatar"]), (200, &json!(external)));
        let (status, removed) = server
            .send(Method::DELETE, &format!("{base}/avatar"), &admin, json!({}))
            .await;
        assert_eq!((status, &removed["avatar"]), (200, &Value::Null));

        let two_factor = format!("{base}/2fa");
        let phone = json!({ "country_code": 381, "phone_number": 6412345678i64 });
        assert_eq!(
            server
                .send(Method::PUT, &two_factor, &admin, phone.clone())
                .await
                .0,
            403,
            "the tenant does not use 2FA"
        );
        server.set_settings(|s| s.two_factor_enabled = true).await;
        let admin = server.login("boss").await;
        let (status, enabled) = server
            .send(Method::PUT, &two_factor, &admin, phone.clone())
            .await;
        assert_eq!(status, 200, "{enabled}");
        assert_eq!(
            (
                &enabled["two_factor_country_code"],
                &enabled["two_factor_phone"]
            ),
            (&json!(381), &json!("6412345678"))
        );
        assert_eq!(
            server.send(Method::PUT, &two_factor, &admin, phone).await,
            (
                422,
                json!({ "error": "2FA is already enabled for this user." })
            )
        );
        assert_eq!(
            server
                .send(Method::DELETE, &two_factor, &admin, json!({}))
                .await
                .0,
            200
        );
        assert_eq!(
            server
                .send(Method::DELETE, &two_factor, &admin, json!({}))
                .await,
            (422, json!({ "error": "2FA is not enabled for this user." }))
        );
        let (status, _) = server
            .send(
                Method::PUT,
                &two_factor,
                &admin,
                json!({ "method": "email" }),
            )
            .await;
        assert_eq!(status, 200);
        let (status, login) = server.try_login("managed", PASSWORD).await;
        assert_eq!((status, &login["requires_2fa"]), (200, &json!(true)));
        let (status, _) = server
            .send(
                Method::PUT,
                "/api/users/999999/2fa",
                &admin,
                json!({ "method": "email" }),
            )
            .await;
        assert_eq!(status, 404);
        let token = server.login("boss").await;
        let (status, _) = server
            .send(
                Method::PUT,
                &format!("/api/users/{}/2fa", user_id(&server, "boss").await.0),
                &token,
                json!({ "method": "totp" }),
            )
            .await;
        assert_eq!(
            status, 422,
            "an administrator cannot take an authenticator app's secret"
        );
    });
}

//! The console's operator sections (tenants, API keys, signing keys): only for an Admin of
//! the default tenant; what each action does, checked through the management API, the
//! provider's key set and the store.

use super::admin_applications::{
    auth_settings_browser, browser_on_other_host, other_tenant, signed_in_browser,
};
use super::*;
use crate::harness::user_id;
use crate::mgmt::v1;
use portcullis_core::accounts::CreateUser;
use portcullis_core::model::{Tenant, User, UserStatus};

const OPERATOR_PAGES: [&str; 4] = [
    "/admin/tenants",
    "/admin/tenants/x",
    "/admin/api-keys",
    "/admin/signing-keys",
];

#[tokio::test]
async fn only_admins_of_the_default_tenant_are_operators() {
    each_backend!(|server| {
        let mut plain = signed_in_browser(&server, "plain", "User").await;
        let mut keeper = auth_settings_browser(&server).await;
        for browser in [&mut plain, &mut keeper] {
            for path in OPERATOR_PAGES {
                let answer = browser.get(path).await;
                assert_eq!(answer.status, 403, "{path}: {}", answer.body);
            }
            for (path, fields) in [
                ("/admin/tenants", vec![("name", "mine")]),
                ("/admin/api-keys", vec![("name", "mine")]),
                ("/admin/signing-keys/rotate", vec![]),
            ] {
                let answer = browser.post(path, &fields).await;
                assert_eq!(answer.status, 403, "{path}: {}", answer.body);
            }
        }
        assert!(server.app.services.api_keys().await.unwrap().is_empty());

        // The Admin of another tenant administers that tenant, not the server.
        let other = other_tenant(&server).await;
        server
            .app
            .services
            .create_user(
                &other,
                CreateUser {
                    username: Some("theirboss".into()),
                    email: "theirboss@example.com".into(),
                    password: portcullis_core::Secret::new(PASSWORD),
                    role: "Admin".into(),
                    first_name: None,
                    last_name: None,
                },
            )
            .await
            .unwrap();
        let mut their_admin = browser_on_other_host(&server);
        let signed = their_admin.sign_in("theirboss", PASSWORD).await;
        assert_eq!(signed.status, 303, "{}", signed.body);
        let overview = their_admin.get("/admin").await;
        assert_eq!(overview.status, 200, "{}", overview.body);
        assert!(!overview.body.contains("/admin/tenants"));
        assert!(overview.body.contains("/admin/applications"));
        for path in OPERATOR_PAGES {
            let answer = their_admin.get(path).await;
            assert_eq!(answer.status, 403, "{path}: {}", answer.body);
        }

        let mut operator = signed_in_browser(&server, "boss", "Admin").await;
        let overview = operator.get("/admin").await;
        for link in ["/admin/tenants", "/admin/api-keys", "/admin/signing-keys"] {
            assert!(
                overview.body.contains(&format!("href=\"{link}\"")),
                "{link}"
            );
        }
        for path in ["/admin/tenants", "/admin/api-keys", "/admin/signing-keys"] {
            assert_eq!(operator.get(path).await.status, 200, "{path}");
        }
        assert_eq!(operator.get("/admin/tenants/nope").await.status, 404);
    });
}

#[tokio::test]
async fn tenants_are_created_renamed_and_moved() {
    each_backend!(|server| {
        let mut operator = signed_in_browser(&server, "boss", "Admin").await;
        let services = &server.app.services;

        let refused = operator
            .post("/admin/tenants", &[("name", ""), ("domain", "bad host")])
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("id=\"domain-error\""),
            "{}",
            refused.body
        );
        let forged = operator
            .send(
                reqwest::Client::new()
                    .post(format!("{}/admin/tenants", server.base))
                    .form(&[("name", "forged")]),
            )
            .await;
        assert_eq!(forged.status, 403);
        assert!(services.tenant_named("forged").await.is_err());

        let made = operator
            .post(
                "/admin/tenants",
                &[("name", "acme"), ("domain", "Auth.Acme.test")],
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let acme = services.tenant_named("acme").await.unwrap();
        assert_eq!(made.location(), format!("/admin/tenants/{}", acme.id.0));
        assert_eq!(acme.settings.domain.as_deref(), Some("auth.acme.test"));
        let list = operator.get("/admin/tenants").await;
        assert!(list.body.contains("2 tenant(s)."), "{}", list.body);
        assert!(list.body.contains("auth.acme.test"));

        // Renamed and moved by the operator (which a tenant's own key may not do).
        let path = format!("/admin/tenants/{}", acme.id.0);
        let page = operator.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let saved = operator
            .post(&path, &[("name", "acme corp"), ("domain", "id.acme.test")])
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let acme = services.tenant_named("acme corp").await.unwrap();
        assert_eq!(acme.settings.domain.as_deref(), Some("id.acme.test"));

        // The default tenant keeps its name.
        let default = format!("/admin/tenants/{}", server.tenant.id.0);
        let kept = operator
            .post(&default, &[("name", "renamed"), ("domain", "")])
            .await;
        assert_eq!(kept.status, 422, "{}", kept.body);
        assert!(services.tenant_named("default").await.is_ok());
    });
}

#[tokio::test]
async fn a_tenant_with_passkeys_moves_only_when_told_twice() {
    each_backend!(|server| {
        let mut operator = signed_in_browser(&server, "boss", "Admin").await;
        let token = server.signed_in("kim", "User").await;
        crate::passkeys::register(&server, &token, "Key").await;
        let path = format!("/admin/tenants/{}", server.tenant.id.0);
        let warned = operator
            .post(&path, &[("name", "default"), ("domain", "id.example.com")])
            .await;
        assert_eq!(warned.status, 422, "{}", warned.body);
        assert!(
            warned.body.contains("id=\"domain-warning\""),
            "{}",
            warned.body
        );
        assert!(warned.body.contains("name=\"force\""));
        let tenant = server.app.services.default_tenant().await.unwrap();
        assert_eq!(tenant.settings.domain, None);
        let moved = operator
            .post(
                &path,
                &[
                    ("name", "default"),
                    ("domain", "id.example.com"),
                    ("force", "true"),
                ],
            )
            .await;
        assert_eq!(moved.status, 303, "{}", moved.body);
        let tenant = server.app.services.default_tenant().await.unwrap();
        assert_eq!(tenant.settings.domain.as_deref(), Some("id.example.com"));
    });
}

#[tokio::test]
async fn api_keys_are_made_shown_once_listed_and_revoked() {
    each_backend!(|server| {
        let mut operator = signed_in_browser(&server, "boss", "Admin").await;
        let other = other_tenant(&server).await;

        let forged = operator
            .send(
                reqwest::Client::new()
                    .post(format!("{}/admin/api-keys", server.base))
                    .form(&[("name", "forged")]),
            )
            .await;
        assert_eq!(forged.status, 403);
        let refused = operator.post("/admin/api-keys", &[("name", " ")]).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(server.app.services.api_keys().await.unwrap().is_empty());

        let made = operator
            .post(
                "/admin/api-keys",
                &[("name", "billing"), ("tenant", &other.id.0)],
            )
            .await;
        assert_eq!(made.status, 200, "{}", made.body);
        assert_eq!(made.headers["cache-control"], "no-store");
        let start = made.body.find("pcsk_").expect("the value is shown");
        let value: String = made.body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();

        // It reaches its tenant only.
        let (status, _, list) = v1(&server, Method::GET, "/v1/tenants", &value, None).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(list["total"], 1);
        assert_eq!(list["data"][0]["id"], other.id.0.as_str());

        let page = operator.get("/admin/api-keys").await;
        assert!(!page.body.contains(&value), "shown once");
        assert!(page.body.contains("billing"));
        assert!(
            page.body.contains("Only other") && page.body.contains(">other<"),
            "{}",
            page.body
        );
        let id = server.app.services.api_keys().await.unwrap()[0].id.clone();
        assert!(!page.body.contains(">never<"), "used once: {}", page.body);

        assert_eq!(operator.get("/admin/api-keys/revoke").await.status, 405);
        let revoked = operator
            .post("/admin/api-keys/revoke", &[("key_id", &id)])
            .await;
        assert_eq!(revoked.status, 303);
        assert_eq!(revoked.location(), "/admin/api-keys");
        let (status, _, _) = v1(&server, Method::GET, "/v1/tenants", &value, None).await;
        assert_eq!(status, 401);
        let page = operator.get("/admin/api-keys").await;
        assert!(page.body.contains(">revoked<"), "{}", page.body);

        // An all-tenants key.
        let made = operator
            .post("/admin/api-keys", &[("name", "ops"), ("tenant", "")])
            .await;
        assert_eq!(made.status, 200);
        let keys = server.app.services.api_keys().await.unwrap();
        let ops = keys.iter().find(|k| k.name == "ops").unwrap();
        assert_eq!(ops.tenant_id, None);
    });
}

#[tokio::test]
async fn signing_keys_are_listed_and_rotated() {
    each_backend!(|server| {
        let mut operator = signed_in_browser(&server, "boss", "Admin").await;
        let page = operator.get("/admin/signing-keys").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("<td>RS256</td>") && page.body.contains("<td>EdDSA</td>"));
        assert_eq!(page.body.matches("<td>signing</td>").count(), 2);
        let (_, before) = server.call(Method::GET, "/oauth2/jwks").await;
        assert_eq!(before["keys"].as_array().unwrap().len(), 2);

        assert_eq!(operator.get("/admin/signing-keys/rotate").await.status, 405);
        let forged = operator
            .send(reqwest::Client::new().post(format!("{}/admin/signing-keys/rotate", server.base)))
            .await;
        assert_eq!(forged.status, 403);
        let (_, unchanged) = server.call(Method::GET, "/oauth2/jwks").await;
        assert_eq!(unchanged, before);

        let rotated = operator.post("/admin/signing-keys/rotate", &[]).await;
        assert_eq!(rotated.status, 303);
        assert_eq!(rotated.location(), "/admin/signing-keys");
        let (_, after) = server.call(Method::GET, "/oauth2/jwks").await;
        assert_eq!(after["keys"].as_array().unwrap().len(), 4);
        let page = operator.get("/admin/signing-keys").await;
        assert_eq!(page.body.matches("<td>signing</td>").count(), 2);
        assert_eq!(page.body.matches("retired, published until").count(), 2);

        // The operator's action is in the activity log, with who did it.
        let auditor = server.signed_in("auditor", "Admin").await;
        let (status, log) = server
            .get("/api/activity?search=signing%20keys&include=user", &auditor)
            .await;
        assert_eq!(status, 200, "{log}");
        assert_eq!(log["meta"]["total"], 1, "{log}");
        let entry = &log["data"][0];
        assert!(entry["description"]
            .as_str()
            .unwrap()
            .starts_with("Rotated the signing keys"));
        assert_eq!(entry["user"]["username"], "boss", "{entry}");
    });
}

/// A user of `tenant` made through the services.
async fn user_of(server: &TestServer, tenant: &Tenant, username: &str, role: &str) -> User {
    server
        .app
        .services
        .create_user(
            tenant,
            CreateUser {
                username: Some(username.into()),
                email: format!("{username}@example.com"),
                password: portcullis_core::Secret::new(PASSWORD),
                role: role.into(),
                first_name: None,
                last_name: None,
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn operators_manage_another_tenant_from_the_console_and_return() {
    each_backend!(|server| {
        use portcullis_core::store::{RbacStore, UserStore};
        let mut operator = signed_in_browser(&server, "boss", "Admin").await;
        let boss = user_id(&server, "boss").await;
        let other = other_tenant(&server).await;
        let theirs = user_of(&server, &other, "theirs", "User").await;
        let store = &server.app.store;

        let tenant_page = operator
            .get(&format!("/admin/tenants/{}", other.id.0))
            .await;
        assert!(tenant_page.body.contains("id=\"manage-tenant\""));
        let own_page = operator
            .get(&format!("/admin/tenants/{}", server.tenant.id.0))
            .await;
        assert!(!own_page.body.contains("id=\"manage-tenant\""));

        // Switching is a CSRF-checked post.
        let manage = format!("/admin/tenants/{}/manage", other.id.0);
        assert_eq!(operator.get(&manage).await.status, 405);
        let forged = operator
            .send(
                reqwest::Client::new()
                    .post(format!("{}{manage}", server.base))
                    .form(&[("csrf_token", "forged")]),
            )
            .await;
        assert_eq!(forged.status, 403);
        assert!(operator.cookie("portcullis_console_tenant").is_none());
        assert_eq!(
            operator
                .post("/admin/tenants/nope/manage", &[])
                .await
                .status,
            404
        );

        let switched = operator.post(&manage, &[]).await;
        assert_eq!(switched.status, 303, "{}", switched.body);
        assert_eq!(switched.location(), "/admin");
        let overview = operator.get("/admin").await;
        assert!(
            overview
                .body
                .contains("You are managing the tenant <strong>other</strong>"),
            "{}",
            overview.body
        );
        let users = operator.get("/admin/users").await;
        assert!(users.body.contains("theirs@example.com"), "{}", users.body);
        assert!(!users.body.contains("boss@example.com"));
        // The operator's own tenant is out of reach while another is managed.
        let own_user = operator.get(&format!("/admin/users/{}", boss.0)).await;
        assert_eq!(own_user.status, 404);

        // Every form says which tenant it was shown for; one shown for another tenant (a tab
        // left open before the switch), or saying none, changes nothing.
        let there = other.id.0.as_str();
        let settings = operator.get("/admin/settings").await;
        assert!(
            settings
                .body
                .contains(&format!("name=\"console_tenant\" value=\"{there}\"")),
            "{}",
            settings.body
        );
        let ban_path = format!("/admin/users/{}/status", theirs.id.0);
        let home = server.tenant.id.0.as_str();
        for stale in [vec![("console_tenant", home)], vec![]] {
            let mut fields = vec![("status", "Banned")];
            fields.extend(stale);
            let refused = operator.post(&ban_path, &fields).await;
            assert_eq!(refused.status, 409, "{}", refused.body);
        }
        let stored = store.user(&other.id, theirs.id).await.unwrap().unwrap();
        assert_eq!(stored.status(&other.settings), UserStatus::Active);

        // Acts there as its Admin: a ban, an invitation, a setting.
        let banned = operator
            .post(
                &ban_path,
                &[("status", "Banned"), ("console_tenant", there)],
            )
            .await;
        assert_eq!(banned.status, 303, "{}", banned.body);
        let stored = store.user(&other.id, theirs.id).await.unwrap().unwrap();
        assert_eq!(stored.status(&other.settings), UserStatus::Banned);
        let form = operator.get("/admin/users/new").await;
        let their_user_role = super::admin::option_value(&form.body, "User");
        let their_role = server
            .app
            .store
            .role_by_name(&other.id, "User")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(their_role.id.0.to_string(), their_user_role);
        let invited = operator
            .post(
                "/admin/users",
                &[
                    ("email", "newcomer@example.com"),
                    ("role_id", &their_user_role),
                    ("console_tenant", there),
                ],
            )
            .await;
        assert_eq!(invited.status, 303, "{}", invited.body);
        assert!(store
            .user_by_email(&other.id, "newcomer@example.com")
            .await
            .unwrap()
            .is_some());
        assert!(store
            .user_by_email(&server.tenant.id, "newcomer@example.com")
            .await
            .unwrap()
            .is_none());
        let closed = super::admin_settings::auth_form(&settings.body, &[("reg_enabled", "")]);
        let mut closed: Vec<(&str, &str)> = closed.iter().map(|(k, v)| (*k, v.as_str())).collect();
        closed.push(("console_tenant", there));
        let saved = operator.post("/admin/settings/auth", &closed).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let mut visitor = browser_on_other_host(&server);
        assert_eq!(visitor.get("/signup").await.status, 404);
        let mut own_visitor = Browser::new(&server);
        assert_eq!(own_visitor.get("/signup").await.status, 200);

        // The operator's tenant keeps a record of the switch.
        let auditor = server.signed_in("auditor", "Admin").await;
        let (status, log) = server
            .get("/api/activity?search=Managed%20the%20tenant", &auditor)
            .await;
        assert_eq!(status, 200, "{log}");
        assert_eq!(
            log["data"][0]["description"],
            "Managed the tenant other from the console"
        );

        // The tenant's log names the operator, who is no user of it.
        let theirboss = user_of(&server, &other, "theirboss", "Admin").await;
        let mut their_admin = browser_on_other_host(&server);
        assert_eq!(their_admin.sign_in("theirboss", PASSWORD).await.status, 303);
        let log = their_admin.get("/admin/activity?search=banned").await;
        assert!(
            log.body
                .contains("Banned theirs@example.com. (by the operator boss@example.com)"),
            "{}",
            log.body
        );
        assert!(!log.body.contains(&format!("user={}", boss.0)));
        drop(theirboss);

        // The choice holds in the session that made it only.
        let mut second = Browser::new(&server);
        assert_eq!(second.sign_in("boss", PASSWORD).await.status, 303);
        let choice = operator.cookie("portcullis_console_tenant").unwrap();
        second
            .cookies
            .insert("portcullis_console_tenant".into(), choice);
        let users = second.get("/admin/users").await;
        assert!(users.body.contains("boss@example.com"), "{}", users.body);
        assert!(!users.body.contains("You are managing"));

        let back = operator.post("/admin/manage/return", &[]).await;
        assert_eq!(back.status, 303);
        let late = operator
            .post(
                &ban_path,
                &[("status", "Active"), ("console_tenant", there)],
            )
            .await;
        assert_eq!(
            late.status, 409,
            "a form of the managed tenant, after returning"
        );
        assert!(operator.cookie("portcullis_console_tenant").is_none());
        let users = operator.get("/admin/users").await;
        assert!(users.body.contains("boss@example.com"), "{}", users.body);
        assert!(!users.body.contains("theirs@example.com"));
    });
}

#[tokio::test]
async fn a_console_tenant_cookie_gives_no_one_else_another_tenant() {
    each_backend!(|server| {
        let other = other_tenant(&server).await;
        user_of(&server, &other, "theirs", "User").await;
        let chosen = other.id.0.clone();

        // A tenant administrator of the default tenant (every permission, not the operator)
        // who forges the cookie still sees their own tenant.
        let maker = server.signed_in("maker", "Admin").await;
        let every = [
            "users.manage",
            "users.activity",
            "roles.manage",
            "permissions.manage",
            "settings.general",
            "settings.auth",
            "settings.notifications",
        ];
        super::admin_roles::role_with(&server, &maker, "deputies", &every).await;
        let mut admin = super::admin_roles::browser_as(&server, "deputy", "deputies").await;
        admin
            .cookies
            .insert("portcullis_console_tenant".into(), chosen.clone());
        let users = admin.get("/admin/users").await;
        assert_eq!(users.status, 200, "{}", users.body);
        assert!(!users.body.contains("theirs@example.com"), "{}", users.body);
        assert!(!users.body.contains("You are managing"));
        assert_eq!(
            admin
                .post(&format!("/admin/tenants/{chosen}/manage"), &[])
                .await
                .status,
            403
        );

        // Another tenant's Admin cannot reach the default tenant by naming it.
        user_of(&server, &other, "theirboss", "Admin").await;
        let mut their_admin = browser_on_other_host(&server);
        assert_eq!(their_admin.sign_in("theirboss", PASSWORD).await.status, 303);
        their_admin.cookies.insert(
            "portcullis_console_tenant".into(),
            server.tenant.id.0.clone(),
        );
        server.create_user("mine", "User").await;
        let users = their_admin.get("/admin/users").await;
        assert_eq!(users.status, 200, "{}", users.body);
        assert!(!users.body.contains("mine@example.com"), "{}", users.body);

        // An operator demoted while managing another tenant loses it with the role.
        let mut operator = signed_in_browser(&server, "boss", "Admin").await;
        let switched = operator
            .post(&format!("/admin/tenants/{chosen}/manage"), &[])
            .await;
        assert_eq!(switched.status, 303);
        let boss = user_id(&server, "boss").await;
        let (status, roles) = server.get("/api/roles", &maker).await;
        assert_eq!(status, 200, "{roles}");
        let user_role = roles
            .as_array()
            .unwrap()
            .iter()
            .find(|role| role["name"] == "User")
            .unwrap()["id"]
            .clone();
        let (status, demoted) = server
            .send(
                Method::PUT,
                &format!("/api/users/{}", boss.0),
                &maker,
                json!({ "role_id": user_role }),
            )
            .await;
        assert!((200..300).contains(&status), "{demoted}");
        assert_eq!(operator.get("/admin/users").await.status, 403);
    });
}

//! The administration console: who may open it, the users section (list, search, a user's
//! page, banning), and that its forms are guarded as every page's are.

use super::*;
use portcullis_core::accounts::CreateUser;
use portcullis_core::tenants::TenantInput;

/// The value of the `<option>` a page offers under this label (a role's id, say).
pub(super) fn option_value(page: &str, label: &str) -> String {
    page.split("<option value=\"")
        .skip(1)
        .find(|option| option.contains(&format!(">{label}<")))
        .and_then(|option| option.split('"').next())
        .unwrap_or_else(|| panic!("{label} is offered"))
        .to_owned()
}

pub(super) async fn admin_browser(server: &TestServer) -> Browser {
    server.create_user("boss", "Admin").await;
    let mut browser = Browser::new(server);
    browser.sign_in("boss", PASSWORD).await;
    browser
}

#[tokio::test]
async fn the_console_is_for_those_whose_role_allows_a_section() {
    each_backend!(|server| {
        let mut stranger = Browser::new(&server);
        let answer = stranger.get("/admin").await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(answer.location(), "/login?return_to=%2Fadmin");

        server.create_user("plain", "User").await;
        let mut plain = Browser::new(&server);
        plain.sign_in("plain", PASSWORD).await;
        for path in ["/admin", "/admin/users", "/admin/users/1"] {
            let answer = plain.get(path).await;
            assert_eq!(answer.status, 403, "{path}: {}", answer.body);
            assert!(answer.body.contains("Not for this account"), "{path}");
        }

        let mut admin = admin_browser(&server).await;
        let overview = admin.get("/admin").await;
        assert_eq!(overview.status, 200, "{}", overview.body);
        assert!(overview.body.contains("<a href=\"/admin/users\">Users</a>"));
        assert!(
            overview.body.contains("id=\"users-total\">2<"),
            "{}",
            overview.body
        );
        assert!(overview.body.contains("Registrations per month this year"));
        // Two sign-ins today: the plain user's and the administrator's.
        assert!(
            overview.body.contains("2 sign-ins in 30 days;"),
            "{}",
            overview.body
        );
    });
}

#[tokio::test]
async fn users_are_listed_searched_filtered_and_paged() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        for n in 0..26 {
            server.create_user(&format!("member{n:02}"), "User").await;
        }
        let list = admin.get("/admin/users").await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert!(
            list.body.contains("27 user(s) found, page 1."),
            "{}",
            list.body
        );
        assert!(list.body.contains("id=\"next-page\""));
        let next = admin.get("/admin/users?search=&status=&page=2").await;
        assert!(next.body.contains("page 2."), "{}", next.body);
        assert!(next.body.contains("id=\"previous-page\""));
        assert!(!next.body.contains("id=\"next-page\""));

        let found = admin.get("/admin/users?search=MEMBER07").await;
        assert!(found.body.contains("1 user(s) found"), "{}", found.body);
        assert!(found.body.contains("member07@example.com"));
        // Text that looks like SQL is only text.
        let odd = admin.get("/admin/users?search=%27%20OR%201%3D1%20--").await;
        assert_eq!(odd.status, 200);
        assert!(odd.body.contains("0 user(s) found"), "{}", odd.body);
        let banned = admin.get("/admin/users?status=Banned").await;
        assert!(banned.body.contains("0 user(s) found"), "{}", banned.body);
        // A page number past the end, or not a number, is no error.
        assert_eq!(admin.get("/admin/users?page=999").await.status, 200);
        assert_eq!(admin.get("/admin/users?page=x").await.status, 200);
    });
}

#[tokio::test]
async fn a_ban_from_the_console_ends_sessions_and_needs_the_form() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        let member = server.create_user("member", "User").await;
        let token = server.login("member").await;
        let path = format!("/admin/users/{}", member.id.0);
        let page = admin.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("id=\"user-status\">Active<"));
        assert!(
            page.body.contains("id=\"user-sessions\">1<"),
            "{}",
            page.body
        );

        // Nothing changes by a link, nor by a post without the form's token.
        let status_path = format!("{path}/status");
        assert_eq!(admin.get(&status_path).await.status, 405);
        let forged = admin
            .send(
                reqwest::Client::new()
                    .post(format!("{}{status_path}", server.base))
                    .form(&[("status", "Banned")]),
            )
            .await;
        assert_eq!(forged.status, 403);
        let (status, _) = server.get("/api/me", &token).await;
        assert_eq!(status, 200);

        let banned = admin.post(&status_path, &[("status", "Banned")]).await;
        assert_eq!(banned.status, 303, "{}", banned.body);
        assert_eq!(banned.location(), path);
        let page = admin.get(&path).await;
        assert!(
            page.body.contains("id=\"user-status\">Banned<"),
            "{}",
            page.body
        );
        let (status, _) = server.get("/api/me", &token).await;
        assert_eq!(status, 401, "a ban ends the member's sessions");
        let (status, _) = server.try_login("member", PASSWORD).await;
        assert_ne!(status, 200);

        let back = admin.post(&status_path, &[("status", "Active")]).await;
        assert_eq!(back.status, 303);
        assert_eq!(server.try_login("member", PASSWORD).await.0, 200);
        assert_eq!(
            admin.post(&status_path, &[("status", "Boss")]).await.status,
            400
        );
    });
}

#[tokio::test]
async fn another_tenants_users_are_not_found() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        let services = &server.app.services;
        let other = services
            .create_tenant(TenantInput {
                name: "other".into(),
                ..TenantInput::default()
            })
            .await
            .unwrap();
        let outsider = services
            .create_user(
                &other,
                CreateUser {
                    username: Some("outsider".into()),
                    email: "outsider@example.com".into(),
                    password: portcullis_core::Secret::new(PASSWORD),
                    role: "User".into(),
                    first_name: None,
                    last_name: None,
                },
            )
            .await
            .unwrap();
        let path = format!("/admin/users/{}", outsider.id.0);
        assert_eq!(admin.get(&path).await.status, 404);
        let tried = admin
            .post(&format!("{path}/status"), &[("status", "Banned")])
            .await;
        assert_eq!(tried.status, 404, "{}", tried.body);
        assert_eq!(admin.get("/admin/users/not-a-number").await.status, 404);
        let found = admin.get("/admin/users?search=outsider").await;
        assert!(found.body.contains("0 user(s) found"), "{}", found.body);
    });
}

#[tokio::test]
async fn sessions_end_from_a_users_page_and_deleting_needs_the_address_typed() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        let member = server.create_user("member", "User").await;
        let first = server.login("member").await;
        let second = server.login("member").await;
        let path = format!("/admin/users/{}", member.id.0);
        let page = admin.get(&path).await;
        assert!(
            page.body.contains("id=\"user-sessions\">2<"),
            "{}",
            page.body
        );
        let session = page
            .body
            .split("name=\"session_id\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let ended = admin
            .post(&format!("{path}/sessions/end"), &[("session_id", &session)])
            .await;
        assert_eq!(ended.status, 303, "{}", ended.body);
        let alive = [
            server.get("/api/me", &first).await.0,
            server.get("/api/me", &second).await.0,
        ];
        assert_eq!(alive.iter().filter(|s| **s == 200).count(), 1, "{alive:?}");
        admin
            .post(&format!("{path}/sessions/end"), &[("session_id", "all")])
            .await;
        assert_eq!(server.get("/api/me", &first).await.0, 401);
        assert_eq!(server.get("/api/me", &second).await.0, 401);

        let wrong = admin
            .post(&format!("{path}/delete"), &[("confirm", "member")])
            .await;
        assert_eq!(wrong.status, 422, "{}", wrong.body);
        assert!(
            wrong.body.contains("email address to confirm the deletion"),
            "{}",
            wrong.body
        );
        assert_eq!(admin.get(&path).await.status, 200, "still there");
        let deleted = admin
            .post(
                &format!("{path}/delete"),
                &[("confirm", "member@example.com")],
            )
            .await;
        assert_eq!(deleted.status, 303, "{}", deleted.body);
        assert_eq!(admin.get(&path).await.status, 404);
    });
}

#[tokio::test]
async fn the_activity_log_is_searched_paged_and_exported() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        server.create_user("member", "User").await;
        server.login("member").await;
        let log = admin.get("/admin/activity").await;
        assert_eq!(log.status, 200, "{}", log.body);
        assert!(log.body.contains("<th scope=\"col\">What</th>"));
        let found = admin.get("/admin/activity?search=logged%20in").await;
        assert_eq!(found.status, 200);
        let export = admin.get("/admin/activity/export").await;
        assert_eq!(export.status, 200);
        assert_eq!(
            export.headers["content-type"].to_str().unwrap(),
            "application/x-ndjson"
        );
        let lines: Vec<serde_json::Value> = export
            .body
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert!(!lines.is_empty());
        assert!(lines.iter().all(|l| l["description"].is_string()));

        server.create_user("plain", "User").await;
        let mut plain = Browser::new(&server);
        plain.sign_in("plain", PASSWORD).await;
        assert_eq!(plain.get("/admin/activity").await.status, 403);
        assert_eq!(plain.get("/admin/activity/export").await.status, 403);
    });
}

#[tokio::test]
async fn an_invited_user_chooses_a_password_from_the_mail() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        let form = admin.get("/admin/users/new").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let user_role = option_value(&form.body, "User");
        // The least role is chosen until someone picks another.
        assert!(
            form.body
                .contains(&format!("<option value=\"{user_role}\" selected>")),
            "{}",
            form.body
        );

        let bad = admin
            .post(
                "/admin/users",
                &[("email", "not-an-address"), ("role_id", &user_role)],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains("id=\"email-error\""), "{}", bad.body);

        let invited = admin
            .post(
                "/admin/users",
                &[
                    ("email", "newcomer@example.com"),
                    ("username", "newcomer"),
                    ("role_id", &user_role),
                ],
            )
            .await;
        assert_eq!(invited.status, 303, "{}", invited.body);
        assert!(invited.location().starts_with("/admin/users/"));
        let mail = server.wait_for_mail("newcomer@example.com", 1).await;
        let token = token_after(&mail, "minutes: ");
        let (status, body) = server
            .post(
                "/api/password/reset",
                json!({
                    "token": token, "email": "newcomer@example.com",
                    "password": "chosen-by-the-newcomer",
                    "password_confirmation": "chosen-by-the-newcomer",
                }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = server.try_login("newcomer", "chosen-by-the-newcomer").await;
        assert_eq!(status, 200);

        server.create_user("plain", "User").await;
        let mut plain = Browser::new(&server);
        plain.sign_in("plain", PASSWORD).await;
        assert_eq!(plain.get("/admin/users/new").await.status, 403);
        let tried = plain
            .post(
                "/admin/users",
                &[("email", "x@example.com"), ("role_id", &user_role)],
            )
            .await;
        assert_eq!(tried.status, 403, "{}", tried.body);
    });
}

#[tokio::test]
async fn a_users_role_changes_and_a_second_factor_is_turned_off_from_their_page() {
    each_backend!(|server| {
        server.set_settings(|s| s.two_factor_enabled = true).await;
        let mut admin = admin_browser(&server).await;
        let member = server.create_user("member", "User").await;
        let path = format!("/admin/users/{}", member.id.0);
        let page = admin.get(&path).await;
        let admin_role = option_value(&page.body, "Admin");
        let changed = admin
            .post(&format!("{path}/role"), &[("role_id", &admin_role)])
            .await;
        assert_eq!(changed.status, 303, "{}", changed.body);
        let mut promoted = Browser::new(&server);
        promoted.sign_in("member", PASSWORD).await;
        assert_eq!(promoted.get("/admin").await.status, 200, "an Admin now");
        let unknown = admin
            .post(&format!("{path}/role"), &[("role_id", "999999")])
            .await;
        assert_eq!(unknown.status, 422, "{}", unknown.body);

        // The member has no second factor: said so, nothing breaks.
        let off = admin.post(&format!("{path}/two-factor/off"), &[]).await;
        assert_eq!(off.status, 422, "{}", off.body);
        assert!(off.body.contains("id=\"form-errors\""), "{}", off.body);
    });
}

#[tokio::test]
async fn a_reset_mail_is_sent_from_a_users_page_and_the_log_filters_by_user() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        let member = server.create_user("member", "User").await;
        server.login("member").await;
        let path = format!("/admin/users/{}", member.id.0);
        let sent = admin.post(&format!("{path}/reset-mail"), &[]).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let page = admin.get(sent.location()).await;
        assert!(page.body.contains("id=\"notice\""), "{}", page.body);
        server.wait_for_mail("member@example.com", 1).await;

        let only = admin
            .get(&format!("/admin/activity?user={}", member.id.0))
            .await;
        assert_eq!(only.status, 200, "{}", only.body);
        let all = admin.get("/admin/activity").await;
        let rows = |body: &str| body.matches("<tr><td>").count();
        assert!(rows(&only.body) >= 1, "{}", only.body);
        assert!(rows(&only.body) < rows(&all.body), "{}", only.body);
        assert_eq!(admin.get("/admin/activity?user=999999").await.status, 404);
    });
}

#[tokio::test]
async fn users_are_filtered_by_role() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        server.create_user("member", "User").await;
        let list = admin.get("/admin/users").await;
        let admin_role = option_value(&list.body, "Admin");
        let admins = admin.get(&format!("/admin/users?role={admin_role}")).await;
        assert!(admins.body.contains("1 user(s) found"), "{}", admins.body);
        assert!(admins.body.contains("boss@example.com"));
        assert!(!admins.body.contains("member@example.com"));
        let nobody = admin.get("/admin/users?role=999999").await;
        assert!(nobody.body.contains("0 user(s) found"), "{}", nobody.body);
        let any = admin.get("/admin/users?role=x").await;
        assert!(any.body.contains("2 user(s) found"), "{}", any.body);
    });
}

#[tokio::test]
async fn the_activity_log_filters_by_address_and_days() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        let today = server.clock_now().date();
        let day = |date: time::Date| {
            format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            )
        };
        let (yesterday, tomorrow) = (
            day(today.previous_day().unwrap()),
            day(today.next_day().unwrap()),
        );
        let today = day(today);
        let found = |body: &str| body.matches("<tr><td>").count();
        let all = found(&admin.get("/admin/activity").await.body);
        assert!(all > 0);
        for (query, expected) in [
            (format!("from={today}&until={today}"), all),
            (format!("from={tomorrow}"), 0),
            (format!("until={yesterday}"), 0),
            ("address=127.0.0.1".to_owned(), all),
            ("address=10.9.9.9".to_owned(), 0),
            ("from=not-a-date".to_owned(), all),
        ] {
            let page = admin.get(&format!("/admin/activity?{query}")).await;
            assert_eq!(page.status, 200, "{query}");
            assert_eq!(found(&page.body), expected, "{query}: {}", page.body);
        }
        let export = admin
            .get(&format!("/admin/activity/export?from={tomorrow}"))
            .await;
        assert_eq!(export.status, 200);
        assert!(export.body.is_empty(), "{}", export.body);
    });
}

#[tokio::test]
async fn the_activity_log_filters_by_kind_on_the_page_and_in_the_export() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        server.create_user("member", "User").await;
        assert_eq!(server.try_login("member", "wrong-password").await.0, 401);
        let member = crate::harness::user_id(&server, "member").await;
        let banned = admin
            .post(
                &format!("/admin/users/{}/status", member.0),
                &[("status", "Banned")],
            )
            .await;
        assert_eq!(banned.status, 303);
        let rows = |body: &str| -> Vec<String> {
            body.split("<tr><td>")
                .skip(1)
                .map(|row| row.split("</tr>").next().unwrap().to_owned())
                .collect()
        };
        let page = admin.get("/admin/activity").await;
        assert!(page.body.contains("<option value=\"failed-sign-ins\">"));
        for (kind, expected, refused) in [
            ("sign-ins", "Logged in.", "Banned"),
            ("failed-sign-ins", "Failed login attempt.", "Logged in."),
            ("accounts", "Banned member@example.com.", "Logged in."),
        ] {
            let page = admin.get(&format!("/admin/activity?kind={kind}")).await;
            assert_eq!(page.status, 200, "{kind}");
            let found = rows(&page.body);
            assert!(!found.is_empty(), "{kind}: {}", page.body);
            assert!(
                found.iter().all(|row| !row.contains(refused)),
                "{kind}: {found:?}"
            );
            assert!(
                found.iter().any(|row| row.contains(expected)),
                "{kind}: {found:?}"
            );
            assert!(page.body.contains(&format!("value=\"{kind}\" selected")));
        }
        // An unknown kind filters nothing; the export follows the kind.
        let all = rows(&admin.get("/admin/activity").await.body).len();
        let odd = admin.get("/admin/activity?kind=%27%20OR%201%3D1").await;
        assert_eq!(rows(&odd.body).len(), all);
        let export = admin
            .get("/admin/activity/export?kind=failed-sign-ins")
            .await;
        assert_eq!(export.status, 200);
        let lines: Vec<&str> = export.body.lines().collect();
        assert_eq!(lines.len(), 1, "{}", export.body);
        assert!(lines[0].contains("Failed login attempt."));
    });
}

#[tokio::test]
async fn every_console_form_refuses_a_missing_or_foreign_csrf_token_and_gets_change_nothing() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        let mut other = Browser::new(&server);
        other.get("/login").await;
        let foreign = other.cookie("portcullis_csrf").unwrap();
        let console: Vec<String> = portcullis_http::pages::PATHS
            .iter()
            .filter(|path| path.starts_with("/admin"))
            .map(|path| {
                path.replace("{id}", "1")
                    .replace("{group}", "auth")
                    .replace("{network}", "google")
            })
            .collect();
        assert!(console.len() > 30, "{console:?}");
        let before = admin.get("/admin/activity/export").await.body;
        let mut posted = 0;
        for path in &console {
            let url = format!("{}{path}", server.base);
            for token in [None, Some(foreign.as_str())] {
                let mut fields = vec![("name", "x"), ("status", "Banned")];
                if let Some(token) = token {
                    fields.push(("csrf_token", token));
                }
                let answer = admin
                    .send(reqwest::Client::new().post(&url).form(&fields))
                    .await;
                assert!(
                    [403, 405].contains(&answer.status),
                    "{path} with {token:?}: {}",
                    answer.status
                );
                posted += usize::from(answer.status == 403);
            }
            // A GET either shows a page or is refused; it never acts.
            let shown = admin.get(path).await;
            assert!(
                [200, 303, 404, 405].contains(&shown.status),
                "GET {path}: {}",
                shown.status
            );
        }
        assert!(posted >= 50, "{posted} posts were refused for their token");
        // Nothing happened: the log gained only the reads' own entries, if any.
        let after = admin.get("/admin/activity/export").await.body;
        assert_eq!(before.lines().count(), after.lines().count(), "{after}");
    });
}

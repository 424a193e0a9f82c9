//! Sensitive account changes (email, password, second factor) go through one service: only a
//! login session makes them, a stale sign-in proves presence where the tenant asks, a new
//! address is never verified by the change, and the previous address is always told.

use crate::harness::{each_backend, TestServer, PASSWORD};
use crate::tokens::make_token;
use reqwest::Method;
use serde_json::{json, Value};

async fn patch(server: &TestServer, path: &str, token: &str, body: Value) -> (u16, Value) {
    server.send(Method::PATCH, path, token, body).await
}

/// When the user's address was verified (unix seconds), read from the database.
async fn verified_at(server: &TestServer, username: &str) -> Option<i64> {
    let id = crate::harness::user_id(server, username).await;
    let inspect = server.inspect().await;
    let (at,): (Option<i64>,) = sqlx::query_as("SELECT email_verified_at FROM users WHERE id = $1")
        .bind(id.0)
        .fetch_one(&inspect)
        .await
        .unwrap();
    at
}

fn notices(server: &TestServer, to: &str) -> Vec<String> {
    server
        .mails_to(to)
        .into_iter()
        .filter(|mail| mail.contains("Your account was changed"))
        .collect()
}

#[tokio::test]
async fn a_changed_email_is_never_verified_by_the_change_and_the_old_address_is_told() {
    each_backend!(|server| {
        server.create_user("owner", "User").await;
        assert!(verified_at(&server, "owner").await.is_some());
        let token = server.login("owner").await;
        // Under the default settings (unverified addresses may sign in), the address
        // changes at once, unverified: ID tokens and userinfo must not vouch for it.
        let (status, user) = patch(
            &server,
            "/api/me/details/auth",
            &token,
            json!({ "email": "attacker@example.net" }),
        )
        .await;
        assert_eq!(
            (status, &user["email"]),
            (200, &json!("attacker@example.net"))
        );
        assert_eq!(verified_at(&server, "owner").await, None);
        let notice = server.wait_for_mail("owner@example.com", 1).await;
        assert!(notice.contains("attacker@example.net"), "{notice}");
        assert!(
            notice.contains("http://portcullis.test/forgot-password"),
            "{notice}"
        );
        // A password change tells the address too.
        let (status, _) = patch(
            &server,
            "/api/me/details/auth",
            &token,
            json!({ "email": "attacker@example.net", "password": "new-password-1",
                    "password_confirmation": "new-password-1" }),
        )
        .await;
        assert_eq!(status, 200);
        let told = server.wait_for_mail("attacker@example.net", 1).await;
        assert!(told.contains("password was changed"), "{told}");
    });
}

#[tokio::test]
async fn tokens_that_are_not_a_login_session_make_no_sensitive_change() {
    each_backend!(|server| {
        server.set_settings(|s| s.two_factor_enabled = true).await;
        let session = server.signed_in("owner", "User").await;
        let (status, _) = server
            .send(
                Method::PUT,
                "/api/me/2fa",
                &session,
                json!({ "method": "email" }),
            )
            .await;
        assert_eq!(status, 200);
        // A personal token with every scope, say one leaked from a script.
        let leaked = make_token(&server, &session, &["*"]).await;
        let forbidden = (403, json!({ "error": "Forbidden." }));
        let email = json!({ "email": "attacker@example.net" });
        assert_eq!(
            patch(&server, "/api/me/details/auth", &leaked, email).await,
            forbidden
        );
        let password = json!({ "email": "owner@example.com", "password": "taken-over-1",
                               "password_confirmation": "taken-over-1" });
        assert_eq!(
            patch(&server, "/api/me/details/auth", &leaked, password).await,
            forbidden
        );
        assert_eq!(
            server
                .send(
                    Method::POST,
                    "/api/me/2fa/recovery-codes",
                    &leaked,
                    json!({})
                )
                .await,
            forbidden
        );
        assert_eq!(
            server
                .send(Method::DELETE, "/api/me/2fa", &leaked, json!({}))
                .await,
            forbidden
        );
        // What is not sensitive still works with it, and so does the session itself.
        let (status, _) = patch(
            &server,
            "/api/me/details/auth",
            &leaked,
            json!({ "email": "owner@example.com", "username": "renamed" }),
        )
        .await;
        assert_eq!(status, 200);
        let (status, body) = server
            .send(Method::DELETE, "/api/me/2fa", &session, json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        let told = server
            .wait_for_mail_with("owner@example.com", "turned off", 1)
            .await;
        assert!(told.contains("Your account was changed"), "{told}");
        // Turned on, then off: two notices, nothing else of the leaked token's.
        assert_eq!(notices(&server, "owner@example.com").len(), 2);
    });
}

#[tokio::test]
async fn a_stale_sign_in_proves_presence_where_the_tenant_asks() {
    each_backend!(|server| {
        let stolen = server.signed_in("owner", "User").await;
        // Document 001's contract by default: no extra field is asked for.
        server.clock.advance(time::Duration::minutes(10));
        let change = json!({ "email": "owner@example.com", "password": "new-password-1",
                             "password_confirmation": "new-password-1" });
        assert_eq!(
            patch(&server, "/api/me/details/auth", &stolen, change.clone())
                .await
                .0,
            200
        );
        // An administrator turns the step-up on for the account API.
        let admin = server.signed_in("boss", "Admin").await;
        let (status, body) = patch(
            &server,
            "/api/settings",
            &admin,
            json!({ "reauth_seconds": 300 }),
        )
        .await;
        assert_eq!((status, &body["reauth_seconds"]), (200, &json!(300)));
        let fresh = server.try_login("owner", "new-password-1").await.1["token"]
            .as_str()
            .unwrap()
            .to_owned();
        // A fresh sign-in needs nothing more ...
        let (status, body) = patch(&server, "/api/me/details/auth", &fresh, change.clone()).await;
        assert_eq!(status, 200, "{body}");
        // ... a stale one must give the current password.
        server.clock.advance(time::Duration::minutes(6));
        assert_eq!(
            patch(&server, "/api/me/details/auth", &fresh, change.clone()).await,
            (
                422,
                json!({ "current_password": ["Confirm your current password to make this change."] })
            )
        );
        let mut wrong = change.clone();
        wrong["current_password"] = json!(PASSWORD);
        assert_eq!(
            patch(&server, "/api/me/details/auth", &fresh, wrong).await,
            (
                422,
                json!({ "current_password": ["The current password is incorrect."] })
            )
        );
        let mut right = change.clone();
        right["current_password"] = json!("new-password-1");
        let (status, body) = patch(&server, "/api/me/details/auth", &fresh, right).await;
        assert_eq!(status, 200, "{body}");
    });
}

#[tokio::test]
async fn a_password_reset_keeps_a_disabled_credential_disabled_and_creates_a_missing_one() {
    each_backend!(|server| {
        server.create_user("locked", "User").await;
        let id = crate::harness::user_id(&server, "locked").await;
        let inspect = server.inspect().await;
        sqlx::query("UPDATE credentials SET disabled = TRUE WHERE user_id = $1")
            .bind(id.0)
            .execute(&inspect)
            .await
            .unwrap();
        reset(&server, "locked@example.com", 1).await;
        assert_eq!(
            server.try_login("locked", "after-reset-1").await.0,
            401,
            "an administrator's disabling outlives a reset"
        );
        // An account with no password at all (made by a social sign-in, say).
        server.create_user("social", "User").await;
        let id = crate::harness::user_id(&server, "social").await;
        sqlx::query("DELETE FROM credentials WHERE user_id = $1")
            .bind(id.0)
            .execute(&inspect)
            .await
            .unwrap();
        reset(&server, "social@example.com", 1).await;
        assert_eq!(server.try_login("social", "after-reset-1").await.0, 200);
    });
}

/// Asks for a reset mail to `email` (its `nth_mail` reset mail) and resets the password to
/// `after-reset-1` with it.
async fn reset(server: &TestServer, email: &str, nth_mail: usize) {
    let (status, body) = server
        .post("/api/password/remind", json!({ "email": email }))
        .await;
    assert_eq!(status, 200, "{body}");
    let mail = server
        .wait_for_mail_with(email, "minutes: ", nth_mail)
        .await;
    let token = crate::harness::token_after(&mail, "minutes: ");
    let (status, body) = server
        .post(
            "/api/password/reset",
            json!({ "email": email, "token": token, "password": "after-reset-1",
                    "password_confirmation": "after-reset-1" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_pending_address_dies_with_a_password_reset_and_its_confirmation_is_told() {
    each_backend!(|server| {
        server.set_settings(|s| s.allow_unverified = false).await;
        let hijacked = server.signed_in("owner", "User").await;
        // The intruder asks for their own address; it waits for its confirmation.
        let (status, _) = patch(
            &server,
            "/api/me/details/auth",
            &hijacked,
            json!({ "email": "intruder@example.net" }),
        )
        .await;
        assert_eq!(status, 200);
        let link = server.wait_for_mail("intruder@example.net", 1).await;
        let secret = crate::harness::token_after(&link, "/api/registration/verify-email/");
        // The owner, told, resets the password: every session ends, and so does the wait.
        reset(&server, "owner@example.com", 1).await;
        let path = format!("/api/registration/verify-email/{secret}");
        assert_eq!(server.post(&path, json!({})).await.0, 400);
        assert_eq!(
            server
                .try_login("owner@example.com", "after-reset-1")
                .await
                .0,
            200
        );

        // A change the owner makes and confirms is told to the old address too.
        let token = server.try_login("owner", "after-reset-1").await.1["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _) = patch(
            &server,
            "/api/me/details/auth",
            &token,
            json!({ "email": "owner.new@example.com" }),
        )
        .await;
        assert_eq!(status, 200);
        let link = server.wait_for_mail("owner.new@example.com", 1).await;
        let secret = crate::harness::token_after(&link, "/api/registration/verify-email/");
        let path = format!("/api/registration/verify-email/{secret}");
        assert_eq!(server.post(&path, json!({})).await.0, 200);
        server
            .wait_for_mail_with("owner@example.com", "the new one was confirmed", 1)
            .await;
    });
}

#[tokio::test]
async fn a_leaked_token_cannot_send_the_second_factor_elsewhere() {
    each_backend!(|server| {
        server.set_settings(|s| s.two_factor_enabled = true).await;
        let session = server.signed_in("owner", "User").await;
        let leaked = make_token(&server, &session, &["*"]).await;
        for method in [
            json!({ "method": "email" }),
            json!({ "country_code": 1, "phone_number": 5550100 }),
        ] {
            assert_eq!(
                server
                    .send(Method::PUT, "/api/me/2fa", &leaked, method)
                    .await,
                (403, json!({ "error": "Forbidden." }))
            );
        }
        // The administrators' path on one's own account is no way around it.
        let boss = server.signed_in("boss", "Admin").await;
        let admin_leak = make_token(&server, &boss, &["*"]).await;
        let me = crate::harness::user_id(&server, "boss").await.0;
        let change = json!({ "password": "taken-over-1", "password_confirmation": "taken-over-1" });
        assert_eq!(
            server
                .send(
                    Method::PUT,
                    &format!("/api/users/{me}"),
                    &admin_leak,
                    change
                )
                .await,
            (403, json!({ "error": "Forbidden." }))
        );
        assert_eq!(server.try_login("boss", PASSWORD).await.0, 200);
    });
}

//! A user's page in the console beyond profile and status: the password, passkeys, second
//! factor, personal tokens, confirmed address and metadata, each changed through the core
//! services (checked through the APIs and the store), with the token cache on.

use super::admin::admin_browser;
use super::second_factor::enable_totp;
use super::*;
use crate::harness::user_id;
use portcullis_core::store::{PasskeyStore, UserStore};

fn user_path(id: portcullis_core::UserId, rest: &str) -> String {
    format!("/admin/users/{}{rest}", id.0)
}

#[tokio::test]
async fn passwords_passkeys_and_tokens_are_turned_off_removed_and_revoked() {
    each_backend!(|server| {
        let mut admin = admin_browser(&server).await;
        let member_token = server.signed_in("member", "User").await;
        let member = user_id(&server, "member").await;
        let (_, registered) = crate::passkeys::register(&server, &member_token, "Desk key").await;
        let personal = crate::tokens::make_token(&server, &member_token, &["view-profile"]).await;
        assert_eq!(server.get("/api/me", &personal).await.0, 200, "cached now");

        let page = admin.get(&user_path(member, "")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Desk key"), "{}", page.body);
        assert!(page.body.contains(">script<"), "{}", page.body);
        assert!(page.body.contains("id=\"disable-password\""));

        // The password off: it signs nobody in, on any surface; back on, it does again.
        let off = admin
            .post(&user_path(member, "/password"), &[("disabled", "true")])
            .await;
        assert_eq!(off.status, 303, "{}", off.body);
        assert_ne!(server.try_login("member", PASSWORD).await.0, 200);
        let mut browser = Browser::new(&server);
        assert_ne!(browser.sign_in("member", PASSWORD).await.status, 303);
        let page = admin.get(&user_path(member, "")).await;
        assert!(page.body.contains("id=\"enable-password\""));
        let on = admin
            .post(&user_path(member, "/password"), &[("disabled", "false")])
            .await;
        assert_eq!(on.status, 303);
        assert_eq!(server.try_login("member", PASSWORD).await.0, 200);

        // A passkey off, on, then removed.
        let store = &server.app.store;
        let passkey = store.passkeys_of(member).await.unwrap()[0].clone();
        assert_eq!(registered["name"], "Desk key");
        let id = passkey.id.0.to_string();
        let turned = admin
            .post(
                &user_path(member, "/passkeys"),
                &[("passkey_id", &id), ("action", "disable")],
            )
            .await;
        assert_eq!(turned.status, 303, "{}", turned.body);
        assert!(
            store
                .passkey(member, passkey.id)
                .await
                .unwrap()
                .unwrap()
                .disabled
        );
        admin
            .post(
                &user_path(member, "/passkeys"),
                &[("passkey_id", &id), ("action", "enable")],
            )
            .await;
        assert!(
            !store
                .passkey(member, passkey.id)
                .await
                .unwrap()
                .unwrap()
                .disabled
        );
        let odd = admin
            .post(
                &user_path(member, "/passkeys"),
                &[("passkey_id", &id), ("action", "steal")],
            )
            .await;
        assert_eq!(odd.status, 400);
        let removed = admin
            .post(
                &user_path(member, "/passkeys"),
                &[("passkey_id", &id), ("action", "remove")],
            )
            .await;
        assert_eq!(removed.status, 303);
        assert!(store.passkeys_of(member).await.unwrap().is_empty());
        let again = admin
            .post(
                &user_path(member, "/passkeys"),
                &[("passkey_id", &id), ("action", "remove")],
            )
            .await;
        assert_eq!(again.status, 404);

        // The personal token answers 401 at once, though the cache held it.
        let token_id = personal.split_once('|').unwrap().0;
        let revoked = admin
            .post(
                &user_path(member, "/tokens/revoke"),
                &[("token_id", token_id)],
            )
            .await;
        assert_eq!(revoked.status, 303, "{}", revoked.body);
        assert_eq!(server.get("/api/me", &personal).await.0, 401);
        let page = admin.get(&user_path(member, "")).await;
        assert!(page.body.contains("id=\"no-tokens\""));
        // Another person's token is not this user's.
        let boss_token = server.login("boss").await;
        let theirs = crate::tokens::make_token(&server, &boss_token, &["view-profile"]).await;
        let not_theirs = admin
            .post(
                &user_path(member, "/tokens/revoke"),
                &[("token_id", theirs.split_once('|').unwrap().0)],
            )
            .await;
        assert_eq!(not_theirs.status, 404);
        assert_eq!(server.get("/api/me", &theirs).await.0, 200);
    });
}

#[tokio::test]
async fn recovery_codes_addresses_and_metadata_are_set_from_the_console() {
    each_backend!(|server| {
        server.set_settings(|s| s.two_factor_enabled = true).await;
        let mut admin = admin_browser(&server).await;
        server.create_user("member", "User").await;
        let member = user_id(&server, "member").await;
        let store = &server.app.store;

        // No second factor, no codes.
        let none = admin
            .post(&user_path(member, "/two-factor/recovery-codes"), &[])
            .await;
        assert_eq!(none.status, 422, "{}", none.body);
        enable_totp(&server, "member").await;
        let page = admin.get(&user_path(member, "")).await;
        assert!(page.body.contains("id=\"new-recovery-codes\""));
        let made = admin
            .post(&user_path(member, "/two-factor/recovery-codes"), &[])
            .await;
        assert_eq!(made.status, 200, "{}", made.body);
        assert_eq!(made.headers["cache-control"], "no-store");
        let codes: Vec<&str> = made
            .body
            .split("<li><code>")
            .skip(1)
            .map(|rest| rest.split('<').next().unwrap())
            .collect();
        assert!(codes.len() >= 8, "{}", made.body);
        server
            .wait_for_mail_with(
                "member@example.com",
                "An administrator made new two-factor recovery codes",
                1,
            )
            .await;
        assert!(!admin
            .get(&user_path(member, ""))
            .await
            .body
            .contains(codes[0]));

        // The address unconfirmed, then confirmed again.
        let unconfirmed = admin
            .post(&user_path(member, "/verified"), &[("verified", "false")])
            .await;
        assert_eq!(unconfirmed.status, 303, "{}", unconfirmed.body);
        let stored = store
            .user(&server.tenant.id, member)
            .await
            .unwrap()
            .unwrap();
        assert!(stored.email_verified_at.is_none());
        admin
            .post(&user_path(member, "/verified"), &[("verified", "true")])
            .await;
        let stored = store
            .user(&server.tenant.id, member)
            .await
            .unwrap()
            .unwrap();
        assert!(stored.email_verified_at.is_some());

        // Metadata: set, refused over the limits or twice-named, removed by emptying a key.
        let saved = admin
            .post(
                &user_path(member, "/metadata"),
                &[
                    ("key", "plan"),
                    ("value", "gold"),
                    ("key", " "),
                    ("value", "ignored"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let stored = store
            .user(&server.tenant.id, member)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.metadata.get("plan").map(String::as_str),
            Some("gold")
        );
        assert_eq!(stored.metadata.len(), 1);
        let page = admin.get(&user_path(member, "")).await;
        assert!(page.body.contains("value=\"gold\""), "{}", page.body);
        let twice = admin
            .post(
                &user_path(member, "/metadata"),
                &[("key", "a"), ("value", "1"), ("key", "a"), ("value", "2")],
            )
            .await;
        assert_eq!(twice.status, 422);
        let long = "x".repeat(1001);
        let too_long = admin
            .post(
                &user_path(member, "/metadata"),
                &[("key", "a"), ("value", &long)],
            )
            .await;
        assert_eq!(too_long.status, 422);
        assert!(too_long.body.contains("1000"), "{}", too_long.body);
        let uneven = admin
            .post(&user_path(member, "/metadata"), &[("key", "a")])
            .await;
        assert_eq!(uneven.status, 400);
        let cleared = admin
            .post(
                &user_path(member, "/metadata"),
                &[("key", ""), ("value", "gold")],
            )
            .await;
        assert_eq!(cleared.status, 303);
        let stored = store
            .user(&server.tenant.id, member)
            .await
            .unwrap()
            .unwrap();
        assert!(stored.metadata.is_empty());
    });
}

#[tokio::test]
async fn the_user_forms_are_guarded_and_reach_only_whom_the_caller_outranks() {
    each_backend!(|server| {
        let admin_token = server.signed_in("maker", "Admin").await;
        super::admin_roles::role_with(&server, &admin_token, "clerks", &["users.manage"]).await;
        let mut clerk = super::admin_roles::browser_as(&server, "clerk", "clerks").await;
        let maker = user_id(&server, "maker").await;
        server.create_user("member", "User").await;
        let member = user_id(&server, "member").await;
        let forms: [(&str, Vec<(&str, &str)>); 6] = [
            ("/password", vec![("disabled", "true")]),
            ("/verified", vec![("verified", "false")]),
            ("/two-factor/recovery-codes", vec![]),
            ("/passkeys", vec![("passkey_id", "1"), ("action", "remove")]),
            ("/tokens/revoke", vec![("token_id", "1")]),
            ("/metadata", vec![("key", "k"), ("value", "v")]),
        ];
        for (rest, fields) in &forms {
            let path = user_path(member, rest);
            assert_eq!(
                clerk.get(&path).await.status,
                405,
                "{path}: no GET side effects"
            );
            let forged = clerk
                .send(
                    reqwest::Client::new()
                        .post(format!("{}{path}", server.base))
                        .form(fields),
                )
                .await;
            assert_eq!(forged.status, 403, "{path}: no CSRF token");
            // An Admin holds permissions a clerk lacks: out of the clerk's reach.
            let above = clerk.post(&user_path(maker, rest), fields).await;
            assert_eq!(above.status, 403, "{rest}: {}", above.body);
            // Unknown users are not found.
            let nobody = clerk
                .post(&format!("/admin/users/999999{rest}"), fields)
                .await;
            assert_eq!(nobody.status, 404, "{rest}");
        }
        let stored = server
            .app
            .store
            .password_credential(maker)
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.disabled);
        let within = clerk
            .post(&user_path(member, "/password"), &[("disabled", "true")])
            .await;
        assert_eq!(within.status, 303, "{}", within.body);

        // A user without users.manage gets the 403 page on every form.
        let mut plain = super::admin_roles::browser_as(&server, "plain", "User").await;
        for (rest, fields) in &forms {
            let answer = plain.post(&user_path(member, rest), fields).await;
            assert_eq!(answer.status, 403, "{rest}");
        }
    });
}

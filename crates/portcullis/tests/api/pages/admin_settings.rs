//! The console's settings section: each group shown to and saved by whoever holds its
//! permission, through the same service as `PATCH /api/settings`, with its messages next to
//! the fields; forms guarded as every page's are.

use super::admin_roles::{browser_as, role_with};
use super::*;
use serde_json::Value;

async fn settings_json(server: &TestServer, admin: &str) -> Value {
    let (status, settings) = server.get("/api/settings", admin).await;
    assert_eq!(status, 200, "{settings}");
    settings
}

/// Every field of the `auth` form as the page shows it now, with `changes` over them.
pub(super) fn auth_form<'a>(body: &str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, String)> {
    let checks = [
        "allow_passwords",
        "allow_hardware",
        "allow_social",
        "forgot_password",
        "third_party_consent",
        "reg_enabled",
        "reg_email_confirmation",
        "tos",
        "captcha_enabled",
        "throttle_enabled",
        "two_factor_enabled",
        "allow_totp_app",
        "allow_totp_email",
        "remember_me",
        "allow_self_deletion",
    ];
    let numbers = [
        "login_reset_token_lifetime",
        "throttle_attempts",
        "throttle_lockout_time",
        "sessions_limit",
        "reauth_seconds",
        "remember_device_seconds",
    ];
    let mut fields = Vec::new();
    for name in checks {
        let at = body.find(&format!("name=\"{name}\"")).unwrap();
        let tag = &body[at..at + body[at..].find('>').unwrap()];
        if tag.contains("checked") {
            fields.push((name, "on".to_owned()));
        }
    }
    for name in numbers {
        fields.push((name, input_value(body, name)));
    }
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        if !value.is_empty() || numbers.contains(name) {
            fields.push((name, (*value).to_owned()));
        }
    }
    fields
}

pub(super) async fn post_auth(browser: &mut Browser, changes: &[(&str, &str)]) -> Answer {
    let page = browser.get("/admin/settings").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let fields = auth_form(&page.body, changes);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    browser.post("/admin/settings/auth", &fields).await
}

#[tokio::test]
async fn settings_are_shown_and_saved_by_group() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let mut boss = Browser::new(&server);
        boss.sign_in("boss", PASSWORD).await;
        let page = boss.get("/admin/settings").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_security_headers(&page);
        assert!(page
            .body
            .contains("<a href=\"/admin/settings\">Settings</a>"));
        for form in ["general-settings", "auth-settings", "notification-settings"] {
            assert!(page.body.contains(&format!("id=\"{form}\"")), "{form}");
        }

        let saved = boss
            .post(
                "/admin/settings/general",
                &[("app_name", "Gatehouse"), ("company_name", "Gate Ltd")],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert_eq!(saved.location(), "/admin/settings?saved=general");
        let settings = settings_json(&server, &admin).await;
        assert_eq!(settings["app_name"], "Gatehouse");
        let page = boss.get("/admin/settings?saved=general").await;
        assert!(page.body.contains("id=\"settings-saved\""));
        assert_eq!(input_value(&page.body, "company_name"), "Gate Ltd");
        // The hosted pages wear the new company name.
        assert!(
            page.body
                .contains("<span class=\"company\">Gate Ltd</span>"),
            "{}",
            page.body
        );

        let saved = post_auth(
            &mut boss,
            &[
                ("throttle_attempts", "7"),
                ("sessions_limit", "3"),
                ("reg_enabled", ""),
                ("captcha_enabled", "on"),
                ("reauth_seconds", ""),
                ("allow_totp_email", ""),
                ("allow_social", ""),
                ("remember_device_seconds", "3600"),
            ],
        )
        .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let settings = settings_json(&server, &admin).await;
        assert_eq!(settings["throttle_attempts"], 7);
        assert_eq!(settings["sessions_limit"], 3);
        assert_eq!(settings["reg_enabled"], false);
        assert_eq!(settings["registration"]["captcha"]["enabled"], true);
        assert_eq!(settings["reauth_seconds"], Value::Null);
        let tenant = server.app.services.default_tenant().await.unwrap();
        assert!(!tenant.settings.allow_totp_email);
        assert!(!tenant.settings.allow_social);
        assert_eq!(tenant.settings.remember_device_seconds, 3600);
        // Sign-ups are closed now.
        assert_ne!(Browser::new(&server).get("/signup").await.status, 200);

        let before = settings_json(&server, &admin).await["notifications_signup_email"].clone();
        let saved = if before == true {
            boss.post("/admin/settings/notifications", &[]).await
        } else {
            boss.post(
                "/admin/settings/notifications",
                &[("notifications_signup_email", "on")],
            )
            .await
        };
        assert_eq!(saved.status, 303, "{}", saved.body);
        let after = settings_json(&server, &admin).await["notifications_signup_email"].clone();
        assert_ne!(before, after);
        assert_eq!(boss.post("/admin/settings/other", &[]).await.status, 404);
    });
}

#[tokio::test]
async fn the_service_s_messages_are_shown_next_to_their_fields() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let mut boss = Browser::new(&server);
        boss.sign_in("boss", PASSWORD).await;
        let before = settings_json(&server, &admin).await;

        let refused = post_auth(
            &mut boss,
            &[("throttle_attempts", "0"), ("sessions_limit", "3")],
        )
        .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains(
            "<p class=\"field-error\" id=\"throttle_attempts-error\">The throttle attempts must be between 1 and 1000000.</p>"
        ), "{}", refused.body);
        // What was typed stays in the form; nothing was saved.
        assert_eq!(input_value(&refused.body, "throttle_attempts"), "0");
        assert_eq!(input_value(&refused.body, "sessions_limit"), "3");
        assert_eq!(settings_json(&server, &admin).await, before);

        let typo = post_auth(&mut boss, &[("throttle_lockout_time", "ten")]).await;
        assert_eq!(typo.status, 422);
        assert!(
            typo.body
                .contains("id=\"throttle_lockout_time-error\">Enter a whole number."),
            "{}",
            typo.body
        );

        let blank = boss
            .post(
                "/admin/settings/general",
                &[("app_name", "  "), ("company_name", "x")],
            )
            .await;
        assert_eq!(blank.status, 422);
        assert!(
            blank.body.contains("id=\"app_name-error\""),
            "{}",
            blank.body
        );

        // No way left to sign in is refused.
        let locked = post_auth(
            &mut boss,
            &[("allow_passwords", ""), ("allow_hardware", "")],
        )
        .await;
        assert_eq!(locked.status, 422, "{}", locked.body);
        assert!(locked.body.contains("Keep at least one way of signing in"));
        assert_eq!(settings_json(&server, &admin).await, before);
    });
}

#[tokio::test]
async fn each_group_is_for_its_permission() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        role_with(&server, &admin, "namer", &["settings.general"]).await;
        role_with(
            &server,
            &admin,
            "mailer",
            &["settings.general", "settings.notifications"],
        )
        .await;
        role_with(&server, &admin, "clerk", &["users.manage"]).await;

        let mut namer = browser_as(&server, "namer1", "namer").await;
        let page = namer.get("/admin/settings").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("id=\"general-settings\""));
        assert!(!page.body.contains("id=\"auth-settings\""));
        assert!(!page.body.contains("id=\"notification-settings\""));
        let before = settings_json(&server, &admin).await;
        let tried = namer
            .post("/admin/settings/auth", &[("throttle_attempts", "9")])
            .await;
        assert_eq!(tried.status, 403, "{}", tried.body);
        let tried = namer.post("/admin/settings/notifications", &[]).await;
        assert_eq!(tried.status, 403);
        assert_eq!(settings_json(&server, &admin).await, before);
        assert_eq!(
            namer
                .post(
                    "/admin/settings/general",
                    &[("app_name", "Named"), ("company_name", "")]
                )
                .await
                .status,
            303
        );

        let mut mailer = browser_as(&server, "mailer1", "mailer").await;
        let page = mailer.get("/admin/settings").await;
        assert!(page.body.contains("id=\"notification-settings\""));
        assert!(!page.body.contains("id=\"auth-settings\""));

        let mut clerk = browser_as(&server, "clerk1", "clerk").await;
        let answer = clerk.get("/admin/settings").await;
        assert_eq!(answer.status, 403);
        assert!(!clerk
            .get("/admin")
            .await
            .body
            .contains("href=\"/admin/settings\""));
        let tried = clerk
            .post(
                "/admin/settings/general",
                &[("app_name", "Mine"), ("company_name", "")],
            )
            .await;
        assert_eq!(tried.status, 403);
        assert_eq!(settings_json(&server, &admin).await["app_name"], "Named");
    });
}

#[tokio::test]
async fn forms_need_their_token_and_links_change_nothing() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let mut boss = Browser::new(&server);
        boss.sign_in("boss", PASSWORD).await;
        let before = settings_json(&server, &admin).await;
        for group in ["general", "auth", "notifications"] {
            let path = format!("/admin/settings/{group}");
            let forged = boss
                .send(
                    reqwest::Client::new()
                        .post(format!("{}{path}", server.base))
                        .form(&[("app_name", "Forged"), ("company_name", "")]),
                )
                .await;
            assert_eq!(forged.status, 403, "{path}");
            assert_eq!(boss.get(&path).await.status, 405, "{path}");
        }
        assert_eq!(
            boss.get("/admin/settings?app_name=Linked").await.status,
            200
        );
        assert_eq!(settings_json(&server, &admin).await, before);
    });
}

#[tokio::test]
async fn branding_and_social_clients_are_set_from_the_console() {
    each_backend!(|server| {
        use portcullis_core::model::SocialNetwork;
        server
            .set_settings(|s| {
                s.social_networks = vec![
                    SocialNetwork {
                        network: "google".into(),
                        ..SocialNetwork::default()
                    },
                    SocialNetwork {
                        network: "acme".into(),
                        userinfo_url: Some("https://acme.example/me".into()),
                        ..SocialNetwork::default()
                    },
                ];
            })
            .await;
        let admin = server.signed_in("boss", "Admin").await;
        role_with(&server, &admin, "namer", &["settings.general"]).await;
        let mut boss = browser_as(&server, "boss2", "Admin").await;

        // Branding: the support address in every page's footer, checked as the API checks.
        let bad = boss
            .post(
                "/admin/settings/general",
                &[
                    ("app_name", "Portcullis"),
                    ("support_email", "not an address"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(
            bad.body.contains("id=\"support_email-error\""),
            "{}",
            bad.body
        );
        let saved = boss
            .post(
                "/admin/settings/general",
                &[
                    ("app_name", "Portcullis"),
                    ("company_name", "Acme"),
                    ("logo_image_text", "ACME"),
                    ("support_email", "help@acme.example"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let login = Browser::new(&server).get("/login").await;
        assert!(
            login.body.contains("mailto:help@acme.example"),
            "{}",
            login.body
        );
        assert!(login.body.contains(">ACME<"));

        // A social client: the id shown, the secret sealed and never shown.
        let page = boss.get("/admin/settings").await;
        assert!(
            page.body.contains("/login/social/google/callback"),
            "{}",
            page.body
        );
        let set = boss
            .post(
                "/admin/settings/social/google",
                &[
                    ("client_id", "google-client"),
                    ("client_secret", "s3cret-value"),
                ],
            )
            .await;
        assert_eq!(set.status, 303, "{}", set.body);
        let stored = |server: &TestServer| {
            let server = server.app.clone();
            async move {
                server
                    .services
                    .default_tenant()
                    .await
                    .unwrap()
                    .settings
                    .social_networks
            }
        };
        let google = stored(&server)
            .await
            .into_iter()
            .find(|n| n.network == "google")
            .unwrap();
        assert_eq!(google.client_id.as_deref(), Some("google-client"));
        let kept = google.client_secret.clone().unwrap();
        assert!(!kept.contains("s3cret-value"), "sealed: {kept}");
        let page = boss.get("/admin/settings").await;
        assert!(page.body.contains("value=\"google-client\""));
        assert!(!page.body.contains("s3cret-value"));
        assert!(page.body.contains("one is kept"));
        // An empty secret keeps the kept one; `remove_secret` forgets it.
        boss.post(
            "/admin/settings/social/google",
            &[("client_id", "google-client-2"), ("client_secret", "")],
        )
        .await;
        let google = stored(&server)
            .await
            .into_iter()
            .find(|n| n.network == "google")
            .unwrap();
        assert_eq!(google.client_secret.as_deref(), Some(kept.as_str()));
        boss.post(
            "/admin/settings/social/google",
            &[("client_id", "google-client-2"), ("remove_secret", "on")],
        )
        .await;
        let google = stored(&server)
            .await
            .into_iter()
            .find(|n| n.network == "google")
            .unwrap();
        assert!(google.client_secret.is_none());

        // A network without sign-in endpoints takes no client; unknown networks are not found.
        let refused = boss
            .post(
                "/admin/settings/social/acme",
                &[("client_id", "acme-client")],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("portcullis social set"),
            "{}",
            refused.body
        );
        assert_eq!(
            boss.post("/admin/settings/social/nope", &[("client_id", "x")])
                .await
                .status,
            404
        );

        // Only `settings.auth` holders, and only with the form's CSRF token.
        let mut namer = browser_as(&server, "namer1", "namer").await;
        let tried = namer
            .post("/admin/settings/social/google", &[("client_id", "mine")])
            .await;
        assert_eq!(tried.status, 403);
        assert!(!namer
            .get("/admin/settings")
            .await
            .body
            .contains("google-client"));
        let forged = boss
            .send(
                reqwest::Client::new()
                    .post(format!("{}/admin/settings/social/google", server.base))
                    .form(&[("client_id", "forged")]),
            )
            .await;
        assert_eq!(forged.status, 403);
        let google = stored(&server)
            .await
            .into_iter()
            .find(|n| n.network == "google")
            .unwrap();
        assert_eq!(google.client_id.as_deref(), Some("google-client-2"));
    });
}

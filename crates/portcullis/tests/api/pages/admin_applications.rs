//! The console's applications section: who may open it (operators, holders of
//! `settings.auth`), creating, showing the secret on demand, rotating it, deleting, the test
//! sign-in link, and that another tenant's application is not found.

use super::*;
use portcullis_core::applications::ApplicationInput;
use portcullis_core::model::Tenant;
use portcullis_core::tenants::{ManagedSettings, TenantInput};

pub(super) async fn signed_in_browser(server: &TestServer, username: &str, role: &str) -> Browser {
    server.create_user(username, role).await;
    let mut browser = Browser::new(server);
    let answer = browser.sign_in(username, PASSWORD).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    browser
}

/// A role of the default tenant holding only `settings.auth`, and a signed-in holder of it.
pub(super) async fn auth_settings_browser(server: &TestServer) -> Browser {
    let admin = server.signed_in("rolemaker", "Admin").await;
    let (status, created) = server
        .send(
            Method::POST,
            "/api/roles",
            &admin,
            json!({ "name": "appkeeper" }),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let role = created[0]["id"].as_i64().unwrap();
    let permission = crate::roles::find(server, &admin, "/api/permissions", "settings.auth").await;
    let (status, held) = server
        .send(
            Method::PUT,
            &format!("/api/roles/{role}/permissions"),
            &admin,
            json!({ "permissions": [permission["id"]] }),
        )
        .await;
    assert_eq!(status, 200, "{held}");
    signed_in_browser(server, "keeper", "appkeeper").await
}

/// Another tenant, picked by the host `other.test`.
pub(super) async fn other_tenant(server: &TestServer) -> Tenant {
    server
        .app
        .services
        .create_tenant(TenantInput {
            name: "other".into(),
            settings: ManagedSettings {
                domain: "other.test".into(),
                ..ManagedSettings::of(&Default::default())
            },
            ..TenantInput::default()
        })
        .await
        .unwrap()
}

/// A browser on the host `other.test` (resolved to the test server).
pub(super) fn browser_on_other_host(server: &TestServer) -> Browser {
    Browser {
        base: format!("http://other.test:{}", server.addr.port()),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .resolve("other.test", server.addr)
            .build()
            .unwrap(),
        cookies: BTreeMap::new(),
    }
}

/// The id in a `/admin/applications/{id}` location.
fn created_id(answer: &Answer) -> String {
    assert_eq!(answer.status, 303, "{}", answer.body);
    answer
        .location()
        .strip_prefix("/admin/applications/")
        .unwrap()
        .to_owned()
}

fn href_of(body: &str, id: &str) -> String {
    let at = body.find(&format!("id=\"{id}\"")).unwrap();
    let tag_start = body[..at].rfind('<').unwrap();
    let tag = &body[tag_start..];
    let href = tag.split("href=\"").nth(1).unwrap();
    href[..href.find('"').unwrap()]
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn applications_are_for_operators_and_holders_of_auth_settings() {
    each_backend!(|server| {
        let mut plain = signed_in_browser(&server, "plain", "User").await;
        for path in [
            "/admin/applications",
            "/admin/applications/x",
            "/admin/applications/x/delete",
        ] {
            let answer = plain.get(path).await;
            assert_eq!(answer.status, 403, "{path}: {}", answer.body);
        }
        let tried = plain
            .post(
                "/admin/applications",
                &[("name", "Sneaky"), ("algorithm", "RS256")],
            )
            .await;
        assert_eq!(tried.status, 403);

        let mut keeper = auth_settings_browser(&server).await;
        let list = keeper.get("/admin/applications").await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert!(list
            .body
            .contains("<a href=\"/admin/applications\">Applications</a>"));
        assert!(!list.body.contains("/admin/tenants"), "no operator links");
        let made = keeper
            .post(
                "/admin/applications",
                &[("name", "Keeper's app"), ("algorithm", "RS256")],
            )
            .await;
        created_id(&made);

        let mut admin = signed_in_browser(&server, "boss", "Admin").await;
        let list = admin.get("/admin/applications").await;
        assert_eq!(list.status, 200);
        assert!(
            list.body.contains("Keeper&#x27;s app") || list.body.contains("Keeper&#39;s app"),
            "{}",
            list.body
        );
        let overview = admin.get("/admin").await;
        assert!(overview.body.contains("href=\"/admin/applications\""));
    });
}

#[tokio::test]
async fn an_application_is_created_its_secret_shown_on_demand_rotated_and_deleted() {
    each_backend!(|server| {
        let mut admin = signed_in_browser(&server, "boss", "Admin").await;
        let services = &server.app.services;

        // A form with problems creates nothing, and says what is wrong.
        let refused = admin
            .post(
                "/admin/applications",
                &[
                    ("name", ""),
                    ("redirect_urls", "https://ok.test/cb\nnope"),
                    ("algorithm", "RS256"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("id=\"name-error\""),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("Line 2:"), "{}", refused.body);
        assert_eq!(
            services
                .applications(&server.tenant, 0, 10)
                .await
                .unwrap()
                .1,
            0
        );

        let made = admin
            .post(
                "/admin/applications",
                &[
                    ("name", "Photo printer"),
                    ("login_url", "https://app.test/login"),
                    (
                        "redirect_urls",
                        "https://app.test/cb\r\n\r\nhttps://app.test/cb2",
                    ),
                    ("logout_urls", "https://app.test/bye"),
                    ("client_type", "confidential"),
                    ("algorithm", "EdDSA"),
                    ("allowed_scopes", "view-users, view-activity"),
                    ("allowed_roles", "Admin User"),
                ],
            )
            .await;
        let id = created_id(&made);
        let stored = services.application(&server.tenant, &id).await.unwrap();
        assert_eq!(stored.name, "Photo printer");
        assert_eq!(
            stored.redirect_urls,
            ["https://app.test/cb", "https://app.test/cb2"]
        );
        assert_eq!(stored.logout_urls, ["https://app.test/bye"]);
        assert_eq!(stored.metadata["id_token_signed_response_alg"], "EdDSA");
        assert_eq!(
            stored.metadata["allowed_scopes"],
            "view-users view-activity"
        );
        assert_eq!(stored.metadata["allowed_roles"], "Admin User");
        assert!(!stored.metadata.contains_key("token_endpoint_auth_method"));
        let secret = stored.secret.expose().to_owned();

        // Neither the list nor the application's page shows the secret; a POST does.
        let list = admin.get("/admin/applications").await;
        assert!(list.body.contains(&id) && !list.body.contains(&secret));
        let path = format!("/admin/applications/{id}");
        let page = admin.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("id=\"id-token-alg\">EdDSA<"));
        assert!(!page.body.contains(&secret));
        let shown = admin.post(&format!("{path}/secret"), &[]).await;
        assert_eq!(shown.status, 200, "{}", shown.body);
        assert!(shown.body.contains(&secret));
        assert_eq!(shown.headers["cache-control"], "no-store");
        assert_eq!(admin.get(&format!("{path}/secret")).await.status, 405);

        // Rotating: a new secret, which the next showing gives; a link rotates nothing.
        assert_eq!(admin.get(&format!("{path}/rotate")).await.status, 405);
        let forged = admin
            .send(reqwest::Client::new().post(format!("{}{path}/rotate", server.base)))
            .await;
        assert_eq!(forged.status, 403);
        let unchanged = services.application(&server.tenant, &id).await.unwrap();
        assert_eq!(unchanged.secret.expose(), secret);
        // The token endpoint remembers the application (with the cache on, as by default)...
        let machine_token = |secret: String| {
            let (server, id) = (&server, id.clone());
            async move {
                server
                    .request(reqwest::Method::POST, "/oauth2/token")
                    .basic_auth(id, Some(secret))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(machine_token(secret.clone()).await, 200);
        let rotated = admin.post(&format!("{path}/rotate"), &[]).await;
        assert_eq!(rotated.status, 303, "{}", rotated.body);
        assert_eq!(rotated.location(), path);
        let now = services.application(&server.tenant, &id).await.unwrap();
        assert_ne!(now.secret.expose(), secret);
        // ... and takes the old secret no more once it is rotated.
        assert_eq!(machine_token(secret.clone()).await, 401);
        assert_eq!(machine_token(now.secret.expose().to_owned()).await, 200);
        let shown = admin.post(&format!("{path}/secret"), &[]).await;
        assert!(shown.body.contains(now.secret.expose()) && !shown.body.contains(&secret));

        // Deleting asks first; a link changes nothing, nor a post without the form's token.
        let ask = admin.get(&format!("{path}/delete")).await;
        assert_eq!(ask.status, 200, "{}", ask.body);
        assert!(ask.body.contains("Delete Photo printer?"));
        let forged = admin
            .send(reqwest::Client::new().post(format!("{}{path}/delete", server.base)))
            .await;
        assert_eq!(forged.status, 403);
        assert!(services.application(&server.tenant, &id).await.is_ok());
        let deleted = admin.post(&format!("{path}/delete"), &[]).await;
        assert_eq!(deleted.status, 303);
        assert_eq!(deleted.location(), "/admin/applications");
        assert!(services.application(&server.tenant, &id).await.is_err());
        assert_eq!(admin.get(&path).await.status, 404);
    });
}

#[tokio::test]
async fn a_public_application_has_no_secret_and_its_test_sign_in_starts_the_code_flow() {
    each_backend!(|server| {
        let mut admin = signed_in_browser(&server, "boss", "Admin").await;
        let made = admin
            .post(
                "/admin/applications",
                &[
                    ("name", "Browser app"),
                    ("redirect_urls", "http://localhost:3000/cb"),
                    ("client_type", "public"),
                    ("algorithm", "RS256"),
                ],
            )
            .await;
        let id = created_id(&made);
        let stored = server
            .app
            .services
            .application(&server.tenant, &id)
            .await
            .unwrap();
        assert_eq!(stored.metadata["token_endpoint_auth_method"], "none");
        assert!(!stored.metadata.contains_key("id_token_signed_response_alg"));

        let page = admin.get(&format!("/admin/applications/{id}")).await;
        assert!(page.body.contains("id=\"client-type\">public<"));
        assert!(!page.body.contains("id=\"show-secret\""));
        let link = href_of(&page.body, "test-sign-in");
        assert!(link.starts_with("/oauth2/authorize?"), "{link}");
        assert!(link.contains(&format!("client_id={id}")), "{link}");
        assert!(link.contains("redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb"));
        // The signed-in admin follows it and lands on the redirect URL with a code, which
        // the verifier shown beside the link exchanges.
        let started = admin.get(&link).await;
        assert_eq!(started.status, 302, "{}", started.body);
        let back = started.location().to_owned();
        assert!(back.starts_with("http://localhost:3000/cb?code="), "{back}");
        let code = back["http://localhost:3000/cb?code=".len()..]
            .split('&')
            .next()
            .unwrap()
            .to_owned();
        let marker = "id=\"test-verifier\">";
        let verifier_at = page.body.find(marker).unwrap() + marker.len();
        let verifier = &page.body[verifier_at..verifier_at + 43];
        let exchanged = server
            .request(Method::POST, "/oauth2/token")
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "http://localhost:3000/cb"),
                ("client_id", id.as_str()),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .unwrap();
        let (status, tokens) = crate::harness::json(exchanged).await;
        assert_eq!(status, 200, "{tokens}");
        assert!(tokens["id_token"].is_string(), "{tokens}");
    });
}

#[tokio::test]
async fn another_tenants_application_is_not_found() {
    each_backend!(|server| {
        let mut admin = signed_in_browser(&server, "boss", "Admin").await;
        let services = &server.app.services;
        let other = other_tenant(&server).await;
        let theirs = services
            .create_application(
                &other,
                ApplicationInput {
                    name: "Theirs".into(),
                    ..ApplicationInput::default()
                },
            )
            .await
            .unwrap();
        let path = format!("/admin/applications/{}", theirs.id);
        assert_eq!(admin.get(&path).await.status, 404);
        assert_eq!(admin.get(&format!("{path}/delete")).await.status, 404);
        for action in ["secret", "rotate", "delete"] {
            let tried = admin.post(&format!("{path}/{action}"), &[]).await;
            assert_eq!(tried.status, 404, "{action}: {}", tried.body);
            assert!(!tried.body.contains(theirs.secret.expose()));
        }
        let still = services.application(&other, &theirs.id).await.unwrap();
        assert_eq!(still.secret.expose(), theirs.secret.expose());
        let list = admin.get("/admin/applications").await;
        assert!(!list.body.contains(&theirs.id));
    });
}

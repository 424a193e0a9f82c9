//! Document 003's users and credentials under `/v1/tenants/{tenant_id}/users`, including the
//! legacy-hash import walkthrough.

use crate::harness::{each_backend, TestServer};
use crate::mgmt::{api_key, v1};
use portcullis_core::password::Policy;
use reqwest::Method;
use serde_json::{json, Value};

const DOC_PASSWORD: &str = "1234567890";

fn users_path(server: &TestServer) -> String {
    format!("/v1/tenants/{}/users", server.tenant.id)
}

/// Creates a user from a document-003 body; asserts 200 and returns it.
async fn create(server: &TestServer, key: &str, body: Value) -> Value {
    let (status, _, user) = v1(server, Method::POST, &users_path(server), key, Some(body)).await;
    assert_eq!(status, 200, "[{}] {user}", server.backend_name);
    user
}

/// A user with nothing but an email address.
async fn create_by_email(server: &TestServer, key: &str, email: &str) -> Value {
    create(server, key, json!({ "profile": { "email": email } })).await
}

fn user_path(server: &TestServer, user: &Value) -> String {
    format!("{}/{}", users_path(server), user["id"].as_str().unwrap())
}

fn is_rfc3339_utc(value: &Value) -> bool {
    value.as_str().is_some_and(|text| {
        text.ends_with('Z')
            && time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .is_ok()
    })
}

fn tick(server: &TestServer) {
    server.clock.advance(time::Duration::seconds(1));
}

/// `POST /api/login` with an email; the status.
async fn login_status(server: &TestServer, email: &str, password: &str) -> (u16, Value) {
    server.try_login(email, password).await
}

#[tokio::test]
async fn the_documents_user_examples_work() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        // The document's own body, with its `given_namename` typo: an unknown field, ignored.
        let created = create(
            &server,
            &key,
            json!({
                "metadata": { "other_id": "other_id_01" },
                "profile": {
                    "email": "test01@example.test", "name": "Test User01",
                    "given_namename": "Test", "family_name": "User01"
                }
            }),
        )
        .await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(
            id.len() == 12 && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{id}"
        );
        assert!(is_rfc3339_utc(&created["created_at"]), "{created}");
        assert_eq!(created["created_at"], created["updated_at"]);
        assert_eq!(
            created,
            json!({
                "type": "User", "id": id,
                "created_at": created["created_at"], "updated_at": created["updated_at"],
                "metadata": { "other_id": "other_id_01" },
                "profile": { "name": "Test User01", "family_name": "User01", "email": "test01@example.test" }
            })
        );
        let path = user_path(&server, &created);
        let (status, _, shown) = v1(&server, Method::GET, &path, &key, None).await;
        assert_eq!((status, &shown), (200, &created));

        let (status, _, list) = v1(&server, Method::GET, &users_path(&server), &key, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            (&list["type"], &list["limit"]),
            (&json!("List"), &json!(100))
        );
        let listed: Vec<&Value> = list["data"].as_array().unwrap().iter().collect();
        assert!(listed.contains(&&created), "{list}");
        assert_eq!(list["total"], json!(listed.len()));

        // The jq pattern: GET, change a field, POST it all back. Body ids and times are ignored.
        tick(&server);
        let mut changed = shown.clone();
        changed["metadata"] = json!({ "other_id": "other_id_02" });
        changed["id"] = json!("AAAAAAAAAAAA");
        changed["created_at"] = json!("2001-01-01T00:00:00Z");
        changed["profile"]["email_verified"] = json!(true);
        let (status, _, updated) = v1(&server, Method::POST, &path, &key, Some(changed)).await;
        assert_eq!(status, 200, "{updated}");
        assert_eq!(updated["id"], json!(id));
        assert_eq!(updated["created_at"], created["created_at"]);
        assert_ne!(updated["updated_at"], created["updated_at"]);
        assert_eq!(updated["metadata"], json!({ "other_id": "other_id_02" }));
        assert_eq!(updated["profile"]["email_verified"], json!(true));
        assert!(is_rfc3339_utc(&updated["verified_at"]), "{updated}");

        // Verified stays verified at the time it first was.
        tick(&server);
        let (_, _, again) = v1(&server, Method::POST, &path, &key, Some(updated.clone())).await;
        assert_eq!(again["verified_at"], updated["verified_at"]);

        let (status, _, deleted) = v1(&server, Method::DELETE, &path, &key, None).await;
        assert_eq!((status, &deleted), (200, &again));
        let (status, _, gone) = v1(&server, Method::GET, &path, &key, None).await;
        assert_eq!((status, &gone["code"]), (404, &json!("not_found")));
        let (status, _, _) = v1(&server, Method::DELETE, &path, &key, None).await;
        assert_eq!(status, 404);
    });
}

#[tokio::test]
async fn a_post_replaces_the_whole_user_and_names_default_to_given_family() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        let created = create(
            &server,
            &key,
            json!({
                "metadata": { "a": "1" }, "unknown": [1, 2],
                "profile": { "email": "ada@example.test", "given_name": "Ada", "family_name": "Lovelace", "email_verified": true }
            }),
        )
        .await;
        assert_eq!(
            created["profile"],
            json!({ "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace", "email": "ada@example.test", "email_verified": true })
        );
        let path = user_path(&server, &created);
        let (status, _, bare) = v1(
            &server,
            Method::POST,
            &path,
            &key,
            Some(json!({ "profile": { "email": "ada@example.test" } })),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            bare,
            json!({
                "type": "User", "id": created["id"], "created_at": created["created_at"],
                "updated_at": bare["updated_at"], "profile": { "email": "ada@example.test" }
            })
        );
    });
}

#[tokio::test]
async fn email_is_required_valid_and_unique_in_the_tenant() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        let path = users_path(&server);
        for body in [
            json!({}),
            json!({ "profile": { "name": "No Email" } }),
            json!({ "profile": { "email": "not-an-email" } }),
            json!("a string"),
        ] {
            let (status, id, error) = v1(&server, Method::POST, &path, &key, Some(body)).await;
            assert_eq!(status, 400, "{error}");
            assert_eq!(
                (
                    &error["type"],
                    &error["code"],
                    &error["status_code"],
                    &error["uuid"]
                ),
                (
                    &json!("Error"),
                    &json!("invalid_request"),
                    &json!(400),
                    &json!(id)
                )
            );
        }
        let first = create_by_email(&server, &key, "one@example.test").await;
        let second = create_by_email(&server, &key, "two@example.test").await;
        let (status, _, error) = v1(
            &server,
            Method::POST,
            &path,
            &key,
            Some(json!({ "profile": { "email": "ONE@example.test" } })),
        )
        .await;
        assert_eq!(
            (status, &error["code"]),
            (409, &json!("conflict")),
            "{error}"
        );
        let (status, _, error) = v1(
            &server,
            Method::POST,
            &user_path(&server, &second),
            &key,
            Some(json!({ "profile": { "email": "one@example.test" } })),
        )
        .await;
        assert_eq!((status, &error["code"]), (409, &json!("conflict")));
        // Changing only the case of one's own email is no conflict.
        let (status, _, _) = v1(
            &server,
            Method::POST,
            &user_path(&server, &first),
            &key,
            Some(json!({ "profile": { "email": "One@example.test" } })),
        )
        .await;
        assert_eq!(status, 200);
        // Another tenant may have the same email.
        let other = server.app.services.ensure_tenant("other").await.unwrap();
        let (status, _, _) = v1(
            &server,
            Method::POST,
            &format!("/v1/tenants/{}/users", other.id),
            &key,
            Some(json!({ "profile": { "email": "one@example.test" } })),
        )
        .await;
        assert_eq!(status, 200);
    });
}

#[tokio::test]
async fn metadata_beyond_the_limits_is_invalid_metadata() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        let many: serde_json::Map<String, Value> =
            (0..21).map(|i| (format!("k{i}"), json!("v"))).collect();
        let twenty: serde_json::Map<String, Value> = (0..20)
            .map(|i| (format!("k{i}"), json!("v".repeat(1000))))
            .collect();
        for metadata in [
            Value::Object(many),
            json!({ "k".repeat(101): "v" }),
            json!({ "k": "v".repeat(1001) }),
            json!({ "k": 1 }),
        ] {
            let body = json!({ "metadata": metadata, "profile": { "email": "m@example.test" } });
            let (status, _, error) = v1(
                &server,
                Method::POST,
                &users_path(&server),
                &key,
                Some(body),
            )
            .await;
            assert_eq!(
                (status, &error["code"]),
                (400, &json!("invalid_metadata")),
                "{error}"
            );
        }
        let user = create(
            &server,
            &key,
            json!({ "metadata": twenty, "profile": { "email": "m@example.test" } }),
        )
        .await;
        assert_eq!(user["metadata"].as_object().unwrap().len(), 20);
        let credentials = format!("{}/credentials", user_path(&server, &user));
        let body = json!({ "type": "PasswordCredential", "metadata": { "k": "v".repeat(1001) },
            "password": { "alg": "plain", "hash": DOC_PASSWORD } });
        let (status, _, error) = v1(&server, Method::POST, &credentials, &key, Some(body)).await;
        assert_eq!((status, &error["code"]), (400, &json!("invalid_metadata")));
    });
}

#[tokio::test]
async fn a_key_bound_to_another_tenant_finds_no_users_or_credentials() {
    each_backend!(|server| {
        let all = api_key(&server, None).await;
        let other = server.app.services.ensure_tenant("other").await.unwrap();
        let bound = api_key(&server, Some(other.id.as_str())).await;
        let user = create_by_email(&server, &all, "x@example.test").await;
        let path = user_path(&server, &user);
        for (method, path, body) in [
            (Method::GET, users_path(&server), None),
            (
                Method::POST,
                users_path(&server),
                Some(json!({ "profile": { "email": "y@example.test" } })),
            ),
            (Method::GET, path.clone(), None),
            (Method::POST, path.clone(), Some(user.clone())),
            (Method::DELETE, path.clone(), None),
            (Method::GET, format!("{path}/credentials"), None),
            (Method::GET, format!("{path}/credentials/password"), None),
            (Method::DELETE, format!("{path}/credentials/password"), None),
        ] {
            let (status, _, error) = v1(&server, method, &path, &bound, body).await;
            assert_eq!(
                (status, &error["code"]),
                (404, &json!("not_found")),
                "{path}"
            );
        }
        // A user of another tenant is not found under this one's path.
        let (status, _, _) = v1(
            &server,
            Method::GET,
            &format!(
                "/v1/tenants/{}/users/{}",
                other.id,
                user["id"].as_str().unwrap()
            ),
            &all,
            None,
        )
        .await;
        assert_eq!(status, 404);
        let (status, _, _) = v1(&server, Method::GET, &path, &all, None).await;
        assert_eq!(status, 200, "the user is still there");
    });
}

#[tokio::test]
async fn managed_users_are_the_account_apis_users() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        let token = server.signed_in("boss", "Admin").await;
        let user = create(
            &server,
            &key,
            json!({ "profile": { "email": "seen@example.test", "given_name": "Seen", "family_name": "Here" } }),
        )
        .await;
        let (status, page) = server.get("/api/users?search=seen", &token).await;
        assert_eq!(status, 200, "{page}");
        let found = &page["data"][0];
        assert_eq!(
            (&found["email"], &found["first_name"], &found["last_name"]),
            (&json!("seen@example.test"), &json!("Seen"), &json!("Here"))
        );
        let (_, role) = server
            .get(&format!("/api/users/{}?include=role", found["id"]), &token)
            .await;
        assert_eq!(role["role"]["name"], json!("User"), "{role}");
        // And the account API's users (the admin) are in the management list.
        let (_, _, list) = v1(&server, Method::GET, &users_path(&server), &key, None).await;
        let emails: Vec<&Value> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| &u["profile"]["email"])
            .collect();
        assert!(emails.contains(&&json!("boss@example.com")), "{list}");
        assert_eq!(list["total"], json!(2));
        // Paging.
        let (_, _, page) = v1(
            &server,
            Method::GET,
            &format!("{}?limit=1&offset=1", users_path(&server)),
            &key,
            None,
        )
        .await;
        assert_eq!(
            (&page["total"], &page["count"], &page["limit"]),
            (&json!(2), &json!(1), &json!(1))
        );
        assert_eq!(page["data"][0]["id"], user["id"]);
        // A new user has no credential: no login until one is set.
        assert_eq!(
            login_status(&server, "seen@example.test", "anything-at-all")
                .await
                .0,
            401
        );
        let (status, _, creds) = v1(
            &server,
            Method::GET,
            &format!("{}/credentials", user_path(&server, &user)),
            &key,
            None,
        )
        .await;
        assert_eq!(
            (status, &creds["total"], &creds["data"]),
            (200, &json!(0), &json!([]))
        );
    });
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_blocks_every_login() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        let user = create_by_email(&server, &key, "off@example.test").await;
        let path = user_path(&server, &user);
        let body = json!({ "type": "PasswordCredential", "password": { "alg": "plain", "hash": DOC_PASSWORD } });
        let (status, _, _) = v1(
            &server,
            Method::POST,
            &format!("{path}/credentials"),
            &key,
            Some(body),
        )
        .await;
        assert_eq!(status, 200);
        let (status, login) = login_status(&server, "off@example.test", DOC_PASSWORD).await;
        assert_eq!(status, 200, "{login}");
        let token = login["token"].as_str().unwrap().to_owned();
        assert_eq!(server.get("/api/me", &token).await.0, 200);

        // The document's "Disable a user" example: GET, set disabled, POST back.
        let (_, _, mut shown) = v1(&server, Method::GET, &path, &key, None).await;
        shown["disabled"] = json!(true);
        let (status, _, disabled) = v1(&server, Method::POST, &path, &key, Some(shown)).await;
        assert_eq!((status, &disabled["disabled"]), (200, &json!(true)));
        assert_eq!(
            server.get("/api/me", &token).await.0,
            401,
            "the session ended"
        );
        assert_eq!(
            login_status(&server, "off@example.test", DOC_PASSWORD)
                .await
                .0,
            403
        );
        let device = server
            .post(
                "/api/v1/token",
                json!({ "login": "off@example.test", "password": DOC_PASSWORD }),
            )
            .await;
        assert_ne!(device.0, 200, "{device:?}");

        // "Enable a user": disabled false (or left out) lets them in again.
        let mut enabled = disabled.clone();
        enabled["disabled"] = json!(false);
        let (status, _, enabled) = v1(&server, Method::POST, &path, &key, Some(enabled)).await;
        assert_eq!(status, 200);
        assert!(enabled.get("disabled").is_none(), "{enabled}");
        assert_eq!(
            login_status(&server, "off@example.test", DOC_PASSWORD)
                .await
                .0,
            200
        );
    });
}

/// Each imported digest of "1234567890" (the document's examples), and the surface that logs
/// in first.
const DIGESTS: [(&str, &str); 4] = [
    ("md5", "e807f1fcf82d132f9bb018ca6738a19f"),
    ("sha1", "01b307acba4f54f55aafc33bb06bbbf6ca803e9a"),
    ("sha256", "c775e7b757ede630cd0aa1113bd102661ab38829ca52a6422ab782862f268646"),
    ("sha512", "12b03226a6d8be9c6e8cd5e55dc6c7920caaa39df14aab92d5e3ea9340d1c8a4d3d0b8e4314f1f6ef131ba4bf1ceb9186ab87c801af0d5c95b1befb8cedae2b9"),
];

#[tokio::test]
async fn imported_digests_become_bcrypt_at_the_first_login_on_any_surface() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        for (i, (alg, digest)) in DIGESTS.into_iter().enumerate() {
            let email = format!("{alg}@example.test");
            let user = create(&server, &key, json!({ "profile": { "email": email } })).await;
            let credentials = format!("{}/credentials", user_path(&server, &user));
            let body =
                json!({ "type": "PasswordCredential", "password": { "alg": alg, "hash": digest } });
            let (status, _, created) =
                v1(&server, Method::POST, &credentials, &key, Some(body)).await;
            assert_eq!(status, 200, "{created}");
            let wrapped = format!("{alg}|bcrypt");
            assert_eq!(
                created,
                json!({
                    "type": "PasswordCredential", "id": "password",
                    "created_at": created["created_at"], "updated_at": created["created_at"],
                    "password": { "alg": wrapped, "hash": created["password"]["hash"] }
                })
            );
            assert!(created["password"]["hash"]
                .as_str()
                .unwrap()
                .starts_with("$2"));
            let one = format!("{credentials}/password");
            let (_, _, shown) = v1(&server, Method::GET, &one, &key, None).await;
            assert_eq!(shown, created);

            // A wrong password changes nothing.
            assert_eq!(login_status(&server, &email, "123456789").await.0, 401);
            let (_, _, still) = v1(&server, Method::GET, &one, &key, None).await;
            assert_eq!(still["password"]["alg"], json!(wrapped));

            tick(&server);
            // Half log in through the account API, half through document 002's token endpoint.
            let status = if i % 2 == 0 {
                login_status(&server, &email, DOC_PASSWORD).await.0
            } else {
                server
                    .post(
                        "/api/v1/token",
                        json!({ "login": email, "password": DOC_PASSWORD }),
                    )
                    .await
                    .0
            };
            assert_eq!(status, 200, "{alg}");
            let (_, _, upgraded) = v1(&server, Method::GET, &one, &key, None).await;
            assert_eq!(
                upgraded["password"]["alg"],
                json!("bcrypt"),
                "{alg}: {upgraded}"
            );
            assert_ne!(upgraded["password"]["hash"], created["password"]["hash"]);
            assert_eq!(upgraded["created_at"], created["created_at"]);
            assert_ne!(upgraded["updated_at"], created["updated_at"]);
            // And the upgraded hash still lets them in.
            assert_eq!(login_status(&server, &email, DOC_PASSWORD).await.0, 200);
        }
    });
}

#[tokio::test]
async fn plain_and_bcrypt_imports_and_the_cost_tolerance() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        let user = create_by_email(&server, &key, "pw@example.test").await;
        let credentials = format!("{}/credentials", user_path(&server, &user));
        let post = |body: Value| {
            let (server, key, credentials) = (&server, &key, &credentials);
            async move { v1(server, Method::POST, credentials, key, Some(body)).await }
        };

        let (status, _, plain) = post(json!({ "type": "PasswordCredential", "password": { "alg": "plain", "hash": DOC_PASSWORD } })).await;
        assert_eq!(
            (status, &plain["password"]["alg"]),
            (200, &json!("bcrypt")),
            "{plain}"
        );
        assert!(!plain["password"]["hash"]
            .as_str()
            .unwrap()
            .contains(DOC_PASSWORD));
        assert_eq!(
            login_status(&server, "pw@example.test", DOC_PASSWORD)
                .await
                .0,
            200
        );

        // bcrypt within 10 ± 2 is kept as given, under any of the three prefixes, and rehashed
        // to the server's cost (4 in tests) at the next login.
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let hash = Policy::Bcrypt { cost: 10 }
                .hash(DOC_PASSWORD)
                .unwrap()
                .hash
                .replacen("$2b$", prefix, 1);
            tick(&server);
            let (status, _, kept) = post(json!({ "type": "PasswordCredential", "password": { "alg": "bcrypt", "hash": hash } })).await;
            assert_eq!(status, 200, "{kept}");
            assert_eq!(kept["password"], json!({ "alg": "bcrypt", "hash": hash }));
            // A new POST replaced the credential: it is new.
            assert_ne!(kept["created_at"], plain["created_at"]);
            assert_eq!(
                login_status(&server, "pw@example.test", DOC_PASSWORD)
                    .await
                    .0,
                200
            );
            let (_, _, rehashed) = v1(
                &server,
                Method::GET,
                &format!("{credentials}/password"),
                &key,
                None,
            )
            .await;
            assert!(
                rehashed["password"]["hash"]
                    .as_str()
                    .unwrap()
                    .starts_with("$2b$04$"),
                "{rehashed}"
            );
        }
        for cost in ["04", "07", "13", "14"] {
            let hash = format!("$2a${cost}${}", "N".repeat(53));
            let (status, _, error) = post(json!({ "type": "PasswordCredential", "password": { "alg": "bcrypt", "hash": hash } })).await;
            assert_eq!(
                (status, &error["code"]),
                (400, &json!("invalid_request")),
                "{cost}: {error}"
            );
        }
        for bad in [
            json!({ "type": "PasswordCredential", "password": { "alg": "sha256", "hash": "abc" } }),
            json!({ "type": "PasswordCredential", "password": { "alg": "argon2id", "hash": "x" } }),
            json!({ "type": "PasswordCredential", "password": { "alg": "plain", "hash": "" } }),
            json!({ "type": "PasswordCredential" }),
            json!({ "type": "WebAuthnCredential", "password": { "alg": "plain", "hash": DOC_PASSWORD } }),
        ] {
            let (status, _, error) = post(bad.clone()).await;
            assert_eq!(
                (status, &error["code"]),
                (400, &json!("invalid_request")),
                "{bad}: {error}"
            );
        }
        // The last good credential is untouched by the refused ones.
        assert_eq!(
            login_status(&server, "pw@example.test", DOC_PASSWORD)
                .await
                .0,
            200
        );
    });
}

#[tokio::test]
async fn a_disabled_credential_refuses_login_and_delete_returns_the_last_version() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        let user = create_by_email(&server, &key, "cred@example.test").await;
        let credentials = format!("{}/credentials", user_path(&server, &user));
        let one = format!("{credentials}/password");
        let (status, _, missing) = v1(&server, Method::GET, &one, &key, None).await;
        assert_eq!((status, &missing["code"]), (404, &json!("not_found")));
        let body = json!({ "type": "PasswordCredential", "metadata": { "source": "legacy" },
            "password": { "alg": "sha256", "hash": DIGESTS[2].1 } });
        let (_, _, created) = v1(&server, Method::POST, &credentials, &key, Some(body)).await;
        assert_eq!(created["metadata"], json!({ "source": "legacy" }));
        let (status, _, list) = v1(&server, Method::GET, &credentials, &key, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            list,
            json!({ "type": "List", "total": 1, "count": 1, "limit": 100, "data": [created] })
        );
        for other in ["webauthn", "PASSWORD"] {
            let (status, _, _) = v1(
                &server,
                Method::GET,
                &format!("{credentials}/{other}"),
                &key,
                None,
            )
            .await;
            assert_eq!(status, 404);
        }

        // The document's example: GET, set disabled, POST back. The hash is kept as it is.
        tick(&server);
        let (_, _, mut shown) = v1(&server, Method::GET, &one, &key, None).await;
        shown["disabled"] = json!(true);
        let (status, _, disabled) = v1(&server, Method::POST, &one, &key, Some(shown)).await;
        assert_eq!(status, 200, "{disabled}");
        assert_eq!(disabled["disabled"], json!(true));
        assert_eq!(disabled["password"], created["password"]);
        assert_eq!(disabled["created_at"], created["created_at"]);
        assert_eq!(
            disabled["metadata"],
            json!({ "source": "legacy" }),
            "posted back as read"
        );
        assert_eq!(
            login_status(&server, "cred@example.test", DOC_PASSWORD)
                .await
                .0,
            401
        );
        let (_, _, still) = v1(&server, Method::GET, &one, &key, None).await;
        assert_eq!(
            still["password"]["alg"],
            json!("sha256|bcrypt"),
            "a refused login upgrades nothing"
        );

        let (status, _, deleted) = v1(&server, Method::DELETE, &one, &key, None).await;
        assert_eq!((status, &deleted), (200, &disabled));
        let (status, _, _) = v1(&server, Method::GET, &one, &key, None).await;
        assert_eq!(status, 404);
        let (status, _, _) = v1(&server, Method::DELETE, &one, &key, None).await;
        assert_eq!(status, 404);
        let (_, _, list) = v1(&server, Method::GET, &credentials, &key, None).await;
        assert_eq!(list["total"], json!(0));
        // Enabled again with a new credential, the user logs in.
        let body = json!({ "type": "PasswordCredential", "password": { "alg": "md5", "hash": DIGESTS[0].1 } });
        let (status, _, _) = v1(&server, Method::POST, &one, &key, Some(body)).await;
        assert_eq!(status, 200);
        assert_eq!(
            login_status(&server, "cred@example.test", DOC_PASSWORD)
                .await
                .0,
            200
        );
        // Credentials of an unknown user are not found.
        let (status, _, _) = v1(
            &server,
            Method::GET,
            &format!("{}/nobody000000/credentials", users_path(&server)),
            &key,
            None,
        )
        .await;
        assert_eq!(status, 404);
    });
}

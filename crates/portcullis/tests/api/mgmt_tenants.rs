//! Document 003's tenants and applications, and what a tenant's settings and domain change on
//! the other surfaces, on both backends.

use crate::harness::{each_backend, json as read_json, registration, TestServer, PASSWORD};
use crate::mgmt::{api_key, v1};
use reqwest::{header::HOST, Method};
use serde_json::{json, Value};

/// The settings of document 003's `acme01` tenant.
fn acme_settings(domain: &str) -> Value {
    json!({
        "domain": domain,
        "company_name": "acme01",
        "support_email": "support@acme01.test",
        "allow_social": true,
        "allow_hardware": true,
        "allow_passwords": true,
        "allow_totp_app": true,
        "allow_totp_email": true,
        "allow_unverified": true,
        "remember_device": true,
        "remember_device_seconds": 2592000,
        "remember_login_seconds": 2592000,
        "allow_signups": true
    })
}

/// Creates document 003's `acme01` tenant (named `name`, at `domain`) with an unbound key.
async fn acme(server: &TestServer, key: &str, name: &str, domain: &str) -> Value {
    let body = json!({ "type": "Tenant", "name": name, "settings": acme_settings(domain) });
    let (status, _, tenant) = v1(server, Method::POST, "/v1/tenants", key, Some(body)).await;
    assert_eq!(status, 200, "{tenant}");
    tenant
}

/// `GET` the object at `path`, change it with `edit` and `POST` it back, as the document's jq
/// examples do; the status and the answer.
async fn round_trip(
    server: &TestServer,
    path: &str,
    key: &str,
    edit: impl FnOnce(&mut Value),
) -> (u16, Value) {
    let (status, _, mut object) = v1(server, Method::GET, path, key, None).await;
    assert_eq!(status, 200, "{object}");
    edit(&mut object);
    let (status, _, answer) = v1(server, Method::POST, path, key, Some(object)).await;
    (status, answer)
}

/// A request to `host` (the `Host` header) with an optional bearer token and JSON body.
pub(crate) async fn on_host(
    server: &TestServer,
    host: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = server.request(method, path).header(HOST, host);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    read_json(request.send().await.unwrap()).await
}

/// An anonymous `POST` of this JSON body to the tenant at `host`.
async fn post_on_host(server: &TestServer, host: &str, path: &str, body: Value) -> (u16, Value) {
    on_host(server, host, Method::POST, path, None, Some(body)).await
}

fn login(username: &str) -> Value {
    json!({ "username": username, "password": PASSWORD })
}

fn without_times(mut object: Value) -> Value {
    let map = object.as_object_mut().unwrap();
    for field in ["id", "created_at", "updated_at", "secret"] {
        map.remove(field);
    }
    object
}

#[tokio::test]
async fn tenants_are_created_read_and_replaced_whole() {
    each_backend!(|server| {
        let all = api_key(&server, None).await;
        // Lists are oldest first.
        server.clock.advance(time::Duration::seconds(1));
        let created = acme(&server, &all, "acme01", "acme01.vvkey.test").await;
        assert_eq!(
            without_times(created.clone()),
            json!({ "type": "Tenant", "name": "acme01", "settings": acme_settings("acme01.vvkey.test") }),
            "false and empty values are left out"
        );
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(created["created_at"], created["updated_at"]);
        let path = format!("/v1/tenants/{id}");
        let (status, _, read) = v1(&server, Method::GET, &path, &all, None).await;
        assert_eq!((status, &read), (200, &created));

        // jq '. += {"metadata": {"mykey1":"myval1"}}'
        server.clock.advance(time::Duration::seconds(5));
        let (status, updated) = round_trip(&server, &path, &all, |t| {
            t["metadata"] = json!({ "mykey1": "myval1" });
        })
        .await;
        assert_eq!(status, 200, "{updated}");
        let mut expected = created.clone();
        expected["metadata"] = json!({ "mykey1": "myval1" });
        expected["updated_at"] = updated["updated_at"].clone();
        assert_eq!(updated, expected);
        assert_ne!(updated["updated_at"], created["updated_at"]);
        // jq '.settings.allow_unverified = false'
        let (status, updated) = round_trip(&server, &path, &all, |t| {
            t["settings"]["allow_unverified"] = json!(false);
        })
        .await;
        assert_eq!(status, 200);
        assert_eq!(updated["settings"].get("allow_unverified"), None);
        assert_eq!(updated["settings"]["allow_signups"], true);
        assert_eq!(updated["metadata"], json!({ "mykey1": "myval1" }));
        let (_, _, read) = v1(&server, Method::GET, &path, &all, None).await;
        assert_eq!(read, updated);

        // The whole object: what is left out becomes zero; the route's id wins; unknown
        // fields, `type` and the timestamps are ignored.
        let body = json!({
            "id": server.tenant.id.0, "name": "acme01", "created_at": "1999-01-01T00:00:00Z",
            "settings": { "domain": "acme01.vvkey.test", "allow_signups": true, "unknown": 1 },
            "favourite_colour": "green"
        });
        let (status, _, replaced) = v1(&server, Method::POST, &path, &all, Some(body)).await;
        assert_eq!(status, 200, "{replaced}");
        assert_eq!(
            without_times(replaced.clone()),
            json!({ "type": "Tenant", "name": "acme01",
                    "settings": { "domain": "acme01.vvkey.test", "allow_signups": true } })
        );
        assert_eq!(replaced["id"], json!(id));
        assert_eq!(replaced["created_at"], created["created_at"]);
        // The default tenant was not touched.
        let default = format!("/v1/tenants/{}", server.tenant.id.0);
        let (_, _, untouched) = v1(&server, Method::GET, &default, &all, None).await;
        assert_eq!(untouched["name"], "default");
        assert_eq!(untouched["settings"]["allow_passwords"], true);

        // The list, with limit and offset.
        let (_, _, list) = v1(
            &server,
            Method::GET,
            "/v1/tenants?limit=1&offset=1",
            &all,
            None,
        )
        .await;
        assert_eq!(
            (
                &list["type"],
                &list["total"],
                &list["count"],
                &list["limit"]
            ),
            (&json!("List"), &json!(2), &json!(1), &json!(1))
        );
        assert_eq!(list["data"][0], replaced);
    });
}

#[tokio::test]
async fn tenant_rules_names_domains_and_keys() {
    each_backend!(|server| {
        let all = api_key(&server, None).await;
        let acme = acme(&server, &all, "acme01", "acme01.vvkey.test").await;
        let acme_path = format!("/v1/tenants/{}", acme["id"].as_str().unwrap());
        let bound = api_key(&server, Some("default")).await;

        // A bound key creates no tenants and does not see other tenants.
        let body = json!({ "name": "acme02" });
        let (status, _, answer) =
            v1(&server, Method::POST, "/v1/tenants", &bound, Some(body)).await;
        assert_eq!(
            (status, &answer["code"]),
            (403, &json!("forbidden")),
            "{answer}"
        );
        let (status, _, answer) = v1(
            &server,
            Method::POST,
            &acme_path,
            &bound,
            Some(acme.clone()),
        )
        .await;
        assert_eq!((status, &answer["code"]), (404, &json!("not_found")));

        // Names and domains are unique; domains are host names, stored lowercase.
        let taken = json!({ "name": "acme01" });
        let (status, _, answer) = v1(&server, Method::POST, "/v1/tenants", &all, Some(taken)).await;
        assert_eq!(
            (status, &answer["code"]),
            (400, &json!("invalid_request")),
            "{answer}"
        );
        let same_domain =
            json!({ "name": "acme02", "settings": { "domain": "ACME01.vvkey.test" } });
        let (status, _, answer) = v1(
            &server,
            Method::POST,
            "/v1/tenants",
            &all,
            Some(same_domain),
        )
        .await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer["message"]
            .as_str()
            .unwrap()
            .contains("settings.domain"));
        let with_port = json!({ "name": "acme02", "settings": { "domain": "acme02.test:8080" } });
        let (status, _, _) = v1(&server, Method::POST, "/v1/tenants", &all, Some(with_port)).await;
        assert_eq!(status, 400);
        let (status, nameless) = round_trip(&server, &acme_path, &all, |t| {
            t.as_object_mut().unwrap().remove("name");
        })
        .await;
        assert_eq!(
            (status, &nameless["code"]),
            (400, &json!("invalid_request"))
        );

        // The default tenant keeps its name; its settings change like any other's.
        let default = format!("/v1/tenants/{}", server.tenant.id.0);
        let (status, _) =
            round_trip(&server, &default, &bound, |t| t["name"] = json!("main")).await;
        assert_eq!(status, 400);
        let (status, changed) = round_trip(&server, &default, &bound, |t| {
            t["settings"]["company_name"] = json!("Main");
        })
        .await;
        assert_eq!(
            (status, &changed["settings"]["company_name"]),
            (200, &json!("Main"))
        );
    });
}

#[tokio::test]
async fn metadata_is_limited() {
    each_backend!(|server| {
        let all = api_key(&server, None).await;
        let path = format!("/v1/tenants/{}", server.tenant.id.0);
        let app = json!({ "name": "MyNewApp" });
        let apps = format!("{path}/applications");
        let (status, _, app) = v1(&server, Method::POST, &apps, &all, Some(app)).await;
        assert_eq!(status, 200, "{app}");
        let app_path = format!("{apps}/{}", app["id"].as_str().unwrap());
        let many = |n: usize| -> Value {
            (0..n)
                .map(|i| (format!("k{i}"), json!("v")))
                .collect::<serde_json::Map<_, _>>()
                .into()
        };
        let cases = [
            (many(20), 200),
            (many(21), 400),
            (json!({ "k".repeat(100): "v".repeat(1000) }), 200),
            (json!({ "k".repeat(101): "v" }), 400),
            (json!({ "k": "v".repeat(1001) }), 400),
            (json!({ "k": 1 }), 400),
            (json!(["k"]), 400),
        ];
        for target in [&path, &app_path] {
            for (metadata, expected) in &cases {
                let (status, answer) = round_trip(&server, target, &all, |o| {
                    o["metadata"] = metadata.clone();
                })
                .await;
                assert_eq!(status, *expected, "{target} {metadata}: {answer}");
                if *expected == 400 {
                    assert_eq!(answer["type"], "Error");
                    assert_eq!(answer["code"], "invalid_metadata", "{answer}");
                    assert_eq!(answer["status_code"], 400);
                } else {
                    assert_eq!(&answer["metadata"], metadata);
                }
            }
        }
        // null and {} clear it, and an empty object is left out.
        let (_, cleared) = round_trip(&server, &path, &all, |t| t["metadata"] = Value::Null).await;
        assert_eq!(cleared.get("metadata"), None);
    });
}

#[tokio::test]
async fn applications_follow_the_document() {
    each_backend!(|server| {
        let all = api_key(&server, None).await;
        let tenant = acme(&server, &all, "acme01", "acme01.vvkey.test").await;
        let apps = format!(
            "/v1/tenants/{}/applications",
            tenant["id"].as_str().unwrap()
        );
        let body = json!({
            "type": "Application",
            "name": "MyNewApp",
            "login_url": "https://example.test/auth/login",
            "logout_urls": [ "https://example.test/auth/logout" ],
            "redirect_urls": [ "https://example.test/auth/callback" ]
        });
        let (status, _, created) = v1(&server, Method::POST, &apps, &all, Some(body.clone())).await;
        assert_eq!(status, 200, "{created}");
        assert_eq!(without_times(created.clone()), body);
        let id = created["id"].as_str().unwrap().to_owned();
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert!(
            id.len() == 12 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{id}"
        );
        assert!(secret.len() == 24 && secret.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(created["created_at"], created["updated_at"]);

        let (status, _, list) = v1(&server, Method::GET, &apps, &all, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            list,
            json!({ "type": "List", "total": 1, "count": 1, "limit": 100, "data": [created] })
        );
        let path = format!("{apps}/{id}");
        let (status, _, read) = v1(&server, Method::GET, &path, &all, None).await;
        assert_eq!((status, &read), (200, &created));

        // jq '. += {"metadata": {"mykey1":"myval1"}}'; the id and secret are the server's.
        server.clock.advance(time::Duration::seconds(98));
        let (status, updated) = round_trip(&server, &path, &all, |a| {
            a["metadata"] = json!({ "mykey1": "myval1" });
            a["secret"] = json!("chosen-by-the-caller");
            a["id"] = json!("AAAAAAAAAAAA");
        })
        .await;
        assert_eq!(status, 200, "{updated}");
        let mut expected = created.clone();
        expected["metadata"] = json!({ "mykey1": "myval1" });
        expected["updated_at"] = updated["updated_at"].clone();
        assert_eq!(updated, expected);
        assert_ne!(updated["updated_at"], created["updated_at"]);

        // Whole-object POST: a list left out is emptied and omitted.
        let (_, emptied) = round_trip(&server, &path, &all, |a| {
            a.as_object_mut().unwrap().remove("logout_urls");
        })
        .await;
        assert_eq!(emptied.get("logout_urls"), None);
        assert_eq!(emptied["redirect_urls"], created["redirect_urls"]);

        // Other tenants' keys and paths reach nothing.
        let bound = api_key(&server, Some("default")).await;
        let (status, _, answer) = v1(&server, Method::GET, &path, &bound, None).await;
        assert_eq!((status, &answer["code"]), (404, &json!("not_found")));
        let (status, _, _) = v1(&server, Method::GET, &apps, &bound, None).await;
        assert_eq!(status, 404);
        let (status, _, _) = v1(&server, Method::DELETE, &path, &bound, None).await;
        assert_eq!(status, 404);
        let (status, _, _) = v1(
            &server,
            Method::POST,
            &apps,
            &bound,
            Some(json!({"name": "x"})),
        )
        .await;
        assert_eq!(status, 404);
        let elsewhere = format!("/v1/tenants/{}/applications/{id}", server.tenant.id.0);
        let (status, _, _) = v1(&server, Method::GET, &elsewhere, &all, None).await;
        assert_eq!(status, 404);

        // DELETE answers the last version; then the application is gone.
        let (_, _, last) = v1(&server, Method::GET, &path, &all, None).await;
        let (status, _, deleted) = v1(&server, Method::DELETE, &path, &all, None).await;
        assert_eq!((status, &deleted), (200, &last));
        for method in [Method::GET, Method::DELETE] {
            let (status, _, answer) = v1(&server, method, &path, &all, None).await;
            assert_eq!((status, &answer["code"]), (404, &json!("not_found")));
        }
        let (_, _, list) = v1(&server, Method::GET, &apps, &all, None).await;
        assert_eq!((&list["total"], &list["data"]), (&json!(0), &json!([])));

        // Paging.
        for name in ["a", "b", "c"] {
            // Oldest first; ids break ties at random.
            server.clock.advance(time::Duration::seconds(1));
            let body = json!({ "name": name });
            assert_eq!(
                v1(&server, Method::POST, &apps, &all, Some(body)).await.0,
                200
            );
        }
        let (_, _, page) = v1(
            &server,
            Method::GET,
            &format!("{apps}?limit=2&offset=1"),
            &all,
            None,
        )
        .await;
        assert_eq!(
            (&page["total"], &page["count"], &page["limit"]),
            (&json!(3), &json!(2), &json!(2))
        );
        assert_eq!(
            (&page["data"][0]["name"], &page["data"][1]["name"]),
            (&json!("b"), &json!("c"))
        );
    });
}

#[tokio::test]
async fn application_urls_must_be_https_unless_local_or_in_developer_mode() {
    each_backend!(|server| {
        let all = api_key(&server, None).await;
        let tenant = acme(&server, &all, "acme01", "acme01.vvkey.test").await;
        let tenant_path = format!("/v1/tenants/{}", tenant["id"].as_str().unwrap());
        let apps = format!("{tenant_path}/applications");
        let post = |urls: Value| {
            let body = json!({ "name": "App", "redirect_urls": urls.clone(), "logout_urls": urls });
            v1(&server, Method::POST, &apps, &all, Some(body))
        };
        for bad in [
            "/auth/callback",
            "http://example.test/cb",
            "ftp://example.test/cb",
            "https://example.test/cb#x",
        ] {
            let (status, _, answer) = post(json!([bad])).await;
            assert_eq!(
                (status, &answer["code"]),
                (400, &json!("invalid_request")),
                "{bad}: {answer}"
            );
            let message = answer["message"].as_str().unwrap();
            assert!(
                message.contains("redirect_urls[0]") && message.contains("logout_urls[0]"),
                "{message}"
            );
        }
        let login = json!({ "name": "App", "login_url": "http://example.test/login" });
        let (status, _, answer) = v1(&server, Method::POST, &apps, &all, Some(login.clone())).await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer["message"].as_str().unwrap().starts_with("login_url"));
        for good in [
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "https://example.test/cb?x=1",
        ] {
            let (status, _, answer) = post(json!([good])).await;
            assert_eq!(status, 200, "{good}: {answer}");
        }

        // jq '.settings.developer_mode = true': plain http anywhere.
        let (status, _) = round_trip(&server, &tenant_path, &all, |t| {
            t["settings"]["developer_mode"] = json!(true);
        })
        .await;
        assert_eq!(status, 200);
        let (status, _, answer) = post(json!(["http://example.test/cb"])).await;
        assert_eq!(status, 200, "{answer}");
        let (status, _, _) = v1(&server, Method::POST, &apps, &all, Some(login)).await;
        assert_eq!(status, 200);
        let (status, _, _) = post(json!(["/relative"])).await;
        assert_eq!(status, 400, "still absolute");
    });
}

#[tokio::test]
async fn a_tenants_settings_change_its_logins_and_registration() {
    each_backend!(|server| {
        let all = api_key(&server, None).await;
        let host = "acme01.vvkey.test";
        let tenant = acme(&server, &all, "acme01", host).await;
        let path = format!("/v1/tenants/{}", tenant["id"].as_str().unwrap());

        // Registration and login on the tenant's host land in that tenant.
        let (status, answer) =
            post_on_host(&server, host, "/api/register", registration("ann")).await;
        assert_eq!(
            (status, &answer),
            (201, &json!({ "requires_email_confirmation": false }))
        );
        let (status, _) = post_on_host(&server, host, "/api/login", login("ann")).await;
        assert_eq!(status, 200);
        let (status, _) = server.try_login("ann", PASSWORD).await;
        assert_eq!(status, 401, "ann is not a user of the default tenant");

        // allow_signups: false closes registration on that host only.
        let (status, _) = round_trip(&server, &path, &all, |t| {
            t["settings"]["allow_signups"] = json!(false);
        })
        .await;
        assert_eq!(status, 200);
        let (status, answer) =
            post_on_host(&server, host, "/api/register", registration("bob")).await;
        assert_eq!(
            (status, &answer),
            (404, &json!({ "error": "Resource not found." }))
        );
        assert_eq!(
            server.post("/api/register", registration("bob")).await.0,
            201
        );

        // allow_unverified: false refuses ann, whose address is not verified.
        let (status, _) = round_trip(&server, &path, &all, |t| {
            t["settings"]["allow_unverified"] = json!(false);
        })
        .await;
        assert_eq!(status, 200);
        let (status, answer) = post_on_host(&server, host, "/api/login", login("ann")).await;
        assert_eq!(
            (status, &answer),
            (
                401,
                &json!({ "error": "Please confirm your email address before logging in." })
            )
        );
        let (status, _) = round_trip(&server, &path, &all, |t| {
            t["settings"]["allow_unverified"] = json!(true);
        })
        .await;
        assert_eq!(status, 200);

        // allow_passwords: false refuses password logins on every surface of that tenant.
        let (status, _) = round_trip(&server, &path, &all, |t| {
            t["settings"]["allow_passwords"] = json!(false);
        })
        .await;
        assert_eq!(status, 200);
        let off = "Password logins are turned off for this tenant.";
        let (status, answer) = post_on_host(&server, host, "/api/login", login("ann")).await;
        assert_eq!((status, &answer), (403, &json!({ "error": off })));
        let vms = json!({ "login": "ann", "password": PASSWORD });
        let (status, answer) = post_on_host(&server, host, "/api/v1/token", vms).await;
        assert_eq!((status, &answer), (403, &json!({ "message": off })));
        // The default tenant still takes passwords.
        assert_eq!(server.try_login("bob", PASSWORD).await.0, 200);
    });
}

#[tokio::test]
async fn a_token_works_only_on_its_tenants_host() {
    each_backend!(|server| {
        let all = api_key(&server, None).await;
        let b_host = "acme01.vvkey.test";
        let tenant = acme(&server, &all, "acme01", b_host).await;
        let path = format!("/v1/tenants/{}", tenant["id"].as_str().unwrap());
        let default_host = server.addr.to_string();

        post_on_host(&server, b_host, "/api/register", registration("ann")).await;
        let (status, answer) = post_on_host(&server, b_host, "/api/login", login("ann")).await;
        assert_eq!(status, 200, "{answer}");
        let b_token = answer["token"].as_str().unwrap().to_owned();
        let default_token = server.signed_in("pat", "User").await;

        let me = |host: String, token: String| {
            let server = &server;
            async move { on_host(server, &host, Method::GET, "/api/me", Some(&token), None).await }
        };
        let (status, answer) = me(b_host.into(), b_token.clone()).await;
        assert_eq!((status, &answer["username"]), (200, &json!("ann")));
        assert_eq!(
            me(format!("{b_host}:443"), b_token.clone()).await.0,
            200,
            "ports don't matter"
        );
        assert_eq!(me("ACME01.vvkey.test".into(), b_token.clone()).await.0, 200);
        assert_eq!(
            me(default_host.clone(), b_token.clone()).await,
            (401, json!({ "error": "Unauthorized." }))
        );
        assert_eq!(
            me("unknown.example.test".into(), b_token.clone()).await.0,
            401
        );
        let (status, answer) = me(default_host.clone(), default_token.clone()).await;
        assert_eq!((status, &answer["username"]), (200, &json!("pat")));
        assert_eq!(
            me("unknown.example.test".into(), default_token.clone())
                .await
                .0,
            200
        );
        assert_eq!(
            me(b_host.into(), default_token.clone()).await,
            (401, json!({ "error": "Unauthorized." }))
        );

        // A new domain moves the tenant: the old host is the default tenant's again.
        let new_host = "acme01.example.test";
        let (status, _) = round_trip(&server, &path, &all, |t| {
            t["settings"]["domain"] = json!(new_host);
        })
        .await;
        assert_eq!(status, 200);
        assert_eq!(me(new_host.into(), b_token.clone()).await.0, 200);
        assert_eq!(me(b_host.into(), b_token.clone()).await.0, 401);
        assert_eq!(me(b_host.into(), default_token.clone()).await.0, 200);
        let (status, _) = post_on_host(&server, new_host, "/api/login", login("ann")).await;
        assert_eq!(status, 200, "the tenant is found by its new domain");
    });
}

#[tokio::test]
async fn a_tenants_mails_link_to_its_own_host() {
    each_backend!(|server| {
        let all = api_key(&server, None).await;
        let host = "acme01.vvkey.test";
        let mut settings = acme_settings(host);
        settings["allow_unverified"] = json!(false);
        let body = json!({ "type": "Tenant", "name": "acme01", "settings": settings });
        let (status, _, tenant) = v1(&server, Method::POST, "/v1/tenants", &all, Some(body)).await;
        assert_eq!(status, 200, "{tenant}");

        let (status, answer) =
            post_on_host(&server, host, "/api/register", registration("ann")).await;
        assert_eq!(status, 201, "{answer}");
        let mail = server.wait_for_mail("ann@example.com", 1).await;
        assert!(
            mail.contains(&format!("https://{host}/verify-email?token=")),
            "the confirmation link opens the tenant's own page: {mail}"
        );

        let (status, answer) = post_on_host(
            &server,
            host,
            "/api/password/remind",
            json!({ "email": "ann@example.com" }),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        let mail = server.wait_for_mail("ann@example.com", 2).await;
        assert!(
            mail.contains(&format!("https://{host}/reset-password?token=")),
            "the reset link opens the tenant's own page: {mail}"
        );
    });
}

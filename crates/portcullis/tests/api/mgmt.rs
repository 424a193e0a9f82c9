//! Document 003's management API under `/v1`: API keys, the envelopes, tenants.

use crate::harness::{each_backend, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

/// A `/v1` request with `key`; the status, the `X-Request-Id` and the JSON body.
pub async fn v1(
    server: &TestServer,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, String, Value) {
    let mut request = server.request(method, path).bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let (status, body) = crate::harness::json(response).await;
    (status, id, body)
}

pub async fn api_key(server: &TestServer, tenant: Option<&str>) -> String {
    let created = server
        .app
        .services
        .create_api_key("mgmt", tenant)
        .await
        .unwrap();
    created.value.expose().to_owned()
}

#[tokio::test]
async fn every_request_needs_a_live_api_key_and_errors_carry_the_request_id() {
    each_backend!(|server| {
        for key in ["", "vv_nope", "pcsk_AAAAAAAAAAAAAAAA_nope"] {
            let (status, id, body) = v1(&server, Method::GET, "/v1/tenants", key, None).await;
            assert_eq!(status, 401);
            assert_eq!(
                body,
                json!({
                    "type": "Error", "uuid": id, "code": "authentication_failure", "status_code": 401,
                    "message": "A valid API key is required: Authorization: Bearer <key>."
                })
            );
        }
        let key = api_key(&server, None).await;
        let (status, id, body) = v1(&server, Method::GET, "/v1/nowhere", &key, None).await;
        assert_eq!(
            (status, &body["code"], &body["uuid"]),
            (404, &json!("not_found"), &json!(id))
        );
        let (status, _, body) = v1(&server, Method::PUT, "/v1/tenants", &key, None).await;
        assert_eq!((status, &body["type"]), (405, &json!("Error")));
    });
}

#[tokio::test]
async fn a_key_lists_and_reads_the_tenants_it_reaches() {
    each_backend!(|server| {
        // Lists are oldest first; ids break ties at random.
        server.clock.advance(time::Duration::seconds(1));
        let other = server.app.services.ensure_tenant("other").await.unwrap();
        let all = api_key(&server, None).await;
        let (status, _, list) = v1(&server, Method::GET, "/v1/tenants", &all, None).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(
            (
                &list["type"],
                &list["total"],
                &list["count"],
                &list["limit"]
            ),
            (&json!("List"), &json!(2), &json!(2), &json!(100))
        );
        let first = &list["data"][0];
        assert_eq!(
            (&first["type"], &first["name"]),
            (&json!("Tenant"), &json!("default"))
        );
        let created = first["created_at"].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{created}"
        );
        assert!(created.ends_with('Z'));
        let (_, _, page) = v1(
            &server,
            Method::GET,
            "/v1/tenants?limit=1&offset=1",
            &all,
            None,
        )
        .await;
        assert_eq!(
            (&page["count"], &page["limit"], &page["data"][0]["name"]),
            (&json!(1), &json!(1), &json!("other"))
        );

        let bound = api_key(&server, Some("other")).await;
        let (_, _, list) = v1(&server, Method::GET, "/v1/tenants", &bound, None).await;
        assert_eq!(
            (&list["total"], &list["data"][0]["id"]),
            (&json!(1), &json!(other.id.0))
        );
        let path = format!("/v1/tenants/{}", server.tenant.id.0);
        let (status, _, body) = v1(&server, Method::GET, &path, &bound, None).await;
        assert_eq!(
            (status, &body["code"]),
            (404, &json!("not_found")),
            "no existence leak"
        );
        let (status, _, body) = v1(&server, Method::GET, &path, &all, None).await;
        assert_eq!((status, &body["id"]), (200, &json!(server.tenant.id.0)));
        let (status, _, _) = v1(&server, Method::GET, "/v1/tenants/nosuch", &all, None).await;
        assert_eq!(status, 404);
    });
}

#[tokio::test]
async fn bad_input_gets_the_error_envelope_never_a_500() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        let tenant = server.tenant.id.0.clone();
        let users = format!("/v1/tenants/{tenant}/users");
        let send = |path: String, body: Vec<u8>| {
            let server = &server;
            let key = key.clone();
            async move {
                let response = server
                    .request(Method::POST, &path)
                    .bearer_auth(key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                crate::harness::json(response).await
            }
        };
        for body in [
            b"{\"profile\": ".to_vec(),
            b"[1, 2]".to_vec(),
            b"{\"profile\": 5}".to_vec(),
            b"{\"profile\": {\"email\": [\"x\"]}}".to_vec(),
            vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'],
            b"{\"profile\": {\"email\": \"a\\u0000@example.test\"}}".to_vec(),
        ] {
            let (status, answer) = send(users.clone(), body.clone()).await;
            assert_eq!(status, 400, "{}: {answer}", String::from_utf8_lossy(&body));
            assert_eq!(
                (&answer["type"], &answer["code"]),
                (&json!("Error"), &json!("invalid_request"))
            );
        }
        let huge = format!("{{\"profile\": {{\"name\": \"{}\"}}}}", "x".repeat(200_000));
        let (status, answer) = send(users.clone(), huge.into_bytes()).await;
        assert_eq!(
            (status, &answer["type"]),
            (413, &json!("Error")),
            "{answer}"
        );
        for path in [
            format!("/v1/tenants/{tenant}/users/' OR '1'='1"),
            format!("/v1/tenants/{tenant}/users/nosuchuser/credentials/password"),
            format!("/v1/tenants/{tenant}/applications/%00"),
            "/v1/tenants/x'; DROP TABLE tenants; --".to_owned(),
        ] {
            let (status, _, answer) = v1(&server, Method::GET, &path, &key, None).await;
            assert_eq!(
                (status, &answer["code"]),
                (404, &json!("not_found")),
                "{path}"
            );
        }
        // A malformed query string is the document's 400 too, not a framework's plain text.
        for query in [
            "limit=abc",
            "offset=9223372036854775808",
            "limit=1.5",
            "offset=%FF",
        ] {
            for list in ["users", "applications"] {
                let path = format!("/v1/tenants/{tenant}/{list}?{query}");
                let (status, _, answer) = v1(&server, Method::GET, &path, &key, None).await;
                assert_eq!(
                    (status, &answer["type"], &answer["code"]),
                    (400, &json!("Error"), &json!("invalid_request")),
                    "{path}: {answer}"
                );
            }
        }
        let (status, _, _) = v1(
            &server,
            Method::GET,
            &format!("{users}?limit=5&offset=0"),
            &key,
            None,
        )
        .await;
        assert_eq!(status, 200);
    });
}

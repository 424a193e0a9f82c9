//! Which host picks a tenant is the operator's to say: a tenant's own key cannot claim a host,
//! and nobody but the default tenant holds the server's own (`public_url`).

use crate::harness::each_backend;
use crate::mgmt::{api_key, v1};
use reqwest::Method;
use serde_json::{json, Value};

/// The server's own host in the tests (`public_url` is `http://portcullis.test`).
const OWN_HOST: &str = "portcullis.test";

#[tokio::test]
async fn a_tenant_key_cannot_claim_a_host_or_turn_on_developer_mode() {
    each_backend!(|server| {
        let operator = api_key(&server, None).await;
        let (status, _, tenant) = v1(
            &server,
            Method::POST,
            "/v1/tenants",
            &operator,
            Some(json!({ "name": "beta", "settings": { "domain": "beta.test" } })),
        )
        .await;
        assert_eq!(status, 200, "{tenant}");
        let path = format!("/v1/tenants/{}", tenant["id"].as_str().unwrap());
        let (status, _, _) = v1(&server, Method::GET, &path, &operator, None).await;
        assert_eq!(status, 200);
        let beta_key = api_key(&server, Some("beta")).await;
        let post = |body: Value| {
            let (server, path, key) = (&server, path.clone(), beta_key.clone());
            async move { v1(server, Method::POST, &path, &key, Some(body)).await }
        };
        let with = |edit: &dyn Fn(&mut Value)| {
            let mut body = tenant.clone();
            edit(&mut body);
            body
        };

        // The takeover: beta's key points the server's own host, or any other, at beta.
        for host in [OWN_HOST, "victim.example.test", ""] {
            let (status, _, answer) = post(with(&|t| t["settings"]["domain"] = json!(host))).await;
            assert_eq!(
                (status, &answer["code"], &answer["message"]),
                (
                    403,
                    &json!("forbidden"),
                    &json!("Only the operator may change settings.domain.")
                ),
                "{host:?}"
            );
        }
        let (status, _, answer) =
            post(with(&|t| t["settings"]["developer_mode"] = json!(true))).await;
        assert_eq!(
            (status, &answer["message"]),
            (
                403,
                &json!("Only the operator may change settings.developer_mode.")
            )
        );
        // Sending the whole object back with the same host is no change (full-object POST).
        let (status, _, answer) = post(with(&|t| t["name"] = json!("beta renamed"))).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["settings"]["domain"], "beta.test");

        // The server's own host serves the default tenant still.
        let user = server.create_user("dee", "User").await;
        let (status, body) = server
            .post(
                "/api/login",
                json!({ "username": "dee", "password": crate::harness::PASSWORD }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let _ = user;
    });
}

#[tokio::test]
async fn the_servers_own_host_belongs_to_the_default_tenant_even_for_the_operator() {
    each_backend!(|server| {
        let operator = api_key(&server, None).await;
        let (status, _, answer) = v1(
            &server,
            Method::POST,
            "/v1/tenants",
            &operator,
            Some(json!({ "name": "gamma", "settings": { "domain": "Portcullis.TEST" } })),
        )
        .await;
        assert_eq!((status, &answer["code"]), (400, &json!("invalid_request")));
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .starts_with("settings.domain: "),
            "{answer}"
        );
        let (status, _, gamma) = v1(
            &server,
            Method::POST,
            "/v1/tenants",
            &operator,
            Some(json!({ "name": "gamma", "settings": { "domain": "gamma.test" } })),
        )
        .await;
        assert_eq!(status, 200);
        let path = format!("/v1/tenants/{}", gamma["id"].as_str().unwrap());
        let mut moved = gamma.clone();
        moved["settings"]["domain"] = json!(OWN_HOST);
        let (status, _, answer) = v1(&server, Method::POST, &path, &operator, Some(moved)).await;
        assert_eq!((status, &answer["code"]), (400, &json!("invalid_request")));
        // The operator moves tenants between other hosts as before.
        let mut moved = gamma.clone();
        moved["settings"]["domain"] = json!("gamma2.test");
        let (status, _, answer) = v1(&server, Method::POST, &path, &operator, Some(moved)).await;
        assert_eq!(
            (status, &answer["settings"]["domain"]),
            (200, &json!("gamma2.test"))
        );
    });
}

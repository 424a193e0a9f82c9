//! Bad input of every kind gets the account API's error shape, never a 500.

use crate::harness::{each_backend, json, PASSWORD};
use reqwest::Method;
use serde_json::json;

async fn post_login(
    server: &crate::harness::TestServer,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let mut request = server.request(Method::POST, "/api/login").body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    json(request.send().await.unwrap()).await
}

#[tokio::test]
async fn validation_errors_use_documented_messages() {
    each_backend!(|server| {
        let both_missing = json!({
            "username": ["The username field is required."],
            "password": ["The password field is required."]
        });
        let cases = [
            (json!({}), both_missing.clone()),
            (json!({ "username": "", "password": null }), both_missing),
            (
                json!({ "username": "x" }),
                json!({ "password": ["The password field is required."] }),
            ),
            (
                json!({ "username": 123, "password": ["a"] }),
                json!({ "username": ["The username must be a string."], "password": ["The password must be a string."] }),
            ),
        ];
        for (body, expected) in cases {
            let got = post_login(
                &server,
                Some("application/json"),
                body.to_string().into_bytes(),
            )
            .await;
            assert_eq!(got, (422, expected), "{body}");
        }
        // An empty body is an empty object, as in the original.
        assert_eq!(post_login(&server, None, Vec::new()).await.0, 422);
    });
}

#[tokio::test]
async fn malformed_bodies_are_400_in_the_error_shape() {
    each_backend!(|server| {
        for body in [
            &b"{not json"[..],
            b"[1,2]",
            b"\"text\"",
            b"{\"username\": \"\xff\xfe\"}",
            b"\xc3\x28",
        ] {
            let (status, value) =
                post_login(&server, Some("application/json"), body.to_vec()).await;
            assert_eq!(status, 400, "{body:?}");
            assert!(value["error"].is_string(), "{value}");
        }
    });
}

#[tokio::test]
async fn content_type_size_route_and_method_errors() {
    each_backend!(|server| {
        let (status, body) = post_login(&server, Some("text/plain"), b"hello".to_vec()).await;
        assert_eq!(status, 415);
        assert!(body["error"].is_string());

        let huge = json!({ "username": "a".repeat(200_000), "password": "x" })
            .to_string()
            .into_bytes();
        let (status, body) = post_login(&server, Some("application/json"), huge).await;
        assert_eq!(
            (status, body),
            (413, json!({ "error": "The request body is too large." }))
        );

        let (status, body) = server.call(Method::GET, "/api/nowhere").await;
        assert_eq!(
            (status, body),
            (404, json!({ "error": "Resource not found." }))
        );
        let (status, _) = server.call(Method::GET, "/").await;
        assert_eq!(status, 404);

        let (status, body) = server.call(Method::DELETE, "/api/login").await;
        assert_eq!(status, 405);
        assert!(body["error"].is_string());
        let (status, _) = server.call(Method::GET, "/api/login").await;
        assert_eq!(status, 405);
    });
}

#[tokio::test]
async fn form_bodies_are_accepted_like_the_original() {
    each_backend!(|server| {
        server.create_user("former", "User").await;
        let body = format!("username=former&password={PASSWORD}");
        let (status, token) = post_login(
            &server,
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
        )
        .await;
        assert_eq!(status, 200, "{token}");
        assert!(token["token"].is_string());
    });
}

//! CORS: browser applications call discovery, the JWKS, the token endpoint, userinfo and
//! revocation from their own origin; nobody else, and nowhere else.

use super::*;

const APP_ORIGIN: &str = "https://rp.example.test";

async fn with_origin(
    server: &TestServer,
    method: Method,
    path: &str,
    origin: &str,
    preflight: bool,
) -> reqwest::Response {
    let mut request = server.request(method, path).header("origin", origin);
    if preflight {
        request = request
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            );
    }
    request.send().await.unwrap()
}

fn allowed_origin(response: &reqwest::Response) -> Option<&str> {
    response
        .headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn the_applications_origins_may_call_the_provider_from_a_browser() {
    each_backend!(|server| {
        create_app(&server, json!({})).await;
        for path in [
            "/oauth2/token",
            "/oauth2/userinfo",
            "/oauth2/revoke",
            "/oauth2/jwks",
        ] {
            let preflight = with_origin(&server, Method::OPTIONS, path, APP_ORIGIN, true).await;
            assert_eq!(preflight.status(), 204, "{path}");
            assert_eq!(allowed_origin(&preflight), Some(APP_ORIGIN), "{path}");
            let headers = preflight.headers();
            assert!(headers["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .contains("Authorization"));
            assert_eq!(headers["vary"], "Origin");
            assert!(headers.get("access-control-allow-credentials").is_none());
        }
        let discovery = with_origin(
            &server,
            Method::GET,
            "/.well-known/openid-configuration",
            APP_ORIGIN,
            false,
        )
        .await;
        assert_eq!(
            (discovery.status().as_u16(), allowed_origin(&discovery)),
            (200, Some(APP_ORIGIN))
        );
        // The token endpoint's answer, even a refusal, is readable by the application.
        let token = server
            .request(Method::POST, "/oauth2/token")
            .header("origin", APP_ORIGIN)
            .form(&[("grant_type", "authorization_code"), ("code", "nope")])
            .send()
            .await
            .unwrap();
        assert_eq!(allowed_origin(&token), Some(APP_ORIGIN));
        assert_eq!(token.headers()["vary"], "Origin");
    });
}

#[tokio::test]
async fn other_origins_and_other_surfaces_get_no_cors_answer() {
    each_backend!(|server| {
        create_app(&server, json!({})).await;
        // Another site, and a look-alike of the application's.
        for origin in [
            "https://evil.example",
            "https://rp.example.test.evil.example",
            "null",
        ] {
            let preflight =
                with_origin(&server, Method::OPTIONS, "/oauth2/token", origin, true).await;
            assert_ne!(preflight.status(), 204, "{origin}");
            assert_eq!(allowed_origin(&preflight), None, "{origin}");
            let jwks = with_origin(&server, Method::GET, "/oauth2/jwks", origin, false).await;
            assert_eq!(allowed_origin(&jwks), None, "{origin}");
        }
        // Browser navigations, resource servers' endpoints, the account API and the pages:
        // never, whatever the origin.
        for (method, path) in [
            (Method::GET, "/oauth2/authorize"),
            (Method::POST, "/oauth2/introspect"),
            (Method::GET, "/api/me"),
            (Method::GET, "/login"),
            (Method::GET, "/v1/tenants"),
        ] {
            let answer = with_origin(&server, method, path, APP_ORIGIN, false).await;
            assert_eq!(allowed_origin(&answer), None, "{path}");
        }
    });
}

#[tokio::test]
async fn the_account_api_answers_the_origins_the_tenant_lists() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let spa = "https://spa.example";
        let (status, errors) = server
            .send(
                Method::PATCH,
                "/api/settings",
                &admin,
                json!({ "cors_origins": ["https://spa.example/path"] }),
            )
            .await;
        assert_eq!(status, 422, "an origin has no path: {errors}");
        let (status, settings) = server
            .send(
                Method::PATCH,
                "/api/settings",
                &admin,
                json!({ "cors_origins": [spa] }),
            )
            .await;
        assert_eq!((status, &settings["cors_origins"]), (200, &json!([spa])));

        let preflight = with_origin(&server, Method::OPTIONS, "/api/me", spa, true).await;
        assert_eq!(
            (preflight.status().as_u16(), allowed_origin(&preflight)),
            (204, Some(spa))
        );
        let me = server
            .request(Method::GET, "/api/me")
            .header("origin", spa)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            (me.status().as_u16(), allowed_origin(&me)),
            (200, Some(spa))
        );
        // Another origin, document 002's surface, and the provider's endpoints (which answer
        // the applications' origins, not this list) stay closed to it.
        let other = with_origin(
            &server,
            Method::GET,
            "/api/me",
            "https://evil.example",
            false,
        )
        .await;
        assert_eq!(allowed_origin(&other), None);
        for path in ["/api/v1/captcha", "/oauth2/jwks"] {
            let answer = with_origin(&server, Method::GET, path, spa, false).await;
            assert_eq!(allowed_origin(&answer), None, "{path}");
        }
    });
}

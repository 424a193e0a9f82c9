//! HTTPS as the proxy in front sees it: only a trusted proxy may say a request came over
//! HTTPS; then our cookies carry the `__Host-` prefix (no sibling host can plant or shadow
//! them), and a public URL on HTTPS makes every answer ask for HTTPS only (HSTS).

use crate::harness::{backends, TestServer};
use reqwest::Method;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn behind_a_trusted_tls_proxy_cookies_are_host_only_and_https_is_demanded() {
    for backend in backends() {
        let server = TestServer::start_with(&backend, |config| {
            config.public_url = Some("https://portcullis.test".to_owned());
            config.trusted_proxies = vec!["127.0.0.1".to_owned()];
        })
        .await;
        let http = no_redirects();
        let page = |https: bool| {
            let mut request = http.get(format!("{}/login", server.base));
            if https {
                request = request.header("x-forwarded-proto", "https");
            }
            request.send()
        };
        let over_https = page(true).await.unwrap();
        assert_eq!(
            over_https.headers()["strict-transport-security"],
            "max-age=31536000"
        );
        let cookies = set_cookies(&over_https);
        assert!(!cookies.is_empty());
        assert!(
            cookies.iter().all(|c| c.starts_with("__Host-portcullis_")),
            "{cookies:?}"
        );
        let plain = page(false).await.unwrap();
        assert!(set_cookies(&plain)
            .iter()
            .all(|c| c.starts_with("portcullis_")));

        // Over HTTPS, only the prefixed session cookie signs a browser in: an unprefixed one
        // may have been planted from a sibling host or over plain HTTP.
        let token = server.signed_in("pat", "User").await;
        let account = |cookie: String| {
            http.get(format!("{}/account", server.base))
                .header("x-forwarded-proto", "https")
                .header("cookie", cookie)
                .send()
        };
        let planted = account(format!("portcullis_session={token}"))
            .await
            .unwrap();
        assert_eq!(planted.status(), 303, "sent to sign in");
        let ours = account(format!("__Host-portcullis_session={token}"))
            .await
            .unwrap();
        assert_eq!(ours.status(), 200);
        server.stop().await;
    }
}

#[tokio::test]
async fn only_a_trusted_proxy_says_a_request_came_over_https() {
    for backend in backends() {
        // No trusted proxies: whoever connects may write X-Forwarded-Proto.
        let server = TestServer::start(&backend).await;
        let response = no_redirects()
            .request(Method::GET, format!("{}/login", server.base))
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .unwrap();
        assert!(response
            .headers()
            .get("strict-transport-security")
            .is_none());
        assert!(set_cookies(&response)
            .iter()
            .all(|c| c.starts_with("portcullis_")));
        server.stop().await;
    }
}

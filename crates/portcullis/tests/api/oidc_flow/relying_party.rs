//! The `openidconnect` crate's client, talking to the test server through a small HTTP
//! adapter (the issuer is `http://portcullis.test`; requests go to the test port).

use super::*;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
    HttpResponse, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

pub(crate) async fn send(
    base: String,
    request: HttpRequest,
) -> Result<HttpResponse, reqwest::Error> {
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let mut outgoing = no_redirects().request(request.method().clone(), format!("{base}{target}"));
    for (name, value) in request.headers() {
        outgoing = outgoing.header(name, value);
    }
    let response = outgoing.body(request.body().clone()).send().await?;
    let mut incoming = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        incoming = incoming.header(name, value);
    }
    Ok(incoming.body(response.bytes().await?.to_vec()).unwrap())
}

#[tokio::test]
async fn the_whole_code_flow_with_pkce_for_both_signing_algorithms() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let discovery = server
            .request(Method::GET, "/.well-known/openid-configuration")
            .send()
            .await
            .unwrap();
        let (_, discovery) = json(discovery).await;
        let keys = server
            .request(Method::GET, "/oauth2/jwks")
            .send()
            .await
            .unwrap();
        let (_, keys) = json(keys).await;
        let keys: CoreJsonWebKeySet = serde_json::from_value(keys).unwrap();
        let metadata: CoreProviderMetadata = serde_json::from_value(discovery).unwrap();
        let metadata = metadata.set_jwks(keys);
        let base = server.base.clone();
        let http = move |request: HttpRequest| send(base.clone(), request);

        for (alg, metadata_field) in [
            (CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, json!({})),
            (
                CoreJwsSigningAlgorithm::EdDsa,
                json!({ "id_token_signed_response_alg": "EdDSA" }),
            ),
        ] {
            let app = create_app(&server, metadata_field).await;
            let client = CoreClient::from_provider_metadata(
                metadata.clone(),
                ClientId::new(app.id.clone()),
                Some(ClientSecret::new(app.secret.clone())),
            )
            .set_redirect_uri(RedirectUrl::new(CALLBACK.to_owned()).unwrap());
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            let (url, state, nonce) = client
                .authorize_url(
                    CoreAuthenticationFlow::AuthorizationCode,
                    CsrfToken::new_random,
                    Nonce::new_random,
                )
                .add_scope(Scope::new("profile".to_owned()))
                .add_scope(Scope::new("email".to_owned()))
                .set_pkce_challenge(challenge)
                .url();
            assert_eq!(url.host_str(), Some("portcullis.test"));
            let path = format!("{}?{}", url.path(), url.query().unwrap());
            let to = location(&browse(&server, &path, Some(&cookie)).await);
            assert!(to.starts_with(CALLBACK), "{to}");
            assert_eq!(
                param(&to, "state").as_deref(),
                Some(state.secret().as_str())
            );
            let code = param(&to, "code").unwrap();

            let response = client
                .exchange_code(AuthorizationCode::new(code))
                .unwrap()
                .set_pkce_verifier(verifier)
                .request_async(&http)
                .await
                .unwrap_or_else(|e| panic!("exchange: {e:?}"));
            let verifier = client.id_token_verifier().set_allowed_algs([alg.clone()]);
            let id_token = response.id_token().expect("an ID token");
            let claims = id_token
                .claims(&verifier, &nonce)
                .expect("the ID token verifies");
            assert_eq!(id_token.signing_alg().unwrap(), &alg);
            assert_eq!(claims.issuer().as_str(), "http://portcullis.test");
            assert_eq!(claims.email().unwrap().as_str(), "alice@example.com");
            assert_eq!(claims.email_verified(), Some(true));
            assert_eq!(claims.preferred_username().unwrap().as_str(), "alice");
            assert!(claims.auth_time().is_some());
            let expected = AccessTokenHash::from_token(
                response.access_token(),
                id_token.signing_alg().unwrap(),
                id_token.signing_key(&verifier).unwrap(),
            )
            .unwrap();
            assert_eq!(claims.access_token_hash(), Some(&expected), "at_hash");
            let scopes: Vec<String> = response
                .scopes()
                .unwrap()
                .iter()
                .map(|s| s.to_string())
                .collect();
            assert_eq!(scopes, ["openid", "profile", "email"]);

            let info: openidconnect::core::CoreUserInfoClaims = client
                .user_info(
                    response.access_token().clone(),
                    Some(claims.subject().clone()),
                )
                .unwrap()
                .request_async(&http)
                .await
                .unwrap_or_else(|e| panic!("userinfo: {e:?}"));
            assert_eq!(info.email().unwrap().as_str(), "alice@example.com");

            let refreshed = client
                .exchange_refresh_token(response.refresh_token().unwrap())
                .unwrap()
                .request_async(&http)
                .await
                .unwrap_or_else(|e| panic!("refresh: {e:?}"));
            assert_ne!(
                refreshed.refresh_token().unwrap().secret(),
                response.refresh_token().unwrap().secret(),
                "rotated"
            );
            let again = refreshed
                .id_token()
                .expect("an ID token on refresh")
                .claims(&verifier, |nonce: Option<&Nonce>| {
                    assert!(nonce.is_none(), "no nonce on refresh");
                    Ok(())
                })
                .unwrap();
            assert_eq!(again.subject(), claims.subject());

            // RP-initiated logout, then the sign-in and its tokens are gone.
            let logout = format!(
                "/oauth2/logout?{}",
                serde_urlencoded::to_string([
                    ("id_token_hint", id_token.to_string().as_str()),
                    ("post_logout_redirect_uri", SIGNED_OUT),
                    ("state", "bye"),
                ])
                .unwrap()
            );
            let mut session_cookie = cookie.clone();
            if alg == CoreJwsSigningAlgorithm::EdDsa {
                let response = browse(&server, &logout, Some(&session_cookie)).await;
                let cleared = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
                assert!(cleared.starts_with("portcullis_session=;"), "{cleared}");
                assert!(cleared.contains("Max-Age=0"), "{cleared}");
                assert_eq!(location(&response), format!("{SIGNED_OUT}?state=bye"));
                let (status, body, _) = userinfo(&server, refreshed.access_token().secret()).await;
                assert_eq!((status, &body), (401, &json!({"error": "invalid_token"})));
                let (status, _) = server.get("/api/me", &session_cookie).await;
                assert_eq!(status, 401, "the browser's session has ended");
                session_cookie.clear();
            }
            let _ = session_cookie;
        }
    });
}

//! Clients that register themselves: `POST /oauth2/register` (RFC 7591) through the
//! `openidconnect` crate and by hand, and RFC 7592's read, replace and delete with the
//! registration access token, on both backends.

use crate::harness::{each_backend, json, TestServer};
use crate::mgmt::{api_key, v1};
use crate::oidc_flow::relying_party::send;
use crate::oidc_flow::{browser, pkce_authorize_path, App, CALLBACK};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreClientRegistrationRequest,
    CoreGrantType, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::registration::EmptyAdditionalClientMetadata;
use openidconnect::{
    AccessToken, AuthorizationCode, ClientName, CsrfToken, HttpRequest, LocalizedClaim, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RegistrationUrl, Scope,
};
use reqwest::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
use reqwest::Method;
use serde_json::{json, Value};

const ENDPOINT: &str = "/oauth2/register";

/// A request to the registration endpoint (or a client's URI) with this bearer token.
async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, String) {
    let mut request = server.request(method, path);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    if response.status() == 204 {
        assert!(response.bytes().await.unwrap().is_empty());
        return (204, Value::Null, challenge);
    }
    let (status, body) = json(response).await;
    (status, body, challenge)
}

/// Registers a code-flow client with `token`; the whole answer.
async fn register(server: &TestServer, token: Option<&str>, name: &str) -> Value {
    let body = json!({ "redirect_uris": [CALLBACK], "client_name": name });
    let (status, body, _) = call(server, Method::POST, ENDPOINT, token, Some(body)).await;
    assert_eq!(status, 201, "{body}");
    body
}

/// The path of a registered client's `registration_client_uri`.
fn client_path(registered: &Value) -> String {
    let uri = registered["registration_client_uri"].as_str().unwrap();
    uri.strip_prefix("http://portcullis.test")
        .unwrap_or_else(|| panic!("{uri}"))
        .to_owned()
}

fn str_of(body: &Value, field: &str) -> String {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {body}"))
        .to_owned()
}

fn assert_invalid_token(status: u16, body: &Value, challenge: &str, what: &str) {
    assert_eq!(status, 401, "{what}: {body}");
    assert_eq!(body["error"], "invalid_token", "{what}: {body}");
    assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
}

/// The application as the management API shows it.
async fn managed_application(server: &TestServer, id: &str) -> (u16, Value) {
    let key = api_key(server, None).await;
    let path = format!("/v1/tenants/{}/applications/{id}", server.tenant.id.0);
    let (status, _, body) = v1(server, Method::GET, &path, &key, None).await;
    (status, body)
}

#[tokio::test]
async fn a_client_registered_with_openidconnect_signs_a_person_in() {
    each_backend!(|server| {
        let cookie = browser(&server, "alice").await;
        let (_, discovery) = server
            .call(Method::GET, "/.well-known/openid-configuration")
            .await;
        assert_eq!(
            discovery["registration_endpoint"],
            "http://portcullis.test/oauth2/register"
        );
        let (_, keys) = server.call(Method::GET, "/oauth2/jwks").await;
        let keys: CoreJsonWebKeySet = serde_json::from_value(keys).unwrap();
        let endpoint =
            RegistrationUrl::new(discovery["registration_endpoint"].as_str().unwrap().into())
                .unwrap();
        let metadata: CoreProviderMetadata = serde_json::from_value(discovery).unwrap();
        let metadata = metadata.set_jwks(keys);
        let base = server.base.clone();
        let http = move |request: HttpRequest| send(base.clone(), request);

        let key = api_key(&server, Some(server.tenant.id.as_str())).await;
        let registered = CoreClientRegistrationRequest::new(
            vec![RedirectUrl::new(CALLBACK.to_owned()).unwrap()],
            EmptyAdditionalClientMetadata {},
        )
        .set_initial_access_token(Some(AccessToken::new(key)))
        .set_client_name(Some(LocalizedClaim::from(ClientName::new(
            "Backup dashboard".to_owned(),
        ))))
        .set_grant_types(Some(vec![
            CoreGrantType::AuthorizationCode,
            CoreGrantType::RefreshToken,
        ]))
        .set_token_endpoint_auth_method(Some(CoreClientAuthMethod::ClientSecretBasic))
        .set_id_token_signed_response_alg(Some(CoreJwsSigningAlgorithm::EdDsa))
        .register_async(&endpoint, &http)
        .await
        .unwrap_or_else(|e| panic!("registration: {e:?}"));
        let client_id = registered.client_id().clone();
        let secret = registered.client_secret().cloned().expect("a secret");
        assert!(registered.registration_access_token().is_some());
        assert_eq!(
            registered.registration_client_uri().unwrap().as_str(),
            format!(
                "http://portcullis.test/oauth2/register/{}",
                client_id.as_str()
            )
        );
        assert_eq!(
            registered.id_token_signed_response_alg(),
            Some(&CoreJwsSigningAlgorithm::EdDsa)
        );

        // The application is the management API's, third-party, named as registered.
        let (status, app) = managed_application(&server, client_id.as_str()).await;
        assert_eq!(status, 200, "{app}");
        assert_eq!(app["name"], "Backup dashboard");
        assert_eq!(app["redirect_urls"], json!([CALLBACK]));
        assert_eq!(app["metadata"]["third_party"], "true");
        assert_eq!(app["metadata"]["id_token_signed_response_alg"], "EdDSA");
        assert_eq!(
            app["metadata"]["grant_types"],
            "authorization_code refresh_token"
        );

        let client = CoreClient::from_provider_metadata(metadata, client_id, Some(secret))
            .set_redirect_uri(RedirectUrl::new(CALLBACK.to_owned()).unwrap());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, _, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        let path = format!("{}?{}", url.path(), url.query().unwrap());
        // A client that registered itself is asked for by the consent screen first.
        let code = crate::oidc_flow::code_after_consent(&server, &cookie, &path).await;
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("exchange: {e:?}"));
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs([CoreJwsSigningAlgorithm::EdDsa]);
        let claims = openidconnect::TokenResponse::id_token(&response)
            .expect("an ID token")
            .claims(&verifier, &nonce)
            .expect("the ID token verifies");
        assert_eq!(claims.email().unwrap().as_str(), "alice@example.com");
        assert!(!response.access_token().secret().is_empty());

        let db = server.inspect().await;
        let logged: Vec<String> = sqlx::query_scalar(
            "SELECT description FROM activities WHERE description LIKE 'Registered the application%'",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert!(logged[0].contains("with the API key"), "{logged:?}");
        db.close().await;
    });
}

#[tokio::test]
async fn the_registration_access_token_reads_replaces_and_deletes_only_its_client() {
    each_backend!(|server| {
        let key = api_key(&server, Some(server.tenant.id.as_str())).await;
        let a = register(&server, Some(&key), "A").await;
        let b = register(&server, Some(&key), "B").await;
        let a_token = str_of(&a, "registration_access_token");
        let b_token = str_of(&b, "registration_access_token");
        let a_path = client_path(&a);
        let a_id = str_of(&a, "client_id");
        assert_eq!(a_path, format!("/oauth2/register/{a_id}"));
        assert_eq!(a["client_secret_expires_at"], 0);
        assert_eq!(a["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!(a["grant_types"], json!(["authorization_code"]));
        assert_eq!(a["response_types"], json!(["code"]));
        assert!(a["client_id_issued_at"].as_i64().unwrap() > 0);

        // Read: the same shape, the secret as registered.
        let (status, read, _) = call(&server, Method::GET, &a_path, Some(&a_token), None).await;
        assert_eq!((status, &read), (200, &a));

        // Nothing but A's own registration access token reaches A.
        let all_tenants = api_key(&server, None).await;
        for (what, token) in [
            ("no token", None),
            ("B's token", Some(b_token.as_str())),
            ("the tenant's API key", Some(key.as_str())),
            ("an all-tenants API key", Some(all_tenants.as_str())),
            ("a made-up token", Some("nope")),
        ] {
            for method in [Method::GET, Method::PUT, Method::DELETE] {
                let body = json!({ "client_id": a_id, "redirect_uris": [CALLBACK] });
                let (status, body, challenge) =
                    call(&server, method.clone(), &a_path, token, Some(body)).await;
                assert_invalid_token(status, &body, &challenge, &format!("{method} {what}"));
            }
        }
        let basic = server
            .request(Method::GET, &a_path)
            .basic_auth(&a_id, Some(str_of(&a, "client_secret")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            basic.status(),
            401,
            "a client's own secret is not the token"
        );
        // An application the management API made has no registration to manage.
        let made = crate::oidc_flow::create_app(&server, json!({})).await;
        let (status, body, challenge) = call(
            &server,
            Method::GET,
            &format!("{ENDPOINT}/{}", made.id),
            Some(&a_token),
            None,
        )
        .await;
        assert_invalid_token(status, &body, &challenge, "a managed application");

        // Replace: checked as registration is, and the body names the client.
        let replacement = json!({
            "client_id": a_id,
            "client_name": "A, renamed",
            "redirect_uris": [CALLBACK, "https://rp.example.test/second"],
            "post_logout_redirect_uris": ["https://rp.example.test/bye"],
            "token_endpoint_auth_method": "client_secret_post",
            "grant_types": ["authorization_code", "refresh_token"],
            "logo_uri": "https://rp.example.test/logo.png",
            "backchannel_logout_uri": "https://rp.example.test/backchannel",
            "backchannel_logout_session_required": true,
        });
        for (body, error) in [
            (
                json!({ "redirect_uris": [CALLBACK] }),
                "invalid_client_metadata",
            ),
            (
                json!({ "client_id": str_of(&b, "client_id"), "redirect_uris": [CALLBACK] }),
                "invalid_client_metadata",
            ),
            (
                json!({ "client_id": a_id, "redirect_uris": ["http://rp.example.test/cb"] }),
                "invalid_redirect_uri",
            ),
            (
                json!({ "client_id": a_id, "redirect_uris": [CALLBACK], "allowed_roles": "Admin" }),
                "invalid_client_metadata",
            ),
        ] {
            let (status, answer, _) = call(
                &server,
                Method::PUT,
                &a_path,
                Some(&a_token),
                Some(body.clone()),
            )
            .await;
            assert_eq!(
                (status, answer["error"].as_str()),
                (400, Some(error)),
                "{body}: {answer}"
            );
        }
        let (status, replaced, _) = call(
            &server,
            Method::PUT,
            &a_path,
            Some(&a_token),
            Some(replacement),
        )
        .await;
        assert_eq!(status, 200, "{replaced}");
        assert_eq!(replaced["client_name"], "A, renamed");
        assert_eq!(replaced["client_id"], a_id);
        assert_eq!(
            replaced["client_secret"], a["client_secret"],
            "the secret stays"
        );
        assert_eq!(replaced["registration_access_token"], a_token.as_str());
        assert_eq!(replaced["token_endpoint_auth_method"], "client_secret_post");
        assert_eq!(
            replaced["post_logout_redirect_uris"],
            json!(["https://rp.example.test/bye"])
        );
        assert_eq!(replaced["logo_uri"], "https://rp.example.test/logo.png");
        assert_eq!(
            replaced["backchannel_logout_uri"],
            "https://rp.example.test/backchannel"
        );
        assert_eq!(replaced["backchannel_logout_session_required"], true);
        let (_, read, _) = call(&server, Method::GET, &a_path, Some(&a_token), None).await;
        assert_eq!(read, replaced);
        let (_, app) = managed_application(&server, &a_id).await;
        assert_eq!(app["logout_urls"], json!(["https://rp.example.test/bye"]));
        assert_eq!(app["metadata"]["third_party"], "true");

        // A person signs in to A; deleting A ends what it was given.
        let cookie = browser(&server, "bob").await;
        let app = App {
            id: a_id.clone(),
            secret: str_of(&a, "client_secret"),
        };
        let (verifier, path) = pkce_authorize_path(&app.id, &[]);
        let code = crate::oidc_flow::code_after_consent(&server, &cookie, &path).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier.as_str()),
            ("client_id", app.id.as_str()),
            ("client_secret", app.secret.as_str()),
        ];
        let response = server
            .request(Method::POST, "/oauth2/token")
            .form(&form)
            .send()
            .await
            .unwrap();
        let (status, tokens) = json(response).await;
        assert_eq!(status, 200, "{tokens}");
        let access = str_of(&tokens, "access_token");
        let refresh = str_of(&tokens, "refresh_token");
        let (status, _) = server.get("/oauth2/userinfo", &access).await;
        assert_eq!(status, 200);

        let (status, _, _) = call(&server, Method::DELETE, &a_path, Some(&a_token), None).await;
        assert_eq!(status, 204);
        let (status, _) = server.get("/oauth2/userinfo", &access).await;
        assert_eq!(status, 401, "the deleted client's access token is dead");
        let refreshed = server
            .request(Method::POST, "/oauth2/token")
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
                ("client_id", app.id.as_str()),
                ("client_secret", app.secret.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert!(refreshed.status().is_client_error(), "no refresh either");
        let introspected = server
            .request(Method::POST, "/oauth2/introspect")
            .bearer_auth(&key)
            .form(&[("token", access.as_str())])
            .send()
            .await
            .unwrap();
        let (_, introspected) = json(introspected).await;
        assert_eq!(introspected, json!({ "active": false }));
        let (status, body, challenge) =
            call(&server, Method::GET, &a_path, Some(&a_token), None).await;
        assert_invalid_token(status, &body, &challenge, "a deleted client");
        let (status, _) = managed_application(&server, &a_id).await;
        assert_eq!(status, 404);
        let (status, _, _) =
            call(&server, Method::GET, &client_path(&b), Some(&b_token), None).await;
        assert_eq!(status, 200, "B is untouched");

        let db = server.inspect().await;
        let logged: Vec<String> = sqlx::query_scalar(
            "SELECT description FROM activities WHERE description LIKE '%registered application%' \
             ORDER BY id",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(logged.len(), 2, "{logged:?}");
        assert!(logged[0].contains("changed its registration"), "{logged:?}");
        assert!(logged[1].contains("deleted itself"), "{logged:?}");
        db.close().await;
    });
}

#[tokio::test]
async fn only_an_initial_token_of_the_tenant_registers_unless_registration_is_open() {
    each_backend!(|server| {
        let body = json!({ "redirect_uris": [CALLBACK] });
        let refused = |token: Option<String>, what: &'static str| {
            let server = &server;
            let body = body.clone();
            async move {
                let (status, answer, challenge) =
                    call(server, Method::POST, ENDPOINT, token.as_deref(), Some(body)).await;
                assert_invalid_token(status, &answer, &challenge, what);
            }
        };
        refused(None, "no token, registration closed").await;
        refused(Some("nonsense".into()), "a made-up token").await;
        refused(
            Some(format!("pcrt_{}_x", "A".repeat(16))),
            "a made-up registration token",
        )
        .await;

        // Another tenant's key and token reach only that tenant.
        let operator = api_key(&server, None).await;
        let tenant = json!({ "type": "Tenant", "name": "other", "settings": {} });
        let (status, _, other) = v1(
            &server,
            Method::POST,
            "/v1/tenants",
            &operator,
            Some(tenant),
        )
        .await;
        assert_eq!(status, 200, "{other}");
        let other_id = str_of(&other, "id");
        refused(
            Some(api_key(&server, Some(&other_id)).await),
            "another tenant's API key",
        )
        .await;
        let services = &server.app.services;
        let other_token = services
            .create_registration_token(&other_id, None)
            .await
            .unwrap();
        refused(
            Some(other_token.value.expose().to_owned()),
            "another tenant's registration token",
        )
        .await;

        // The tenant's API key, an all-tenants key, and the operator's registration token do.
        register(&server, Some(&api_key(&server, Some("default")).await), "k").await;
        register(&server, Some(&operator), "o").await;
        let token = services
            .create_registration_token("default", None)
            .await
            .unwrap();
        let token_value = token.value.expose().to_owned();
        let registered = register(&server, Some(&token_value), "t").await;
        // The token registers; it does not manage what it registered.
        let (status, answer, challenge) = call(
            &server,
            Method::GET,
            &client_path(&registered),
            Some(&token_value),
            None,
        )
        .await;
        assert_invalid_token(status, &answer, &challenge, "an initial token on RFC 7592");
        let listed = |tenant: Option<&'static str>| async move {
            let tokens = services.registration_tokens(tenant).await.unwrap();
            tokens.into_iter().map(|t| t.id).collect::<Vec<_>>()
        };
        assert_eq!(listed(Some("default")).await, [token.token.id.as_str()]);
        assert_eq!(listed(None).await.len(), 2, "both tenants'");
        services
            .revoke_registration_token(&token.token.id)
            .await
            .unwrap();
        refused(Some(token_value), "a revoked registration token").await;
        let brief = services
            .create_registration_token("default", Some(time::Duration::minutes(10)))
            .await
            .unwrap();
        let brief = brief.value.expose().to_owned();
        register(&server, Some(&brief), "brief").await;
        server.clock.advance(time::Duration::minutes(11));
        refused(Some(brief), "an expired registration token").await;

        // The tenant opens registration in the management API's settings.
        let tenant_key = api_key(&server, Some("default")).await;
        let path = format!("/v1/tenants/{}", server.tenant.id.0);
        let (_, _, mut tenant) = v1(&server, Method::GET, &path, &tenant_key, None).await;
        assert!(
            tenant["settings"]
                .get("allow_client_registration")
                .is_none(),
            "off by default"
        );
        tenant["settings"]["allow_client_registration"] = json!(true);
        let (status, _, saved) = v1(&server, Method::POST, &path, &tenant_key, Some(tenant)).await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["settings"]["allow_client_registration"], true);
        let open = register(&server, None, "open").await;
        let (_, app) = managed_application(&server, &str_of(&open, "client_id")).await;
        assert_eq!(app["metadata"]["third_party"], "true");
        refused(Some("nonsense".into()), "a wrong token, even when open").await;

        // Open registration is throttled per address (throttle_attempts per window).
        for n in 1..server.tenant.settings.throttle_attempts {
            register(&server, None, &format!("open {n}")).await;
        }
        let (status, answer, _) =
            call(&server, Method::POST, ENDPOINT, None, Some(body.clone())).await;
        assert_eq!(status, 429, "{answer}");
        assert_eq!(answer["error"], "temporarily_unavailable");
        register(&server, Some(&tenant_key), "with a key, still").await;
    });
}

#[tokio::test]
async fn bad_metadata_is_refused_and_a_registrant_grants_itself_nothing() {
    each_backend!(|server| {
        let key = api_key(&server, Some(server.tenant.id.as_str())).await;
        let cases = [
            (json!({}), "invalid_redirect_uri", "redirect_uris"),
            (
                json!({ "redirect_uris": "https://rp.example.test/cb" }),
                "invalid_client_metadata",
                "malformed",
            ),
            (
                json!({ "redirect_uris": ["/relative"] }),
                "invalid_redirect_uri",
                "redirect_uris[0]",
            ),
            (
                json!({ "redirect_uris": [CALLBACK, "http://rp.example.test/cb"] }),
                "invalid_redirect_uri",
                "redirect_uris[1]",
            ),
            (
                json!({ "redirect_uris": ["https://rp.example.test/cb#x"] }),
                "invalid_redirect_uri",
                "redirect_uris[0]",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "grant_types": ["password"] }),
                "invalid_client_metadata",
                "\"password\"",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "grant_types": ["implicit"] }),
                "invalid_client_metadata",
                "grant_types",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "response_types": ["code", "id_token"] }),
                "invalid_client_metadata",
                "response_types",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "private_key_jwt" }),
                "invalid_client_metadata",
                "token_endpoint_auth_method",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "id_token_signed_response_alg": "none" }),
                "invalid_client_metadata",
                "id_token_signed_response_alg",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "backchannel_logout_uri": "ftp://rp.example.test/x" }),
                "invalid_client_metadata",
                "backchannel_logout_uri",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "post_logout_redirect_uris": ["nope"] }),
                "invalid_client_metadata",
                "post_logout_redirect_uris[0]",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "client_name": "x".repeat(300) }),
                "invalid_client_metadata",
                "client_name",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "allowed_roles": "Admin" }),
                "invalid_client_metadata",
                "allowed_roles",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "allowed_scopes": "view-users" }),
                "invalid_client_metadata",
                "allowed_scopes",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "third_party": "false" }),
                "invalid_client_metadata",
                "third_party",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "device_flow": "true" }),
                "invalid_client_metadata",
                "device_flow",
            ),
            (
                json!({ "redirect_uris": [CALLBACK], "metadata": { "allowed_roles": "Admin" } }),
                "invalid_client_metadata",
                "metadata",
            ),
            (
                json!({ "grant_types": ["client_credentials"], "token_endpoint_auth_method": "none" }),
                "invalid_client_metadata",
                "client_credentials",
            ),
            (json!([1, 2]), "invalid_client_metadata", "JSON object"),
        ];
        for (body, error, mentions) in cases {
            let (status, answer, _) = call(
                &server,
                Method::POST,
                ENDPOINT,
                Some(&key),
                Some(body.clone()),
            )
            .await;
            assert_eq!(status, 400, "{body}: {answer}");
            assert_eq!(answer["error"], error, "{body}: {answer}");
            let description = str_of(&answer, "error_description");
            assert!(description.contains(mentions), "{body}: {description}");
        }
        let not_json = server
            .request(Method::POST, ENDPOINT)
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body("{")
            .send()
            .await
            .unwrap();
        let (status, answer) = json(not_json).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("invalid_client_metadata"))
        );
        let operator = api_key(&server, None).await;
        let list = format!("/v1/tenants/{}/applications", server.tenant.id.0);
        let (_, _, apps) = v1(&server, Method::GET, &list, &operator, None).await;
        assert_eq!(apps["total"], 0, "nothing refused was created: {apps}");

        // A public client gets no secret; the device grant is marked for the device flow;
        // unknown members are ignored.
        let (status, public, _) = call(
            &server,
            Method::POST,
            ENDPOINT,
            Some(&key),
            Some(json!({
                "redirect_uris": ["http://localhost:7777/cb"],
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "urn:ietf:params:oauth:grant-type:device_code"],
                "software_id": "cli-tool",
                "client_name#fr": "Outil",
            })),
        )
        .await;
        assert_eq!(status, 201, "{public}");
        assert!(public.get("client_secret").is_none(), "{public}");
        assert_eq!(public["client_name"], "localhost");
        let (_, app) = managed_application(&server, &str_of(&public, "client_id")).await;
        assert_eq!(app["metadata"]["device_flow"], "true");
        assert_eq!(app["metadata"]["token_endpoint_auth_method"], "none");
        assert!(app["metadata"].get("software_id").is_none());
        assert!(app["metadata"].get("allowed_roles").is_none());
    });
}

#[tokio::test]
async fn a_registered_client_uses_only_the_grant_types_it_registered() {
    each_backend!(|server| {
        let key = crate::mgmt::api_key(&server, None).await;
        let registered = register(&server, Some(&key), "Code only").await;
        let id = str_of(&registered, "client_id");
        let secret = str_of(&registered, "client_secret");
        let response = server
            .request(Method::POST, "/oauth2/token")
            .basic_auth(&id, Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let (status, body) = json(response).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "unauthorized_client", "{body}");
    });
}

//! `client_credentials` access tokens as JWTs (RFC 9068): verified by signature wherever they
//! are presented, revoked by `jti` on every node, and readable by a resource server holding
//! nothing but the JWKS.

use super::*;
use crate::harness::backends;
use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use openidconnect::JsonWebKey;

fn part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn machine_token(server: &TestServer, app: &App) -> String {
    let (status, issued) = token(server, &[("grant_type", "client_credentials")], Some(app)).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["token_type"], "Bearer");
    str_of(&issued, "access_token").to_owned()
}

/// What a resource server would do with the `openidconnect` crate: find the JWKS key the
/// header names and check the signature with it.
async fn verified_by_the_jwks(server: &TestServer, token: &str) -> bool {
    let response = server
        .request(Method::GET, "/oauth2/jwks")
        .send()
        .await
        .unwrap();
    let (_, keys) = json(response).await;
    let keys: CoreJsonWebKeySet = serde_json::from_value(keys).unwrap();
    let header = part(token, 0);
    let alg: CoreJwsSigningAlgorithm = serde_json::from_value(header["alg"].clone()).unwrap();
    let signature = URL_SAFE_NO_PAD
        .decode(token.rsplit('.').next().unwrap())
        .unwrap();
    let message = &token[..token.rfind('.').unwrap()];
    keys.keys()
        .iter()
        .filter(|key| key.key_id().map(|id| id.as_str()) == header["kid"].as_str())
        .any(|key| {
            key.verify_signature(&alg, message.as_bytes(), &signature)
                .is_ok()
        })
}

async fn introspected(server: &TestServer, key: &str, token: &str) -> Value {
    let response = server
        .request(Method::POST, "/oauth2/introspect")
        .bearer_auth(key)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn client_credentials_tokens_are_jwts_a_resource_server_verifies_and_introspection_accepts() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        for (metadata, alg) in [
            (json!({}), "RS256"),
            (
                json!({"access_token_signed_response_alg": "EdDSA"}),
                "EdDSA",
            ),
        ] {
            let app = create_app(&server, metadata).await;
            let access = machine_token(&server, &app).await;
            let header = part(&access, 0);
            assert_eq!(
                (header["typ"].as_str(), header["alg"].as_str()),
                (Some("at+jwt"), Some(alg))
            );
            let claims = part(&access, 1);
            assert_eq!(claims["iss"], "http://portcullis.test", "{claims}");
            assert_eq!(claims["sub"], app.id.as_str());
            assert_eq!(claims["client_id"], app.id.as_str());
            assert_eq!(claims["aud"], "http://portcullis.test");
            let (iat, exp) = (
                claims["iat"].as_i64().unwrap(),
                claims["exp"].as_i64().unwrap(),
            );
            assert_eq!(exp - iat, 3600);
            let jti = str_of(&claims, "jti").to_owned();
            assert!(verified_by_the_jwks(&server, &access).await, "{alg}");

            let live = introspected(&server, &key, &access).await;
            assert_eq!(live["active"], true, "{live}");
            assert_eq!(live["client_id"], app.id.as_str());
            assert_eq!(live["token_kind"], "client");
            assert_eq!(live["jti"], jti.as_str());
            assert_eq!(live["exp"], exp);
            // The application itself may ask too; another may not.
            assert_eq!(introspect(&server, &app, &access).await["active"], true);
            let other = create_app(&server, json!({})).await;
            assert_eq!(
                introspect(&server, &other, &access).await,
                json!({"active": false})
            );
            assert_eq!(revoke(&server, &other, &access).await, 200);
            assert_eq!(
                introspected(&server, &key, &access).await["active"],
                true,
                "not its own"
            );
            // No user, so no account API.
            let (status, _) = server.get("/api/me", &access).await;
            assert_eq!(status, 401);

            // A changed claim breaks the signature.
            let mut forged = part(&access, 1);
            forged["client_id"] = json!(other.id);
            let forged = [
                access.split('.').next().unwrap().to_owned(),
                URL_SAFE_NO_PAD.encode(forged.to_string()),
                access.rsplit('.').next().unwrap().to_owned(),
            ]
            .join(".");
            assert!(!verified_by_the_jwks(&server, &forged).await);
            assert_eq!(
                introspected(&server, &key, &forged).await,
                json!({"active": false})
            );

            // Revoked: refused at once, here and by the application's own introspection.
            assert_eq!(revoke(&server, &app, &access).await, 200);
            assert_eq!(
                introspected(&server, &key, &access).await,
                json!({"active": false})
            );
            assert_eq!(
                introspect(&server, &app, &access).await,
                json!({"active": false})
            );
            assert_eq!(
                revoke(&server, &app, &access).await,
                200,
                "again: nothing to do"
            );
        }
    });
}

#[tokio::test]
async fn a_jwt_access_token_dies_at_its_expiry_and_one_signed_by_a_stranger_never_lives() {
    each_backend!(|server| {
        let key = api_key(&server, None).await;
        let app = create_app(
            &server,
            json!({"access_token_signed_response_alg": "EdDSA"}),
        )
        .await;
        let access = machine_token(&server, &app).await;
        assert_eq!(introspected(&server, &key, &access).await["active"], true);

        // The same claims, signed by a key the JWKS does not hold (with the kid of one it
        // does, and with one of its own).
        let stranger = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let header = part(&access, 0);
        for kid in [header["kid"].as_str().unwrap(), "stranger"] {
            let mut header = header.clone();
            header["kid"] = json!(kid);
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                access.split('.').nth(1).unwrap()
            );
            use ed25519_dalek::Signer;
            let signature = stranger.sign(input.as_bytes()).to_bytes();
            let forged = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature));
            assert!(!verified_by_the_jwks(&server, &forged).await);
            assert_eq!(
                introspected(&server, &key, &forged).await,
                json!({"active": false})
            );
            assert_eq!(revoke(&server, &app, &forged).await, 200);
        }
        assert_eq!(introspected(&server, &key, &access).await["active"], true);

        // An ID token of ours is no access token, though the same keys sign it.
        let id_token = server
            .app
            .services
            .sign_jwt(
                &server.tenant.id,
                portcullis_core::model::Algorithm::EdDsa,
                &part(&access, 1),
            )
            .await
            .unwrap();
        assert_eq!(
            introspected(&server, &key, &id_token).await,
            json!({"active": false})
        );

        server.clock.advance(time::Duration::seconds(3599));
        assert_eq!(introspected(&server, &key, &access).await["active"], true);
        server.clock.advance(time::Duration::seconds(1));
        assert_eq!(
            introspected(&server, &key, &access).await,
            json!({"active": false})
        );

        // Deleting the application ends its tokens.
        let fresh = machine_token(&server, &app).await;
        let key_value = api_key(&server, None).await;
        let path = format!("/v1/tenants/{}/applications/{}", server.tenant.id.0, app.id);
        let (status, _, _) = v1(&server, Method::DELETE, &path, &key_value, None).await;
        assert!(status == 200 || status == 204, "{status}");
        assert_eq!(
            introspected(&server, &key, &fresh).await,
            json!({"active": false})
        );
    });
}

#[tokio::test]
async fn an_application_may_keep_opaque_tokens() {
    each_backend!(|server| {
        let app = create_app(&server, json!({"access_token_format": "opaque"})).await;
        let access = machine_token(&server, &app).await;
        assert!(access.starts_with("cc_"), "{access}");
        assert_eq!(introspect(&server, &app, &access).await["active"], true);
        assert_eq!(revoke(&server, &app, &access).await, 200);
        assert_eq!(
            introspect(&server, &app, &access).await,
            json!({"active": false})
        );
    });
}

/// Nodes share a database: a token one issued, another verifies; revoked on one, it is refused
/// on the other within the cache's bound (at once through PostgreSQL's change feed; on SQLite,
/// which is one node, once the other process's memory ages out).
#[tokio::test]
async fn a_jwt_revoked_on_one_node_is_refused_on_another() {
    for backend in backends() {
        let secret = |c: &mut portcullis::Config| {
            c.signing_key_secret = Some(base64::engine::general_purpose::STANDARD.encode([3u8; 32]))
        };
        let first = TestServer::start_with(&backend, secret).await;
        let url = first.database_url.clone();
        let second = TestServer::start_with(&backend, |c| {
            secret(c);
            c.database_url = Some(url.clone());
        })
        .await;
        let app = create_app(&first, json!({"access_token_signed_response_alg": "EdDSA"})).await;
        let access = machine_token(&first, &app).await;
        let key = api_key(&second, None).await;
        assert_eq!(introspected(&second, &key, &access).await["active"], true);

        assert_eq!(revoke(&first, &app, &access).await, 200);
        let mut waited = std::time::Duration::ZERO;
        loop {
            if introspected(&second, &key, &access).await == json!({"active": false}) {
                break;
            }
            if first.backend_name == "sqlite" {
                // No feed between processes on one file: the memory's own bound.
                second.clock.advance(time::Duration::seconds(10));
                continue;
            }
            assert!(
                waited < std::time::Duration::from_secs(5),
                "still active on the second node"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            waited += std::time::Duration::from_millis(20);
        }
        // And the first node, and a restart, keep refusing it.
        assert_eq!(
            introspect(&first, &app, &access).await,
            json!({"active": false})
        );
        second.stop().await;
        let third = TestServer::start_with(&backend, |c| {
            secret(c);
            c.database_url = Some(url.clone());
        })
        .await;
        assert_eq!(
            introspect(&third, &app, &access).await,
            json!({"active": false})
        );
        let fresh = machine_token(&third, &app).await;
        assert_eq!(introspect(&first, &app, &fresh).await["active"], true);
        third.stop().await;
        first.stop().await;
    }
}

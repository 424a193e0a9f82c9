//! OpenID Connect, first slice: discovery per tenant, the JWKS, signing keys sealed in the
//! database, rotation, keys shared by nodes, and JWTs that verify against the published keys.

use crate::harness::{backends, each_backend, json, TestServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use portcullis_core::model::{Algorithm, Tenant, TenantSettings};
use portcullis_core::signing::MAX_TOKEN_LIFETIME;
use portcullis_core::TenantId;
use reqwest::header::CACHE_CONTROL;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::Row;

const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

async fn add_tenant(server: &TestServer, name: &str, domain: &str, developer_mode: bool) {
    let now = server.clock_now();
    let tenant = Tenant {
        id: TenantId(portcullis_core::random::base62(16)),
        name: name.to_owned(),
        settings: TenantSettings {
            domain: Some(domain.to_owned()),
            developer_mode,
            ..TenantSettings::default()
        },
        metadata: Default::default(),
        created_at: now,
        updated_at: now,
    };
    server
        .app
        .services
        .store()
        .create_tenant(&tenant)
        .await
        .unwrap();
}

/// The discovery document as a request with these headers gets it.
async fn discovery(server: &TestServer, headers: &[(&str, &str)]) -> Value {
    let mut request = server.request(Method::GET, "/.well-known/openid-configuration");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(
        response.headers().get(CACHE_CONTROL).unwrap(),
        "public, max-age=300"
    );
    let (status, body) = json(response).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn jwks(server: &TestServer) -> Vec<Value> {
    let response = server
        .request(Method::GET, "/oauth2/jwks")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers().get(CACHE_CONTROL).unwrap(),
        "public, max-age=300"
    );
    let (status, body) = json(response).await;
    assert_eq!(status, 200, "{body}");
    body["keys"].as_array().unwrap().clone()
}

fn kids(keys: &[Value]) -> Vec<String> {
    let mut kids: Vec<String> = keys
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    kids.sort();
    kids
}

#[tokio::test]
async fn discovery_names_each_tenants_issuer_and_the_endpoints() {
    each_backend!(|server| {
        let doc = discovery(&server, &[]).await;
        let issuer = "http://portcullis.test";
        assert_eq!(doc["issuer"], issuer);
        for (field, path) in [
            ("authorization_endpoint", "/oauth2/authorize"),
            ("token_endpoint", "/oauth2/token"),
            ("userinfo_endpoint", "/oauth2/userinfo"),
            ("jwks_uri", "/oauth2/jwks"),
            ("end_session_endpoint", "/oauth2/logout"),
            ("introspection_endpoint", "/oauth2/introspect"),
            ("revocation_endpoint", "/oauth2/revoke"),
            (
                "device_authorization_endpoint",
                "/oauth2/device_authorization",
            ),
        ] {
            assert_eq!(doc[field], format!("{issuer}{path}"), "{field}");
        }
        assert_eq!(doc["response_types_supported"], json!(["code"]));
        assert_eq!(
            doc["grant_types_supported"],
            json!([
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code"
            ])
        );
        assert_eq!(doc["subject_types_supported"], json!(["public"]));
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            json!(["RS256", "EdDSA"])
        );
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            json!(["client_secret_basic", "client_secret_post", "none"])
        );
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["request_parameter_supported"], false);
        assert_eq!(doc["request_uri_parameter_supported"], false);
        assert_eq!(doc["acr_values_supported"], json!(["phr"]));
        assert_eq!(
            doc["scopes_supported"],
            json!(["openid", "profile", "email"])
        );
        let claims = doc["claims_supported"].as_array().unwrap();
        for claim in ["sub", "iss", "email", "email_verified", "name"] {
            assert!(claims.contains(&json!(claim)), "{claim}");
        }

        add_tenant(&server, "acme", "login.acme.test", false).await;
        add_tenant(&server, "dev", "dev.acme.test", true).await;
        add_tenant(&server, "local", "acme.localhost", false).await;
        let issuer_for = |headers: &'static [(&'static str, &'static str)]| {
            let server = &server;
            async move { discovery(server, headers).await["issuer"].clone() }
        };
        assert_eq!(
            issuer_for(&[("host", "login.acme.test:8443")]).await,
            "https://login.acme.test"
        );
        let acme = discovery(&server, &[("host", "LOGIN.acme.test")]).await;
        assert_eq!(acme["jwks_uri"], "https://login.acme.test/oauth2/jwks");
        assert_eq!(
            issuer_for(&[("host", "dev.acme.test")]).await,
            "http://dev.acme.test"
        );
        // A localhost domain reached over plain HTTP keeps it (behind a trusted TLS proxy,
        // HTTPS: see security::transport); a peer that is no trusted proxy cannot say
        // otherwise.
        assert_eq!(
            issuer_for(&[("host", "acme.localhost:8080")]).await,
            "http://acme.localhost"
        );
        assert_eq!(
            issuer_for(&[("host", "acme.localhost"), ("x-forwarded-proto", "https")]).await,
            "http://acme.localhost"
        );
        // A host no tenant has is the default tenant's.
        assert_eq!(issuer_for(&[("host", "elsewhere.test")]).await, issuer);
    });
}

#[tokio::test]
async fn the_jwks_publishes_one_rs256_and_one_eddsa_key() {
    each_backend!(|server| {
        let keys = jwks(&server).await;
        assert_eq!(keys.len(), 2, "{keys:?}");
        let rsa = keys.iter().find(|k| k["alg"] == "RS256").unwrap();
        let mut fields: Vec<_> = rsa.as_object().unwrap().keys().cloned().collect();
        fields.sort();
        assert_eq!(fields, ["alg", "e", "kid", "kty", "n", "use"]);
        assert_eq!(rsa["kty"], "RSA");
        assert_eq!(rsa["use"], "sig");
        assert_eq!(rsa["e"], "AQAB");
        let n = URL_SAFE_NO_PAD.decode(rsa["n"].as_str().unwrap()).unwrap();
        assert_eq!(n.len(), 256, "a 2048-bit modulus, unpadded base64url");

        let ed = keys.iter().find(|k| k["alg"] == "EdDSA").unwrap();
        let mut fields: Vec<_> = ed.as_object().unwrap().keys().cloned().collect();
        fields.sort();
        assert_eq!(fields, ["alg", "crv", "kid", "kty", "use", "x"]);
        assert_eq!(ed["kty"], "OKP");
        assert_eq!(ed["crv"], "Ed25519");
        assert_eq!(ed["use"], "sig");
        let x = URL_SAFE_NO_PAD.decode(ed["x"].as_str().unwrap()).unwrap();
        assert_eq!(x.len(), 32);
        assert_ne!(rsa["kid"], ed["kid"]);
    });
}

/// The stored rows: (kid, algorithm, public JWK text, nonce, sealed private key).
async fn stored_keys(server: &TestServer) -> Vec<(String, String, String, Vec<u8>, Vec<u8>)> {
    let pool = server.inspect().await;
    let rows = sqlx::query(
        "SELECT id, algorithm, public_jwk, private_key_nonce, private_key_sealed \
         FROM signing_keys ORDER BY created_at, id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
        .collect()
}

#[tokio::test]
async fn private_keys_are_stored_sealed_and_open_only_with_the_secret() {
    each_backend!(|server| {
        let file = server.data_dir.path().join("signing.key");
        let secret = std::fs::read(&file).expect("a secret made on first start");
        assert_eq!(secret.len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "readable by the server's user only");
        }
        let published = jwks(&server).await;
        let rows = stored_keys(&server).await;
        assert_eq!(rows.len(), 2);
        for (kid, algorithm, public_jwk, nonce, sealed) in rows {
            assert_eq!(nonce.len(), 12);
            assert!(
                !public_jwk.contains("\"d\""),
                "no private parameter in clear"
            );
            let text = String::from_utf8_lossy(&sealed);
            assert!(!text.contains("PRIVATE KEY"), "no PEM");
            // Opening needs the secret (and the row's kid and algorithm).
            let aad = format!("portcullis signing key {kid} {algorithm}");
            let open = |key: &[u8], aad: &str| {
                chacha20poly1305::ChaCha20Poly1305::new_from_slice(key)
                    .unwrap()
                    .decrypt(
                        chacha20poly1305::Nonce::from_slice(&nonce),
                        Payload {
                            msg: &sealed,
                            aad: aad.as_bytes(),
                        },
                    )
            };
            assert!(
                open(&[0u8; 32], &aad).is_err(),
                "another secret does not open it"
            );
            assert!(open(&secret, "portcullis signing key other RS256").is_err());
            let der = open(&secret, &aad).expect("the secret opens it");
            assert!(
                !sealed.windows(16).any(|w| der.windows(16).any(|d| d == w)),
                "nothing of the DER appears in the stored bytes"
            );
            let jwk = published.iter().find(|k| k["kid"] == kid.as_str()).unwrap();
            match algorithm.as_str() {
                "RS256" => {
                    use rsa::pkcs8::DecodePrivateKey;
                    use rsa::traits::PublicKeyParts;
                    let key = rsa::RsaPrivateKey::from_pkcs8_der(&der).unwrap();
                    assert_eq!(
                        URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
                        jwk["n"].as_str().unwrap()
                    );
                }
                "EdDSA" => {
                    use ed25519_dalek::pkcs8::DecodePrivateKey;
                    let key = ed25519_dalek::SigningKey::from_pkcs8_der(&der).unwrap();
                    assert_eq!(
                        URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()),
                        jwk["x"].as_str().unwrap()
                    );
                }
                other => panic!("algorithm {other}"),
            }
        }
    });
}

/// Verifies `token` against the published key its header names, as a relying party does.
fn verify(token: &str, keys: &[Value], alg: jsonwebtoken::Algorithm) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, alg);
    let kid = header.kid.expect("a kid");
    let jwk = keys
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("{kid} is published"));
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_audience(&["client-1"]);
    validation.set_issuer(&["http://portcullis.test"]);
    jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
        &validation,
    )
    .unwrap_or_else(|e| panic!("{alg:?} token verifies: {e}"))
    .claims
}

fn claims(server: &TestServer) -> Value {
    let now = server.clock_now().unix_timestamp();
    json!({
        "iss": "http://portcullis.test",
        "sub": "user-1",
        "aud": "client-1",
        "iat": now,
        "exp": now + 300,
    })
}

#[tokio::test]
async fn jwts_signed_by_the_server_verify_against_the_jwks() {
    each_backend!(|server| {
        let keys = jwks(&server).await;
        let services = &server.app.services;
        for (alg, expected) in [
            (Algorithm::Rs256, jsonwebtoken::Algorithm::RS256),
            (Algorithm::EdDsa, jsonwebtoken::Algorithm::EdDSA),
        ] {
            let token = services
                .sign_jwt(&server.tenant.id, alg, &claims(&server))
                .await
                .unwrap();
            let verified = verify(&token, &keys, expected);
            assert_eq!(verified["sub"], "user-1");
            // A changed payload does not verify.
            let parts: Vec<&str> = token.split('.').collect();
            let forged_claims = URL_SAFE_NO_PAD.encode(
                serde_json::to_vec(&json!({"sub": "admin", "aud": "client-1",
                    "iss": "http://portcullis.test", "exp": 4_000_000_000u64}))
                .unwrap(),
            );
            let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
            let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(
                keys.iter()
                    .find(|k| k["alg"] == alg.as_str())
                    .unwrap()
                    .clone(),
            )
            .unwrap();
            let mut validation = jsonwebtoken::Validation::new(expected);
            validation.set_audience(&["client-1"]);
            assert!(jsonwebtoken::decode::<Value>(
                &forged,
                &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
                &validation
            )
            .is_err());
        }
    });
}

#[tokio::test]
async fn rotation_publishes_new_keys_and_keeps_old_ones_until_their_tokens_expire() {
    each_backend!(|server| {
        let services = server.app.services.clone();
        let before = jwks(&server).await;
        let old_token = services
            .sign_jwt(&server.tenant.id, Algorithm::EdDsa, &claims(&server))
            .await
            .unwrap();

        let new = services.rotate_signing_keys().await.unwrap();
        assert_eq!(new.len(), 2);
        let after = jwks(&server).await;
        assert_eq!(after.len(), 4, "old and new keys published");
        let mut expected = kids(&before);
        expected.extend(new.iter().map(|k| k.id.clone()));
        expected.sort();
        assert_eq!(kids(&after), expected);
        // Tokens signed before still verify; new ones name a new key.
        verify(&old_token, &after, jsonwebtoken::Algorithm::EdDSA);
        let new_token = services
            .sign_jwt(&server.tenant.id, Algorithm::EdDsa, &claims(&server))
            .await
            .unwrap();
        let kid = jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .unwrap();
        assert!(new.iter().any(|k| k.id == kid));
        assert!(!kids(&before).contains(&kid));

        server
            .clock
            .advance(MAX_TOKEN_LIFETIME - time::Duration::seconds(1));
        assert_eq!(
            jwks(&server).await.len(),
            4,
            "still within the longest token lifetime"
        );
        server.clock.advance(time::Duration::seconds(2));
        let last = jwks(&server).await;
        let mut new_kids: Vec<String> = new.iter().map(|k| k.id.clone()).collect();
        new_kids.sort();
        assert_eq!(kids(&last), new_kids, "the retired keys left the JWKS");
    });
}

#[tokio::test]
async fn nodes_on_one_database_share_the_keys() {
    for backend in backends() {
        let secret = |c: &mut portcullis::Config| c.signing_key_secret = Some(SECRET.to_owned());
        let first = TestServer::start_with(&backend, secret).await;
        let url = first.database_url.clone();
        let second = TestServer::start_with(&backend, |c| {
            secret(c);
            c.database_url = Some(url.clone());
        })
        .await;
        let keys = jwks(&first).await;
        assert_eq!(keys.len(), 2);
        assert_eq!(jwks(&second).await, keys, "{}", first.backend_name);
        // What one node signs, the other's JWKS verifies.
        let token = second
            .app
            .services
            .sign_jwt(&second.tenant.id, Algorithm::Rs256, &claims(&second))
            .await
            .unwrap();
        verify(&token, &jwks(&first).await, jsonwebtoken::Algorithm::RS256);

        // Nodes starting at once on an empty table store one active key per algorithm.
        let pool = first.inspect().await;
        sqlx::query("DELETE FROM signing_keys")
            .execute(&pool)
            .await
            .unwrap();
        let (a, b) = (&first.app.services, &second.app.services);
        let results = tokio::join!(
            a.ensure_signing_keys(),
            b.ensure_signing_keys(),
            a.ensure_signing_keys(),
            b.ensure_signing_keys(),
        );
        for result in [results.0, results.1, results.2, results.3] {
            result.expect("every node starts");
        }
        let rows = stored_keys(&first).await;
        let mut algorithms: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        algorithms.sort();
        assert_eq!(algorithms, ["EdDSA", "RS256"], "{}", first.backend_name);
        assert_eq!(jwks(&first).await, jwks(&second).await);

        // A node with another secret refuses to start rather than sign with keys of its own.
        let config = portcullis::Config {
            data_dir: second.data_dir.path().to_owned(),
            database_url: Some(url.clone()),
            signing_key_secret: Some(base64::engine::general_purpose::STANDARD.encode([9u8; 32])),
            bcrypt_cost: 4,
            hash_workers: Some(1),
            ..portcullis::Config::default()
        };
        let clock = std::sync::Arc::new(portcullis_core::ManualClock::starting_now());
        let refused = portcullis::App::build(&config, clock)
            .await
            .err()
            .expect("refused");
        assert!(
            refused.to_string().contains("signing_key_secret"),
            "{refused}"
        );
        pool.close().await;
        second.stop().await;
        first.stop().await;
    }
}

/// `openidconnect`, the relying-party library the end-to-end tests will drive, reads the
/// discovery document and the JWKS, and accepts ID tokens signed with either algorithm.
#[tokio::test]
async fn a_relying_party_library_reads_discovery_and_verifies_id_tokens() {
    use openidconnect::core::{
        CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
        CoreProviderMetadata,
    };
    use openidconnect::{ClientId, IssuerUrl, Nonce};
    each_backend!(|server| {
        let metadata: CoreProviderMetadata =
            serde_json::from_value(discovery(&server, &[]).await).expect("valid metadata");
        assert_eq!(metadata.issuer().as_str(), "http://portcullis.test");
        assert_eq!(
            metadata.jwks_uri().as_str(),
            "http://portcullis.test/oauth2/jwks"
        );
        let keys = json!({ "keys": jwks(&server).await });
        let keys: CoreJsonWebKeySet = serde_json::from_value(keys).expect("valid JWKS");
        let verifier = CoreIdTokenVerifier::new_public_client(
            ClientId::new("client-1".to_owned()),
            metadata.issuer().clone(),
            keys,
        )
        .set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::EdDsa,
        ]);
        let nonce = Nonce::new("n-0S6_WzA2Mj".to_owned());
        for alg in Algorithm::ALL {
            let mut claims = claims(&server);
            claims["nonce"] = json!(nonce.secret());
            let token = server
                .app
                .services
                .sign_jwt(&server.tenant.id, alg, &claims)
                .await
                .unwrap();
            let token: CoreIdToken = token.parse().expect("an ID token");
            let verified = token
                .claims(&verifier, &nonce)
                .unwrap_or_else(|e| panic!("{} ID token verifies: {e}", alg.as_str()));
            assert_eq!(verified.subject().as_str(), "user-1");
            let other = CoreIdTokenVerifier::new_public_client(
                ClientId::new("client-1".to_owned()),
                IssuerUrl::new("https://elsewhere.test".to_owned()).unwrap(),
                CoreJsonWebKeySet::new(Vec::new()),
            );
            assert!(token.claims(&other, &nonce).is_err());
        }
    });
}

//! Secrets Portcullis must read back are stored sealed: an application's secret and an
//! authenticator app's seed are not in the database in clear, and still work.

use crate::harness::each_backend;
use crate::oidc_flow::{create_app, token};
use crate::two_factor::app_code;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn application_secrets_and_totp_seeds_are_sealed_at_rest() {
    each_backend!(|server| {
        let app = create_app(&server, json!({})).await;
        let inspect = server.inspect().await;
        let (stored,): (String,) = sqlx::query_as("SELECT secret FROM applications WHERE id = $1")
            .bind(&app.id)
            .fetch_one(&inspect)
            .await
            .unwrap();
        assert!(stored.starts_with("sealed:v1:"), "{stored}");
        assert!(!stored.contains(&app.secret));
        // The client still authenticates with it, and document 003 still shows it.
        let (status, body) =
            token(&server, &[("grant_type", "client_credentials")], Some(&app)).await;
        assert_eq!(status, 200, "{body}");
        let key = crate::mgmt::api_key(&server, None).await;
        let path = format!("/v1/tenants/{}/applications/{}", server.tenant.id.0, app.id);
        let (_, _, shown) = crate::mgmt::v1(&server, Method::GET, &path, &key, None).await;
        assert_eq!(shown["secret"], app.secret.as_str());

        server.set_settings(|s| s.two_factor_enabled = true).await;
        let user = server.create_user("apped", "User").await;
        let session = server.login("apped").await;
        let (status, setup) = server
            .send(
                Method::PUT,
                "/api/me/2fa",
                &session,
                json!({ "method": "totp" }),
            )
            .await;
        assert_eq!(status, 200, "{setup}");
        let seed = setup["secret"].as_str().unwrap();
        let (stored,): (String,) =
            sqlx::query_as("SELECT totp_secret FROM two_factor WHERE user_id = $1")
                .bind(user.id.0)
                .fetch_one(&inspect)
                .await
                .unwrap();
        assert!(
            stored.starts_with("sealed:v1:") && !stored.contains(seed),
            "{stored}"
        );
        let code = app_code(&server, seed, 0);
        let (status, body) = server
            .send(
                Method::POST,
                "/api/me/2fa/verify",
                &session,
                json!({ "code": code }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    });
}

#[tokio::test]
async fn secrets_an_older_version_kept_in_clear_are_sealed_at_start() {
    each_backend!(|server| {
        let mut app = create_app(&server, json!({})).await;
        let inspect = server.inspect().await;
        // As a version before sealing left them: an application secret and a social
        // network's client secret in clear.
        sqlx::query("UPDATE applications SET secret = 'kept-in-clear-000' WHERE id = $1")
            .bind(&app.id)
            .execute(&inspect)
            .await
            .unwrap();
        let google = portcullis_core::model::SocialNetwork {
            network: "google".into(),
            client_id: Some("ours".into()),
            client_secret: Some("social-in-clear-000".into()),
            ..Default::default()
        };
        server
            .set_settings(|s| s.social_networks = vec![google])
            .await;
        let sealed = server.app.services.seal_stored_secrets().await.unwrap();
        assert_eq!(sealed, 2);
        assert_eq!(server.app.services.seal_stored_secrets().await.unwrap(), 0);
        let (secret,): (String,) = sqlx::query_as("SELECT secret FROM applications WHERE id = $1")
            .bind(&app.id)
            .fetch_one(&inspect)
            .await
            .unwrap();
        assert!(secret.starts_with("sealed:v1:"), "{secret}");
        let (settings,): (String,) = sqlx::query_as("SELECT settings FROM tenants WHERE id = $1")
            .bind(server.tenant.id.0.clone())
            .fetch_one(&inspect)
            .await
            .unwrap();
        assert!(!settings.contains("social-in-clear-000"), "{settings}");
        // A list changed after it was read is not written over (another node's `social set`).
        use portcullis_core::store::TenantStore;
        let store = server.app.store.clone();
        let read = store
            .stored_social_networks(&server.tenant.id)
            .await
            .unwrap()
            .unwrap();
        server.set_settings(|s| s.social_networks.clear()).await;
        assert!(!store
            .replace_social_networks(&server.tenant.id, &read, &read)
            .await
            .unwrap());
        let (settings,): (String,) = sqlx::query_as("SELECT settings FROM tenants WHERE id = $1")
            .bind(server.tenant.id.0.clone())
            .fetch_one(&inspect)
            .await
            .unwrap();
        let settings: serde_json::Value = serde_json::from_str(&settings).unwrap();
        assert_eq!(settings["social_networks"], json!([]));
        // The application still authenticates with the secret it was given.
        app.secret = "kept-in-clear-000".to_owned();
        let (status, body) =
            token(&server, &[("grant_type", "client_credentials")], Some(&app)).await;
        assert_eq!(status, 200, "{body}");
    });
}

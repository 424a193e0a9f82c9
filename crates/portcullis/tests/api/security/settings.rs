//! `PATCH /api/settings` writes only the fields it names, over what the database holds: a
//! change made meanwhile elsewhere (another node, the management API) is never undone by a
//! stale copy.

use crate::harness::each_backend;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_settings_change_does_not_undo_one_made_meanwhile_elsewhere() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        // The admin's token is looked up and remembered with the tenant's settings.
        assert_eq!(server.get("/api/settings", &admin).await.0, 200);
        // Meanwhile another node turns the terms of service on (this node has not heard).
        let inspect = server.inspect().await;
        let done = sqlx::query(
            "UPDATE tenants SET settings = replace(settings, '\"tos\":false', '\"tos\":true') \
             WHERE id = $1",
        )
        .bind(server.tenant.id.0.clone())
        .execute(&inspect)
        .await
        .unwrap();
        assert_eq!(done.rows_affected(), 1);
        let (status, body) = server
            .send(
                Method::PATCH,
                "/api/settings",
                &admin,
                json!({ "app_name": "Renamed" }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (stored,): (String,) = sqlx::query_as("SELECT settings FROM tenants WHERE id = $1")
            .bind(server.tenant.id.0.clone())
            .fetch_one(&inspect)
            .await
            .unwrap();
        let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
        assert_eq!(
            (&stored["app_name"], &stored["tos"]),
            (&json!("Renamed"), &json!(true))
        );
    });
}

#[tokio::test]
async fn the_management_api_writes_only_its_own_view_of_the_settings() {
    each_backend!(|server| {
        let admin = server.signed_in("boss", "Admin").await;
        let key = crate::mgmt::api_key(&server, None).await;
        let path = format!("/v1/tenants/{}", server.tenant.id.0);
        let (status, _, tenant) = crate::mgmt::v1(&server, Method::GET, &path, &key, None).await;
        assert_eq!(status, 200);
        // Meanwhile an administrator turns two-factor authentication on.
        let (status, _) = server
            .send(
                Method::PATCH,
                "/api/settings",
                &admin,
                json!({ "2fa": { "enabled": true } }),
            )
            .await;
        assert_eq!(status, 200);
        // The operator's full-object POST of what it read does not turn it off again.
        let mut renamed = tenant.clone();
        renamed["settings"]["company_name"] = json!("Acme");
        let (status, _, answer) =
            crate::mgmt::v1(&server, Method::POST, &path, &key, Some(renamed)).await;
        assert_eq!(status, 200, "{answer}");
        let (_, settings) = server.get("/api/settings", &admin).await;
        assert_eq!(settings["2fa"]["enabled"], true);
    });
}

//! The operational surface: health probes and metrics, on both backends.

use crate::harness::{each_backend, json, text, Backend, TestServer, PASSWORD};
use reqwest::Method;
use serde_json::json;

async fn fetch(server: &TestServer, url: &str) -> (u16, String, String) {
    text(server.http.get(url).send().await.expect("request")).await
}

/// The value of the one sample line that starts with `series`.
fn sample(metrics: &str, series: &str) -> f64 {
    let line = metrics
        .lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{metrics}"));
    line[series.len()..].trim().parse().expect("a number")
}

#[tokio::test]
async fn liveness_and_readiness_answer_without_credentials() {
    each_backend!(|server| {
        assert_eq!(
            server.call(Method::GET, "/health/live").await,
            (200, json!({ "status": "ok" }))
        );
        assert_eq!(
            server.call(Method::GET, "/health/ready").await,
            (
                200,
                json!({ "status": "ok", "checks": { "database": "ok", "migrations": "ok" } })
            )
        );
    });
}

#[tokio::test]
async fn readiness_fails_when_a_migration_is_missing() {
    each_backend!(|server| {
        let db = server.inspect().await;
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 1")
            .execute(&db)
            .await
            .expect("forget a migration");
        db.close().await;
        assert_eq!(
            server.call(Method::GET, "/health/ready").await,
            (
                503,
                json!({ "status": "unavailable", "checks": { "database": "ok", "migrations": "failed" } })
            )
        );
        // Liveness does no I/O, so it does not care.
        assert_eq!(server.call(Method::GET, "/health/live").await.0, 200);
    });
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    each_backend!(|server| {
        server.app.store.close().await;
        assert_eq!(
            server.call(Method::GET, "/health/ready").await,
            (
                503,
                json!({ "status": "unavailable", "checks": { "database": "failed", "migrations": "skipped" } })
            )
        );
        assert_eq!(server.call(Method::GET, "/health/live").await.0, 200);
    });
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_domain_figures() {
    each_backend!(|server| {
        let token = server.signed_in("metered", "User").await;
        assert_eq!(server.get("/api/me", &token).await.0, 200);
        assert_eq!(server.get("/api/me", &token).await.0, 200);
        assert_eq!(server.try_login("metered", "wrong-password").await.0, 401);
        assert_eq!(server.try_login("nobody", PASSWORD).await.0, 401);
        assert_eq!(
            server
                .call(Method::GET, "/api/nothing/id-marker-12345")
                .await
                .0,
            404
        );
        assert_eq!(
            server
                .call(Method::GET, "/api/me?id=query-marker-777")
                .await
                .0,
            401
        );

        let url = format!("{}/metrics", server.base);
        let (status, content_type, metrics) = fetch(&server, &url).await;
        assert_eq!(status, 200);
        assert!(
            content_type.starts_with("application/openmetrics-text"),
            "{content_type}"
        );
        let requests = |route: &str, method: &str, status: u16| {
            sample(
                &metrics,
                &format!(
                    "portcullis_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}}"
                ),
            )
        };
        assert_eq!(requests("/api/me", "GET", 200), 2.0);
        assert_eq!(requests("/api/me", "GET", 401), 1.0);
        assert_eq!(requests("/api/login", "POST", 200), 1.0);
        assert_eq!(requests("/api/login", "POST", 401), 2.0);
        assert_eq!(requests("unmatched", "GET", 404), 1.0);
        assert_eq!(
            sample(
                &metrics,
                "portcullis_http_request_duration_seconds_count{route=\"/api/me\"}"
            ),
            3.0
        );
        // Route templates only: no raw path, id or query string becomes a label.
        // Markers no figure can contain by chance (a latency sum may hold the digits 777).
        assert!(!metrics.contains("id-marker") && !metrics.contains("query-marker"));

        assert_eq!(
            sample(&metrics, "portcullis_logins_total{result=\"succeeded\"}"),
            1.0
        );
        assert_eq!(
            sample(&metrics, "portcullis_logins_total{result=\"failed\"}"),
            2.0
        );
        assert_eq!(
            sample(&metrics, "portcullis_logins_total{result=\"refused\"}"),
            0.0
        );
        // Lookups are remembered: the first read misses, the second hits.
        let (hits, misses) = (
            sample(
                &metrics,
                "portcullis_token_cache_lookups_total{result=\"hit\"}",
            ),
            sample(
                &metrics,
                "portcullis_token_cache_lookups_total{result=\"miss\"}",
            ),
        );
        if server.backend_name == "sqlite" {
            assert_eq!((hits, misses), (1.0, 1.0));
        } else {
            // The login's own change notice may arrive after the first read and drop it.
            assert_eq!(hits + misses, 2.0);
            assert!(misses >= 1.0);
        }
        assert_eq!(sample(&metrics, "portcullis_password_hash_workers"), 2.0);
        assert_eq!(sample(&metrics, "portcullis_password_hash_in_use"), 0.0);
        assert_eq!(sample(&metrics, "portcullis_password_hash_queued"), 0.0);
        assert!(sample(&metrics, "portcullis_password_hash_queue_max") >= 2.0);
        assert_eq!(sample(&metrics, "portcullis_db_pool_max"), 4.0);
        let open = sample(&metrics, "portcullis_db_pool_open");
        assert!((1.0..=4.0).contains(&open), "{open}");
        assert!(sample(&metrics, "portcullis_db_pool_idle") <= open);
        assert_eq!(sample(&metrics, "portcullis_db_pool_waiting"), 0.0);
        assert!(metrics.ends_with("# EOF\n"));
    });
}

#[tokio::test]
async fn metrics_can_move_to_their_own_listener_or_be_turned_off() {
    let backend = Backend::Sqlite;
    let server = TestServer::start_with(&backend, |config| {
        config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    assert_eq!(
        server.call(Method::GET, "/metrics").await,
        (404, json!({ "error": "Resource not found." }))
    );
    assert_eq!(server.call(Method::GET, "/health/live").await.0, 200);
    let elsewhere = format!("{}/metrics", server.metrics_base.as_deref().unwrap());
    let (status, _, metrics) = fetch(&server, &elsewhere).await;
    assert_eq!(status, 200);
    // The main listener's requests are counted there.
    assert_eq!(
        sample(
            &metrics,
            "portcullis_http_requests_total{route=\"/health/live\",method=\"GET\",status=\"200\"}"
        ),
        1.0
    );
    let other = format!("{}/health/live", server.metrics_base.as_deref().unwrap());
    let (status, _) = json(server.http.get(other).send().await.unwrap()).await;
    assert_eq!(
        status, 404,
        "only /metrics is served on the metrics listener"
    );
    server.stop().await;

    let server = TestServer::start_with(&backend, |config| config.metrics = false).await;
    assert_eq!(server.call(Method::GET, "/metrics").await.0, 404);
    assert_eq!(server.call(Method::GET, "/health/ready").await.0, 200);
    server.stop().await;
}

//! Faults of the database answered honestly: a connection PostgreSQL ends mid-request (a
//! failover, a restart, `pg_terminate_backend`) is a 503 with `Retry-After`, never a 500.

use crate::harness::{backends, Backend, TestServer};
use reqwest::Method;

/// A server on PostgreSQL (when the tests have one) where every request reads the database:
/// nothing is served from memory.
async fn postgres_with_no_memory() -> Option<TestServer> {
    let backend = backends()
        .into_iter()
        .find(|b| matches!(b, Backend::Postgres(_)))?;
    Some(TestServer::start_with(&backend, |c| c.auth_cache_seconds = Some(0)).await)
}

#[tokio::test]
async fn connections_the_database_ends_answer_503_with_retry_after_never_500() {
    let Some(server) = postgres_with_no_memory().await else {
        return;
    };
    let token = server.signed_in("pat", "User").await;
    let killer = server.inspect().await;
    let (mut answered, mut unavailable) = (0, 0);
    for _ in 0..40 {
        let requests = futures_util::future::join_all((0..16).map(|_| {
            server
                .request(Method::GET, "/api/me")
                .bearer_auth(&token)
                .send()
        }));
        let kill = sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .execute(&killer);
        let (responses, _) = tokio::join!(requests, kill);
        for response in responses {
            let response = response.expect("an answer");
            match response.status().as_u16() {
                200 => answered += 1,
                503 => {
                    assert!(
                        response.headers().contains_key("retry-after"),
                        "a 503 says when to come back"
                    );
                    unavailable += 1;
                }
                other => panic!("{other}: {}", response.text().await.unwrap_or_default()),
            }
        }
    }
    println!("{answered} answered, {unavailable} unavailable");
    assert!(answered > 0);
    killer.close().await;
    server.stop().await;
}

/// Holds a lock on `tokens`, so the server's next token lookup waits on it; then ends the
/// server connection that waits, and lets go. The request met a database that went away
/// under it, exactly once.
async fn end_the_connection_a_request_waits_on(
    killer: &sqlx::AnyPool,
    request: impl std::future::Future<Output = reqwest::Response>,
) -> reqwest::Response {
    let mut lock = killer.begin().await.unwrap();
    sqlx::query("LOCK TABLE tokens IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let end_it = async {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let ended: Vec<(bool,)> = sqlx::query_as(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock' \
                 AND pid <> pg_backend_pid()",
            )
            .fetch_all(killer)
            .await
            .unwrap();
            if !ended.is_empty() {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "no request waited");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let end_it_and_let_go = async {
        end_it.await;
        lock.commit().await.unwrap();
    };
    let (response, ()) = tokio::join!(request, end_it_and_let_go);
    response
}

#[tokio::test]
async fn a_read_the_database_dropped_is_run_once_more_and_a_write_is_not() {
    let Some(server) = postgres_with_no_memory().await else {
        return;
    };
    let token = server.signed_in("reader", "User").await;
    let killer = server.inspect().await;

    let read = server
        .request(Method::GET, "/api/me")
        .bearer_auth(&token)
        .send();
    let response =
        end_the_connection_a_request_waits_on(&killer, async { read.await.expect("an answer") })
            .await;
    assert_eq!(
        response.status(),
        200,
        "the read ran again on a fresh connection"
    );
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["username"],
        "reader"
    );

    // A write may have happened before the connection ended: it is not run twice.
    let write = server
        .request(Method::POST, "/api/logout")
        .bearer_auth(&token)
        .send();
    let response =
        end_the_connection_a_request_waits_on(&killer, async { write.await.expect("an answer") })
            .await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    // The token survived the failed logout, and the server serves it.
    let me = server
        .request(Method::GET, "/api/me")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    killer.close().await;
    server.stop().await;
}

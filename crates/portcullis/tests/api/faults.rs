//! Faults of the database answered honestly: a connection PostgreSQL ends mid-request (a
//! failover, a restart, `pg_terminate_backend`) is a 503 with `Retry-After`, never a 500.

use crate::harness::{backends, Backend, TestServer};
use reqwest::Method;

#[tokio::test]
async fn connections_the_database_ends_answer_503_with_retry_after_never_500() {
    let Some(backend) = backends()
        .into_iter()
        .find(|b| matches!(b, Backend::Postgres(_)))
    else {
        return;
    };
    // Every request reads the database: nothing is served from memory.
    let server = TestServer::start_with(&backend, |c| c.auth_cache_seconds = Some(0)).await;
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

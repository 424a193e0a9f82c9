//! PostgreSQL's feed of changes to principals, which keeps every node's token-lookup cache in
//! step: what the store changes is reported, what only records activity is not, and a lost
//! connection is reported and re-established. PostgreSQL only; SQLite has no feed.

use crate::harness::{backends, Backend, TestServer};
use portcullis_core::store::{TenantStore, UserStore};
use portcullis_store::PrincipalChange;
use reqwest::Method;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

async fn postgres_server() -> Option<TestServer> {
    let backend = backends()
        .into_iter()
        .find(|b| matches!(b, Backend::Postgres(_)))?;
    Some(TestServer::start(&backend).await)
}

async fn next(changes: &mut UnboundedReceiver<PrincipalChange>) -> PrincipalChange {
    tokio::time::timeout(Duration::from_secs(5), changes.recv())
        .await
        .expect("a change within 5 s")
        .expect("the feed runs")
}

async fn nothing_more(changes: &mut UnboundedReceiver<PrincipalChange>) {
    let more = tokio::time::timeout(Duration::from_millis(500), changes.recv()).await;
    assert!(more.is_err(), "unexpected {more:?}");
}

/// Runs a second feed on the server's database (the server runs its own), reporting here.
fn watch(
    server: &TestServer,
) -> (
    UnboundedReceiver<PrincipalChange>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = unbounded_channel();
    let store = server.app.store.clone();
    let task = tokio::spawn(async move {
        store
            .watch_principal_changes(move |change| {
                let _ = tx.send(change);
            })
            .await;
    });
    (rx, task)
}

#[tokio::test]
async fn changes_to_principals_are_reported_and_activity_is_not() {
    let Some(server) = postgres_server().await else {
        return;
    };
    let user = server.create_user("watched", "User").await;
    let token = server.login("watched").await;
    let (mut changes, feed) = watch(&server);
    assert_eq!(next(&mut changes).await, PrincipalChange::Connected);

    // Two minutes on, a request records activity on the session and token: not a change.
    server.clock.advance(time::Duration::minutes(2));
    let (status, _) = server.get("/api/me", &token).await;
    assert_eq!(status, 200);
    nothing_more(&mut changes).await;

    let (status, _) = server
        .send(Method::POST, "/api/logout", &token, serde_json::json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(next(&mut changes).await, PrincipalChange::User(user.id));
    nothing_more(&mut changes).await;

    let store = &server.app.store;
    let now = server.clock_now();
    store.set_user_disabled(user.id, true, now).await.unwrap();
    assert_eq!(next(&mut changes).await, PrincipalChange::User(user.id));

    let mut flipped = serde_json::Map::new();
    flipped.insert(
        "allow_signups".to_owned(),
        (!server.tenant.settings.allow_signups).into(),
    );
    store
        .merge_tenant_settings(&server.tenant.id, &flipped, now)
        .await
        .unwrap();
    assert_eq!(next(&mut changes).await, PrincipalChange::All);

    feed.abort();
    server.stop().await;
}

#[tokio::test]
async fn a_lost_connection_is_reported_and_listened_again() {
    let Some(server) = postgres_server().await else {
        return;
    };
    let user = server.create_user("watched", "User").await;
    let (mut changes, feed) = watch(&server);
    assert_eq!(next(&mut changes).await, PrincipalChange::Connected);

    // Ends every listening connection on this database: ours and the server's own.
    let inspect = server.inspect().await;
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .execute(&inspect)
    .await
    .unwrap();
    assert_eq!(next(&mut changes).await, PrincipalChange::Lost);
    assert_eq!(next(&mut changes).await, PrincipalChange::Connected);

    let store = &server.app.store;
    store
        .set_user_disabled(user.id, true, server.clock_now())
        .await
        .unwrap();
    assert_eq!(next(&mut changes).await, PrincipalChange::User(user.id));

    inspect.close().await;
    feed.abort();
    server.stop().await;
}

//! How connections are served: graceful shutdown with a request in flight, slow headers, and
//! the cap on open connections.

use crate::harness::{backends, partial_login, Backend, RawConnection, TestServer};
use std::time::Duration;

#[tokio::test]
async fn shutdown_stops_accepting_and_finishes_the_request_in_flight() {
    for backend in backends() {
        let mut server = TestServer::start(&backend).await;
        server.create_user("inflight", "User").await;
        let (head, rest) = partial_login("inflight", 5);
        let mut connection = RawConnection::open(server.addr).await.unwrap();
        connection.send(&head).await;
        // Give the server the request head, so the request is in flight, not merely queued.
        let mut idle = RawConnection::open(server.addr).await.unwrap();
        idle.send(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        assert!(idle.response().await.unwrap().starts_with("HTTP/1.1 200"));

        server.begin_shutdown();
        // New connections are refused once the listener is closed.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while RawConnection::open(server.addr).await.is_ok() {
            assert!(tokio::time::Instant::now() < deadline, "still accepting");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // An idle keep-alive connection is closed, not kept waiting.
        assert_eq!(idle.response().await, None);

        connection.send(&rest).await;
        let response = connection.response().await.expect("the in-flight answer");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains(r#"{"token":""#), "{response}");
        server.stopped().await.expect("a clean stop");
        server.stop().await;
    }
}

#[tokio::test]
async fn a_request_in_flight_past_the_grace_period_is_cut_off() {
    let mut server = TestServer::start_with(&Backend::Sqlite, |config| {
        config.shutdown_grace_seconds = 1;
    })
    .await;
    let (head, _rest) = partial_login("never-finishes", 5);
    let mut connection = RawConnection::open(server.addr).await.unwrap();
    connection.send(&head).await;
    let mut probe = RawConnection::open(server.addr).await.unwrap();
    probe
        .send(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert!(probe.response().await.is_some());
    server.begin_shutdown();
    server
        .stopped()
        .await
        .expect("stops after the grace period");
    assert_eq!(connection.response().await, None);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let server = TestServer::start_with(&Backend::Sqlite, |config| {
        config.header_read_timeout_seconds = 1;
    })
    .await;
    let mut slow = RawConnection::open(server.addr).await.unwrap();
    slow.send(b"GET /health/live HTTP/1.1\r\nHost: loc").await;
    assert_eq!(slow.response().await, None, "closed without an answer");
    server.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let server = TestServer::start_with(&Backend::Sqlite, |config| {
        config.max_connections = 2;
    })
    .await;
    let request = b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut first = RawConnection::open(server.addr).await.unwrap();
    first.send(request).await;
    assert!(first.response().await.is_some());
    let mut second = RawConnection::open(server.addr).await.unwrap();
    second.send(request).await;
    assert!(second.response().await.is_some());

    // The kernel completes the handshake, but the server does not take the connection.
    let mut third = RawConnection::open(server.addr).await.unwrap();
    third.send(request).await;
    let waiting = tokio::time::timeout(Duration::from_millis(300), third.response()).await;
    assert!(waiting.is_err(), "answered beyond the cap: {waiting:?}");

    drop(first);
    let answer = third.response().await.expect("answered once a slot frees");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    server.stop().await;
}

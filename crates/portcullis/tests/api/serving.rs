//! How connections are served: graceful shutdown with a request in flight, slow headers, and
//! the cap on open connections.

use crate::harness::{backends, partial_login, Backend, RawConnection, TestServer};
use std::net::Ipv4Addr;
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

const ATTACKER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
const SOMEONE_ELSE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const PROXY: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);
const HEALTH: &[u8] = b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";

/// The answer on `connection` within `seconds`, or a failure naming what was waited for.
async fn answered_within(
    seconds: u64,
    connection: &mut RawConnection,
    what: &str,
) -> Option<String> {
    tokio::time::timeout(Duration::from_secs(seconds), connection.response())
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {seconds} s"))
}

#[tokio::test]
async fn one_client_holding_slow_connections_cannot_take_every_slot() {
    for backend in backends() {
        let server = TestServer::start_with(&backend, |config| {
            config.max_connections = 16;
            config.max_connections_per_client = 4;
        })
        .await;
        // Enough half-sent requests to fill every slot, were they all taken.
        let mut slow = Vec::new();
        for _ in 0..16 {
            let mut connection = RawConnection::open_from(ATTACKER, server.addr)
                .await
                .unwrap();
            connection
                .send(b"GET /health/live HTTP/1.1\r\nHost: loc")
                .await;
            slow.push(connection);
        }
        let mut other = RawConnection::open_from(SOMEONE_ELSE, server.addr)
            .await
            .unwrap();
        other.send(HEALTH).await;
        let answer = answered_within(5, &mut other, "another client")
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

        // The client's connections past its four are told why, and closed.
        for connection in &mut slow[4..] {
            let answer = answered_within(5, connection, "a refused connection")
                .await
                .expect("told why");
            assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
            assert!(answer.contains("Retry-After: 1"), "{answer}");
            assert!(answer.contains("Too many connections"), "{answer}");
            assert_eq!(connection.response().await, None, "and closed");
        }

        // Its place comes back when one of its connections ends.
        slow.truncate(3);
        let mut again = RawConnection::open_from(ATTACKER, server.addr)
            .await
            .unwrap();
        again.send(HEALTH).await;
        let answer = answered_within(5, &mut again, "a freed place")
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        server.stop().await;
    }
}

#[tokio::test]
async fn a_trusted_proxy_is_counted_by_the_address_it_forwards() {
    for backend in backends() {
        let server = TestServer::start_with(&backend, |config| {
            config.max_connections_per_client = 2;
            config.trusted_proxies = vec![PROXY.to_string()];
        })
        .await;
        let forwarded_login = |client: &str| {
            let (head, _rest) = partial_login("nobody", 5);
            let head = String::from_utf8(head).unwrap().replace(
                "Host: localhost\r\n",
                &format!("Host: localhost\r\nX-Forwarded-For: {client}\r\n"),
            );
            head.into_bytes()
        };
        // Two requests in flight for one forwarded client, each on its own proxy connection.
        let mut in_flight = Vec::new();
        for _ in 0..2 {
            let mut connection = RawConnection::open_from(PROXY, server.addr).await.unwrap();
            connection.send(&forwarded_login("198.51.100.7")).await;
            in_flight.push(connection);
        }
        // Let the server read both heads before the third arrives.
        let mut probe = RawConnection::open_from(PROXY, server.addr).await.unwrap();
        probe.send(HEALTH).await;
        answered_within(5, &mut probe, "the probe").await.unwrap();

        let mut third = RawConnection::open_from(PROXY, server.addr).await.unwrap();
        third.send(&forwarded_login("198.51.100.7")).await;
        let answer = answered_within(5, &mut third, "a third request")
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
        assert!(
            answer.to_ascii_lowercase().contains("retry-after: 1"),
            "{answer}"
        );

        // The proxy's own address is not limited: a fourth and fifth connection, for another
        // client, are served.
        for _ in 0..2 {
            let mut connection = RawConnection::open_from(PROXY, server.addr).await.unwrap();
            connection
                .send(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.8\r\n\r\n")
                .await;
            let answer = answered_within(5, &mut connection, "another forwarded client")
                .await
                .unwrap();
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            in_flight.push(connection);
        }
        server.stop().await;
    }
}

#[tokio::test]
async fn a_body_that_trickles_past_the_read_timeout_is_cut_off() {
    for backend in backends() {
        let server = TestServer::start_with(&backend, |config| {
            config.header_read_timeout_seconds = 1;
        })
        .await;
        // Headers on time, then five bytes of the body, then nothing.
        let (head, _rest) = partial_login("trickle", 5);
        let mut slow = RawConnection::open(server.addr).await.unwrap();
        slow.send(&head).await;
        let answer = answered_within(5, &mut slow, "a slow body").await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        // And the connection is not kept for another request.
        assert_eq!(answered_within(5, &mut slow, "the close").await, None);
        server.stop().await;
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_its_answers_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for backend in backends() {
        let server = TestServer::start_with(&backend, |config| {
            config.header_read_timeout_seconds = 1;
        })
        .await;
        let document = server
            .request(reqwest::Method::GET, "/openapi/api.json")
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .len();
        // Far more answers than the sockets' buffers hold, asked for at once; then nothing is
        // read for a while.
        let asked = 40;
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut stream = socket.connect(server.addr).await.unwrap();
        let request = b"GET /openapi/api.json HTTP/1.1\r\nHost: x\r\n\r\n".repeat(asked);
        stream.write_all(&request).await.unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;

        let mut received = 0;
        let mut chunk = vec![0u8; 64 * 1024];
        let read_all = async {
            loop {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(read) => received += read,
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), read_all)
            .await
            .expect("the server closed the connection");
        assert!(
            received < asked * document,
            "all {asked} answers were written to a client that did not read for 3 s"
        );
        server.stop().await;
    }
}

//! Serving a router on a listener: HTTP/1.1 with a read timeout against slow clients (headers
//! and body alike), a cap on open connections overall and per client, and graceful shutdown
//! with a grace period.

mod deadline;
mod per_client;
mod stalled_writes;

use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use axum::Router;
use deadline::DeadlineBody;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use per_client::PerClient;
use portcullis_http::TrustedProxies;
use stalled_writes::StalledWrites;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::Service;

/// How connections are accepted, kept and ended.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// A client must send a whole request head within this long, and then its whole body
    /// within this long again; an idle keep-alive connection is closed after it.
    pub header_read_timeout: Duration,
    /// Connections open at once; past this, new clients wait in the kernel's backlog.
    pub max_connections: usize,
    /// Connections one client address (an IPv6 /64) may hold open at once; past this, its new
    /// connections are refused. Behind a trusted proxy, the requests in flight for one
    /// forwarded address instead.
    pub max_connections_per_client: usize,
    /// Whose connections carry many clients, named by `X-Forwarded-For`.
    pub trusted_proxies: TrustedProxies,
    /// After shutdown begins, in-flight requests get this long to finish before their
    /// connections are dropped.
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_connections_per_client: 64,
            trusted_proxies: TrustedProxies::default(),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// What a client over its limit is told before its connection is closed. It is written
/// without reading the request, since reading is what a slow client would make us wait for.
const TOO_MANY_CONNECTIONS: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\
Content-Type: application/json\r\nConnection: close\r\nContent-Length: 51\r\n\r\n\
{\"error\":\"Too many connections from your address.\"}";

/// Refused connections being told why at once; past this, they are closed unanswered.
const REFUSALS_AT_ONCE: usize = 64;

/// Tells a client over its limit why, without reading its request (reading is what a slow
/// client would make us wait for), then closes. What it already sent is drained first: closing
/// on unread bytes would reset the connection, and the reset would take the answer with it.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(TOO_MANY_CONNECTIONS).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut drained = 0;
        while drained < 64 * 1024 {
            match stream.read(&mut sink).await? {
                0 => break,
                read => drained += read,
            }
        }
        std::io::Result::Ok(())
    })
    .await;
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting (closing the
/// listener, so new connections are refused), lets in-flight requests finish within the grace
/// period, and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let connections_per_client = PerClient::new(options.max_connections_per_client);
    let requests_per_forwarded_client = PerClient::new(options.max_connections_per_client);
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let proxies = Arc::new(options.trusted_proxies.clone());
    let body_timeout = options.header_read_timeout;
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Running out of file descriptors, or a peer that reset before we got to
                    // it: neither should end the server.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let behind_proxy = proxies.trusts(peer.ip().to_canonical());
        // A proxy's one address stands for many clients; they are counted by the address it
        // forwards, request by request, below.
        let place = if behind_proxy {
            None
        } else {
            match connections_per_client.take(peer.ip()) {
                Some(place) => Some(place),
                None => {
                    tracing::debug!(%peer, "refused: too many connections from one client");
                    // The slot goes straight back; the refusal is told on the side, when
                    // there is room to.
                    if let Ok(telling) = Arc::clone(&refusals).try_acquire_owned() {
                        tokio::spawn(async move {
                            refuse(stream).await;
                            drop(telling);
                        });
                    }
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let proxies = Arc::clone(&proxies);
        let requests_per_forwarded_client = requests_per_forwarded_client.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let deadline = tokio::time::Instant::now() + body_timeout;
            let mut request =
                request.map(|body| axum::body::Body::new(DeadlineBody::new(body, deadline)));
            request.extensions_mut().insert(ConnectInfo(peer));
            let place = if behind_proxy {
                let client = proxies.client_ip(peer.ip(), request.headers());
                requests_per_forwarded_client
                    .take(client)
                    .map(Some)
                    .ok_or(client)
            } else {
                Ok(None)
            };
            let mut router = router.clone();
            async move {
                let place = match place {
                    Ok(place) => place,
                    Err(client) => {
                        tracing::debug!(%client, "refused: too many requests in flight from one forwarded client");
                        return Ok(too_many_requests());
                    }
                };
                // A router is always ready, so it may be called without polling readiness.
                let response = router.call(request).await;
                drop(place);
                response
            }
        });
        let connection = graceful.watch(http.serve_connection(
            TokioIo::new(StalledWrites::new(stream, options.header_read_timeout)),
            service,
        ));
        connections.spawn(async move {
            let _ = connection.await;
            drop(place);
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(options.shutdown_grace) => {
            tracing::warn!(
                unfinished = connections.len(),
                "shutdown grace period over; dropping connections",
            );
        }
    }
    connections.shutdown().await;
    Ok(())
}

fn too_many_requests() -> axum::response::Response {
    (
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        [(axum::http::header::RETRY_AFTER, "1")],
        axum::Json(serde_json::json!({"error": "Too many requests in flight from your address."})),
    )
        .into_response()
}

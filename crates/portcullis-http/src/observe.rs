//! What every request gets on every surface: a request id (the caller's, when it is sensible,
//! or a new UUID) echoed in `X-Request-Id` and carried by every log line of the request, and a
//! count and latency in the metrics under its route template.

use crate::common::state::AppState;
use crate::metrics::Route;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming request id kept; longer ones are replaced, not truncated.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The id of the request being served; handlers that need it (e.g. an error envelope's
/// `uuid`) take it as an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The caller's `X-Request-Id` when it is 1 to [`MAX_REQUEST_ID_LEN`] printable ASCII
    /// characters (no spaces or controls), so it is safe in logs and headers; otherwise a new
    /// random UUID.
    pub fn for_request(headers: &HeaderMap) -> Self {
        headers
            .get(X_REQUEST_ID)
            .filter(|value| {
                let bytes = value.as_bytes();
                (1..=MAX_REQUEST_ID_LEN).contains(&bytes.len())
                    && bytes.iter().all(u8::is_ascii_graphic)
            })
            .map_or_else(Self::generate, |value| Self(value.clone()))
    }

    pub fn generate() -> Self {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
        Self(HeaderValue::from_str(text).expect("a UUID is a valid header value"))
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from printable ASCII.
        self.0.to_str().unwrap_or_default()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outermost layer of every route (see [`crate::with_layers`]).
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = RequestId::for_request(request.headers());
    let route = Route::new(request.extensions().get::<MatchedPath>());
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %method,
        route = %route.as_str(),
    );
    request.extensions_mut().insert(id.clone());
    let mut response = next.run(request).instrument(span.clone()).await;
    let took = started.elapsed();
    let status = response.status();
    response.headers_mut().insert(X_REQUEST_ID, id.0);
    if let Some(metrics) = &state.metrics {
        metrics.record(route, &method, status, took);
    }
    span.in_scope(|| {
        tracing::debug!(
            target: "portcullis::access",
            status = status.as_u16(),
            micros = took.as_micros() as u64,
            "answered",
        )
    });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_bytes(value).unwrap());
        headers
    }

    #[test]
    fn a_sensible_incoming_id_is_kept() {
        let id = RequestId::for_request(&with(b"abc-123_XYZ.req:7"));
        assert_eq!(id.as_str(), "abc-123_XYZ.req:7");
    }

    #[test]
    fn odd_or_missing_ids_are_replaced_by_a_uuid() {
        let long = "a".repeat(MAX_REQUEST_ID_LEN + 1);
        for headers in [
            HeaderMap::new(),
            with(b""),
            with(b"has space"),
            with(b"tab\there"),
            with(long.as_bytes()),
            with("caf\u{e9}".as_bytes()),
        ] {
            let id = RequestId::for_request(&headers);
            let parsed = uuid::Uuid::parse_str(id.as_str()).expect("a UUID");
            assert_eq!(parsed.get_version_num(), 4);
        }
        let exact = "a".repeat(MAX_REQUEST_ID_LEN);
        assert_eq!(
            RequestId::for_request(&with(exact.as_bytes())).as_str(),
            exact
        );
    }
}

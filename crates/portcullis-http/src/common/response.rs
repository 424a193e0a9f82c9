//! Marks on answers that every surface gives.

use axum::response::{IntoResponse, Response};

/// `response`, marked never to be stored: it holds a secret, or a state that is only true now.
pub fn no_store(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

//! Portcullis's HTTP surfaces. Each module translates one dialect into calls on the domain's
//! [`Services`] and renders that dialect's JSON; none holds a business rule or a query.

pub mod api;
mod client;

pub use client::ClientAddr;

use axum::response::Response;
use axum::Router;
use portcullis_core::Services;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub http: Arc<HttpSettings>,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The externally visible base URL, without a trailing slash; used to build links.
    pub public_url: String,
}

/// The whole application: every surface's routes, wrapped in the common layers.
pub fn router(state: AppState) -> Router {
    with_layers(routes(state))
}

/// Every surface's routes, without the common layers.
pub fn routes(state: AppState) -> Router {
    api::routes().with_state(state)
}

/// The layers every route runs under. Split out so the benchmark can measure a bare route
/// behind exactly the same stack.
pub fn with_layers(router: Router) -> Router {
    router
        .fallback(api::error::not_found)
        .method_not_allowed_fallback(api::error::method_not_allowed)
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| -> Response {
                // The payload may hold request data; it is not logged.
                tracing::error!("a handler panicked");
                api::error::internal_error()
            },
        ))
}

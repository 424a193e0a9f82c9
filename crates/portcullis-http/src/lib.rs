//! Portcullis's HTTP surfaces. Each module translates one dialect into calls on the domain's
//! [`Services`] and renders that dialect's JSON; none holds a business rule or a query.
//!
//! Every surface registers its routes through an `OpenApiRouter`, so a route cannot exist
//! without its OpenAPI entry, and every route runs under the same layers ([`with_layers`]):
//! request id and metrics, timeout, panic catching.

pub mod api;
pub(crate) mod common;
pub mod metrics;
pub mod mgmt;
pub mod oauth2;
pub mod observe;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod vms;

pub use common::client::{ClientAddr, Transport, TrustedProxies};
pub use common::laravel::field_message;
pub use common::state::{AppState, HttpSettings};

use axum::body::HttpBody as _;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use common::page_error::PageError;
use observe::RequestId;
use tower_http::catch_panic::CatchPanicLayer;

/// The whole application: every surface's routes, wrapped in the common layers.
pub fn router(state: AppState) -> Router {
    with_layers(routes(state.clone()), state)
}

/// Every surface's routes (and the operational ones), without the common layers.
pub fn routes(state: AppState) -> Router {
    let (routes, _documents) = openapi::surfaces(&state);
    routes.with_state(state)
}

/// Only `/metrics`, for operators who expose metrics on another address (`metrics_listen`).
pub fn metrics_router(state: AppState) -> Router {
    let (routes, _) = ops::metrics_routes().split_for_parts();
    with_layers(routes.with_state(state.clone()), state)
}

/// The layers every route runs under. Split out so the benchmark can measure a bare route
/// behind exactly the same stack. Applied per route, so the route template is known to them.
pub fn with_layers(router: Router, state: AppState) -> Router {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| -> Response {
                // The payload may hold request data; it is not logged.
                tracing::error!("a handler panicked");
                // Rendered in the path's dialect by `request_timeout`, which knows the path.
                let mut response = api::error::internal_error();
                response.extensions_mut().insert(Panicked);
                response
            },
        ))
        // Outside the routes, so a preflight (`OPTIONS`) is answered before it could be
        // refused as a wrong method; it acts on the provider's browser-facing paths only.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            oauth2::cors::cors,
        ))
        // Inside the timeout, so a retry spends the same request's time.
        .layer(middleware::from_fn(retry_reads_once))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), transport))
        .layer(middleware::from_fn_with_state(state, observe::observe))
}

/// Decides once whether the request came over HTTPS (see [`Transport`]); over HTTPS our
/// cookies carry the `__Host-` prefix. Where the public URL is HTTPS, every answer tells
/// browsers to use nothing else (HSTS).
async fn transport(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let transport = Transport::of(&request, &state.http.trusted_proxies);
    if transport.https {
        common::client::unprefix_cookies(request.headers_mut());
    }
    request.extensions_mut().insert(transport);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if transport.https {
        common::client::prefix_cookies(headers);
    }
    if state.http.public_url.starts_with("https://") {
        headers.insert(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            axum::http::HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// Marks the answer of a `GET` that must never run twice, because it spends something outside
/// (a social network's single-use code) before it writes: [`retry_reads_once`] leaves it be.
#[derive(Clone, Copy)]
struct RunsOnce;

pub(crate) async fn runs_once(mut response: Response) -> Response {
    response.extensions_mut().insert(RunsOnce);
    response
}

/// Runs a request that only reads (GET or HEAD, without a body) once more when the database
/// ended a connection under it and the answer was 503: the pool hands the second run a fresh
/// connection, so a failover or restart met mid-request costs a moment, not an error. A request
/// that may write is never run twice; its 503 says when to come back.
async fn retry_reads_once(request: Request, next: Next) -> Response {
    let reads_only = matches!(*request.method(), Method::GET | Method::HEAD)
        && request.body().size_hint().exact() == Some(0);
    if !reads_only {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let again = Request::from_parts(parts.clone(), axum::body::Body::empty());
    let (response, lost) = portcullis_core::store::watching_connections(
        next.clone().run(Request::from_parts(parts, body)),
    )
    .await;
    let repeatable = response.extensions().get::<RunsOnce>().is_none();
    if lost && repeatable && response.status() == StatusCode::SERVICE_UNAVAILABLE {
        tracing::info!("the database ended a connection under a read; running it once more");
        return next.run(again).await;
    }
    response
}

/// Marks the answer to a request whose handler panicked.
#[derive(Clone, Copy)]
struct Panicked;

/// Answers 503 in the error shape when the rest of the stack takes longer than allowed; the
/// handler's work is dropped with it. A panic caught below is answered in the path's dialect
/// here too.
async fn request_timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state.http.request_timeout;
    let path = request.uri().path().to_owned();
    let request_id = request.extensions().get::<RequestId>().cloned();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) if response.extensions().get::<Panicked>().is_some() => {
            Dialect::of(&path).answer(Refusal::Panicked, request_id.as_ref())
        }
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(?limit, "request timed out");
            Dialect::of(&path).answer(Refusal::TimedOut, request_id.as_ref())
        }
    }
}

/// What the router and its layers answer on their own, whichever route was meant.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// No route at this path.
    NotFound,
    /// A route, but not for this method.
    MethodNotAllowed,
    /// Unanswered after `request_timeout` (503, `Retry-After`).
    TimedOut,
    /// The handler panicked (500; nothing of the panic is shown).
    Panicked,
}

/// Whose error shape a path answers in, for what the router itself answers. Each surface
/// answers its own handlers' failures (bad bodies, bodies over the limit, a full hash queue)
/// through its error type; this is the one place that picks the shape where no handler ran.
#[derive(Debug, Clone, Copy)]
enum Dialect {
    /// Document 002's `/api/v1`: `{"message": ...}`.
    Vms,
    /// Document 003's `/v1`: the `Error` envelope.
    Mgmt,
    /// The provider's `/oauth2`: RFC 6749's `{"error", "error_description"}`.
    OAuth,
    /// The hosted pages: an HTML page.
    Pages,
    /// Everything else: the account API's `{"error": ...}`.
    Account,
}

impl Dialect {
    fn of(path: &str) -> Self {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if under("/api/v1") {
            Self::Vms
        } else if under("/v1") {
            Self::Mgmt
        } else if under("/oauth2") {
            Self::OAuth
        } else if pages::SECTIONS.iter().any(|section| under(section)) {
            Self::Pages
        } else {
            Self::Account
        }
    }

    /// `refusal` in this dialect's words; `id` is the request's, for document 003's envelope.
    fn answer(self, refusal: Refusal, id: Option<&RequestId>) -> Response {
        use axum::http::StatusCode;
        match self {
            Self::Vms => match refusal {
                Refusal::NotFound => vms::VmsError::NotFound,
                Refusal::MethodNotAllowed => vms::VmsError::MethodNotAllowed,
                Refusal::TimedOut => vms::VmsError::Unavailable {
                    retry_after_seconds: 5,
                },
                Refusal::Panicked => vms::VmsError::Internal,
            }
            .into_response(),
            Self::Mgmt => match refusal {
                Refusal::NotFound => mgmt::MgmtError::not_found(),
                Refusal::MethodNotAllowed => mgmt::MgmtError::method_not_allowed(),
                Refusal::TimedOut => mgmt::MgmtError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    "The request took too long.",
                ),
                Refusal::Panicked => mgmt::MgmtError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Internal server error.",
                ),
            }
            .render(id),
            Self::OAuth => match refusal {
                Refusal::NotFound => oauth2::error::OAuthError::NotFound,
                Refusal::MethodNotAllowed => oauth2::error::OAuthError::MethodNotAllowed,
                Refusal::TimedOut => oauth2::error::OAuthError::Unavailable,
                Refusal::Panicked => oauth2::error::OAuthError::Internal,
            }
            .into_response(),
            Self::Pages => match refusal {
                Refusal::NotFound => PageError::NotFound,
                Refusal::MethodNotAllowed => PageError::MethodNotAllowed,
                Refusal::TimedOut => PageError::Unavailable,
                Refusal::Panicked => PageError::Internal,
            }
            .into_response(),
            Self::Account => match refusal {
                Refusal::NotFound => api::error::ApiError::NotFound.into_response(),
                Refusal::MethodNotAllowed => api::error::method_not_allowed(),
                Refusal::TimedOut => api::error::ApiError::TimedOut.into_response(),
                Refusal::Panicked => api::error::internal_error(),
            },
        }
    }
}

async fn not_found(uri: axum::http::Uri, id: Option<Extension<RequestId>>) -> Response {
    Dialect::of(uri.path()).answer(Refusal::NotFound, id.as_deref())
}

async fn method_not_allowed(uri: axum::http::Uri, id: Option<Extension<RequestId>>) -> Response {
    Dialect::of(uri.path()).answer(Refusal::MethodNotAllowed, id.as_deref())
}

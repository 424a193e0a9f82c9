//! CORS for browser applications. The provider's endpoints a browser application calls from
//! JavaScript (discovery, the JWKS, token, userinfo, revocation) answer the origins the
//! tenant's applications redirect to; the account API (`/api`, not document 002's `/api/v1`)
//! answers the origins the tenant lists in `cors_origins`. Each origin by name, never `*`, and
//! without credentials (these take bearer tokens, not cookies); every answer says
//! `Vary: Origin` so caches keep them apart. The pages, `/oauth2/authorize` and
//! `/oauth2/logout` (browser navigations), introspection (server to server) and `/v1` get none.

use crate::common::state::{AppState, HostTenant};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The paths answered.
const PATHS: &[&str] = &[
    "/.well-known/openid-configuration",
    "/oauth2/jwks",
    "/oauth2/token",
    "/oauth2/userinfo",
    "/oauth2/revoke",
];

/// Who decides which origins a path answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Listed {
    /// The tenant's applications' redirect origins.
    ByApplications,
    /// The tenant's `cors_origins`.
    ByTenant,
}

fn listed(path: &str) -> Option<Listed> {
    if PATHS.contains(&path) {
        Some(Listed::ByApplications)
    } else if (path == "/api" || path.starts_with("/api/")) && !path.starts_with("/api/v1/") {
        Some(Listed::ByTenant)
    } else {
        None
    }
}

pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let origin = request.headers().get(ORIGIN).cloned();
    let (Some(origin), Some(listed)) = (origin, listed(path)) else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let tenant = HostTenant::<super::OAuthError>::from_request_parts(&mut parts, &state).await;
    let allowed = match (&tenant, origin.to_str(), listed) {
        (Ok(HostTenant { tenant, .. }), Ok(text), Listed::ByApplications) => state
            .services
            .cors_allows(tenant, text)
            .await
            .unwrap_or(false),
        (Ok(HostTenant { tenant, .. }), Ok(text), Listed::ByTenant) => {
            tenant.settings.cors_origins.iter().any(|o| o == text)
        }
        _ => false,
    };
    let preflight = parts.method == Method::OPTIONS
        && parts.headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight && allowed {
        let mut answer = StatusCode::NO_CONTENT.into_response();
        let headers = answer.headers_mut();
        let methods = match listed {
            Listed::ByApplications => "GET, POST",
            Listed::ByTenant => "GET, POST, PUT, PATCH, DELETE",
        };
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(methods),
        );
        headers.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Authorization, Content-Type, Accept"),
        );
        headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        answer
    } else {
        next.run(Request::from_parts(parts, body)).await
    };
    let headers = response.headers_mut();
    headers.append(VARY, HeaderValue::from_static("Origin"));
    if allowed {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    response
}

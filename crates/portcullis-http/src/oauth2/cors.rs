//! CORS for the endpoints a browser application calls from JavaScript: discovery, the JWKS,
//! the token endpoint, userinfo and revocation. Only origins the tenant's applications
//! redirect to are answered (each by name, never `*`, and without credentials: these endpoints
//! take no cookies), and every answer says `Vary: Origin` so caches keep them apart. The
//! pages, `/oauth2/authorize` and `/oauth2/logout` (browser navigations), introspection (a
//! resource server's, server to server), `/api` and `/v1` get none.

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

pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let origin = request.headers().get(ORIGIN).cloned();
    let (Some(origin), true) = (origin, PATHS.contains(&path)) else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let tenant = HostTenant::<super::OAuthError>::from_request_parts(&mut parts, &state).await;
    let allowed = match (&tenant, origin.to_str()) {
        (Ok(HostTenant { tenant, .. }), Ok(text)) => state
            .services
            .cors_allows(tenant, text)
            .await
            .unwrap_or(false),
        _ => false,
    };
    let preflight = parts.method == Method::OPTIONS
        && parts.headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight && allowed {
        let mut answer = StatusCode::NO_CONTENT.into_response();
        let headers = answer.headers_mut();
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        headers.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Authorization, Content-Type"),
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

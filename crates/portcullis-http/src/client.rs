//! Where a request came from: its peer address and user agent.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use portcullis_core::model::ClientInfo;
use std::convert::Infallible;
use std::net::SocketAddr;

/// The caller's address and agent, for sessions and the audit trail.
pub struct ClientAddr(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        Ok(Self(ClientInfo { ip, user_agent }))
    }
}

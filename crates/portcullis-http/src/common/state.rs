//! What every handler can reach: the services and the HTTP settings.

use crate::common::client::{BehindProxies, TrustedProxies};
use crate::metrics::Metrics;
use portcullis_core::Services;
use std::sync::Arc;
use std::time::Duration;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub http: Arc<HttpSettings>,
    /// `None` when metrics are turned off.
    pub metrics: Option<Arc<Metrics>>,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest uploaded file (an avatar image) accepted, in bytes.
    pub max_upload_bytes: usize,
    /// The externally visible base URL, without a trailing slash; used to build links.
    pub public_url: String,
    /// A request still unanswered after this long gets a 503 in its dialect's shape.
    pub request_timeout: Duration,
    /// Whether `POST /api/sanctum/token` answers (document 000 keeps it off by default).
    pub device_auth_endpoint: bool,
    /// Whether the main router serves `/metrics` (it does not when metrics are off or are
    /// served on their own listener).
    pub metrics_route: bool,
    /// Peers whose `X-Forwarded-For` names the client (see [`ClientAddr`]); empty: none.
    pub trusted_proxies: TrustedProxies,
}

impl AppState {
    pub fn new(services: Services, http: HttpSettings, metrics: bool) -> Self {
        Self {
            metrics: metrics.then(|| Arc::new(Metrics::new(services.clone()))),
            services,
            http: Arc::new(http),
        }
    }
}

impl BehindProxies for AppState {
    fn trusted_proxies(&self) -> &TrustedProxies {
        &self.http.trusted_proxies
    }
}

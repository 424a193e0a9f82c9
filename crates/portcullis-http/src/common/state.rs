//! What every handler can reach: the services and the HTTP settings.

use crate::common::client::{BehindProxies, TrustedProxies};
use crate::metrics::Metrics;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use portcullis_core::model::Tenant;
use portcullis_core::Services;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub http: Arc<HttpSettings>,
    /// `None` when metrics are turned off.
    pub metrics: Option<Arc<Metrics>>,
    /// Discovery documents, rendered once per issuer.
    pub discovery_documents: Arc<RenderedByIssuer>,
}

/// Documents that are a pure function of an issuer, rendered once each. The issuer is the
/// whole input, so a tenant whose domain or scheme changes simply has a new one: nothing is
/// ever stale, and nothing needs forgetting across nodes.
#[derive(Default)]
pub struct RenderedByIssuer(std::sync::Mutex<std::collections::HashMap<String, bytes::Bytes>>);

impl RenderedByIssuer {
    /// Issuers kept at most: past this the map starts over (hosts come from requests).
    const CAPACITY: usize = 1_000;

    /// The document of `issuer`, rendered by `render` the first time.
    pub fn get_or_render(
        &self,
        issuer: &str,
        render: impl FnOnce() -> bytes::Bytes,
    ) -> bytes::Bytes {
        let mut documents = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(document) = documents.get(issuer) {
            return document.clone();
        }
        if documents.len() >= Self::CAPACITY {
            documents.clear();
        }
        let document = render();
        documents.insert(issuer.to_owned(), document.clone());
        document
    }
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
            discovery_documents: Arc::default(),
        }
    }
}

impl BehindProxies for AppState {
    fn trusted_proxies(&self) -> &TrustedProxies {
        &self.http.trusted_proxies
    }
}

/// The tenant the `Host` header names, or the default tenant; when it cannot be found (the
/// database is down), the surface's error `E`.
pub struct HostTenant<E> {
    pub tenant: Tenant,
    dialect: PhantomData<fn() -> E>,
}

impl<E> FromRequestParts<AppState> for HostTenant<E>
where
    E: From<portcullis_core::Error> + IntoResponse,
{
    type Rejection = E;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, E> {
        let host = crate::common::client::host(parts);
        let tenant = state.services.tenant_for_host(host).await?;
        Ok(Self {
            tenant,
            dialect: PhantomData,
        })
    }
}

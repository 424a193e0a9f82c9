//! The operational surface: health probes, Prometheus metrics, and the OpenAPI documents.
//! None needs credentials; none touches a user.

use crate::common::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use bytes::Bytes;
use portcullis_core::health::Check;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every surface's document, serialized once.
pub struct Documents {
    pub api: Document,
    pub mgmt: Document,
    pub oauth2: Document,
    pub ops: Document,
    pub vms: Document,
}

pub struct Document {
    pub openapi: utoipa::openapi::OpenApi,
    json: Bytes,
}

impl Document {
    pub(crate) fn new(mut openapi: utoipa::openapi::OpenApi, public_url: &str) -> Self {
        openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
        openapi.servers = Some(vec![utoipa::openapi::Server::new(public_url)]);
        let json = openapi.to_json().unwrap_or_default().into();
        Self { openapi, json }
    }

    pub fn response(&self) -> Response {
        (
            [(header::CONTENT_TYPE, "application/json")],
            self.json.clone(),
        )
            .into_response()
    }
}

/// How long the readiness probe waits for the database.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(OpenApi)]
#[openapi(info(
    title = "Portcullis operations",
    description = "Health probes, metrics and the API documents. No credentials needed.",
))]
struct OpsDoc;

/// The operational routes; `/metrics` only when `with_metrics`.
pub fn routes(with_metrics: bool) -> OpenApiRouter<AppState> {
    let router = OpenApiRouter::with_openapi(OpsDoc::openapi())
        .routes(routes!(live))
        .routes(routes!(ready))
        .routes(routes!(api_document))
        .routes(routes!(oauth2_document))
        .routes(routes!(mgmt_document))
        .routes(routes!(vms_document))
        .routes(routes!(ops_document));
    if with_metrics {
        router.merge(metrics_routes())
    } else {
        router
    }
}

/// `/metrics` alone, for its own listener.
pub fn metrics_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(OpsDoc::openapi()).routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when a check failed.
    #[schema(example = "ok")]
    status: &'static str,
    /// Each check: `ok`, `failed`, or `skipped` (when an earlier check failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<Checks>,
}

#[derive(Serialize, ToSchema)]
pub struct Checks {
    #[schema(example = "ok")]
    database: &'static str,
    #[schema(example = "ok")]
    migrations: &'static str,
}

/// The process is up; does no I/O.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "health",
    responses((status = 200, description = "Alive", body = Health)),
)]
pub async fn live() -> Json<Health> {
    Json(Health {
        status: "ok",
        checks: None,
    })
}

/// The database answers within 2 s and has every migration this binary carries.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "A check failed; the log says why", body = Health),
    ),
)]
pub async fn ready(State(state): State<AppState>) -> Response {
    let readiness = state.services.readiness(READY_TIMEOUT).await;
    let label = |check: &Check, name: &str| match check {
        Check::Ok => "ok",
        Check::Skipped => "skipped",
        Check::Failed(reason) => {
            // The reason may name hosts or tables: logged, not shown.
            tracing::warn!(check = name, %reason, "readiness check failed");
            "failed"
        }
    };
    let checks = Checks {
        database: label(&readiness.database, "database"),
        migrations: label(&readiness.migrations, "migrations"),
    };
    let (status, text) = if readiness.is_ready() {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    let body = Health {
        status: text,
        checks: Some(checks),
    };
    (status, Json(body)).into_response()
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "metrics",
    responses((
        status = 200,
        description = "Requests by route, latencies, pools, token cache, logins",
        content_type = "application/openmetrics-text",
        body = String,
    )),
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(metrics) => (
            [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
            metrics.render(),
        )
            .into_response(),
        None => crate::api::error::ApiError::NotFound.into_response(),
    }
}

/// The OpenAPI 3.1 document of the account API (`/api`).
#[utoipa::path(
    get,
    path = "/openapi/api.json",
    tag = "openapi",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")),
)]
pub async fn api_document(Extension(documents): Extension<Arc<Documents>>) -> Response {
    documents.api.response()
}

/// The OpenAPI 3.1 document of this operational surface.
#[utoipa::path(
    get,
    path = "/openapi/ops.json",
    tag = "openapi",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")),
)]
pub async fn ops_document(Extension(documents): Extension<Arc<Documents>>) -> Response {
    documents.ops.response()
}

/// The OpenAPI 3.1 document of the OAuth 2.0 endpoints (`/oauth2`).
#[utoipa::path(
    get,
    path = "/openapi/oauth2.json",
    tag = "openapi",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")),
)]
pub async fn oauth2_document(Extension(documents): Extension<Arc<Documents>>) -> Response {
    documents.oauth2.response()
}

/// The OpenAPI 3.1 document of document 002's VMS client API (`/api/v1`).
#[utoipa::path(
    get,
    path = "/openapi/vms.json",
    tag = "openapi",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")),
)]
pub async fn vms_document(Extension(documents): Extension<Arc<Documents>>) -> Response {
    documents.vms.response()
}

/// The OpenAPI 3.1 document of the management API (`/v1`, document 003).
#[utoipa::path(
    get,
    path = "/openapi/mgmt.json",
    tag = "openapi",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")),
)]
pub async fn mgmt_document(Extension(documents): Extension<Arc<Documents>>) -> Response {
    documents.mgmt.response()
}

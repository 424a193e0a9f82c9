//! Document 003's management API under `/v1`: tenants, applications, users and their
//! credentials, for services holding an API key (`portcullis api-key create`). Objects carry a
//! `type`; lists come in a `List` envelope; errors in an `Error` envelope whose `uuid` is the
//! request id.

mod applications;
mod credentials;
mod error;
mod extract;
mod json;
mod list;
mod routes;
mod tenants;
mod users;

pub use error::{field_message, MgmtError};

use crate::common::state::AppState;
use axum::middleware;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// The security scheme of API keys.
pub const API_KEY: &str = "api_key";

/// The schema name of the `Error` envelope.
pub const ERROR_SCHEMA: &str = "Error";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis management API",
        description = "Document 003: tenants, applications, users and credentials. Authenticate with `Authorization: Bearer <API key>`.",
    ),
    modifiers(&ApiKeyScheme),
)]
struct MgmtDoc;

struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The surface's routes with their OpenAPI document, as its table ([`routes::ROUTES`]) lists them.
pub fn routes() -> OpenApiRouter<AppState> {
    crate::common::route_table::router(MgmtDoc::openapi(), routes::ROUTES, routes::handlers())
        .layer(middleware::from_fn(error::with_uuid))
}

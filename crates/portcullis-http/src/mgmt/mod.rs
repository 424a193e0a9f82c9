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
mod tenants;
mod users;

pub use error::{field_message, MgmtError};

use crate::AppState;
use axum::middleware;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(MgmtDoc::openapi())
        .routes(routes!(tenants::list, tenants::create))
        .routes(routes!(tenants::show, tenants::update))
        .routes(routes!(applications::list, applications::create))
        .routes(routes!(
            applications::show,
            applications::update,
            applications::delete
        ))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::show, users::update, users::delete))
        .routes(routes!(credentials::list, credentials::create))
        .routes(routes!(
            credentials::show,
            credentials::update,
            credentials::delete
        ))
        .layer(middleware::from_fn(error::with_uuid))
}

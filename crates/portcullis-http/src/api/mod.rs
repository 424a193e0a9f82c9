//! The account API of document 001, under `/api`.

mod admin;
mod auth;
mod avatar;
mod device;
pub mod error;
mod extract;
mod json;
/// A body read field by field, refused in this surface's shape.
pub(crate) type Input = crate::common::laravel::Input<error::ApiError>;
mod me;
mod page;
mod passkeys;
mod password;
mod profile;
mod registration;
mod roles;
mod routes;
pub mod schema;
mod scopes;
mod sessions;
mod tokens;
mod two_factor;
mod user_account;
mod users;

use crate::common::state::AppState;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// The security scheme of the account API's tokens.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis account API",
        description = "Document 001: logins, registration, password resets, the current user, and reference data.",
    ),
    modifiers(&BearerScheme),
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The surface's routes with their OpenAPI document, as its table ([`routes::ROUTES`]) lists them.
pub fn routes() -> OpenApiRouter<AppState> {
    crate::common::route_table::router(ApiDoc::openapi(), routes::ROUTES, routes::handlers())
}

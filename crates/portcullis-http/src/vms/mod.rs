//! Document 002's "VMS Client API", under `/api/v1`: the captcha and the session-limited
//! token endpoint. Errors use its shapes (see [`VmsError`]).

mod captcha;
mod error;
mod extract;
mod routes;
mod token;

pub use error::VmsError;
pub use extract::HostTenant;

use crate::common::state::AppState;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The schema name of `{"message": "..."}`, for the errors every operation may answer.
pub const ERROR_SCHEMA: &str = "VmsError";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis VMS client API",
        description = "Document 002: a captcha, and an access token for a login and password. Errors are `{\"message\": \"...\"}`, and for 422 `{\"message\": \"The given data was invalid.\", \"errors\": {\"field\": [\"...\"]}}`.",
    ),
    components(schemas(error::MessageJson, error::ValidationJson))
)]
struct VmsDoc;

/// The surface's routes with their OpenAPI document, as its table ([`routes::ROUTES`]) lists them.
pub fn routes() -> OpenApiRouter<AppState> {
    crate::common::route_table::router(VmsDoc::openapi(), routes::ROUTES, routes::handlers())
}

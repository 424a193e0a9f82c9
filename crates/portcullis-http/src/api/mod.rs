//! The account API of document 001, under `/api`.

mod admin;
mod auth;
mod avatar;
mod device;
pub mod error;
mod extract;
pub(crate) mod input;
pub(crate) use input::Input;
mod json;
pub(crate) use json::timestamp;
mod me;
mod page;
mod password;
mod profile;
mod registration;
mod roles;
mod route_scopes;
pub mod schema;
mod scopes;
mod sessions;
mod tokens;
mod two_factor;
mod user_account;
mod users;

use crate::AppState;
pub use route_scopes::RouteScopes;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The security scheme name the operations' `security(("bearer" = []))` refer to.
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

/// The surface's routes with their OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::second_factor))
        .routes(routes!(auth::social))
        .routes(routes!(auth::logout))
        .routes(routes!(device::token))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(tokens::rotate))
        .routes(routes!(tokens::current))
        .routes(routes!(scopes::list, scopes::create))
        .routes(routes!(scopes::delete))
        .routes(routes!(me::show))
        .routes(routes!(profile::update_details))
        .routes(routes!(profile::update_credentials))
        .routes(routes!(avatar::upload))
        .routes(routes!(avatar::external))
        .routes(routes!(avatar::serve))
        .routes(routes!(two_factor::enable, two_factor::disable))
        .routes(routes!(two_factor::verify))
        .routes(routes!(two_factor::recovery_codes))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::show, users::update, users::delete))
        .routes(routes!(
            user_account::upload_avatar,
            user_account::remove_avatar
        ))
        .routes(routes!(user_account::external_avatar))
        .routes(routes!(
            user_account::enable_two_factor,
            user_account::disable_two_factor
        ))
        .routes(routes!(sessions::mine))
        .routes(routes!(sessions::of_user))
        .routes(routes!(sessions::show, sessions::end))
        .routes(routes!(sessions::log))
        .routes(routes!(sessions::user_log))
        .routes(routes!(me::countries))
        .routes(routes!(admin::stats))
        .routes(routes!(admin::show_settings, admin::update_settings))
        .routes(routes!(roles::list_roles, roles::create_role))
        .routes(routes!(
            roles::show_role,
            roles::update_role,
            roles::delete_role
        ))
        .routes(routes!(
            roles::role_permissions,
            roles::sync_role_permissions
        ))
        .routes(routes!(roles::list_permissions, roles::create_permission))
        .routes(routes!(
            roles::show_permission,
            roles::update_permission,
            roles::delete_permission
        ))
        .routes(routes!(registration::register))
        .routes(routes!(registration::verify_email))
        .routes(routes!(password::remind))
        .routes(routes!(password::reset))
}

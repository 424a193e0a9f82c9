//! The OAuth 2.0 and OpenID Connect endpoints: provider discovery and the JWKS (public), the
//! code flow (authorize, token, userinfo, RP-initiated logout), and what resource servers call
//! about tokens: introspection (RFC 7662) and revocation (RFC 7009), with an API key; and
//! clients registering themselves (RFC 7591, RFC 7592). Errors
//! use RFC 6749's shape; the browser-facing endpoints show an HTML page where no application
//! can be told.

mod authorize;
pub(crate) mod cors;
mod device;
mod discovery;
pub(crate) mod error;
mod introspect;
mod logout;
mod page;
mod registration;
mod routes;
mod token;
mod userinfo;

pub use error::OAuthError;

use crate::common::state::AppState;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// The security scheme of API keys.
pub const API_KEY: &str = "api_key";
/// The security scheme of access tokens.
pub const ACCESS_TOKEN: &str = "access_token";
/// The security scheme of registration access tokens (RFC 7592).
pub const REGISTRATION_TOKEN: &str = "registration_access_token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis OAuth 2.0 and OpenID Connect endpoints",
        description = "OpenID Provider discovery (`/.well-known/openid-configuration`, per tenant by `Host`) and the signing keys (`/oauth2/jwks`). Token introspection (RFC 7662) and revocation (RFC 7009) for resource servers, which authenticate with an API key (`portcullis api-key create`): `Authorization: Bearer <key>`, or HTTP Basic with the key as the password (or `pcsk_<id>` and the secret as client id and secret).",
    ),
    modifiers(&ApiKeyScheme),
)]
struct OAuthDoc;

struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("An API key, `pcsk_…`".to_owned());
        components.add_security_scheme(API_KEY, SecurityScheme::Http(scheme));
        let mut access = Http::new(HttpAuthScheme::Bearer);
        access.description = Some("An access token from /oauth2/token".to_owned());
        components.add_security_scheme(ACCESS_TOKEN, SecurityScheme::Http(access));
        let mut registration = Http::new(HttpAuthScheme::Bearer);
        registration.description = Some(
            "A registered client's registration access token, from POST /oauth2/register"
                .to_owned(),
        );
        components.add_security_scheme(REGISTRATION_TOKEN, SecurityScheme::Http(registration));
    }
}

/// The surface's routes with their OpenAPI document, as its table ([`routes::ROUTES`]) lists them.
pub fn routes() -> OpenApiRouter<AppState> {
    crate::common::route_table::router(OAuthDoc::openapi(), routes::ROUTES, routes::handlers())
}

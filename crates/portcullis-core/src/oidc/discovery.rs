//! The OpenID Provider metadata (OpenID Connect Discovery 1.0 §3) of a tenant.

use crate::model::{Tenant, TenantSettings};
use crate::services::Services;

/// Where the provider's endpoints are, relative to the issuer.
pub const AUTHORIZATION_PATH: &str = "/oauth2/authorize";
pub const TOKEN_PATH: &str = "/oauth2/token";
pub const USERINFO_PATH: &str = "/oauth2/userinfo";
pub const JWKS_PATH: &str = "/oauth2/jwks";
pub const END_SESSION_PATH: &str = "/oauth2/logout";
pub const INTROSPECTION_PATH: &str = "/oauth2/introspect";
pub const REVOCATION_PATH: &str = "/oauth2/revoke";
/// Dynamic client registration (RFC 7591); each registered client is managed at
/// `<this>/<client_id>` (RFC 7592).
pub const REGISTRATION_PATH: &str = "/oauth2/register";
pub const DEVICE_AUTHORIZATION_PATH: &str = "/oauth2/device_authorization";
/// The hosted page where a person enters a device's user code.
pub const DEVICE_PAGE_PATH: &str = "/device";

/// A tenant's provider metadata; each surface renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// The tenant's public origin, no trailing slash.
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    pub end_session_endpoint: String,
    pub introspection_endpoint: String,
    pub revocation_endpoint: String,
    pub registration_endpoint: String,
    pub device_authorization_endpoint: String,
    pub response_types_supported: &'static [&'static str],
    pub response_modes_supported: &'static [&'static str],
    pub grant_types_supported: &'static [&'static str],
    pub subject_types_supported: &'static [&'static str],
    pub id_token_signing_alg_values_supported: &'static [&'static str],
    pub token_endpoint_auth_methods_supported: &'static [&'static str],
    pub code_challenge_methods_supported: &'static [&'static str],
    pub scopes_supported: &'static [&'static str],
    pub claims_supported: &'static [&'static str],
    /// `acr` values ID tokens may carry.
    pub acr_values_supported: &'static [&'static str],
    /// Request objects (`request`, `request_uri`) are not taken.
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    /// Back-Channel Logout 1.0: logout tokens are sent, and always carry `sid`.
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
}

impl Discovery {
    pub fn for_issuer(issuer: String) -> Self {
        let at = |path: &str| format!("{issuer}{path}");
        Self {
            authorization_endpoint: at(AUTHORIZATION_PATH),
            token_endpoint: at(TOKEN_PATH),
            userinfo_endpoint: at(USERINFO_PATH),
            jwks_uri: at(JWKS_PATH),
            end_session_endpoint: at(END_SESSION_PATH),
            introspection_endpoint: at(INTROSPECTION_PATH),
            revocation_endpoint: at(REVOCATION_PATH),
            registration_endpoint: at(REGISTRATION_PATH),
            device_authorization_endpoint: at(DEVICE_AUTHORIZATION_PATH),
            issuer,
            response_types_supported: &["code"],
            response_modes_supported: &["query", "form_post"],
            grant_types_supported: &[
                "authorization_code",
                "refresh_token",
                "client_credentials",
                super::grants::DEVICE_CODE_GRANT,
            ],
            subject_types_supported: &["public"],
            id_token_signing_alg_values_supported: &["RS256", "EdDSA"],
            // `none`: public clients (metadata `token_endpoint_auth_method: none`), with PKCE.
            token_endpoint_auth_methods_supported: &[
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            code_challenge_methods_supported: &["S256"],
            // Refresh tokens are always issued and live as long as the sign-in they were
            // issued in, so there is no `offline_access`.
            scopes_supported: &["openid", "profile", "email"],
            claims_supported: &[
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "amr",
                "acr",
                "nonce",
                "azp",
                "at_hash",
                "sid",
                "name",
                "given_name",
                "family_name",
                "preferred_username",
                "email",
                "email_verified",
                "updated_at",
            ],
            acr_values_supported: &["phr"],
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
        }
    }
}

/// Whether a host (no port) is this machine, where plain HTTP is the norm.
fn is_localhost(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost") || host == "127.0.0.1" || host == "[::1]"
}

/// A tenant's issuer: `https://<domain>` for a tenant with a domain (`http://` in developer
/// mode, or for a localhost domain reached over plain HTTP); otherwise `public_url`.
pub fn issuer(tenant: &Tenant, public_url: &str, plain_http: bool) -> String {
    public_origin(&tenant.settings, public_url, plain_http)
}

/// The origin a tenant with these settings is served at (its issuer): where the links in its
/// mails must point, since its tokens are good on its own host only.
pub fn public_origin(settings: &TenantSettings, public_url: &str, plain_http: bool) -> String {
    match &settings.domain {
        Some(domain) => {
            let scheme = if settings.developer_mode || (plain_http && is_localhost(domain)) {
                "http"
            } else {
                "https"
            };
            format!("{scheme}://{domain}")
        }
        None => public_url.trim_end_matches('/').to_owned(),
    }
}

impl Services {
    /// Where a tenant with these settings is reached, for the links in its mails (which cannot
    /// tell whether the person will come over plain HTTP).
    pub(crate) fn public_origin(&self, settings: &TenantSettings) -> String {
        public_origin(settings, &self.public_url, false)
    }

    /// The origin `tenant` is served at, reached over plain HTTP or not: its issuer, and its
    /// WebAuthn relying party.
    pub fn origin_of(&self, tenant: &Tenant, plain_http: bool) -> String {
        issuer(tenant, &self.public_url, plain_http)
    }

    /// The provider metadata of `tenant`, reached over plain HTTP or not.
    pub fn discovery(&self, tenant: &Tenant, plain_http: bool) -> Discovery {
        Discovery::for_issuer(issuer(tenant, &self.public_url, plain_http))
    }
}

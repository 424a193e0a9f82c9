//! Applications as OAuth clients: which are public, which algorithm signs their ID tokens, and
//! how a client proves who it is at the token endpoint.

use super::error::{refused, ErrorCode, OAuthResult};
use crate::error::Result;
use crate::ids::{Secret, TenantId};
use crate::model::{Algorithm, Application, KnownClient, Tenant, User};
use crate::services::Services;
use std::sync::Arc;

/// The metadata key (OIDC Dynamic Client Registration's field name) whose value `none` makes
/// an application a public client: it holds no secret, and must use PKCE.
pub const AUTH_METHOD_KEY: &str = "token_endpoint_auth_method";
/// The metadata key choosing the ID-token algorithm: `EdDSA`, or `RS256` (the default).
pub const ID_TOKEN_ALG_KEY: &str = "id_token_signed_response_alg";

/// The metadata key bounding the scopes the application may ask for with `client_credentials`
/// (space-separated, as OAuth writes scopes). Without it, it gets none of the tenant's.
pub const ALLOWED_SCOPES_KEY: &str = "allowed_scopes";
/// The metadata key naming the roles (space-separated) whose users may sign in to the
/// application. Without it, every user of the tenant may.
pub const ALLOWED_ROLES_KEY: &str = "allowed_roles";
/// The metadata key whose value `"true"` marks an application its tenant does not run (every
/// self-registered one): the person is asked before it gets anything.
pub const THIRD_PARTY_KEY: &str = "third_party";
/// The metadata key whose value `"true"` lets the application use the device authorization
/// grant (RFC 8628, `urn:ietf:params:oauth:grant-type:device_code`): a device without a
/// browser, approved by a person signed in elsewhere.
pub const DEVICE_FLOW_KEY: &str = "device_flow";
/// The metadata key (OIDC registration's name) of the URL back-channel logout tokens go to.
pub const BACKCHANNEL_LOGOUT_URI_KEY: &str = "backchannel_logout_uri";
/// The metadata key (OIDC registration's name), `"true"` or `"false"`: whether logout tokens
/// sent to the application must carry `sid`.
pub const BACKCHANNEL_LOGOUT_SESSION_REQUIRED_KEY: &str = "backchannel_logout_session_required";

/// The metadata key keeping a registered client's grant types, space-separated.
pub const GRANT_TYPES_KEY: &str = "grant_types";

/// Metadata keys that grant an application something (scopes, roles, a flow) or say how far
/// it is trusted: only the tenant's operators set them, never a self-registering client.
pub const OPERATOR_KEYS: [&str; 4] = [
    ALLOWED_SCOPES_KEY,
    ALLOWED_ROLES_KEY,
    THIRD_PARTY_KEY,
    DEVICE_FLOW_KEY,
];

/// Whether the application may use the device authorization grant.
pub fn uses_device_flow(application: &Application) -> bool {
    application
        .metadata
        .get(DEVICE_FLOW_KEY)
        .is_some_and(|value| value == "true")
}

/// The scopes the application may hold for itself.
pub fn allowed_scopes(application: &Application) -> Vec<&str> {
    application
        .metadata
        .get(ALLOWED_SCOPES_KEY)
        .map(|scopes| scopes.split_ascii_whitespace().collect())
        .unwrap_or_default()
}

/// Whether the application is a public client (a browser or native app without a secret).
pub fn is_public(application: &Application) -> bool {
    application
        .metadata
        .get(AUTH_METHOD_KEY)
        .is_some_and(|method| method == "none")
}

/// The algorithm the application's ID tokens are signed with.
pub fn id_token_algorithm(application: &Application) -> Algorithm {
    application
        .metadata
        .get(ID_TOKEN_ALG_KEY)
        .and_then(|name| Algorithm::parse(name))
        .unwrap_or(Algorithm::Rs256)
}

/// What a client sent to prove who it is: HTTP Basic, or `client_id` (and `client_secret`)
/// in the form.
#[derive(Debug, Default)]
pub struct ClientCredentials {
    pub basic: Option<(String, Secret)>,
    pub form_id: Option<String>,
    pub form_secret: Option<Secret>,
}

impl Services {
    /// Whether `user` may sign in to `application` (its `allowed_roles`, when it has one).
    pub async fn may_use_application(
        &self,
        application: &Application,
        user: &User,
    ) -> Result<bool> {
        let Some(allowed) = application.metadata.get(ALLOWED_ROLES_KEY) else {
            return Ok(true);
        };
        let role = self.store.role(&user.tenant_id, user.role_id).await?;
        Ok(role.is_some_and(|role| {
            allowed
                .split_ascii_whitespace()
                .any(|name| name == role.name)
        }))
    }

    /// The tenant's application the credentials name: a confidential client with its right
    /// secret (`client_secret_basic` or `client_secret_post`), or a public client by its id
    /// alone. Anything else is `invalid_client`.
    pub async fn authenticate_client(
        &self,
        tenant: &Tenant,
        credentials: &ClientCredentials,
    ) -> OAuthResult<Application> {
        let (id, secret) = match (&credentials.basic, &credentials.form_id) {
            (Some(_), Some(_)) if credentials.form_secret.is_some() => {
                return refused(
                    ErrorCode::InvalidRequest,
                    "Use one client authentication method, not two.",
                )
            }
            (Some((id, _)), Some(form_id)) if id != form_id => {
                return refused(
                    ErrorCode::InvalidRequest,
                    "client_id differs from the one in the Authorization header.",
                )
            }
            (Some((id, secret)), _) => (id.as_str(), Some(secret)),
            (None, Some(id)) => (id.as_str(), credentials.form_secret.as_ref()),
            (None, None) => return refused(ErrorCode::InvalidClient, CLIENT_AUTH_FAILED),
        };
        let Some(known) = self.known_client(&tenant.id, id).await? else {
            return refused(ErrorCode::InvalidClient, CLIENT_AUTH_FAILED);
        };
        let authenticated = match secret {
            Some(secret) => known.secret_matches(secret.expose()),
            None => is_public(&known.application),
        };
        if !authenticated {
            return refused(ErrorCode::InvalidClient, CLIENT_AUTH_FAILED);
        }
        Ok(known.application.clone())
    }

    /// The tenant's application `client_id` as clients present themselves, remembered
    /// between requests (see [`KnownClient`]).
    pub(crate) async fn known_client(
        &self,
        tenant: &TenantId,
        client_id: &str,
    ) -> Result<Option<Arc<KnownClient>>> {
        let now = self.now();
        if let Some(known) = self.principals.client(tenant, client_id, now) {
            return Ok(Some(known));
        }
        let epoch = self.principals.epoch();
        let Some(application) = self.store.application(tenant, client_id).await? else {
            return Ok(None);
        };
        let secret = self.opened(application.clone())?.secret;
        let known = Arc::new(KnownClient::new(application, &secret));
        self.principals.put_client(Arc::clone(&known), now, epoch);
        Ok(Some(known))
    }
}

const CLIENT_AUTH_FAILED: &str = "Client authentication failed: unknown client, wrong secret, or no secret for a confidential client.";

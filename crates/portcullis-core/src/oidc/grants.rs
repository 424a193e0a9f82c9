//! What the code flow stores: grants (one authorization of an application by a person in a
//! session, and the family of tokens it leads to), their codes and refresh tokens, and the
//! tokens applications get for themselves (`client_credentials`). Secrets are kept as SHA-256
//! hashes only.

use crate::ids::{SessionId, TenantId, UserId};
use time::{Duration, OffsetDateTime};

/// How long an authorization code may wait for its redemption.
pub const CODE_LIFETIME: Duration = Duration::seconds(60);
/// How long an access token lives (never past its session).
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::hours(1);
/// Length of codes and refresh tokens (base62): about 256 bits.
pub const SECRET_LEN: usize = 43;
/// The scopes an application may be granted for a person: the OpenID Connect ones. Other
/// requested scopes are ignored (OIDC Core §5.4), so no application gets a Portcullis API
/// scope through the code flow.
pub const OIDC_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// One authorization: the family of every token a code leads to.
#[derive(Debug, Clone)]
pub struct Grant {
    pub id: String,
    pub tenant_id: TenantId,
    pub application_id: String,
    pub user_id: UserId,
    /// The browser session the person signed in with; refresh works while it lives.
    pub session_id: SessionId,
    pub scopes: Vec<String>,
    /// When the person signed in (OIDC `auth_time`).
    pub auth_time: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// An authorization code as stored.
#[derive(Debug, Clone)]
pub struct StoredCode {
    pub code_hash: String,
    pub grant_id: String,
    pub redirect_uri: String,
    pub nonce: Option<String>,
    /// The PKCE S256 challenge, when the client sent one.
    pub code_challenge: Option<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// Set by the one redemption that won.
    pub used_at: Option<OffsetDateTime>,
}

/// A refresh token as stored.
#[derive(Debug, Clone)]
pub struct StoredRefreshToken {
    pub secret_hash: String,
    pub grant_id: String,
    pub created_at: OffsetDateTime,
    /// Set when it was exchanged for a new one (rotation).
    pub used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A token an application holds for itself (`client_credentials`): no user, no session.
#[derive(Debug, Clone)]
pub struct ClientToken {
    /// Assigned by the store.
    pub id: i64,
    pub tenant_id: TenantId,
    pub application_id: String,
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

impl ClientToken {
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// Client tokens look like `cc_<id>|<secret>`, so they never pass for a user's token.
pub const CLIENT_TOKEN_PREFIX: &str = "cc_";

/// A fresh random secret (a code or a refresh token) and its hash.
pub(crate) fn new_secret() -> (String, String) {
    let secret = crate::random::base62(SECRET_LEN);
    let hash = crate::tokens::hash_secret(&secret);
    (secret, hash)
}

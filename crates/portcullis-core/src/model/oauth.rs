//! What the code flow stores: grants, their codes and refresh tokens, and applications' own tokens.

use crate::ids::{SessionId, TenantId, UserId};
use time::OffsetDateTime;

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

/// A device authorization request (RFC 8628) as stored: its two codes only as hashes.
#[derive(Debug, Clone)]
pub struct DeviceCode {
    pub device_code_hash: String,
    pub tenant_id: TenantId,
    pub application_id: String,
    /// The hash of the user code, normalised (see `oidc::device::normalize_user_code`).
    pub user_code_hash: String,
    pub scopes: Vec<String>,
    /// Where the device asked from.
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// Seconds the device must wait between polls.
    pub interval_seconds: i64,
    pub last_polled_at: Option<OffsetDateTime>,
    /// Set by approval.
    pub grant_id: Option<String>,
    pub denied_at: Option<OffsetDateTime>,
    /// Set by the one redemption that won.
    pub redeemed_at: Option<OffsetDateTime>,
}

/// A revocation of one JWT access token, as stored.
#[derive(Debug, Clone)]
pub struct RevokedJwt {
    pub jti: String,
    pub tenant_id: TenantId,
    /// The token's own expiry: the entry matters until then.
    pub expires_at: OffsetDateTime,
    pub revoked_at: OffsetDateTime,
}

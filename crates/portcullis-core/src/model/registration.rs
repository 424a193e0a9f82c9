//! Dynamic client registration (RFC 7591, RFC 7592): the tokens that let a stranger register an
//! application, and the record binding a self-registered application to its own token.

use crate::ids::TenantId;
use time::OffsetDateTime;

/// An initial access token an operator handed out: it registers applications in one tenant.
#[derive(Debug, Clone)]
pub struct RegistrationToken {
    pub id: String,
    pub tenant_id: TenantId,
    pub secret_hash: String,
    pub created_at: OffsetDateTime,
    /// `None`: good until revoked.
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

impl RegistrationToken {
    /// Whether it may still register applications at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }
}

/// An application that registered itself, and the hash of its registration access token.
#[derive(Debug, Clone)]
pub struct ClientRegistration {
    pub application_id: String,
    pub tenant_id: TenantId,
    pub access_token_hash: String,
    pub created_at: OffsetDateTime,
}

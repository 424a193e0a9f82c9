//! Mailed single-use tokens: email confirmation and password resets.

use crate::ids::TenantId;
use time::OffsetDateTime;

/// What a mailed single-use token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    PasswordReset,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify-email",
            Self::PasswordReset => "password-reset",
        }
    }
}

/// A single-use token to store; only the hash of its secret.
#[derive(Debug, Clone)]
pub struct NewOneTimeToken {
    pub tenant_id: TenantId,
    pub purpose: TokenPurpose,
    pub secret_hash: String,
    /// For an email verification: the new address it confirms, which replaces the account's
    /// when it is used (the account keeps its old one until then). `None` confirms the
    /// account's current address.
    pub email: Option<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

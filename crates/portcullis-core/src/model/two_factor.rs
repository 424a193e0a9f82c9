//! The records of two-factor authentication.

use crate::ids::{TenantId, UserId};
use time::OffsetDateTime;

/// How a user proves the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// An authenticator app (RFC 6238 codes).
    Totp,
    /// A code mailed at each login.
    Email,
    /// A code sent by text message at each login.
    Phone,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Email => "email",
            Self::Phone => "phone",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "totp" => Some(Self::Totp),
            "email" => Some(Self::Email),
            "phone" => Some(Self::Phone),
            _ => None,
        }
    }
}

/// A user's second factor as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct TwoFactor {
    pub user_id: UserId,
    pub method: Method,
    /// Base32; only for TOTP.
    pub totp_secret: Option<String>,
    /// The last TOTP time step accepted; a code is good once.
    pub last_totp_step: Option<i64>,
    /// `None` while a TOTP enrolment waits for its first code.
    pub confirmed_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for TwoFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactor")
            .field("user_id", &self.user_id)
            .field("method", &self.method)
            .field("totp_secret", &self.totp_secret.as_ref().map(|_| "***"))
            .field("confirmed_at", &self.confirmed_at)
            .finish()
    }
}

/// A second factor to set up.
#[derive(Clone)]
pub struct NewTwoFactor {
    pub method: Method,
    pub totp_secret: Option<String>,
    /// For [`Method::Phone`]: country calling code and number.
    pub phone: Option<(i64, String)>,
    /// Active at once (email, phone) or once its first code is confirmed (TOTP).
    pub confirmed: bool,
}

/// A login waiting for its second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// Hash of the code sent by mail or text message; `None` for TOTP.
    pub code_hash: Option<String>,
    /// The client the session will be for.
    pub client: String,
    /// How the person proved who they are so far (the first factor's `amr`).
    pub amr: Vec<String>,
    pub attempts: i64,
    pub expires_at: OffsetDateTime,
    pub used: bool,
}

/// A challenge to store.
#[derive(Debug, Clone)]
pub struct NewChallenge {
    pub id_hash: String,
    pub challenge: Challenge,
    pub created_at: OffsetDateTime,
}

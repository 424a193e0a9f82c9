//! Passkeys and security keys (WebAuthn credentials), and the ceremonies that create and use
//! them.

use crate::ids::{PasskeyId, SessionId, TenantId, UserId};
use crate::model::Metadata;
use time::OffsetDateTime;

/// A registered passkey. `credential` is the verifier's own record of it (public key,
/// counter, flags), kept whole so the verifier reads back exactly what it wrote; the columns
/// beside it are what people and the management API see and search by.
#[derive(Debug, Clone, PartialEq)]
pub struct Passkey {
    pub id: PasskeyId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub name: String,
    /// The authenticator's credential id, base64url: unique within the tenant.
    pub credential_id: String,
    /// The WebAuthn user handle this credential was created for (the same for all of a
    /// user's passkeys): how a discoverable sign-in names its user.
    pub user_handle: String,
    /// The verifier's serialised credential (JSON); public material only.
    pub credential: String,
    /// The authenticator model's AAGUID, as a UUID string (all zeros when it does not say).
    pub aaguid: String,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backed_up: bool,
    pub disabled: bool,
    pub metadata: Metadata,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

/// A passkey to store; the store assigns `id`.
#[derive(Debug, Clone)]
pub struct NewPasskey {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub name: String,
    pub credential_id: String,
    pub user_handle: String,
    pub credential: String,
    pub aaguid: String,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backed_up: bool,
    pub created_at: OffsetDateTime,
}

/// What a successful use of a passkey changes on it.
#[derive(Debug, Clone)]
pub struct PasskeyUse {
    pub credential: String,
    pub sign_count: i64,
    pub backed_up: bool,
    pub backup_eligible: bool,
    pub at: OffsetDateTime,
}

/// What a WebAuthn ceremony is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    /// Adding a passkey to the account of the session that asked.
    Register,
    /// Signing in with a discoverable passkey: nobody is named until it answers.
    SignIn,
    /// A passkey or security key answering a login's second-factor challenge.
    SecondFactor,
}

impl Ceremony {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::SignIn => "sign_in",
            Self::SecondFactor => "second_factor",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "register" => Some(Self::Register),
            "sign_in" => Some(Self::SignIn),
            "second_factor" => Some(Self::SecondFactor),
            _ => None,
        }
    }
}

/// A ceremony begun and not yet finished: the challenge the browser signs and the verifier's
/// state for it. Kept in the database so any node may finish what another began; taken once.
#[derive(Debug, Clone, PartialEq)]
pub struct WebauthnChallenge {
    /// Hex SHA-256 of the handle the client holds; the handle itself is never stored.
    pub id_hash: String,
    pub tenant_id: TenantId,
    pub ceremony: Ceremony,
    /// Whose ceremony it is, where that is known when it begins.
    pub user_id: Option<UserId>,
    /// The login session that asked (registration), so another session cannot finish it.
    pub session_id: Option<SessionId>,
    /// What the ceremony is bound to besides: a second-factor challenge's hash, or the
    /// browser's CSRF secret for a page sign-in.
    pub binding: Option<String>,
    /// The verifier's serialised ceremony state (JSON).
    pub state: String,
    pub expires_at: OffsetDateTime,
}

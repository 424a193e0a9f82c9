//! The domain's errors. Each surface maps them to its own dialect once, with `From`.

use crate::field::{FieldError, Rule};
use std::fmt;
use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    /// Wrong login or password; deliberately says nothing about which.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The account exists and the password was right, but an administrator banned it.
    #[error("account is banned")]
    Banned,
    /// The password was right, but the tenant requires a confirmed email address first.
    #[error("email address not confirmed")]
    EmailNotConfirmed,
    /// A mailed single-use token that is unknown, used up or expired.
    #[error("invalid or expired token")]
    InvalidToken,
    /// No valid bearer credential: missing, malformed, unknown, revoked or expired.
    #[error("unauthenticated")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    /// Allowed in general, but not this: the message is shown to the caller.
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error("not found")]
    NotFound,
    /// The request cannot be done in the resource's current state (e.g. enabling 2FA twice);
    /// the message is shown to the caller.
    #[error("{0}")]
    Conflict(&'static str),
    /// Input that breaks domain rules: every failing field with its rule, in the order found.
    /// Each surface words them (see [`crate::field`]).
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Too much work is already waiting (the password-hash queue is full); try again later.
    #[error("overloaded; retry in {retry_after_seconds} s")]
    Overloaded { retry_after_seconds: u64 },
    /// Too many attempts of one kind (`of`) from the caller's address or for one account;
    /// try again when the window ends.
    #[error("throttled; retry in {retry_after_seconds} s")]
    Throttled {
        of: crate::model::Limited,
        retry_after_seconds: u64,
    },
    /// A social network could not be asked about a token, or refused it; the detail is for
    /// the log.
    #[error("social network: {0}")]
    SocialNetwork(String),
    /// A social login for someone without an account, while the tenant takes no sign-ups.
    #[error("sign-ups are closed")]
    SignupsClosed,
    /// A service Portcullis depends on (an SMS gateway, an identity provider) failed; the
    /// detail is for the log, not the caller.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// [`Error::Invalid`] about one field.
    pub fn invalid(field: impl Into<String>, rule: Rule) -> Self {
        Self::Invalid(vec![FieldError::new(field, rule)])
    }

    /// The database, or a service we depend on, is away for a moment: worth trying again
    /// shortly, not a fault of the request or of ours.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Store(StoreError::Unavailable(_)) | Self::Unavailable(_)
        )
    }
}

#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness constraint was violated; names which one.
    #[error("conflict on {0}")]
    Conflict(Constraint),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Text the database cannot store (PostgreSQL refuses NUL characters); the caller's
    /// input, not a fault.
    #[error("unstorable text: {0}")]
    UnstorableText(String),
    #[error("database error: {0}")]
    Other(String),
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::UnstorableText(_) => Self::invalid(crate::field::ANY_FIELD, Rule::Nul),
            other => Self::Store(other),
        }
    }
}

/// The unique constraints services tell apart (the store recognises each backend's report of
/// one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    /// A tenant's name, unique across tenants.
    TenantName,
    /// A tenant's domain, unique across tenants.
    TenantDomain,
    /// A user's email, once per tenant, ignoring case.
    UserEmail,
    /// A user's username, once per tenant, ignoring case.
    UserUsername,
    /// A role's name, once per tenant.
    RoleName,
    /// A permission's name, once per tenant.
    PermissionName,
    /// A registered scope's name, once per tenant.
    ScopeName,
    /// A passkey's credential id, once per tenant.
    PasskeyCredential,
    /// Any other: what the database said, for the log.
    Other(String),
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TenantName => "tenants.name",
            Self::TenantDomain => "tenants.domain",
            Self::UserEmail => "users.email",
            Self::UserUsername => "users.username",
            Self::RoleName => "roles.name",
            Self::PermissionName => "permissions.name",
            Self::ScopeName => "scopes.name",
            Self::PasskeyCredential => "passkeys.credential_id",
            Self::Other(reported) => reported,
        })
    }
}

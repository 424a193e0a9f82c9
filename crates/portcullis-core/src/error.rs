//! The domain's errors. Each surface maps them to its own dialect once, with `From`.

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
    /// Input that breaks a domain rule, as (field, message) pairs.
    #[error("invalid input")]
    Invalid(Vec<(String, String)>),
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
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![(field.to_owned(), message.into())])
    }
}

#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness constraint was violated; carries the constraint's column list.
    #[error("conflict on {0}")]
    Conflict(String),
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
            StoreError::UnstorableText(_) => {
                Self::invalid("input", "Text may not contain NUL (\\u0000) characters.")
            }
            other => Self::Store(other),
        }
    }
}

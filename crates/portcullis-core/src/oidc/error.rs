//! RFC 6749's error codes, as the protocol endpoints refuse requests. Each surface renders them
//! (a JSON body at the token endpoint, query parameters on a redirect).

use crate::error::{Error, StoreError};

/// An OAuth 2.0 / OpenID Connect error code (RFC 6749 §4.1.2.1 and §5.2, OIDC Core §3.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    LoginRequired,
    ConsentRequired,
    AccessDenied,
    /// RFC 8628 §3.5: the person has not decided yet.
    AuthorizationPending,
    /// RFC 8628 §3.5: polled faster than the interval, which grows by 5 seconds.
    SlowDown,
    /// RFC 8628 §3.5: the device code expired.
    ExpiredToken,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::AccessDenied => "access_denied",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
        }
    }
}

/// Why a protocol request was not granted: refused by the protocol's rules (shown to the
/// client), or failed (a domain error, e.g. the database).
#[derive(Debug)]
pub enum OAuthFailure {
    Refused(ErrorCode, &'static str),
    Failed(Error),
}

pub type OAuthResult<T> = std::result::Result<T, OAuthFailure>;

impl From<Error> for OAuthFailure {
    fn from(error: Error) -> Self {
        Self::Failed(error)
    }
}

impl From<StoreError> for OAuthFailure {
    fn from(error: StoreError) -> Self {
        Self::Failed(Error::Store(error))
    }
}

pub(crate) fn refused<T>(code: ErrorCode, description: &'static str) -> OAuthResult<T> {
    Err(OAuthFailure::Refused(code, description))
}

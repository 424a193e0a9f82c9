//! Shapes that exist in the account API only as JSON, named for the OpenAPI document. Request
//! bodies are read field by field (see `common::laravel::Fields`) so that each field gets the
//! original's own message; these structs describe them for clients.

use serde::Serialize;
use utoipa::ToSchema;

/// Every error but validation: `{"error": "..."}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorJson {
    #[schema(example = "Unauthorized.")]
    pub error: &'static str,
}

/// `POST /api/login`, as JSON or as a form.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct LoginBody {
    /// A username or an email address.
    pub username: String,
    pub password: String,
    /// Names the session, e.g. the client's device.
    pub device_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenJson {
    /// `<id>|<secret>`: send it as `Authorization: Bearer <token>`.
    #[schema(example = "1|8RbvD6b4rHqkXW3zyXo2W3y0zAqSUd4Q1yEbQhTe")]
    pub token: String,
}

/// A login for an account with a second factor.
#[derive(Serialize, ToSchema)]
pub struct ChallengeJson {
    pub requires_2fa: bool,
    /// Send it with the code to `POST /api/login/2fa`; good for 10 minutes and 5 attempts.
    pub challenge: String,
    /// `totp` (authenticator app), `email` or `phone` (a code was just sent).
    pub method: &'static str,
}

/// `POST /api/login` answers a token, or a challenge when the account has a second factor.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginJson {
    Token(TokenJson),
    Challenge(ChallengeJson),
}

impl From<portcullis_core::auth::LoginOutcome> for LoginJson {
    fn from(outcome: portcullis_core::auth::LoginOutcome) -> Self {
        use portcullis_core::auth::LoginOutcome;
        match outcome {
            LoginOutcome::Issued(issued) => Self::Token(TokenJson {
                token: issued.bearer.expose().to_owned(),
            }),
            LoginOutcome::SecondFactor { challenge, method } => Self::Challenge(ChallengeJson {
                requires_2fa: true,
                challenge: challenge.expose().to_owned(),
                method: method.as_str(),
            }),
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct SocialLoginBody {
    /// A network the tenant accepts, e.g. `facebook`, `google`, `github`.
    pub network: String,
    /// An access token from that network.
    pub social_token: String,
}

#[derive(ToSchema)]
#[allow(dead_code)] // describes the body; the handler reads it field by field
pub struct SecondFactorBody {
    pub challenge: String,
    /// The authenticator-app or sent code, or a recovery code (`xxxxx-xxxxx`); or, in its
    /// place, a passkey's answer (`challenge_id` and `credential`, from
    /// `/api/login/2fa/passkey/options`).
    pub code: Option<String>,
    pub challenge_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub credential: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct SuccessJson {
    pub success: bool,
}

/// The component name of [`ErrorJson`] in the document.
pub const ERROR_SCHEMA: &str = "ErrorJson";

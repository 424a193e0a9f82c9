//! A tenant's registered social networks.

use serde::{Deserialize, Serialize};
/// A social network a tenant accepts. Fields left out are taken from the preset of the same
/// name (`facebook`, `google`, `github`), if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SocialNetwork {
    pub network: String,
    /// Called with `Authorization: Bearer <social_token>`; answers a JSON object.
    pub userinfo_url: Option<String>,
    /// Dotted paths into the userinfo object.
    pub id_field: Option<String>,
    pub email_field: Option<String>,
    pub name_field: Option<String>,
    /// A boolean field saying the email is verified; `None` with `emails_verified` below.
    pub email_verified_field: Option<String>,
    /// The network only hands out verified email addresses.
    pub emails_verified: Option<bool>,
    /// For "Continue with …" on the hosted login page: the OAuth 2.0 application this tenant
    /// registered with the network. Without both, the network takes API logins only.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Where the browser is sent to sign in, and where its code is exchanged for a token
    /// (the preset's, for the networks that have one).
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    /// The scopes asked for (the preset's, else none).
    pub scope: Option<String>,
    /// How the network tells which client an access token was issued to (the preset's, for
    /// the networks that have one). Without it, and without `client_id`, the network takes
    /// no raw access tokens on `POST /api/login/social`.
    pub audience_check: Option<AudienceCheck>,
    /// Where that check is asked (the preset's); `{client_id}` is replaced by the client id.
    pub audience_url: Option<String>,
}

/// The ways networks answer "which application is this access token for?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudienceCheck {
    /// `GET <url>?access_token=<token>` answers the token's `azp` (or, without one, its
    /// `aud`): Google's tokeninfo endpoint, and many OAuth servers'.
    TokenInfo,
    /// `GET <url>?input_token=<token>&access_token=<client id>|<client secret>` answers
    /// `data.app_id` and `data.is_valid` (Facebook's `debug_token`).
    DebugToken,
    /// `POST <url>` with the client's id and secret as HTTP Basic and `{"access_token":
    /// <token>}` answers 200 with `app.client_id` only for the client's own tokens (GitHub's
    /// "check a token").
    ClientTokenCheck,
}

/// An account at a social network linked to a user: the network's name, its own id for the
/// person, and when the link was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialIdentity {
    pub network: String,
    pub subject: String,
    pub created_at: time::OffsetDateTime,
}

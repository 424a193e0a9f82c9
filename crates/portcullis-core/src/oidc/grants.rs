//! What the code flow stores: grants (one authorization of an application by a person in a
//! session, and the family of tokens it leads to), their codes and refresh tokens, and the
//! tokens applications get for themselves (`client_credentials`). Secrets are kept as SHA-256
//! hashes only.

use time::Duration;

/// How long an authorization code may wait for its redemption.
pub const CODE_LIFETIME: Duration = Duration::seconds(60);
/// How long an access token lives (never past its session).
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::hours(1);
/// Length of codes and refresh tokens (base62): about 256 bits.
pub const SECRET_LEN: usize = 43;
/// The scopes an application may be granted for a person: the OpenID Connect ones. Other
/// requested scopes are ignored (OIDC Core §5.4), so no application gets a Portcullis API
/// scope through the code flow.
pub const OIDC_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// The grant type a device polls the token endpoint with (RFC 8628).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Client tokens look like `cc_<id>|<secret>`, so they never pass for a user's token.
pub const CLIENT_TOKEN_PREFIX: &str = "cc_";

/// A fresh random secret (a code or a refresh token) and its hash.
pub(crate) fn new_secret() -> (String, String) {
    let secret = crate::random::base62(SECRET_LEN);
    let hash = crate::tokens::hash_secret(&secret);
    (secret, hash)
}

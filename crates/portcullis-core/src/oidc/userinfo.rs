//! The userinfo endpoint (OIDC Core §5.3): the claims an access token's scopes release.

use super::id_token::user_claims;
use crate::error::{Error, Result};
use crate::services::Services;
use serde_json::{Map, Value};

impl Services {
    /// The claims about the holder of `bearer` (an access token with the `openid` scope, used
    /// on `host`). [`Error::Unauthenticated`] for a token that is not live there,
    /// [`Error::Forbidden`] for one without `openid`.
    pub async fn userinfo(&self, bearer: &str, host: Option<&str>) -> Result<Map<String, Value>> {
        let principal = self.authenticate_on_host(bearer, host).await?;
        let scopes = principal.scopes.as_slice();
        // Literally `openid`: a full-access login token is not an OIDC access token.
        if !scopes.iter().any(|s| s == "openid") {
            return Err(Error::Forbidden);
        }
        Ok(user_claims(&principal.user, scopes))
    }
}

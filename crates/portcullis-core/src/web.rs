//! A browser's sign-in. The hosted pages and the OpenID Connect provider share one cookie that
//! holds the login token of a session, so a browser login is an ordinary session: listed in
//! `GET /api/me/sessions`, and ended (logging the browser out) like any other.

pub mod account;
pub mod devices;
mod login;
pub mod signup;
pub mod social;

pub use login::{return_path, AfterLogin};

use crate::error::{Error, Result};
use crate::model::{Principal, TokenKind};
use crate::services::Services;

impl Services {
    /// The person a browser's session cookie names, on the tenant `host` picks. Only a login
    /// token with every scope stands for a browser session; a personal token in the cookie is
    /// [`Error::Unauthenticated`], like any other failure.
    pub async fn web_principal(&self, cookie: &str, host: Option<&str>) -> Result<Principal> {
        let principal = self.authenticate_on_host(cookie, host).await?;
        if principal.token_kind != TokenKind::Session
            || principal.session_id.is_none()
            || !principal.scopes.allows_all()
        {
            return Err(Error::Unauthenticated);
        }
        Ok(principal)
    }
}

//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an application sends the
//! browser here to end its sign-in, and names where to come back to.
//!
//! Without an `id_token_hint` of the browser's own session, anyone could send the browser here
//! (a link on any site): the session is then ended only once the person confirms it (§2: the
//! OP SHOULD ask the End-User).

use super::urls::{origin, with_query};
use crate::error::Result;
use crate::model::{ClientInfo, Principal, Tenant};
use crate::services::Services;
use serde_json::Value;

/// The request's parameters, as sent (query or form).
#[derive(Debug, Default)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    /// The person confirmed on our confirmation page (a form post that passed the CSRF
    /// check); never set from a link.
    pub confirmed: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// Nothing was ended: tell the person why (never redirect to an unverified URI).
    BadRequest(&'static str),
    /// The browser has a session, and nothing shows that the request comes from an
    /// application of it: ask the person, with a form that posts these back.
    Confirm(ConfirmLogout),
    /// The browser's session (if any) has ended; send it to `redirect`, or say so.
    SignedOut { redirect: Option<String> },
}

/// What the confirmation form posts back (all verified), and where it will redirect to.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfirmLogout {
    /// The named client, or the `id_token_hint`'s audience.
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    /// The origin of `post_logout_redirect_uri`, which the page's `form-action` must allow
    /// (the form's post is redirected there).
    pub redirect_origin: Option<String>,
}

impl Services {
    /// Checks the request, then ends the browser's session: at once when an `id_token_hint`
    /// names this very session (its `sub` and `sid`) or the person confirmed, else asks
    /// ([`LogoutOutcome::Confirm`]). `issuer` is the tenant's issuer, which an
    /// `id_token_hint` must carry.
    pub async fn rp_logout(
        &self,
        tenant: &Tenant,
        issuer: &str,
        params: &LogoutParams,
        session: Option<&Principal>,
        client: &ClientInfo,
    ) -> Result<LogoutOutcome> {
        let session = session.filter(|p| p.tenant_id == tenant.id);
        let (hinted_client, hint_is_this_session) = match params.id_token_hint.as_deref() {
            None => (None, false),
            Some(hint) => match self.verify_id_token_hint(hint, issuer).await {
                Ok(claims) => (
                    audience(claims.get("aud")),
                    session.is_some_and(|p| names_session(&claims, p)),
                ),
                Err(crate::error::Error::Unauthenticated) => {
                    return Ok(LogoutOutcome::BadRequest(
                        "The id_token_hint is not an ID token of this provider.",
                    ))
                }
                Err(other) => return Err(other),
            },
        };
        let client_id = match (params.client_id.as_deref(), hinted_client.as_deref()) {
            (Some(named), Some(hinted)) if named != hinted => {
                return Ok(LogoutOutcome::BadRequest(
                    "client_id differs from the id_token_hint's audience.",
                ))
            }
            (named, hinted) => named.or(hinted),
        };
        let redirect = match params.post_logout_redirect_uri.as_deref() {
            None => None,
            Some(uri) => {
                let Some(client_id) = client_id else {
                    return Ok(LogoutOutcome::BadRequest(
                        "A post_logout_redirect_uri needs a client_id or an id_token_hint.",
                    ));
                };
                let application = self.store.application(&tenant.id, client_id).await?;
                if !application.is_some_and(|app| app.logout_urls.iter().any(|url| url == uri)) {
                    return Ok(LogoutOutcome::BadRequest(
                        "The post_logout_redirect_uri is not a logout URL of this client.",
                    ));
                }
                let state: Vec<(&str, &str)> = params
                    .state
                    .as_deref()
                    .map(|s| ("state", s))
                    .into_iter()
                    .collect();
                Some(if state.is_empty() {
                    uri.to_owned()
                } else {
                    with_query(uri, &state)
                })
            }
        };
        if let Some(principal) = session {
            if !hint_is_this_session && !params.confirmed {
                return Ok(LogoutOutcome::Confirm(ConfirmLogout {
                    client_id: client_id.map(str::to_owned),
                    post_logout_redirect_uri: redirect
                        .as_ref()
                        .and(params.post_logout_redirect_uri.clone()),
                    state: params.state.clone(),
                    redirect_origin: redirect.as_deref().and_then(origin),
                }));
            }
            self.logout(principal, client).await?;
        }
        Ok(LogoutOutcome::SignedOut { redirect })
    }
}

/// Whether an ID token's claims name `principal`'s session: its person (`sub`) and its
/// session (`sid`, which every ID token we issue carries).
fn names_session(claims: &serde_json::Map<String, Value>, principal: &Principal) -> bool {
    let claim = |name| claims.get(name).and_then(Value::as_str);
    let session = principal.session_id.as_ref().map(|id| id.as_str());
    claim("sub") == Some(principal.user.uid.as_str())
        && session.is_some()
        && claim("sid") == session
}

/// The client an ID token was issued to: its `aud` (a string, or the first of a list).
fn audience(aud: Option<&Value>) -> Option<String> {
    match aud? {
        Value::String(aud) => Some(aud.clone()),
        Value::Array(list) => list.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an application sends the
//! browser here to end its sign-in, and names where to come back to.

use super::authorize::with_query;
use crate::auth::Principal;
use crate::error::Result;
use crate::model::{ClientInfo, Tenant};
use crate::Services;
use serde_json::Value;

/// The request's parameters, as sent (query or form).
#[derive(Debug, Default)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// Nothing was ended: tell the person why (never redirect to an unverified URI).
    BadRequest(&'static str),
    /// The browser's session (if any) has ended; send it to `redirect`, or say so.
    SignedOut { redirect: Option<String> },
}

impl Services {
    /// Checks the request, then ends the browser's session. `issuer` is the tenant's issuer,
    /// which an `id_token_hint` must carry.
    pub async fn rp_logout(
        &self,
        tenant: &Tenant,
        issuer: &str,
        params: &LogoutParams,
        session: Option<&Principal>,
        client: &ClientInfo,
    ) -> Result<LogoutOutcome> {
        let hinted_client = match params.id_token_hint.as_deref() {
            None => None,
            Some(hint) => match self.verify_id_token_hint(hint, issuer).await {
                Ok(claims) => audience(claims.get("aud")),
                Err(crate::Error::Unauthenticated) => {
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
        if let Some(principal) = session.filter(|p| p.tenant_id == tenant.id) {
            self.logout(principal, client).await?;
        }
        Ok(LogoutOutcome::SignedOut { redirect })
    }
}

/// The client an ID token was issued to: its `aud` (a string, or the first of a list).
fn audience(aud: Option<&Value>) -> Option<String> {
    match aud? {
        Value::String(aud) => Some(aud.clone()),
        Value::Array(list) => list.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

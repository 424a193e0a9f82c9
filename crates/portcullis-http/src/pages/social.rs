//! `GET /login/social/{network}` sends the browser to the network to sign in;
//! `GET /login/social/{network}/callback` is where the network sends it back with a code. What
//! must survive the trip (network, state, PKCE verifier, where to go next) waits in a cookie.

use super::context::Page;
use super::login::{answer_outcome, form_again, pair_value, query_pairs, Next};
use super::view::Errors;
use crate::common::html::{redirect, with_cookie};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::{browser_cookie, cookie_value, WebSession, SESSION_COOKIE};
use crate::pages::cookies::DEVICE_COOKIE;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::Response;
use portcullis_core::social::network_label;
use portcullis_core::web::social::{PendingSocial, Returned};
use portcullis_core::Error;
use serde::{Deserialize, Serialize};

pub const SOCIAL_COOKIE: &str = "portcullis_social";

/// How long a browser may take at the network.
const PENDING_SECONDS: i64 = 600;

const EXPIRED: &str = "This sign-in expired or was started in another browser. Please try again.";

/// The cookie's contents, as a query string.
#[derive(Serialize, Deserialize)]
struct Waiting {
    network: String,
    state: String,
    verifier: String,
    #[serde(default)]
    return_to: String,
    #[serde(default)]
    client_id: String,
    /// Set when the trip links the network to the signed-in account (the account page): a
    /// digest of the asking browser's session cookie (see [`link_binding`]), so only that
    /// very session can finish it. Never the session's id, which applications learn (`sid`)
    /// and a sibling host could write into a planted cookie.
    #[serde(default)]
    link: String,
}

fn pending_cookie(pending: &PendingSocial, next: &Next) -> HeaderValue {
    waiting_cookie(pending, next, String::new())
}

/// The cookie of a trip that links `pending`'s network to the account of the browser whose
/// session cookie holds `session_bearer`.
pub(super) fn link_cookie(pending: &PendingSocial, session_bearer: &str) -> HeaderValue {
    waiting_cookie(pending, &Next::default(), link_binding(session_bearer))
}

/// What ties a link's trip to one browser session: a digest of its session cookie's secret
/// value, which no one else (an application, a sibling host planting cookies) can compute.
fn link_binding(session_bearer: &str) -> String {
    portcullis_core::tokens::hash_secret(&format!("social link\0{session_bearer}"))
}

fn waiting_cookie(pending: &PendingSocial, next: &Next, link: String) -> HeaderValue {
    let waiting = Waiting {
        network: pending.network.clone(),
        state: pending.state.clone(),
        verifier: pending.verifier.clone(),
        return_to: next.return_to.clone(),
        client_id: next.client_id.clone(),
        link,
    };
    let value = serde_urlencoded::to_string(&waiting).unwrap_or_default();
    social_cookie(value, PENDING_SECONDS)
}

fn waiting_sign_in(headers: &HeaderMap) -> Option<(PendingSocial, Next, String)> {
    let value = cookie_value(headers, SOCIAL_COOKIE)?;
    let waiting: Waiting = serde_urlencoded::from_str(&value).ok()?;
    let next = Next {
        return_to: waiting.return_to,
        client_id: waiting.client_id,
    };
    let pending = PendingSocial {
        network: waiting.network,
        state: waiting.state,
        verifier: waiting.verifier,
    };
    Some((pending, next, waiting.link))
}

/// The trip's cookie. On `/`, unlike the other login cookies: over HTTPS that makes it a
/// `__Host-` cookie, which no sibling host can plant (a planted trip would bring its own
/// state and PKCE verifier, and sign the browser in to the planter's account).
fn social_cookie(value: String, max_age: i64) -> HeaderValue {
    browser_cookie((SOCIAL_COOKIE, value), "/", cookie::SameSite::Lax, max_age)
}

/// The network named in the path; a path that cannot be read (not UTF-8) names none.
fn network_of(path: Result<Path<String>, PathRejection>) -> Result<String, PageError> {
    path.map(|Path(network)| network)
        .map_err(|_| PageError::NotFound)
}

pub async fn start(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Result<Response, PageError> {
    let network = network_of(path)?;
    let next = Next::from_uri(&uri);
    match state.services.start_web_social(&page.tenant, &network) {
        Ok(started) => Ok(with_cookie(
            redirect(&started.authorize_url),
            pending_cookie(&started.pending, &next),
        )),
        Err(Error::Refused(message)) => {
            Ok(form_again(&state, &page, &next, "", Errors::general(message), 403).await)
        }
        Err(Error::SocialNetwork(detail)) => {
            tracing::warn!(%network, %detail, "a social sign-in could not start");
            let message = format!("Could not sign in with {}.", network_label(&network));
            Ok(form_again(&state, &page, &next, "", Errors::general(message), 502).await)
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn callback(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let network = network_of(path)?;
    let pairs = query_pairs(&uri);
    let get = |name: &str| pair_value(&pairs, name);
    let waiting = waiting_sign_in(&headers);
    if let Some((pending, _, link)) = waiting.as_ref().filter(|(_, _, link)| !link.is_empty()) {
        let returned = Returned {
            state: get("state"),
            code: get("code"),
        };
        let bearer = cookie_value(&headers, SESSION_COOKIE).unwrap_or_default();
        let answer = match (get("error").is_empty(), pending.network == network) {
            (false, _) => Err(PageError::Conflict(
                "Linking did not finish at the network. Please try again.",
            )),
            (true, false) => Err(PageError::Conflict(EXPIRED)),
            (true, true) => {
                finish_link(&state, &page, (session, &bearer), (pending, link), returned).await
            }
        };
        let cleared = social_cookie(String::new(), 0);
        return Ok(with_cookie(answer?, cleared));
    }
    let next = waiting
        .as_ref()
        .map(|(_, next, _)| next.clone())
        .unwrap_or_default();
    let label = network_label(&network);
    let problem = |status: u16, message: String| {
        let (state, page, next) = (&state, &page, &next);
        async move { form_again(state, page, next, "", Errors::general(message), status).await }
    };
    let response = match waiting {
        // The person said no at the network, or the network could not go on.
        _ if !get("error").is_empty() => {
            let message = format!("Signing in with {label} did not finish. Please try again.");
            problem(400, message).await
        }
        None => problem(400, EXPIRED.to_owned()).await,
        Some((pending, next, _)) => {
            let device = cookie_value(&headers, DEVICE_COOKIE);
            let outcome = state
                .services
                .finish_web_social(
                    &page.tenant,
                    &pending,
                    &network,
                    get("state"),
                    get("code"),
                    &page.client,
                    device.as_deref(),
                )
                .await;
            match outcome {
                Err(Error::InvalidToken) => problem(400, EXPIRED.to_owned()).await,
                Err(Error::SocialNetwork(detail)) => {
                    tracing::warn!(%network, %detail, "a social sign-in failed at the network");
                    let message = format!("Could not sign in with {label}. Please try again.");
                    problem(502, message).await
                }
                Err(Error::SignupsClosed) => {
                    let message = "Only people who already have an account can sign in here.";
                    problem(403, message.to_owned()).await
                }
                other => answer_outcome(&state, &page, &next, "", other).await?,
            }
        }
    };
    // Used or not, the waiting sign-in is over.
    let cleared = social_cookie(String::new(), 0);
    Ok(with_cookie(response, cleared))
}

/// The end of a link's trip: only in the browser session that asked for it (another one, or a
/// signed-out browser, links nothing), then to the account page's list.
async fn finish_link(
    state: &AppState,
    page: &Page,
    (session, bearer): (Option<portcullis_core::model::Principal>, &str),
    (pending, link): (&PendingSocial, &str),
    returned: Returned<'_>,
) -> Result<Response, PageError> {
    let asked_here = session.filter(|_| {
        !bearer.is_empty()
            && portcullis_core::tokens::secret_matches(&format!("social link\0{bearer}"), link)
    });
    let Some(principal) = asked_here else {
        return Err(PageError::Conflict(EXPIRED));
    };
    let network = pending.network.as_str();
    match state
        .services
        .finish_social_link(
            &principal,
            (&page.tenant, pending),
            network,
            returned,
            &page.client,
        )
        .await
    {
        Ok(()) => Ok(redirect(&format!("/account/linked?linked={network}"))),
        Err(Error::InvalidToken) => Err(PageError::Conflict(EXPIRED)),
        Err(Error::SocialNetwork(detail)) => {
            tracing::warn!(%network, %detail, "a social link failed at the network");
            Err(PageError::Conflict(
                "The network did not say who you are there. Please try again.",
            ))
        }
        Err(other) => Err(other.into()),
    }
}

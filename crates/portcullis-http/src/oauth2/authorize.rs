//! `GET`/`POST /oauth2/authorize`: the browser arrives from an application, signs in if needed,
//! and goes back to the application with a code.

use super::page::{bad_request, failed, form_post, redirect};
use crate::common::client::ClientAddr;
use crate::common::csrf::{self, CsrfToken};
use crate::common::html::{ok, security_headers, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use portcullis_core::model::{ClientInfo, Principal, Tenant};
use portcullis_core::oidc::authorize::{
    AuthorizeOutcome, AuthorizeParams, ConsentAnswer, ConsentPrompt,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The hosted login page; it sends the person back to `return_to` once signed in.
const LOGIN_PATH: &str = "/login";

/// An authorization request (OIDC Core §3.1.2.1).
#[derive(Deserialize, Default, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct AuthorizeQuery {
    /// The application's id.
    client_id: Option<String>,
    /// Exactly one of the application's `redirect_urls`.
    redirect_uri: Option<String>,
    /// `code`.
    response_type: Option<String>,
    /// Must include `openid`; `profile` and `email` release more claims.
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    /// PKCE (RFC 7636): required for public clients.
    code_challenge: Option<String>,
    /// `S256` (plain is refused).
    code_challenge_method: Option<String>,
    /// `login` (sign in again) or `none` (never show a page).
    prompt: Option<String>,
    /// Seconds since the last sign-in beyond which the person must sign in again.
    max_age: Option<String>,
    /// `query` (the default) or `form_post`: the answer comes back as a form the browser posts
    /// to the `redirect_uri`.
    response_mode: Option<String>,
    /// Who the application thinks is signing in (an email or username): fills in the login
    /// page's field.
    login_hint: Option<String>,
    /// Set by Portcullis itself on the way back from the login page.
    login_after: Option<String>,
}

/// The consent form's own fields, in a post.
#[derive(Deserialize)]
struct ConsentForm {
    /// `allow` or `deny`.
    consent: Option<String>,
    csrf_token: Option<String>,
}

/// "Allow … access?"
#[derive(Template)]
#[template(path = "pages/consent.html")]
struct ConsentPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    application: &'a str,
    email: &'a str,
    claims: Vec<&'static str>,
    fields: &'a [(&'static str, String)],
}

/// What a scope releases, in the person's words.
fn claims_of(scope: &str) -> Option<&'static str> {
    match scope {
        "openid" => Some("Who you are: an identifier of your account"),
        "profile" => Some("Your name and username"),
        "email" => Some("Your email address, and whether it is confirmed"),
        _ => None,
    }
}

impl From<AuthorizeQuery> for AuthorizeParams {
    fn from(q: AuthorizeQuery) -> Self {
        Self {
            client_id: q.client_id,
            redirect_uri: q.redirect_uri,
            response_type: q.response_type,
            scope: q.scope,
            state: q.state,
            nonce: q.nonce,
            code_challenge: q.code_challenge,
            code_challenge_method: q.code_challenge_method,
            prompt: q.prompt,
            max_age: q.max_age,
            response_mode: q.response_mode,
            login_hint: q.login_hint,
            login_after: q.login_after,
        }
    }
}

/// Starts the code flow: redirects to the application with a code (or an error), or to the
/// login page; a request whose client or redirect URI is not verified gets a 400 page.
#[utoipa::path(
    get,
    path = "/oauth2/authorize",
    tag = "oidc",
    params(AuthorizeQuery),
    responses(
        (status = 302, description = "To the redirect_uri (code or error), or to /login"),
        (status = 200, description = "response_mode=form_post: a page whose form posts the code (or error) to the redirect_uri"),
        (status = 400, description = "Unknown client or unregistered redirect_uri (HTML)"),
    ),
)]
pub async fn authorize(
    State(state): State<AppState>,
    WebSession(session): WebSession,
    ClientAddr(client): ClientAddr,
    parts: Parts,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    answer(&state, &parts, session, &client, query.as_bytes(), false).await
}

/// The same request as a form post (OIDC Core §3.1.2.1 allows both); and the consent screen's
/// answer (`consent=allow|deny` with the pages' `csrf_token`, else 403).
#[utoipa::path(
    post,
    path = "/oauth2/authorize",
    tag = "oidc",
    request_body(content((AuthorizeQuery = "application/x-www-form-urlencoded"))),
    responses(
        (status = 302, description = "To the redirect_uri (code or error), or to /login"),
        (status = 200, description = "response_mode=form_post: a page whose form posts the code (or error) to the redirect_uri"),
        (status = 400, description = "Unknown client or unregistered redirect_uri (HTML)"),
        (status = 403, description = "A consent answer that failed the CSRF check (HTML)"),
    ),
)]
pub async fn authorize_post(
    State(state): State<AppState>,
    WebSession(session): WebSession,
    ClientAddr(client): ClientAddr,
    parts: Parts,
    body: Bytes,
) -> Response {
    answer(&state, &parts, session, &client, &body, true).await
}

async fn answer(
    state: &AppState,
    parts: &Parts,
    session: Option<Principal>,
    client: &ClientInfo,
    encoded: &[u8],
    posted: bool,
) -> Response {
    let (Ok(query), Ok(consent)) = (
        serde_urlencoded::from_bytes::<AuthorizeQuery>(encoded),
        serde_urlencoded::from_bytes::<ConsentForm>(encoded),
    ) else {
        return bad_request("The request's parameters are malformed (each may appear once).");
    };
    // Only our consent form answers for the person: a post from this site with its token, and,
    // where the browser says where a request comes from, from this very origin (a sibling
    // subdomain could have planted a CSRF cookie of its own).
    let consent = match consent.consent.as_deref().filter(|_| posted) {
        None => None,
        Some(_)
            if !csrf::passes(&parts.headers, consent.csrf_token.as_deref())
                || !from_this_origin(parts) =>
        {
            return security_headers(PageError::Csrf.into_response()).await;
        }
        Some("allow") => Some(ConsentAnswer::Allow),
        Some("deny") => Some(ConsentAnswer::Deny),
        Some(_) => return bad_request("consent must be allow or deny."),
    };
    let params = AuthorizeParams::from(query);
    if any_nul(&params) {
        return bad_request("The request's parameters hold a NUL character.");
    }
    let services = &state.services;
    let tenant = match services
        .tenant_for_host(crate::common::client::host(parts))
        .await
    {
        Ok(tenant) => tenant,
        Err(error) => return failed(error),
    };
    let outcome = match consent {
        Some(answer) => {
            services
                .answer_consent(&tenant, &params, session.as_ref(), answer, client)
                .await
        }
        None => {
            services
                .authorize_request(&tenant, &params, session.as_ref())
                .await
        }
    };
    match outcome {
        Ok(AuthorizeOutcome::BadRequest(message)) => bad_request(message),
        Ok(AuthorizeOutcome::Redirect(location)) => redirect(&location),
        Ok(AuthorizeOutcome::FormPost { action, fields }) => form_post(&action, &fields),
        Ok(AuthorizeOutcome::SignIn { return_to }) => {
            let query = serde_urlencoded::to_string([("return_to", return_to)]).unwrap_or_default();
            redirect(&format!("{LOGIN_PATH}?{query}"))
        }
        Ok(AuthorizeOutcome::Consent(prompt)) => {
            consent_page(&tenant, parts, session.as_ref(), &prompt).await
        }
        Err(error) => failed(error),
    }
}

/// The consent screen, styled and guarded like the hosted pages (their CSRF cookie, their
/// security headers), its `form-action` also allowing the redirect URI's origin, where the
/// answer's post is redirected to.
async fn consent_page(
    tenant: &Tenant,
    parts: &Parts,
    session: Option<&Principal>,
    prompt: &ConsentPrompt,
) -> Response {
    let chrome = Chrome::new(&tenant.settings, CsrfToken::of(&parts.headers));
    let page = ConsentPage {
        chrome: &chrome,
        title: "Allow access",
        application: &prompt.application_name,
        email: session.map(|p| p.user.email.as_str()).unwrap_or(""),
        claims: prompt.scopes.iter().filter_map(|s| claims_of(s)).collect(),
        fields: &prompt.fields,
    };
    let mut response = ok(&page, &chrome);
    let targets: Vec<String> = prompt.redirect_origin.iter().cloned().collect();
    if let (false, Some(policy)) = (targets.is_empty(), chrome.policy(&targets)) {
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, policy);
    }
    security_headers(response).await
}

/// Whether a browser that names where a request comes from (`Sec-Fetch-Site`) says this origin.
fn from_this_origin(parts: &Parts) -> bool {
    parts
        .headers
        .get("sec-fetch-site")
        .is_none_or(|site| site.as_bytes() == b"same-origin")
}

/// Text with a NUL cannot be stored on PostgreSQL; such a request is malformed anyway.
fn any_nul(params: &AuthorizeParams) -> bool {
    [
        &params.client_id,
        &params.redirect_uri,
        &params.state,
        &params.nonce,
        &params.scope,
        &params.code_challenge,
        &params.response_mode,
    ]
    .into_iter()
    .flatten()
    .any(|value| portcullis_core::field::has_nul(value))
}

//! `GET/POST /login`: username or email and password, through the one login service.

use super::context::Page;
use super::form::PageForm;
use super::view::{wait_message, Errors};
use crate::common::html::{redirect, render, with_cookie, with_retry_after, Chrome, MessagePage};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::{cookie_value, session_cookie, WebSession};
use crate::pages::cookies::{challenge_cookie, DEVICE_COOKIE};
use askama::Template;
use axum::extract::State;
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use portcullis_core::auth::{IssuedToken, LoginOutcome};
use portcullis_core::model::{SessionClient, Tenant, User};
use portcullis_core::web::social::SocialButton;
use portcullis_core::web::AfterLogin;
use portcullis_core::{Error, Secret};

/// The one answer to a wrong password and to an unknown login alike.
pub const WRONG_CREDENTIALS: &str = "The username, email or password is not right.";

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    login: &'a str,
    errors: &'a Errors,
    next: &'a Next,
    passwords: bool,
    signups: bool,
    forgot: bool,
    /// "Continue with …" links, each carrying `next` along.
    social: Vec<SocialButton>,
    /// The picture to read, once the address has failed half its attempts.
    captcha: Option<super::view::CaptchaView>,
    /// "Sign in with a passkey", and passkeys offered in the login field's autofill.
    passkeys: bool,
}

/// Where a login goes once it is done, carried through the forms as hidden fields.
#[derive(Debug, Clone, Default)]
pub struct Next {
    pub return_to: String,
    pub client_id: String,
}

impl Next {
    /// From a query string (or a form's pairs).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| portcullis_core::field::without_nul(v))
                .unwrap_or_default()
        };
        Self {
            return_to: get("return_to"),
            client_id: get("client_id"),
        }
    }

    pub fn from_uri(uri: &Uri) -> Self {
        Self::from_pairs(&query_pairs(uri))
    }

    pub fn from_form(form: &PageForm) -> Self {
        Self {
            return_to: form.text("return_to"),
            client_id: form.text("client_id"),
        }
    }

    /// This, as a query string for another page of the login (empty when there is nothing).
    pub fn query(&self) -> String {
        let mut pairs = Vec::new();
        if !self.return_to.is_empty() {
            pairs.push(("return_to", self.return_to.as_str()));
        }
        if !self.client_id.is_empty() {
            pairs.push(("client_id", self.client_id.as_str()));
        }
        match serde_urlencoded::to_string(pairs) {
            Ok(query) if !query.is_empty() => format!("?{query}"),
            _ => String::new(),
        }
    }

    /// The application a login is for: `client_id`, or the one named in an authorization
    /// request it returns to.
    fn application(&self) -> String {
        if !self.client_id.is_empty() {
            return self.client_id.clone();
        }
        self.returning_to("client_id")
    }

    /// Who the authorization request this login returns to says is signing in (its
    /// `login_hint`), to fill the login field with.
    fn login_hint(&self) -> String {
        self.returning_to("login_hint")
    }

    /// A parameter of the local path this login returns to.
    fn returning_to(&self, name: &str) -> String {
        let Some(path) = portcullis_core::web::return_path(&self.return_to) else {
            return String::new();
        };
        let query = path.split_once('?').map(|(_, q)| q).unwrap_or("");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        pair_value(&pairs, name).to_owned()
    }

    /// Where `user` goes once signed in (the rule is the core's): a redirect, or the page
    /// saying the application this login was for does not let them in.
    pub async fn destination(
        &self,
        state: &AppState,
        page: &Chrome,
        tenant: &Tenant,
        user: &User,
    ) -> Result<Response, Error> {
        let after = state
            .services
            .after_login(tenant, user, &self.return_to, &self.client_id)
            .await?;
        Ok(match after {
            AfterLogin::GoTo(to) => redirect(&to),
            AfterLogin::NoAccess { application } => {
                let text = format!(
                    "You are signed in, but your account has no access to {application}. Ask \
                     an administrator of {application} for access."
                );
                let view = MessagePage {
                    chrome: page,
                    title: "No access",
                    heading: "No access to this application",
                    text: &text,
                    link: Some(("/account", "Go to your account")),
                };
                render(StatusCode::FORBIDDEN, &view, page)
            }
        })
    }

    /// A page of this login, with the policy that lets its form be redirected on to the
    /// application.
    pub async fn with_policy(
        &self,
        state: &AppState,
        page: &Page,
        mut response: Response,
    ) -> Response {
        let origins = state
            .services
            .application_origins(&page.tenant, &self.application())
            .await
            .unwrap_or_default();
        if let (false, Some(policy)) = (origins.is_empty(), page.chrome.policy(&origins)) {
            response
                .headers_mut()
                .insert(CONTENT_SECURITY_POLICY, policy);
        }
        response
    }
}

/// The query's pairs (none when it cannot be read).
pub fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default()
}

/// The first value of `name` among `pairs`, or "".
pub fn pair_value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    uri: Uri,
) -> Result<Response, PageError> {
    let next = Next::from_uri(&uri);
    if let Some(principal) =
        session.filter(|principal| state.services.signed_in_for(principal, &next.return_to))
    {
        let to = next.destination(&state, &page.chrome, &page.tenant, &principal.user);
        return Ok(to.await?);
    }
    let hint = next.login_hint();
    Ok(form(&state, &page, &next, &hint, &Errors::none(), StatusCode::OK).await)
}

/// The login form, with what was typed (never the password) and what went wrong.
pub async fn form(
    state: &AppState,
    page: &Page,
    next: &Next,
    login: &str,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let settings = &page.tenant.settings;
    let view = LoginPage {
        chrome: &page.chrome,
        title: "Sign in",
        login,
        errors,
        next,
        passwords: settings.allow_passwords,
        signups: settings.allow_signups,
        forgot: settings.forgot_password,
        social: state.services.social_buttons(&page.tenant),
        captcha: login_captcha(state, page).await,
        passkeys: settings.allow_hardware,
    };
    let response = render(status, &view, &page.chrome);
    next.with_policy(state, page, response).await
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    form: PageForm,
) -> Result<Response, PageError> {
    let next = Next::from_form(&form);
    let login = form.text("login");
    let password = Secret::new(form.value("password").unwrap_or(""));
    if page.tenant.settings.allow_passwords
        && (login.trim().is_empty() || password.expose().is_empty())
    {
        let errors = Errors::general("Enter your username or email and your password.");
        return Ok(form_again(&state, &page, &next, &login, errors, 422).await);
    }
    let device = cookie_value(&headers, DEVICE_COOKIE);
    let (captcha_key, captcha) = (form.text("captcha_key"), form.text("captcha"));
    let solved = (!captcha_key.is_empty()).then_some((captcha_key.as_str(), captcha.as_str()));
    let outcome = state
        .services
        .web_login(
            &page.tenant,
            &login,
            &password,
            &page.client,
            device.as_deref(),
            solved,
        )
        .await;
    answer_outcome(&state, &page, &next, &login, outcome).await
}

/// What the browser gets for a sign-in's outcome (a password's, a social network's): the
/// session cookie and the way on, the second-factor page, or the login form again saying why.
pub(super) async fn answer_outcome(
    state: &AppState,
    page: &Page,
    next: &Next,
    login: &str,
    outcome: Result<LoginOutcome, Error>,
) -> Result<Response, PageError> {
    let problem = match outcome {
        Ok(LoginOutcome::Issued(issued)) => {
            return signed_in(state, page, issued.as_ref(), next).await
        }
        Ok(LoginOutcome::SecondFactor { challenge, method }) => {
            let to = format!("/login/second-factor{}", next.query());
            return Ok(with_cookie(
                redirect(&to),
                challenge_cookie(method, &challenge),
            ));
        }
        Err(Error::InvalidCredentials) => (401, WRONG_CREDENTIALS.to_owned()),
        Err(Error::Throttled {
            of,
            retry_after_seconds,
        }) => {
            let errors = Errors::general(wait_message(of, retry_after_seconds));
            let response = form_again(state, page, next, login, errors, 429).await;
            return Ok(with_retry_after(response, retry_after_seconds));
        }
        Err(Error::Banned) => (403, "This account is disabled.".to_owned()),
        Err(Error::EmailNotConfirmed) => (
            403,
            "Confirm your email address first: follow the link in the mail we sent you.".to_owned(),
        ),
        Err(Error::Refused(message)) => (403, message.to_owned()),
        Err(Error::Overloaded {
            retry_after_seconds,
        }) => {
            let errors = Errors::general("The service is busy. Please try again in a moment.");
            let response = form_again(state, page, next, login, errors, 503).await;
            return Ok(with_retry_after(response, retry_after_seconds));
        }
        Err(Error::Invalid(problems)) => {
            let errors = Errors::from_field_errors(&problems);
            return Ok(form_again(state, page, next, login, errors, 422).await);
        }
        Err(other) => return Err(other.into()),
    };
    let (status, message) = problem;
    let errors = Errors::general(message);
    Ok(form_again(state, page, next, login, errors, status).await)
}

/// A fresh picture while the address must solve one to sign in (counted against its captcha
/// allowance, as document 002's captcha endpoint is); none when drawing one is refused, since
/// the sign-in itself will then say why.
async fn login_captcha(state: &AppState, page: &Page) -> Option<super::view::CaptchaView> {
    let services = &state.services;
    let ip = page.client.ip.as_deref();
    if !page.tenant.settings.allow_passwords
        || !services.login_needs_captcha(&page.tenant, ip).await.ok()?
    {
        return None;
    }
    services.reserve_captcha(&page.tenant, ip).await.ok()?;
    let made = services.new_captcha(&page.tenant).await.ok()?;
    Some(super::view::CaptchaView::new(&made))
}

pub(super) async fn form_again(
    state: &AppState,
    page: &Page,
    next: &Next,
    login: &str,
    errors: Errors,
    status: u16,
) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    form(state, page, next, login, &errors, status).await
}

/// Sets the session cookie (kept as long as the session, `remember_login_seconds`) and goes
/// where the login was headed.
pub async fn signed_in(
    state: &AppState,
    page: &Page,
    issued: &IssuedToken,
    next: &Next,
) -> Result<Response, PageError> {
    let tenant = &page.tenant;
    let answer = next
        .destination(state, &page.chrome, tenant, &issued.user)
        .await?;
    let max_age = SessionClient::Browser
        .lifetime(&tenant.settings)
        .whole_seconds();
    Ok(with_cookie(answer, session_cookie(&issued.bearer, max_age)))
}

#[cfg(test)]
mod tests {
    use super::Next;

    #[test]
    fn next_keeps_its_fields_in_a_query() {
        let next = Next {
            return_to: "/oauth2/authorize?client_id=app&state=a b".to_owned(),
            client_id: String::new(),
        };
        assert_eq!(
            next.query(),
            "?return_to=%2Foauth2%2Fauthorize%3Fclient_id%3Dapp%26state%3Da+b"
        );
        assert_eq!(next.application(), "app");
        assert_eq!(Next::default().query(), "");
    }
}

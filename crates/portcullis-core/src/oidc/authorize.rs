//! The authorization endpoint (OIDC Core §3.1.2): checks the request, sends the person to sign
//! in when needed, and issues a single-use code bound to everything the token endpoint checks.
//!
//! A tenant's own applications are first-party, registered by its administrators, so signing
//! in is consent. Third-party applications (metadata `third_party`) ask first when the tenant
//! turns `third_party_consent` on, and any application asks at `prompt=consent`: the person sees
//! the application's name and what it would learn, and allows it once (see [`consent`]).

use super::clients::is_public;
use super::error::ErrorCode;
use super::grants::{CODE_LIFETIME, OIDC_SCOPES};
use super::urls::with_query;
use crate::error::Result;
use crate::model::{Application, ClientInfo, Consent, Grant, Principal, StoredCode, Tenant};
use crate::services::Services;
use time::OffsetDateTime;

/// Why a signed-in person gets no code: the application's `allowed_roles` leaves them out.
pub const NO_ACCESS: &str = "This account has no access to this application.";

/// The request's parameters, as sent (query or form).
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    /// `query` (the default) or `form_post` (OAuth 2.0 Form Post Response Mode): how the answer
    /// goes back to the redirect URI.
    pub response_mode: Option<String>,
    /// Carried to the login page, which fills its login field with it.
    pub login_hint: Option<String>,
    /// Ours, not the protocol's: set when the person was sent to sign in because the request
    /// wanted a fresh sign-in (`prompt=login`, `max_age`). Unix milliseconds, so a session that
    /// began earlier in the same second is not taken for a new one; a session that began at or
    /// after it is fresh enough. It replaces those parameters on the way back, so that
    /// coming back from the login page does not ask for a sign-in again.
    pub login_after: Option<String>,
}

/// The person's answer on the consent screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentAnswer {
    Allow,
    Deny,
}

/// What the consent screen shows, and what its form posts back.
#[derive(Debug, PartialEq, Eq)]
pub struct ConsentPrompt {
    pub application_name: String,
    /// The OIDC scopes the application asks for.
    pub scopes: Vec<String>,
    /// The authorization request's own parameters, posted back with the answer.
    pub fields: Vec<(&'static str, String)>,
    /// The origin of the redirect URI, where the answer's post is redirected to (the page's
    /// `form-action` must allow it).
    pub redirect_origin: Option<String>,
}

/// What to answer.
#[derive(PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// The client or its redirect URI is not verified: tell the person (never redirect).
    BadRequest(&'static str),
    /// Send the browser here: the client's redirect URI with a code or an error.
    Redirect(String),
    /// Have the browser post `fields` to `action`, the client's redirect URI
    /// (`response_mode=form_post`): a page whose form submits itself.
    FormPost {
        action: String,
        fields: Vec<(String, String)>,
    },
    /// The person must sign in first; the login page sends them back to `return_to` (a path
    /// and query on this server).
    SignIn { return_to: String },
    /// Ask the person whether the application may have what it asks for.
    Consent(ConsentPrompt),
}

/// Leaves out a redirect's query, which may hold a code.
impl std::fmt::Debug for AuthorizeOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadRequest(message) => f.debug_tuple("BadRequest").field(message).finish(),
            Self::Redirect(location) => {
                let target = location.split('?').next().unwrap_or_default();
                f.debug_tuple("Redirect")
                    .field(&format!("{target}?***"))
                    .finish()
            }
            Self::FormPost { action, fields } => f
                .debug_struct("FormPost")
                .field("action", action)
                .field(
                    "fields",
                    &fields.iter().map(|(name, _)| name).collect::<Vec<_>>(),
                )
                .finish(),
            Self::SignIn { return_to } => f
                .debug_struct("SignIn")
                .field("return_to", return_to)
                .finish(),
            Self::Consent(prompt) => f
                .debug_struct("Consent")
                .field("application_name", &prompt.application_name)
                .finish_non_exhaustive(),
        }
    }
}

/// The request once checked, before looking at the sign-in.
struct Checked {
    application: Application,
    redirect_uri: String,
    scopes: Vec<String>,
    code_challenge: Option<String>,
    prompt_none: bool,
    prompt_login: bool,
    prompt_consent: bool,
    max_age: Option<i64>,
    login_after: Option<i64>,
}

/// How the answer goes back to the client's redirect URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponseMode {
    Query,
    FormPost,
}

impl ResponseMode {
    /// `None` for a mode this provider does not answer in.
    fn parse(mode: Option<&str>) -> Option<Self> {
        match mode {
            None | Some("query") => Some(Self::Query),
            Some("form_post") => Some(Self::FormPost),
            Some(_) => None,
        }
    }

    /// The answer `pairs` (and `state`, when the request had one) sent back this way.
    fn answer<'a>(
        self,
        redirect_uri: &str,
        mut pairs: Vec<(&'a str, &'a str)>,
        state: Option<&'a str>,
    ) -> AuthorizeOutcome {
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        match self {
            Self::Query => AuthorizeOutcome::Redirect(with_query(redirect_uri, &pairs)),
            Self::FormPost => AuthorizeOutcome::FormPost {
                action: redirect_uri.to_owned(),
                fields: pairs
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect(),
            },
        }
    }
}

/// An error for the client, sent to its redirect URI (RFC 6749 §4.1.2.1).
fn error_redirect(
    redirect_uri: &str,
    mode: ResponseMode,
    code: ErrorCode,
    description: &str,
    state: Option<&str>,
) -> AuthorizeOutcome {
    let pairs = vec![("error", code.as_str()), ("error_description", description)];
    mode.answer(redirect_uri, pairs, state)
}

/// Whether `text` is a PKCE S256 challenge: the unpadded base64url of a SHA-256 (RFC 7636).
fn is_s256_challenge(text: &str) -> bool {
    text.len() == 43
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Services {
    /// Answers an authorization request from a browser signed in as `session` (if at all).
    pub async fn authorize_request(
        &self,
        tenant: &Tenant,
        params: &AuthorizeParams,
        session: Option<&Principal>,
    ) -> Result<AuthorizeOutcome> {
        self.answer_authorization(tenant, params, session, None)
            .await
    }

    /// Answers the same request again with the person's answer on the consent screen (a post
    /// of our own form, which the caller has checked): allowing records the consent, then goes
    /// on as the request would; denying sends `access_denied` back.
    pub async fn answer_consent(
        &self,
        tenant: &Tenant,
        params: &AuthorizeParams,
        session: Option<&Principal>,
        answer: ConsentAnswer,
        client: &ClientInfo,
    ) -> Result<AuthorizeOutcome> {
        self.answer_authorization(tenant, params, session, Some((answer, client)))
            .await
    }

    async fn answer_authorization(
        &self,
        tenant: &Tenant,
        params: &AuthorizeParams,
        session: Option<&Principal>,
        answered: Option<(ConsentAnswer, &ClientInfo)>,
    ) -> Result<AuthorizeOutcome> {
        let Some(client_id) = params.client_id.as_deref().filter(|id| !id.is_empty()) else {
            return Ok(AuthorizeOutcome::BadRequest(
                "The request names no client (client_id).",
            ));
        };
        let Some(known) = self.known_client(&tenant.id, client_id).await? else {
            return Ok(AuthorizeOutcome::BadRequest(
                "The client (client_id) is unknown.",
            ));
        };
        let application = known.application.clone();
        let Some(redirect_uri) = params.redirect_uri.as_deref() else {
            return Ok(AuthorizeOutcome::BadRequest(
                "The request names no redirect_uri.",
            ));
        };
        if !application
            .redirect_urls
            .iter()
            .any(|url| url == redirect_uri)
        {
            return Ok(AuthorizeOutcome::BadRequest(
                "The redirect_uri is not registered for this client.",
            ));
        }
        let state = params.state.as_deref();
        let Some(mode) = ResponseMode::parse(params.response_mode.as_deref()) else {
            return Ok(error_redirect(
                redirect_uri,
                ResponseMode::Query,
                ErrorCode::InvalidRequest,
                "response_mode must be query or form_post.",
                state,
            ));
        };
        let checked = match check(params, application, redirect_uri) {
            Ok(checked) => checked,
            Err((code, description)) => {
                return Ok(error_redirect(redirect_uri, mode, code, description, state))
            }
        };
        let now = self.now();
        let session = session.filter(|p| p.tenant_id == tenant.id && p.session_id.is_some());
        let fresh = session.and_then(|p| p.authenticated_at).filter(|at| {
            !checked.prompt_login
                && checked
                    .max_age
                    .is_none_or(|max| (now - *at).whole_seconds() <= max)
                && signed_in_after(*at, checked.login_after, now)
        });
        let (Some(principal), Some(auth_time)) = (session, fresh) else {
            if checked.prompt_none {
                return Ok(error_redirect(
                    redirect_uri,
                    mode,
                    ErrorCode::LoginRequired,
                    "The person is not signed in (or not recently enough).",
                    state,
                ));
            }
            return Ok(AuthorizeOutcome::SignIn {
                return_to: return_to(params, &checked, now),
            });
        };
        if !self
            .may_use_application(&checked.application, &principal.user)
            .await?
        {
            return Ok(error_redirect(
                redirect_uri,
                mode,
                ErrorCode::AccessDenied,
                NO_ACCESS,
                state,
            ));
        }
        match answered {
            Some((ConsentAnswer::Deny, _)) => {
                return Ok(error_redirect(
                    redirect_uri,
                    mode,
                    ErrorCode::AccessDenied,
                    "The person did not allow the application access.",
                    state,
                ))
            }
            Some((ConsentAnswer::Allow, client)) => {
                self.record_consent(tenant, &checked, principal, client)
                    .await?;
            }
            None if self.must_ask(tenant, &checked, principal).await? => {
                if checked.prompt_none {
                    return Ok(error_redirect(
                        redirect_uri,
                        mode,
                        ErrorCode::ConsentRequired,
                        "The application needs the person's consent.",
                        state,
                    ));
                }
                return Ok(AuthorizeOutcome::Consent(ConsentPrompt {
                    application_name: checked.application.name.clone(),
                    scopes: checked.scopes.clone(),
                    fields: request_fields(params)
                        .into_iter()
                        .filter_map(|(name, value)| Some((name, value?.to_owned())))
                        .collect(),
                    redirect_origin: super::urls::origin(redirect_uri),
                }));
            }
            None => {}
        }
        let code = self
            .issue_code(tenant, &checked, params, principal, auth_time, now)
            .await?;
        Ok(mode.answer(redirect_uri, vec![("code", code.as_str())], state))
    }

    /// Whether the person must be asked: always at `prompt=consent`; for a third-party
    /// application of a tenant that wants consent, unless they allowed all it asks for before.
    async fn must_ask(
        &self,
        tenant: &Tenant,
        checked: &Checked,
        principal: &Principal,
    ) -> Result<bool> {
        if checked.prompt_consent {
            return Ok(true);
        }
        if !self.needs_consent(tenant, &checked.application).await? {
            return Ok(false);
        }
        let given = self
            .store
            .consent(principal.user.id, &checked.application.id)
            .await?;
        Ok(!given.is_some_and(|consent| {
            checked
                .scopes
                .iter()
                .all(|scope| consent.scopes.contains(scope))
        }))
    }

    /// Records that the person allowed what the request asks for (with what they allowed
    /// before).
    async fn record_consent(
        &self,
        tenant: &Tenant,
        checked: &Checked,
        principal: &Principal,
        client: &ClientInfo,
    ) -> Result<()> {
        let now = self.now();
        let before = self
            .store
            .consent(principal.user.id, &checked.application.id)
            .await?;
        let mut scopes = before
            .as_ref()
            .map(|consent| consent.scopes.clone())
            .unwrap_or_default();
        for scope in &checked.scopes {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
        let consent = Consent {
            tenant_id: tenant.id.clone(),
            user_id: principal.user.id,
            application_id: checked.application.id.clone(),
            scopes,
            created_at: before.map_or(now, |consent| consent.created_at),
            updated_at: now,
        };
        let description = format!(
            "Allowed the application {:?} to have: {}.",
            checked.application.name,
            consent.scopes.join(", ")
        );
        let activity = self.activity(&tenant.id, Some(&principal.user), client, &description);
        self.store.save_consent(&consent, &activity).await?;
        Ok(())
    }

    async fn issue_code(
        &self,
        tenant: &Tenant,
        checked: &Checked,
        params: &AuthorizeParams,
        principal: &Principal,
        auth_time: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<String> {
        let Some(session_id) = principal.session_id.clone() else {
            return Err(crate::error::Error::Unauthenticated);
        };
        // Time first, so that the grants a node stores in one go sit together in their index
        // (one page written, not one each); the random rest keeps ids unguessable.
        let millis = (now.unix_timestamp_nanos() / 1_000_000).max(0);
        let grant = Grant {
            id: format!("{millis:012x}{}", crate::random::base62(12)),
            tenant_id: tenant.id.clone(),
            application_id: checked.application.id.clone(),
            user_id: principal.user.id,
            session_id,
            scopes: checked.scopes.clone(),
            auth_time,
            created_at: now,
            revoked_at: None,
        };
        let stored = StoredCode {
            code_hash: String::new(),
            grant_id: grant.id.clone(),
            redirect_uri: checked.redirect_uri.clone(),
            nonce: params.nonce.clone(),
            code_challenge: checked.code_challenge.clone(),
            created_at: now,
            expires_at: now + CODE_LIFETIME,
            used_at: None,
        };
        // Nothing is stored until the code is redeemed (see `codes`).
        self.seal_code(&grant, &stored)
    }
}

/// The request's own rules, checked once the redirect URI is trusted.
fn check(
    params: &AuthorizeParams,
    application: Application,
    redirect_uri: &str,
) -> std::result::Result<Checked, (ErrorCode, &'static str)> {
    use ErrorCode::*;
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return Err((InvalidRequest, "response_type is required.")),
        Some(_) => {
            return Err((
                UnsupportedResponseType,
                "Only the authorization code flow (response_type=code) is supported.",
            ))
        }
    }
    let requested: Vec<&str> = params
        .scope
        .as_deref()
        .unwrap_or("")
        .split_ascii_whitespace()
        .collect();
    // This is an OpenID Connect provider: plain OAuth requests (no `openid`) are refused.
    if !requested.contains(&"openid") {
        return Err((InvalidScope, "The scope must include openid."));
    }
    let scopes = OIDC_SCOPES
        .iter()
        .filter(|scope| requested.contains(scope))
        .map(|scope| (*scope).to_owned())
        .collect();
    let code_challenge =
        match (
            params.code_challenge.as_deref(),
            params.code_challenge_method.as_deref(),
        ) {
            (None, None) if is_public(&application) => return Err((
                InvalidRequest,
                "This client must use PKCE: send code_challenge and code_challenge_method=S256.",
            )),
            (None, None) => None,
            (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => {
                Some(challenge.to_owned())
            }
            (Some(_), Some("S256")) => {
                return Err((InvalidRequest, "code_challenge is not an S256 challenge."))
            }
            (None, Some(_)) => return Err((InvalidRequest, "code_challenge is missing.")),
            (Some(_), _) => {
                return Err((
                    InvalidRequest,
                    "Only code_challenge_method=S256 is supported.",
                ))
            }
        };
    let prompts: Vec<&str> = params
        .prompt
        .as_deref()
        .unwrap_or("")
        .split_ascii_whitespace()
        .collect();
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err((
            InvalidRequest,
            "prompt=none cannot be combined with other values.",
        ));
    }
    let max_age = match params.max_age.as_deref() {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(seconds) if seconds >= 0 => Some(seconds),
            _ => return Err((InvalidRequest, "max_age must be a number of seconds.")),
        },
    };
    Ok(Checked {
        redirect_uri: redirect_uri.to_owned(),
        // `max_age=0` asks for a sign-in now, as `prompt=login` does (OIDC Core §3.1.2.1).
        prompt_login: prompts.iter().copied().any(asks_for_sign_in) || max_age == Some(0),
        prompt_consent: prompts.contains(&"consent"),
        login_after: params.login_after.as_deref().and_then(|t| t.parse().ok()),
        application,
        scopes,
        code_challenge,
        prompt_none,
        max_age,
    })
}

/// Unix milliseconds, the precision of `login_after`.
fn unix_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Whether a sign-in at `auth_time` meets a wish for a sign-in after `login_after` (unix
/// milliseconds). A wish from the future is ignored: no sign-in could meet it.
pub fn signed_in_after(
    auth_time: OffsetDateTime,
    login_after: Option<i64>,
    now: OffsetDateTime,
) -> bool {
    login_after
        .filter(|after| *after <= unix_millis(now))
        .is_none_or(|after| unix_millis(auth_time) >= after)
}

/// The `login_after` (unix milliseconds) of a path back to the authorization endpoint, if any: the
/// time a sign-in must be newer than for that request to go on.
pub fn login_after(path: &str) -> Option<i64> {
    let (route, query) = path.split_once('?')?;
    if route != super::discovery::AUTHORIZATION_PATH {
        return None;
    }
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "login_after")
        .and_then(|(_, value)| value.parse().ok())
}

/// Prompts answered with the login form: `login`, and `select_account`, since a browser holds
/// one session and choosing another account means signing in as it.
fn asks_for_sign_in(prompt: &str) -> bool {
    matches!(prompt, "login" | "select_account")
}

/// The request's parameters by name, as sent.
fn request_fields(params: &AuthorizeParams) -> [(&'static str, Option<&str>); 13] {
    [
        ("response_type", params.response_type.as_deref()),
        ("client_id", params.client_id.as_deref()),
        ("redirect_uri", params.redirect_uri.as_deref()),
        ("scope", params.scope.as_deref()),
        ("state", params.state.as_deref()),
        ("nonce", params.nonce.as_deref()),
        ("code_challenge", params.code_challenge.as_deref()),
        (
            "code_challenge_method",
            params.code_challenge_method.as_deref(),
        ),
        ("prompt", params.prompt.as_deref()),
        ("max_age", params.max_age.as_deref()),
        ("login_hint", params.login_hint.as_deref()),
        ("response_mode", params.response_mode.as_deref()),
        ("login_after", params.login_after.as_deref()),
    ]
}

/// Where the login page sends the person back to: this request again, with a wish for a fresh
/// sign-in (`prompt=login`, `max_age`) turned into `login_after=<now>`, which the sign-in
/// about to happen satisfies.
fn return_to(params: &AuthorizeParams, checked: &Checked, now: OffsetDateTime) -> String {
    let wants_fresh = checked.prompt_login || checked.max_age.is_some();
    let prompt = params.prompt.as_deref().map(|prompt| {
        prompt
            .split_ascii_whitespace()
            .filter(|value| !asks_for_sign_in(value))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let login_after = if wants_fresh {
        Some(unix_millis(now).to_string())
    } else {
        params.login_after.clone()
    };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let fields = request_fields(params)
        .into_iter()
        .map(|(name, value)| match name {
            "prompt" => (name, prompt.as_deref().filter(|p| !p.is_empty())),
            "max_age" => (name, value.filter(|_| !wants_fresh)),
            "login_after" => (name, login_after.as_deref()),
            _ => (name, value),
        });
    for (name, value) in fields {
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    format!(
        "{}?{}",
        super::discovery::AUTHORIZATION_PATH,
        query.finish()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(prompt: Option<&str>, max_age: Option<&str>) -> AuthorizeParams {
        AuthorizeParams {
            client_id: Some("app".into()),
            redirect_uri: Some("https://rp.test/cb?x=1".into()),
            response_type: Some("code".into()),
            scope: Some("openid email".into()),
            state: Some("s t".into()),
            prompt: prompt.map(Into::into),
            max_age: max_age.map(Into::into),
            ..AuthorizeParams::default()
        }
    }

    fn checked(params: &AuthorizeParams) -> Checked {
        let application = Application {
            id: "app".into(),
            tenant_id: crate::ids::TenantId("t".into()),
            name: "App".into(),
            secret: crate::ids::Secret::new("s"),
            login_url: String::new(),
            logout_urls: vec![],
            redirect_urls: vec![],
            metadata: Default::default(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        };
        match check(params, application, "https://rp.test/cb?x=1") {
            Ok(checked) => checked,
            Err((code, text)) => panic!("{code:?}: {text}"),
        }
    }

    #[test]
    fn a_sign_in_earlier_in_the_same_second_is_not_a_fresh_one() {
        let asked = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
            + time::Duration::milliseconds(500);
        let after = Some(unix_millis(asked));
        let earlier = asked - time::Duration::milliseconds(400);
        let later = asked + time::Duration::milliseconds(300);
        assert!(!signed_in_after(earlier, after, later));
        assert!(signed_in_after(later, after, later));
        // A wish from the future is no wish.
        assert!(signed_in_after(
            earlier,
            Some(unix_millis(later) + 1),
            later
        ));
    }

    #[test]
    fn a_wish_for_a_fresh_sign_in_becomes_login_after_on_the_way_back() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        for (prompt, max_age) in [(Some("login consent"), None), (None, Some("0"))] {
            let params = params(prompt, max_age);
            let back = return_to(&params, &checked(&params), now);
            let url = url::Url::parse(&format!("http://x{back}")).unwrap();
            let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let get = |name: &str| {
                query
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            };
            assert_eq!(get("login_after"), Some("1700000000000"), "{back}");
            assert_eq!(get("max_age"), None);
            assert_eq!(get("prompt"), prompt.map(|_| "consent"));
            assert_eq!(get("state"), Some("s t"));
            assert_eq!(get("redirect_uri"), Some("https://rp.test/cb?x=1"));
        }
        let plain = params(None, None);
        let back = return_to(&plain, &checked(&plain), now);
        assert!(!back.contains("login_after"), "{back}");
    }

    #[test]
    fn errors_keep_the_redirect_uris_own_query() {
        let outcome = error_redirect(
            "https://rp.test/cb?x=1",
            ResponseMode::Query,
            ErrorCode::LoginRequired,
            "Sign in.",
            Some("a&b"),
        );
        assert_eq!(
            outcome,
            AuthorizeOutcome::Redirect(
                "https://rp.test/cb?x=1&error=login_required&error_description=Sign+in.&state=a%26b"
                    .into()
            )
        );
    }
}

//! What the services ask of the world outside, implemented by other crates (it is HTTP): checking a
//! captcha answer with a reCAPTCHA-compatible service, and talking to social networks. Mail and
//! text messages go through `mail`.

use crate::egress::OutboundError;
use async_trait::async_trait;
use serde_json::Value;

/// Checks a captcha answer with a reCAPTCHA-compatible service (reCAPTCHA, hCaptcha,
/// Turnstile). Implemented outside the domain (it is HTTP).
#[async_trait]
pub trait CaptchaVerifier: Send + Sync + 'static {
    /// `Ok(false)` for a wrong answer; an error when the service could not be asked.
    async fn verify(
        &self,
        answer: &str,
        remote_ip: Option<&str>,
    ) -> std::result::Result<bool, String>;
}

/// A request to a network, described without HTTP types (the domain has none).
#[derive(Clone, PartialEq, Eq)]
pub struct NetworkRequest {
    /// `POST` with `json` as its body when there is one, else `GET`.
    pub url: String,
    pub basic_auth: Option<(String, String)>,
    pub json: Option<Value>,
}

impl std::fmt::Debug for NetworkRequest {
    // The URL and body carry the token being checked, the credentials the client secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkRequest").finish_non_exhaustive()
    }
}

/// Talks to social networks, and to applications' back-channel endpoints. Implemented outside the domain (it is HTTP), through the egress
/// policy (see [`crate::egress`]); an error means the network could not be reached, refused,
/// or was refused. `plain_http`: the tenant is in `developer_mode`, where `http` URLs to
/// public addresses are allowed too.
#[async_trait]
pub trait NetworkClient: Send + Sync + 'static {
    /// Asks a network's userinfo endpoint about an access token.
    async fn userinfo(
        &self,
        url: &str,
        token: &str,
        plain_http: bool,
    ) -> std::result::Result<Value, OutboundError>;
    /// Posts an OAuth 2.0 token request (`application/x-www-form-urlencoded`) and returns
    /// the JSON answer of a success.
    async fn token(
        &self,
        url: &str,
        form: &[(&str, &str)],
        plain_http: bool,
    ) -> std::result::Result<Value, OutboundError>;
    /// Posts a form to an application's own endpoint (a back-channel logout notice): `Ok` when
    /// it answered 2xx, else why not.
    async fn notify(
        &self,
        url: &str,
        form: &[(&str, &str)],
        plain_http: bool,
    ) -> std::result::Result<(), OutboundError>;
    /// Sends an audience check: the JSON answer of a success, `None` when the network
    /// refuses (any 4xx), else why it could not be asked.
    async fn check(
        &self,
        request: &NetworkRequest,
        plain_http: bool,
    ) -> std::result::Result<Option<Value>, OutboundError>;
}

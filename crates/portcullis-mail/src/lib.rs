//! Portcullis' connections out, behind the domain's traits: mail ([`Mailer`]: SMTP with TLS
//! when configured, otherwise `.eml` files in an outbox directory, which a developer can open
//! and the tests read links from), text messages ([`Texter`]: an SMS gateway's webhook, or
//! `.sms` files in the outbox), and social networks' userinfo endpoints.

pub mod egress;

use portcullis_core::egress::OutboundError;

use async_trait::async_trait;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use portcullis_core::mail::{Mailer, Texter};
use portcullis_core::model::Mail;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Builds the MIME message: plain text and HTML alternatives.
fn message(from: &str, mail: &Mail) -> Result<Message, String> {
    let from: Mailbox = from.parse().map_err(|e| format!("sender {from:?}: {e}"))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| format!("recipient {:?}: {e}", mail.to))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(&mail.subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(mail.html.clone()),
                ),
        )
        .map_err(|e| format!("building the message: {e}"))
}

/// Checks a sender address at startup, so a typo stops the server instead of every mail.
pub fn check_sender(from: &str) -> Result<(), String> {
    from.parse::<Mailbox>().map(drop).map_err(|e| e.to_string())
}

/// Writes each message as an `.eml` file into a directory.
pub struct Outbox {
    dir: PathBuf,
    sequence: AtomicU64,
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            sequence: AtomicU64::new(0),
        }
    }
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, from: &str, mail: &Mail) -> Result<(), String> {
        let bytes = message(from, mail)?.formatted();
        self.write("eml", bytes).await
    }
}

impl Outbox {
    /// Writes `bytes` as `<stamp>-<n>.<extension>`, under a temporary name first so a reader
    /// never sees half a file.
    async fn write(&self, extension: &str, bytes: Vec<u8>) -> Result<(), String> {
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| format!("creating {}: {e}", self.dir.display()))?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        let name = format!("{stamp}-{n}.{extension}");
        let partial = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&partial, bytes)
            .await
            .map_err(|e| format!("writing {}: {e}", partial.display()))?;
        tokio::fs::rename(&partial, self.dir.join(&name))
            .await
            .map_err(|e| format!("renaming {}: {e}", partial.display()))
    }
}

/// Text messages land in the outbox as `.sms` files (`To:` line, blank line, text), for
/// development and tests.
#[async_trait]
impl Texter for Outbox {
    async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        self.write("sms", format!("To: {to}\n\n{text}\n").into_bytes())
            .await
    }
}

/// Sends text messages by POSTing `{"to": "+381…", "text": "…"}` to an SMS gateway's webhook,
/// with `Authorization: Bearer <token>` when a token is configured.
pub struct SmsWebhook {
    url: String,
    token: Option<String>,
    client: reqwest::Client,
}

impl SmsWebhook {
    pub fn new(url: &str, token: Option<String>, timeout: Duration) -> Result<Self, String> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err("must be an http:// or https:// URL".to_owned());
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            url: url.to_owned(),
            token,
            client,
        })
    }
}

#[async_trait]
impl Texter for SmsWebhook {
    async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        let mut request = self
            .client
            .post(&self.url)
            .json(&serde_json::json!({ "to": to, "text": text }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("SMS gateway: {e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("SMS gateway answered {}", response.status()))
        }
    }
}

/// Talks to social networks: their userinfo endpoints (who an access token belongs to) and
/// their token endpoints (a browser sign-in's code for an access token). Tenants name these
/// endpoints, so every request goes through the egress guard ([`egress::EgressClient`]).
pub struct HttpNetworks {
    client: egress::EgressClient,
}

impl HttpNetworks {
    pub fn new(
        timeout: Duration,
        policy: portcullis_core::egress::EgressPolicy,
    ) -> Result<Self, String> {
        Ok(Self {
            client: egress::EgressClient::new(timeout, policy)?,
        })
    }
}

/// A successful answer's JSON object, else why not.
async fn json_object(
    url: &str,
    response: reqwest::Response,
) -> Result<serde_json::Value, OutboundError> {
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{url} answered {status}").into());
    }
    let body = egress::body(url, response).await?;
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        _ => Err(format!("{url} did not answer a JSON object").into()),
    }
}

#[async_trait]
impl portcullis_core::outbound::NetworkClient for HttpNetworks {
    async fn userinfo(
        &self,
        url: &str,
        token: &str,
        plain_http: bool,
    ) -> Result<serde_json::Value, OutboundError> {
        let request = self
            .client
            .request(reqwest::Method::GET, url, plain_http)
            .await?
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/json");
        let response = egress::send(url, request).await?;
        json_object(url, response).await
    }

    async fn token(
        &self,
        url: &str,
        form: &[(&str, &str)],
        plain_http: bool,
    ) -> Result<serde_json::Value, OutboundError> {
        let request = self
            .client
            .request(reqwest::Method::POST, url, plain_http)
            .await?
            .form(form)
            // GitHub answers form-encoded unless asked for JSON.
            .header(reqwest::header::ACCEPT, "application/json");
        let response = egress::send(url, request).await?;
        json_object(url, response).await
    }

    async fn notify(
        &self,
        url: &str,
        form: &[(&str, &str)],
        plain_http: bool,
    ) -> Result<(), OutboundError> {
        let request = self
            .client
            .request(reqwest::Method::POST, url, plain_http)
            .await?
            .form(form);
        let response = egress::send(url, request).await?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("{url} answered {status}").into())
        }
    }

    async fn check(
        &self,
        request: &portcullis_core::outbound::NetworkRequest,
        plain_http: bool,
    ) -> Result<Option<serde_json::Value>, OutboundError> {
        // The URL may carry the token being checked: errors name the host alone.
        let host = reqwest::Url::parse(&request.url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_default();
        let mut builder = match &request.json {
            Some(body) => self
                .client
                .request(reqwest::Method::POST, &request.url, plain_http)
                .await?
                .json(body),
            None => {
                self.client
                    .request(reqwest::Method::GET, &request.url, plain_http)
                    .await?
            }
        };
        if let Some((user, password)) = &request.basic_auth {
            builder = builder.basic_auth(user, Some(password));
        }
        let builder = builder.header(reqwest::header::ACCEPT, "application/json");
        let response = egress::send(&host, builder).await?;
        if response.status().is_client_error() {
            return Ok(None);
        }
        json_object(&host, response).await.map(Some)
    }
}

/// Checks captcha answers with a reCAPTCHA-compatible `siteverify` endpoint (Google
/// reCAPTCHA, hCaptcha and Cloudflare Turnstile all speak it): a form POST of `secret`,
/// `response` and `remoteip`, answered by `{"success": bool}`.
pub struct SiteVerify {
    url: String,
    secret: String,
    client: reqwest::Client,
}

impl SiteVerify {
    pub fn new(url: &str, secret: String, timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            url: url.to_owned(),
            secret,
            client,
        })
    }
}

#[async_trait]
impl portcullis_core::outbound::CaptchaVerifier for SiteVerify {
    async fn verify(&self, answer: &str, remote_ip: Option<&str>) -> Result<bool, String> {
        let mut form = vec![("secret", self.secret.as_str()), ("response", answer)];
        if let Some(ip) = remote_ip {
            form.push(("remoteip", ip));
        }
        let response = self
            .client
            .post(&self.url)
            .form(&form)
            .send()
            .await
            .map_err(|e| format!("captcha service: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("captcha service answered {}", response.status()));
        }
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| format!("captcha service: {e}"))?;
        Ok(body["success"].as_bool() == Some(true))
    }
}

/// Sends through an SMTP server.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Smtp {
    /// `url` as lettre reads it: `smtp://user:pass@host:587?tls=required` (STARTTLS),
    /// `smtps://…:465` (TLS from the start), or `smtp://host:25` (no TLS, for a local relay).
    pub fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(timeout))
            .build();
        Ok(Self { transport })
    }
}

#[async_trait]
impl Mailer for Smtp {
    async fn send(&self, from: &str, mail: &Mail) -> Result<(), String> {
        let message = message(from, mail)?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_outbox_writes_a_multipart_eml_file() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"));
        let mail = Mail {
            to: "jane@example.com".into(),
            subject: "Acme: Confirm".into(),
            text: "Hello, plain".into(),
            html: "<p>Hello, html</p>".into(),
        };
        Mailer::send(&outbox, "Acme <no-reply@acme.test>", &mail)
            .await
            .unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(text.contains("To: jane@example.com"), "{text}");
        assert!(text.contains("Subject: Acme: Confirm"), "{text}");
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("Hello, plain") && text.contains("<p>Hello, html</p>"));
    }

    #[tokio::test]
    async fn text_messages_land_in_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path());
        Texter::send(&outbox, "+381641234567", "Acme: your login code is 123456")
            .await
            .unwrap();
        let file = std::fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert!(file.path().extension().is_some_and(|e| e == "sms"));
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert_eq!(
            text,
            "To: +381641234567\n\nAcme: your login code is 123456\n"
        );
    }

    #[tokio::test]
    async fn bad_addresses_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let mail = Mail {
            to: "not an address".into(),
            subject: "x".into(),
            text: "x".into(),
            html: "x".into(),
        };
        let error = Mailer::send(&Outbox::new(dir.path()), "a@b.test", &mail).await;
        assert!(error.unwrap_err().contains("recipient"));
        assert!(check_sender("nope").is_err());
        assert!(Smtp::new("gopher://x", Duration::from_secs(1)).is_err());
    }
}

//! Settings: defaults, then a TOML file (`--config`), then `PORTCULLIS_*` environment variables.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use portcullis_core::model::SigningKeySecret;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where the SQLite file and the mail outbox live.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; defaults to a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    pub database_max_connections: u32,
    /// The URL clients reach this server at; defaults to `http://<listen>`.
    pub public_url: Option<String>,
    /// `bcrypt` or `argon2id`, for new password hashes.
    pub password_algorithm: String,
    pub bcrypt_cost: u32,
    /// Password hashes computed at once; defaults to the number of cores.
    pub hash_workers: Option<usize>,
    pub max_body_bytes: usize,
    /// Largest uploaded file (an avatar image).
    pub max_upload_bytes: usize,
    /// How long a node may remember a bearer token's lookup; 0 turns the cache off. Unset: 10 s.
    /// Revocations reach it at once on SQLite, and through PostgreSQL's notifications within
    /// moments when several nodes share a database.
    pub auth_cache_seconds: Option<u64>,
    /// Log filter, e.g. `info` or `portcullis=debug,sqlx=warn`.
    pub log: String,
    /// `text` (human-readable) or `json` (one JSON object per line).
    pub log_format: String,
    /// Serve Prometheus metrics at `/metrics` and count requests.
    pub metrics: bool,
    /// Serve `/metrics` on this address only, instead of on `listen`.
    pub metrics_listen: Option<SocketAddr>,
    /// A request unanswered after this long gets a 503.
    pub request_timeout_seconds: u64,
    /// A client must send a request's headers within this long, and then its body within this
    /// long again; also the keep-alive idle time.
    pub header_read_timeout_seconds: u64,
    /// Connections open at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Connections one client address (an IPv6 /64) may hold open at once; more are refused
    /// with 429. Trusted proxies are exempt; behind them, this bounds the requests in flight
    /// for one forwarded address instead.
    pub max_connections_per_client: usize,
    /// On SIGTERM or SIGINT, in-flight requests get this long to finish.
    pub shutdown_grace_seconds: u64,
    /// Password hashes allowed to wait for a worker before logins are refused with 503.
    /// Unset: as many as the workers get through in 3 seconds, measured at startup.
    pub hash_queue_max: Option<usize>,
    /// Send mail through this SMTP server (`smtp://user:pass@host:587?tls=required`,
    /// `smtps://…`); unset: write `.eml` files to `<data_dir>/outbox/`.
    pub smtp_url: Option<String>,
    /// The sender of every message, e.g. `Acme <no-reply@acme.example>`.
    pub mail_from: String,
    /// One delivery attempt gives up after this long; it is retried later.
    pub smtp_timeout_seconds: u64,
    /// Send 2FA text messages by POSTing `{"to", "text"}` here; unset: `.sms` files in
    /// `<data_dir>/outbox/`.
    pub sms_webhook_url: Option<String>,
    /// Sent as `Authorization: Bearer <token>` to the SMS webhook.
    pub sms_webhook_token: Option<String>,
    /// A reCAPTCHA-compatible `siteverify` URL (reCAPTCHA, hCaptcha, Turnstile) that checks
    /// registration captchas; unset: a tenant's captcha refuses every answer.
    pub captcha_verify_url: Option<String>,
    /// The secret key for `captcha_verify_url`.
    pub captcha_secret: Option<String>,
    /// Answer document 000's `POST /api/sanctum/token` (email and password in, a full-access
    /// token out). Also read from `ENABLE_DEVICE_AUTH_ENDPOINT`, the name the document uses.
    #[serde(deserialize_with = "lenient_bool")]
    pub enable_device_auth_endpoint: bool,
    /// Proxies (IP addresses or CIDR networks) whose `X-Forwarded-For` header names the client,
    /// as a list or one comma-separated string (`"10.0.0.1, 192.168.0.0/16, ::1"`). The client
    /// address (for throttles, sessions and the audit trail) is otherwise the socket peer.
    #[serde(deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
    /// Addresses (IP addresses or CIDR networks, a list or one comma-separated string) that
    /// requests made on a tenant's say-so (social networks' endpoints) may reach although the
    /// egress policy refuses them: loopback, private, link-local and the like. Plain `http` is
    /// allowed to them too. Tenants cannot change it.
    #[serde(deserialize_with = "list_or_commas")]
    pub egress_allow: Vec<String>,
    /// Base64 of 32 random bytes (`openssl rand -base64 32`) that seals the ID-token signing
    /// keys in the database. Unset: a random one kept in `<data_dir>/signing.key`, made on
    /// first start. Nodes sharing a database must all have the same one.
    pub signing_key_secret: Option<String>,
}

/// A switch as `.env` files write them: `true`/`false` in any case, `1`/`0`, `yes`/`no`,
/// `on`/`off`.
fn lenient_bool<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Switch {
        Bool(bool),
        Number(i64),
        Text(String),
    }
    match Switch::deserialize(deserializer)? {
        Switch::Bool(value) => Ok(value),
        Switch::Number(1) => Ok(true),
        Switch::Number(0) => Ok(false),
        Switch::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" | "" => Ok(false),
            _ => Err(serde::de::Error::custom(format!(
                "expected true or false, found {text:?}"
            ))),
        },
        Switch::Number(other) => Err(serde::de::Error::custom(format!(
            "expected true or false, found {other}"
        ))),
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_max_connections: 8,
            public_url: None,
            password_algorithm: "bcrypt".to_owned(),
            bcrypt_cost: 10,
            hash_workers: None,
            max_body_bytes: 64 * 1024,
            max_upload_bytes: 5 * 1024 * 1024,
            auth_cache_seconds: None,
            log: "info".to_owned(),
            log_format: "text".to_owned(),
            metrics: true,
            metrics_listen: None,
            request_timeout_seconds: 30,
            header_read_timeout_seconds: 10,
            max_connections: 1024,
            max_connections_per_client: 64,
            shutdown_grace_seconds: 10,
            hash_queue_max: None,
            smtp_url: None,
            mail_from: "Portcullis <no-reply@localhost>".to_owned(),
            smtp_timeout_seconds: 10,
            sms_webhook_url: None,
            sms_webhook_token: None,
            captcha_verify_url: None,
            captcha_secret: None,
            enable_device_auth_endpoint: false,
            trusted_proxies: Vec::new(),
            egress_allow: Vec::new(),
            signing_key_secret: None,
        }
    }
}

const KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "database_max_connections",
    "public_url",
    "password_algorithm",
    "bcrypt_cost",
    "hash_workers",
    "max_body_bytes",
    "max_upload_bytes",
    "auth_cache_seconds",
    "log",
    "log_format",
    "metrics",
    "metrics_listen",
    "request_timeout_seconds",
    "header_read_timeout_seconds",
    "max_connections",
    "max_connections_per_client",
    "shutdown_grace_seconds",
    "hash_queue_max",
    "smtp_url",
    "mail_from",
    "smtp_timeout_seconds",
    "sms_webhook_url",
    "sms_webhook_token",
    "captcha_verify_url",
    "captcha_secret",
    "enable_device_auth_endpoint",
    "trusted_proxies",
    "egress_allow",
    "signing_key_secret",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: setting `{setting}` {problem}")]
    Invalid {
        setting: &'static str,
        problem: String,
    },
}

impl Config {
    /// Reads the layers in order and checks the result.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError::Invalid {
                    setting: "--config",
                    problem: format!("names {}, which is not a readable file", file.display()),
                });
            }
            figment = figment.merge(Toml::file(file));
        }
        // Document 000 names this switch without our prefix; the prefixed name still wins.
        figment = figment.merge(Env::raw().only(&["ENABLE_DEVICE_AUTH_ENDPOINT"]));
        figment = figment.merge(Env::prefixed("PORTCULLIS_").only(KEYS));
        let config: Config = figment.extract().map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |setting, problem: &str| {
            Err(ConfigError::Invalid {
                setting,
                problem: problem.to_owned(),
            })
        };
        if !matches!(self.password_algorithm.as_str(), "bcrypt" | "argon2id") {
            return invalid("password_algorithm", "must be `bcrypt` or `argon2id`");
        }
        if !(4..=31).contains(&self.bcrypt_cost) {
            return invalid("bcrypt_cost", "must be between 4 and 31");
        }
        if let Some(url) = &self.database_url {
            if portcullis_store::ConnectOptions::backend(url).is_none() {
                return invalid("database_url", "must start with sqlite: or postgres://");
            }
        }
        if let Some(url) = &self.public_url {
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
                return invalid("public_url", "must be an http:// or https:// URL");
            }
        }
        if self.database_max_connections == 0 {
            return invalid("database_max_connections", "must be at least 1");
        }
        if self.hash_workers == Some(0) {
            return invalid("hash_workers", "must be at least 1");
        }
        if self.auth_cache_seconds.is_some_and(|s| s > 3600) {
            return invalid("auth_cache_seconds", "must be at most 3600");
        }
        if self.max_body_bytes < 1024 {
            return invalid("max_body_bytes", "must be at least 1024");
        }
        if !(1024..=100 * 1024 * 1024).contains(&self.max_upload_bytes) {
            return invalid("max_upload_bytes", "must be between 1024 and 104857600");
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return invalid("log_format", "must be `text` or `json`");
        }
        if !(1..=3600).contains(&self.request_timeout_seconds) {
            return invalid("request_timeout_seconds", "must be between 1 and 3600");
        }
        if !(1..=3600).contains(&self.header_read_timeout_seconds) {
            return invalid("header_read_timeout_seconds", "must be between 1 and 3600");
        }
        if self.shutdown_grace_seconds > 3600 {
            return invalid("shutdown_grace_seconds", "must be at most 3600");
        }
        if self.max_connections == 0 {
            return invalid("max_connections", "must be at least 1");
        }
        if self.max_connections_per_client == 0 {
            return invalid("max_connections_per_client", "must be at least 1");
        }
        if self.hash_queue_max == Some(0) {
            return invalid("hash_queue_max", "must be at least 1");
        }
        if let Err(problem) = portcullis_mail::check_sender(&self.mail_from) {
            return invalid("mail_from", &format!("is not a mail address: {problem}"));
        }
        if let Some(url) = &self.smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return invalid("smtp_url", "must start with smtp:// or smtps://");
            }
        }
        if let Some(url) = &self.sms_webhook_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return invalid("sms_webhook_url", "must be an http:// or https:// URL");
            }
        }
        if let Some(url) = &self.captcha_verify_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return invalid("captcha_verify_url", "must be an http:// or https:// URL");
            }
            if self.captcha_secret.is_none() {
                return invalid("captcha_secret", "is needed with captcha_verify_url");
            }
        }
        if !(1..=600).contains(&self.smtp_timeout_seconds) {
            return invalid("smtp_timeout_seconds", "must be between 1 and 600");
        }
        if self.metrics_listen.is_some() && !self.metrics {
            return invalid("metrics_listen", "needs `metrics = true`");
        }
        if self.metrics_listen == Some(self.listen) {
            return invalid(
                "metrics_listen",
                "must differ from `listen` (leave it unset to serve metrics there)",
            );
        }
        self.trusted_proxies()?;
        self.egress_policy()?;
        self.signing_key_secret()?;
        if self
            .log
            .parse::<tracing_subscriber::filter::Targets>()
            .is_err()
        {
            return invalid("log", "is not a valid log filter");
        }
        Ok(())
    }

    /// The parsed [`trusted_proxies`](Self::trusted_proxies).
    pub fn trusted_proxies(&self) -> Result<portcullis_http::TrustedProxies, ConfigError> {
        portcullis_http::TrustedProxies::parse(&self.trusted_proxies).map_err(|problem| {
            ConfigError::Invalid {
                setting: "trusted_proxies",
                problem,
            }
        })
    }

    /// The egress policy, with [`egress_allow`](Self::egress_allow)'s exceptions.
    pub fn egress_policy(&self) -> Result<portcullis_core::egress::EgressPolicy, ConfigError> {
        portcullis_core::egress::parse_networks(&self.egress_allow)
            .map(portcullis_core::egress::EgressPolicy::new)
            .map_err(|problem| ConfigError::Invalid {
                setting: "egress_allow",
                problem,
            })
    }

    /// Where the signing-key secret is kept when `signing_key_secret` is not set.
    pub fn signing_key_file(&self) -> PathBuf {
        self.data_dir.join("signing.key")
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("portcullis.db").display()
            )
        })
    }

    pub fn serve_options(&self) -> Result<crate::server::ServeOptions, ConfigError> {
        Ok(crate::server::ServeOptions {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_seconds),
            max_connections: self.max_connections,
            max_connections_per_client: self.max_connections_per_client,
            trusted_proxies: self.trusted_proxies()?,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_seconds),
        })
    }

    /// The configured mail transport.
    pub fn mailer(&self) -> Result<std::sync::Arc<dyn portcullis_core::mail::Mailer>, ConfigError> {
        Ok(match &self.smtp_url {
            Some(url) => std::sync::Arc::new(
                portcullis_mail::Smtp::new(url, Duration::from_secs(self.smtp_timeout_seconds))
                    .map_err(|problem| ConfigError::Invalid {
                        setting: "smtp_url",
                        problem,
                    })?,
            ),
            None => std::sync::Arc::new(portcullis_mail::Outbox::new(self.data_dir.join("outbox"))),
        })
    }

    /// The configured text-message transport.
    pub fn texter(&self) -> Result<std::sync::Arc<dyn portcullis_core::mail::Texter>, ConfigError> {
        Ok(match &self.sms_webhook_url {
            Some(url) => std::sync::Arc::new(
                portcullis_mail::SmsWebhook::new(
                    url,
                    self.sms_webhook_token.clone(),
                    Duration::from_secs(self.smtp_timeout_seconds),
                )
                .map_err(|problem| ConfigError::Invalid {
                    setting: "sms_webhook_url",
                    problem,
                })?,
            ),
            None => std::sync::Arc::new(portcullis_mail::Outbox::new(self.data_dir.join("outbox"))),
        })
    }

    /// The configured captcha check, if any.
    pub fn captcha_verifier(
        &self,
    ) -> Result<Option<std::sync::Arc<dyn portcullis_core::outbound::CaptchaVerifier>>, ConfigError>
    {
        let (Some(url), Some(secret)) = (&self.captcha_verify_url, &self.captcha_secret) else {
            return Ok(None);
        };
        let verifier = portcullis_mail::SiteVerify::new(
            url,
            secret.clone(),
            Duration::from_secs(self.smtp_timeout_seconds),
        )
        .map_err(|problem| ConfigError::Invalid {
            setting: "captcha_verify_url",
            problem,
        })?;
        Ok(Some(std::sync::Arc::new(verifier)))
    }

    /// The configured signing-key secret, if any.
    pub fn signing_key_secret(&self) -> Result<Option<SigningKeySecret>, ConfigError> {
        match &self.signing_key_secret {
            None => Ok(None),
            Some(text) => SigningKeySecret::from_base64(text)
                .map(Some)
                .ok_or_else(|| ConfigError::Invalid {
                    setting: "signing_key_secret",
                    problem: "must be base64 of 32 bytes (`openssl rand -base64 32`)".to_owned(),
                }),
        }
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }
}

/// A list of strings, or (as an environment variable gives it) one comma-separated string.
fn list_or_commas<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrCommas {
        List(Vec<String>),
        Commas(String),
    }
    Ok(match ListOrCommas::deserialize(deserializer)? {
        ListOrCommas::List(list) => list,
        ListOrCommas::Commas(text) => text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
        assert_eq!(Config::default().public_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let config = Config {
            bcrypt_cost: 2,
            ..Config::default()
        };
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("bcrypt_cost"));
        let config = Config {
            database_url: Some("mysql://x".into()),
            ..Config::default()
        };
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("database_url"));
        let config = Config {
            public_url: Some("ftp://x".into()),
            ..Config::default()
        };
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("public_url"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail returns its own error type
    fn trusted_proxies_are_a_list_or_comma_separated_and_checked() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            assert!(Config::load(None).unwrap().trusted_proxies.is_empty());
            jail.create_file("portcullis.toml", "trusted_proxies = [\"10.0.0.1\"]\n")?;
            let from_file = Config::load(Some(Path::new("portcullis.toml"))).unwrap();
            assert_eq!(from_file.trusted_proxies, ["10.0.0.1"]);
            jail.set_env(
                "PORTCULLIS_TRUSTED_PROXIES",
                "10.0.0.1, 192.168.0.0/16, ::1",
            );
            let from_env = Config::load(None).unwrap();
            assert_eq!(
                from_env.trusted_proxies,
                ["10.0.0.1", "192.168.0.0/16", "::1"]
            );
            assert!(!from_env.trusted_proxies().unwrap().is_empty());
            jail.set_env("PORTCULLIS_TRUSTED_PROXIES", "10.0.0.1, proxy.internal");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(
                error.contains("trusted_proxies") && error.contains("`proxy.internal`"),
                "{error}"
            );
            Ok(())
        });
    }

    #[test]
    fn operational_settings_are_checked() {
        let cases: [(&str, Config); 7] = [
            (
                "log_format",
                Config {
                    log_format: "xml".into(),
                    ..Config::default()
                },
            ),
            (
                "request_timeout_seconds",
                Config {
                    request_timeout_seconds: 0,
                    ..Config::default()
                },
            ),
            (
                "header_read_timeout_seconds",
                Config {
                    header_read_timeout_seconds: 0,
                    ..Config::default()
                },
            ),
            (
                "max_connections",
                Config {
                    max_connections: 0,
                    ..Config::default()
                },
            ),
            (
                "max_connections_per_client",
                Config {
                    max_connections_per_client: 0,
                    ..Config::default()
                },
            ),
            (
                "hash_queue_max",
                Config {
                    hash_queue_max: Some(0),
                    ..Config::default()
                },
            ),
            (
                "metrics_listen",
                Config {
                    metrics_listen: Some(Config::default().listen),
                    ..Config::default()
                },
            ),
        ];
        for (setting, config) in cases {
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains(setting), "{setting}: {error}");
        }
        let off = Config {
            metrics: false,
            metrics_listen: Some("127.0.0.1:9100".parse().unwrap()),
            ..Config::default()
        };
        assert!(off
            .validate()
            .unwrap_err()
            .to_string()
            .contains("metrics_listen"));
        let options = Config::default().serve_options().unwrap();
        assert_eq!(options.header_read_timeout, Duration::from_secs(10));
        assert_eq!(options.max_connections, 1024);
        assert_eq!(options.max_connections_per_client, 64);
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail returns its own error type
    fn toml_file_and_environment_layer_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "portcullis.toml",
                "listen = \"127.0.0.1:9000\"\nbcrypt_cost = 12\n",
            )?;
            jail.set_env("PORTCULLIS_BCRYPT_COST", "11");
            let config = Config::load(Some(Path::new("portcullis.toml"))).unwrap();
            assert_eq!(config.listen.port(), 9000);
            assert_eq!(config.bcrypt_cost, 11);
            jail.set_env("PORTCULLIS_LISTEN", "not an address");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.to_lowercase().contains("listen"), "{error}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail returns its own error type
    fn the_device_endpoint_switch_is_read_under_both_names() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            assert!(!Config::load(None).unwrap().enable_device_auth_endpoint);
            jail.create_file("portcullis.toml", "enable_device_auth_endpoint = true\n")?;
            let from_file = Config::load(Some(Path::new("portcullis.toml"))).unwrap();
            assert!(from_file.enable_device_auth_endpoint);
            // Document 000's name, without our prefix.
            jail.set_env("ENABLE_DEVICE_AUTH_ENDPOINT", "true");
            assert!(Config::load(None).unwrap().enable_device_auth_endpoint);
            // The prefixed name wins over it, and over the file.
            jail.set_env("PORTCULLIS_ENABLE_DEVICE_AUTH_ENDPOINT", "false");
            assert!(!Config::load(None).unwrap().enable_device_auth_endpoint);
            let both = Config::load(Some(Path::new("portcullis.toml"))).unwrap();
            assert!(!both.enable_device_auth_endpoint);
            // Written the way `.env` files write switches.
            for (text, on) in [
                ("TRUE", true),
                ("1", true),
                ("yes", true),
                ("Off", false),
                ("0", false),
            ] {
                jail.set_env("PORTCULLIS_ENABLE_DEVICE_AUTH_ENDPOINT", text);
                assert_eq!(
                    Config::load(None).unwrap().enable_device_auth_endpoint,
                    on,
                    "{text}"
                );
            }
            jail.set_env("PORTCULLIS_ENABLE_DEVICE_AUTH_ENDPOINT", "maybe");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("maybe"), "{error}");
            Ok(())
        });
    }
}

//! Logging in with a social network's access token: Portcullis first asks the network whether
//! the token was issued to this tenant's own client (a token any other site obtained from the
//! person must not log its holder in), then asks the network's userinfo endpoint who the token
//! belongs to, links that account to a user (by the network's id, or else by the email address
//! when both the network and the local account have verified it), creates the user when the
//! tenant takes sign-ups, and opens a session as a password login would.

use crate::auth::LoginOutcome;
use crate::egress::OutboundError;
use crate::error::{Error, Result};
use crate::field::Rule;
use crate::model::{AudienceCheck, ClientInfo, NewUser, SessionClient, SocialNetwork, Tenant};
use crate::outbound::{NetworkClient, NetworkRequest};
use crate::services::Services;
use serde_json::Value;

/// A network's audience check with everything it needs.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenAudience {
    pub check: AudienceCheck,
    pub url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for TokenAudience {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAudience")
            .field("check", &self.check)
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// How a browser signs in with a network: the OAuth 2.0 code flow's endpoints and client.
#[derive(Clone, PartialEq, Eq)]
pub struct BrowserSignIn {
    pub authorize_url: String,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub scope: String,
}

impl std::fmt::Debug for BrowserSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserSignIn")
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl SocialNetwork {
    /// Fills what is left out from the preset; `None` when neither says where to ask.
    pub fn resolve(&self) -> Option<ResolvedNetwork> {
        let base = preset(&self.network);
        let pick = |own: &Option<String>, preset: Option<&String>, default: &str| {
            own.clone()
                .or_else(|| preset.cloned())
                .unwrap_or_else(|| default.to_owned())
        };
        Some(ResolvedNetwork {
            userinfo_url: self
                .userinfo_url
                .clone()
                .or_else(|| base.as_ref().map(|b| b.userinfo_url.clone()))?,
            id_field: pick(&self.id_field, base.as_ref().map(|b| &b.id_field), "id"),
            email_field: pick(
                &self.email_field,
                base.as_ref().map(|b| &b.email_field),
                "email",
            ),
            name_field: pick(
                &self.name_field,
                base.as_ref().map(|b| &b.name_field),
                "name",
            ),
            email_verified_field: self
                .email_verified_field
                .clone()
                .or_else(|| base.as_ref().and_then(|b| b.email_verified_field.clone())),
            emails_verified: self
                .emails_verified
                .or(base.as_ref().map(|b| b.emails_verified))
                .unwrap_or(false),
            browser: self.browser_sign_in(),
            audience: self.token_audience(),
        })
    }

    fn token_audience(&self) -> Option<TokenAudience> {
        let preset = audience_preset(&self.network);
        let client_id = self.client_id.clone().filter(|v| !v.trim().is_empty())?;
        let check = self.audience_check.or(preset.map(|p| p.0))?;
        let url = self
            .audience_url
            .clone()
            .or_else(|| preset.map(|p| p.1.to_owned()))?;
        let client_secret = self.client_secret.clone().filter(|v| !v.is_empty());
        if check != AudienceCheck::TokenInfo && client_secret.is_none() {
            return None;
        }
        Some(TokenAudience {
            url: url.replace("{client_id}", &encode_path(&client_id)),
            check,
            client_id,
            client_secret,
        })
    }

    fn browser_sign_in(&self) -> Option<BrowserSignIn> {
        let preset = browser_preset(&self.network);
        let client_id = self.client_id.clone().filter(|v| !v.trim().is_empty())?;
        let client_secret = self.client_secret.clone().filter(|v| !v.is_empty())?;
        Some(BrowserSignIn {
            authorize_url: self
                .authorize_url
                .clone()
                .or_else(|| preset.map(|p| p.0.to_owned()))?,
            token_url: self
                .token_url
                .clone()
                .or_else(|| preset.map(|p| p.1.to_owned()))?,
            client_id,
            client_secret,
            scope: self
                .scope
                .clone()
                .or_else(|| preset.map(|p| p.2.to_owned()))
                .unwrap_or_default(),
        })
    }
}

/// A network's settings with the preset filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedNetwork {
    pub userinfo_url: String,
    pub id_field: String,
    pub email_field: String,
    pub name_field: String,
    pub email_verified_field: Option<String>,
    pub emails_verified: bool,
    /// Set when the tenant registered a client with the network and its endpoints are known.
    pub browser: Option<BrowserSignIn>,
    /// Set when the tenant registered a client with the network and the network can say
    /// which client a token was issued to.
    pub audience: Option<TokenAudience>,
}

/// The presets' audience checks.
fn audience_preset(network: &str) -> Option<(AudienceCheck, &'static str)> {
    Some(match network {
        "google" => (
            AudienceCheck::TokenInfo,
            "https://oauth2.googleapis.com/tokeninfo",
        ),
        "facebook" => (
            AudienceCheck::DebugToken,
            "https://graph.facebook.com/debug_token",
        ),
        "github" => (
            AudienceCheck::ClientTokenCheck,
            "https://api.github.com/applications/{client_id}/token",
        ),
        _ => return None,
    })
}

/// The presets' browser sign-in endpoints and scopes: (authorize URL, token URL, scope).
fn browser_preset(network: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match network {
        "google" => (
            "https://accounts.google.com/o/oauth2/v2/auth",
            "https://oauth2.googleapis.com/token",
            "openid email profile",
        ),
        "github" => (
            "https://github.com/login/oauth/authorize",
            "https://github.com/login/oauth/access_token",
            "read:user user:email",
        ),
        "facebook" => (
            "https://www.facebook.com/v19.0/dialog/oauth",
            "https://graph.facebook.com/v19.0/oauth/access_token",
            "email public_profile",
        ),
        _ => return None,
    })
}

/// What the login page calls a network.
pub fn network_label(network: &str) -> String {
    match network {
        "google" => "Google".to_owned(),
        "github" => "GitHub".to_owned(),
        "facebook" => "Facebook".to_owned(),
        other => {
            let mut chars = other.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

fn preset(network: &str) -> Option<ResolvedNetwork> {
    let (url, id, email, name, verified_field, verified) = match network {
        "facebook" => (
            "https://graph.facebook.com/me?fields=id,name,email",
            "id",
            "email",
            "name",
            None,
            true,
        ),
        "google" => (
            "https://openidconnect.googleapis.com/v1/userinfo",
            "sub",
            "email",
            "name",
            Some("email_verified"),
            false,
        ),
        "github" => (
            "https://api.github.com/user",
            "id",
            "email",
            "name",
            None,
            true,
        ),
        _ => return None,
    };
    Some(ResolvedNetwork {
        userinfo_url: url.to_owned(),
        id_field: id.to_owned(),
        email_field: email.to_owned(),
        name_field: name.to_owned(),
        email_verified_field: verified_field.map(str::to_owned),
        emails_verified: verified,
        browser: None,
        audience: None,
    })
}

/// A client id as one URL path segment.
fn encode_path(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

impl TokenAudience {
    /// The request that asks the network about `token`.
    pub fn request(&self, token: &str) -> Result<NetworkRequest> {
        let with_query = |pairs: &[(&str, &str)]| -> Result<String> {
            let mut url = url::Url::parse(&self.url)
                .map_err(|e| Error::SocialNetwork(format!("audience URL: {e}")))?;
            url.query_pairs_mut().extend_pairs(pairs);
            Ok(url.into())
        };
        let secret = self.client_secret.as_deref().unwrap_or_default();
        Ok(match self.check {
            AudienceCheck::TokenInfo => NetworkRequest {
                url: with_query(&[("access_token", token)])?,
                basic_auth: None,
                json: None,
            },
            AudienceCheck::DebugToken => NetworkRequest {
                url: with_query(&[
                    ("input_token", token),
                    ("access_token", &format!("{}|{secret}", self.client_id)),
                ])?,
                basic_auth: None,
                json: None,
            },
            AudienceCheck::ClientTokenCheck => NetworkRequest {
                url: self.url.clone(),
                basic_auth: Some((self.client_id.clone(), secret.to_owned())),
                json: Some(serde_json::json!({ "access_token": token })),
            },
        })
    }

    /// Whether the network's answer about a token says it is this client's.
    pub fn confirms(&self, answer: &Value) -> bool {
        let ours = |value: &Value| match value {
            Value::String(s) => s == &self.client_id,
            Value::Array(items) => items.iter().any(|v| v.as_str() == Some(&self.client_id)),
            _ => false,
        };
        match self.check {
            // `azp` names the client a token was issued to; `aud` may name a resource
            // instead, so it counts only where the server gives no `azp` (RFC 9068, OIDC Core).
            AudienceCheck::TokenInfo => match answer.get("azp") {
                Some(azp) => ours(azp),
                None => answer.get("aud").is_some_and(ours),
            },
            AudienceCheck::DebugToken => {
                let data = &answer["data"];
                data["is_valid"].as_bool() == Some(true) && ours(&data["app_id"])
            }
            AudienceCheck::ClientTokenCheck => ours(&answer["app"]["client_id"]),
        }
    }
}

/// Who a network says a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialProfile {
    pub subject: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub email_verified: bool,
}

/// The value at a dotted path, as text (numbers too, since some networks number their ids).
fn field(value: &Value, path: &str) -> Option<String> {
    let found = path.split('.').try_fold(value, |v, key| v.get(key))?;
    match found {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl ResolvedNetwork {
    pub fn profile(&self, userinfo: &Value) -> Option<SocialProfile> {
        let verified = match &self.email_verified_field {
            Some(path) => path
                .split('.')
                .try_fold(userinfo, |v, key| v.get(key))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            None => self.emails_verified,
        };
        Some(SocialProfile {
            subject: field(userinfo, &self.id_field)?,
            email: field(userinfo, &self.email_field)
                .filter(|e| crate::accounts::looks_like_email(e)),
            name: field(userinfo, &self.name_field),
            email_verified: verified,
        })
    }
}

/// What a network's sealed client secret belongs to.
fn sealed_for<'a>(tenant: &'a Tenant, network: &'a str) -> crate::sealing::SealedFor<'a> {
    crate::sealing::SealedFor::SocialClient {
        tenant: tenant.id.as_str(),
        network,
    }
}

/// The refusal of every social login while the tenant's `allow_social` is off.
pub const SOCIAL_OFF: &str = "Social logins are turned off for this tenant.";

/// The refusal of an access token a network does not confirm as issued to the tenant's client.
pub const FOREIGN_TOKEN: &str = "The social token was not issued to this site's application.";

/// The refusal of raw access tokens for a network that cannot say whose they are.
pub const NO_AUDIENCE_CHECK: &str =
    "This network cannot confirm which application its tokens were issued to; sign in on the login page instead.";

/// The refusal to link a network's account to a local account whose address nobody proved.
pub const UNVERIFIED_LOCAL_EMAIL: &str =
    "An account with this email address exists but its address is not verified; sign in with its password first.";

impl Services {
    /// Refuses a URL this server would send requests to on a tenant's say-so when the egress
    /// policy refuses it: a 422 on `field`. `http` only in `developer_mode` or to an address
    /// the operator named.
    pub fn check_outbound_url(&self, field: &str, url: &str, developer_mode: bool) -> Result<()> {
        self.egress
            .check_url(url, developer_mode)
            .map_err(|refusal| Error::invalid(field, Rule::Other(refusal.message().into())))
    }

    /// Logs in with a social network's token (see the module documentation).
    pub async fn social_login(
        &self,
        tenant: &Tenant,
        network: &str,
        token: &str,
        client: &ClientInfo,
    ) -> Result<LoginOutcome> {
        let resolved = self.social_network(tenant, network)?;
        self.confirm_audience(tenant, network, &resolved, token)
            .await?;
        let user = self
            .social_account(tenant, network, &resolved, token)
            .await?;
        let second = crate::auth::SecondStep::Challenge;
        self.sign_in(
            tenant,
            user,
            client,
            SessionClient::Named(network.to_owned()),
            second,
            // No registered `amr` value names a sign-in at another provider.
            Vec::new(),
        )
        .await
    }

    /// The tenant's settings for `network`, while it takes social logins at all.
    pub(crate) fn social_network(&self, tenant: &Tenant, network: &str) -> Result<ResolvedNetwork> {
        // Tenant-wide, and decided before asking any network, so it reveals nothing.
        if !tenant.settings.allow_social {
            return Err(Error::Refused(SOCIAL_OFF));
        }
        tenant
            .settings
            .social_networks
            .iter()
            .find(|n| n.network == network)
            .and_then(SocialNetwork::resolve)
            .ok_or_else(|| Error::invalid("network", Rule::Unknown))
    }

    /// A network's client secret, sealed for keeping in the tenant's settings (see
    /// [`crate::sealing`]).
    pub fn seal_social_secret(
        &self,
        tenant: &Tenant,
        network: &str,
        plain: &str,
    ) -> Result<String> {
        self.seal(sealed_for(tenant, network), plain)
    }

    /// The client secret a network's settings keep (sealed, or in clear from before).
    pub(crate) fn unseal_social_secret(
        &self,
        tenant: &Tenant,
        network: &str,
        stored: &str,
    ) -> Result<String> {
        self.unseal(sealed_for(tenant, network), stored)
    }

    /// What a network request's failure means: a network error, after a refusal by the egress
    /// policy is counted, logged and written to the tenant's activity log.
    pub(crate) async fn outbound<T>(
        &self,
        tenant: &Tenant,
        network: &str,
        answer: std::result::Result<T, OutboundError>,
    ) -> Result<T> {
        let refusal = match answer {
            Ok(value) => return Ok(value),
            Err(OutboundError::Failed(why)) => return Err(Error::SocialNetwork(why)),
            Err(OutboundError::Refused(refusal)) => refusal,
        };
        self.counters.count_egress_refused(refusal);
        tracing::warn!(tenant = %tenant.id, %network, reason = refusal.reason(), "refused an outbound request");
        let what = format!(
            "Refused a request to the {network} network: the address is off limits ({}).",
            refusal.reason()
        );
        let refused = self.activity(&tenant.id, None, &Default::default(), &what);
        self.store.record_activity(&refused).await?;
        Err(Error::SocialNetwork(format!("{network}: {refusal}")))
    }

    pub(crate) fn network_client(&self) -> Result<&dyn NetworkClient> {
        self.networks
            .as_deref()
            .ok_or_else(|| Error::SocialNetwork("no social network client configured".into()))
    }

    /// Refuses a token the network does not confirm as issued to the tenant's own client.
    /// (The pages' code flow needs no check: it exchanges the code with that client itself.)
    async fn confirm_audience(
        &self,
        tenant: &Tenant,
        network: &str,
        resolved: &ResolvedNetwork,
        token: &str,
    ) -> Result<()> {
        let mut audience = resolved
            .audience
            .clone()
            .ok_or(Error::Refused(NO_AUDIENCE_CHECK))?;
        if let Some(sealed) = &audience.client_secret {
            audience.client_secret = Some(self.unseal_social_secret(tenant, network, sealed)?);
        }
        let answer = self
            .network_client()?
            .check(&audience.request(token)?, tenant.settings.developer_mode)
            .await;
        let answer = self.outbound(tenant, network, answer).await?;
        // A token the network does not know answers as a failed userinfo request always did
        // (document 001's 500); one it knows, issued to another client, is refused as such.
        let Some(answer) = answer else {
            return Err(Error::SocialNetwork(format!(
                "{network}: the network refused the token"
            )));
        };
        if audience.confirms(&answer) {
            Ok(())
        } else {
            Err(Error::Refused(FOREIGN_TOKEN))
        }
    }

    /// The user a network's access token belongs to here (linked, or created when the
    /// tenant takes sign-ups), refused when banned or still unconfirmed.
    /// Who the network says `token` belongs to.
    pub(crate) async fn social_profile(
        &self,
        tenant: &Tenant,
        network: &str,
        resolved: &ResolvedNetwork,
        token: &str,
    ) -> Result<SocialProfile> {
        let userinfo = self
            .network_client()?
            .userinfo(
                &resolved.userinfo_url,
                token,
                tenant.settings.developer_mode,
            )
            .await;
        let userinfo = self.outbound(tenant, network, userinfo).await?;
        resolved
            .profile(&userinfo)
            .ok_or_else(|| Error::SocialNetwork(format!("{network}: no user id in the answer")))
    }

    pub(crate) async fn social_account(
        &self,
        tenant: &Tenant,
        network: &str,
        resolved: &ResolvedNetwork,
        token: &str,
    ) -> Result<crate::model::User> {
        let profile = self
            .social_profile(tenant, network, resolved, token)
            .await?;
        let linked = self
            .store
            .social_identity(&tenant.id, network, &profile.subject)
            .await?;
        let user = match linked {
            Some(user) => user,
            None => self.link_or_create(tenant, network, &profile).await?,
        };
        if user.disabled {
            return Err(Error::Banned);
        }
        if user.status(&tenant.settings) == crate::model::UserStatus::Unconfirmed {
            return Err(Error::EmailNotConfirmed);
        }
        Ok(user)
    }

    /// Links the network's account to the user with its email when both sides verified the
    /// address (an unverified local address may have been registered by anyone first, to
    /// catch the real owner's social sign-in), or creates a user for it when the tenant takes
    /// sign-ups.
    async fn link_or_create(
        &self,
        tenant: &Tenant,
        network: &str,
        profile: &crate::social::SocialProfile,
    ) -> Result<crate::model::User> {
        let now = self.now();
        let verified_email = profile.email.as_deref().filter(|_| profile.email_verified);
        if let Some(email) = verified_email {
            if let Some(user) = self.store.user_by_email(&tenant.id, email).await? {
                if user.email_verified_at.is_none() {
                    return Err(Error::Refused(UNVERIFIED_LOCAL_EMAIL));
                }
                self.store
                    .link_social_identity(&tenant.id, network, &profile.subject, user.id, now)
                    .await?;
                return Ok(user);
            }
        }
        let (Some(email), true) = (profile.email.as_deref(), tenant.settings.allow_signups) else {
            return Err(Error::SignupsClosed);
        };
        let role = self
            .store
            .role_by_name(&tenant.id, crate::lifecycle::REGISTERED_ROLE)
            .await?
            .ok_or_else(|| Error::Internal("the tenant has no User role".into()))?;
        let (first_name, last_name) = match profile.name.as_deref().map(str::trim) {
            Some(name) => match name.split_once(' ') {
                Some((first, last)) => (Some(first.to_owned()), Some(last.trim().to_owned())),
                None => (Some(name.to_owned()), None),
            },
            None => (None, None),
        };
        let user = NewUser {
            uid: crate::random::base62(12),
            tenant_id: tenant.id.clone(),
            username: None,
            email: email.to_owned(),
            first_name,
            last_name,
            role_id: role.id,
            email_verified_at: profile.email_verified.then_some(now),
            created_at: now,
        };
        let created = self
            .store
            .create_social_user(&user, network, &profile.subject)
            .await
            .map_err(crate::accounts::taken)?;
        Ok(created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn presets_fill_what_a_tenant_leaves_out() {
        let google = SocialNetwork {
            network: "google".into(),
            ..SocialNetwork::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(google.id_field, "sub");
        let custom = SocialNetwork {
            network: "acme".into(),
            ..SocialNetwork::default()
        };
        assert_eq!(custom.resolve(), None, "no preset and no URL");
        let custom = SocialNetwork {
            network: "acme".into(),
            userinfo_url: Some("http://localhost/me".into()),
            id_field: Some("data.uid".into()),
            ..SocialNetwork::default()
        }
        .resolve()
        .unwrap();
        let profile = custom
            .profile(&json!({ "data": { "uid": 42 }, "email": "a@b.test", "name": "A B" }))
            .unwrap();
        assert_eq!(profile.subject, "42");
        assert_eq!(profile.email.as_deref(), Some("a@b.test"));
        assert!(!profile.email_verified);
        assert_eq!(
            custom.profile(&json!({ "email": "a@b.test" })),
            None,
            "no id"
        );
    }

    #[test]
    fn a_token_is_ours_by_its_authorized_party_first() {
        let audience = TokenAudience {
            check: AudienceCheck::TokenInfo,
            url: "https://idp.test/tokeninfo".into(),
            client_id: "ours".into(),
            client_secret: None,
        };
        assert!(audience.confirms(&json!({ "aud": "ours", "azp": "ours" })));
        assert!(audience.confirms(&json!({ "aud": ["api", "ours"] })));
        // Issued to another client, for a resource that names us: not ours.
        assert!(!audience.confirms(&json!({ "aud": "ours", "azp": "theirs" })));
        assert!(!audience.confirms(&json!({ "aud": "theirs" })));
        let github = TokenAudience {
            check: AudienceCheck::ClientTokenCheck,
            ..audience.clone()
        };
        assert!(github.confirms(&json!({ "app": { "client_id": "ours" } })));
        assert!(!github.confirms(&json!({ "app": { "client_id": "x" } })));
        let facebook = TokenAudience {
            check: AudienceCheck::DebugToken,
            ..audience
        };
        assert!(facebook.confirms(&json!({ "data": { "app_id": "ours", "is_valid": true } })));
        assert!(!facebook.confirms(&json!({ "data": { "app_id": "ours", "is_valid": false } })));
    }

    #[test]
    fn google_says_per_user_whether_the_email_is_verified() {
        let google = SocialNetwork {
            network: "google".into(),
            ..SocialNetwork::default()
        }
        .resolve()
        .unwrap();
        let answer = json!({ "sub": "1", "email": "x@gmail.com", "email_verified": true });
        assert!(google.profile(&answer).unwrap().email_verified);
        let answer = json!({ "sub": "1", "email": "x@gmail.com", "email_verified": false });
        assert!(!google.profile(&answer).unwrap().email_verified);
    }
}

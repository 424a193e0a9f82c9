//! Clients that register themselves: OAuth 2.0 dynamic client registration (RFC 7591), its
//! management protocol (RFC 7592) and OpenID Connect Dynamic Client Registration 1.0.
//!
//! A registered client is an ordinary application, made and checked by the same service the
//! management API uses ([`Services::create_application`]); what registration adds is who may
//! register (an initial access token, or nobody when the tenant opens registration), the
//! translation between the registration names and the application's fields, the keys a
//! registrant may never set ([`OPERATOR_KEYS`]), and the registration access token that alone
//! reads, replaces or deletes the client afterwards.

use super::clients::GRANT_TYPES_KEY;
use super::clients::{
    is_public, ALLOWED_ROLES_KEY, ALLOWED_SCOPES_KEY, AUTH_METHOD_KEY,
    BACKCHANNEL_LOGOUT_SESSION_REQUIRED_KEY, BACKCHANNEL_LOGOUT_URI_KEY, DEVICE_FLOW_KEY,
    ID_TOKEN_ALG_KEY, OPERATOR_KEYS, THIRD_PARTY_KEY,
};
use super::discovery::REGISTRATION_PATH;
use super::grants::DEVICE_CODE_GRANT;
use crate::error::{Error, Result};
use crate::field::{FieldError, Rule};
use crate::ids::Secret;
use crate::model::ApplicationInput;
use crate::model::{
    Application, ClientInfo, ClientRegistration, Metadata, RegistrationToken, Tenant,
};
use crate::oidc::urls::url_problem;
use crate::services::Services;
use crate::tokens::{hash_secret, secret_matches};

/// Registration tokens (initial access tokens from the operator) look like
/// `pcrt_<id>_<secret>`, as API keys do with their own prefix.
pub const TOKEN_PREFIX: &str = "pcrt_";
const TOKEN_ID_LEN: usize = 16;
const TOKEN_SECRET_LEN: usize = 40;
const ACCESS_TOKEN_LEN: usize = 40;

pub const AUTHORIZATION_CODE: &str = "authorization_code";
/// The grant types a client may register.
pub const GRANT_TYPES: [&str; 4] = [
    AUTHORIZATION_CODE,
    "refresh_token",
    "client_credentials",
    DEVICE_CODE_GRANT,
];
pub const AUTH_METHODS: [&str; 3] = ["client_secret_basic", "client_secret_post", "none"];
pub const SIGNING_ALGS: [&str; 2] = ["RS256", "EdDSA"];
/// Descriptive URLs kept under their registration names.
pub const DESCRIPTIVE_URIS: [&str; 4] = ["client_uri", "logo_uri", "policy_uri", "tos_uri"];
/// What an application registered without a `client_name` (or a redirect URI to name it
/// after) is called.
const UNNAMED: &str = "Registered client";
const OPERATOR_ONLY: &str = "Only the tenant's operators set this, never a registering client.";

/// Client metadata as RFC 7591 §2 names it: what a registrant sends, and what it is told back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientMetadata {
    pub redirect_uris: Vec<String>,
    pub client_name: Option<String>,
    /// `client_secret_basic` when left out.
    pub token_endpoint_auth_method: Option<String>,
    /// `["authorization_code"]` when left out.
    pub grant_types: Option<Vec<String>>,
    /// `["code"]` when left out (and the code grant is registered).
    pub response_types: Option<Vec<String>>,
    pub id_token_signed_response_alg: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
    pub post_logout_redirect_uris: Vec<String>,
    /// [`DESCRIPTIVE_URIS`] by name.
    pub descriptive_uris: Vec<(String, String)>,
    /// The names of the request's other members. Unknown ones are ignored, as RFC 7591 asks;
    /// [`OPERATOR_KEYS`] and `metadata` are refused.
    pub other_members: Vec<String>,
}

/// A registered client: its application, its metadata as registration names it, and the
/// registration access token (new at registration; the one presented afterwards).
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    pub application: Application,
    pub metadata: ClientMetadata,
    pub registration_access_token: Secret,
}

impl RegisteredClient {
    /// Public clients (`token_endpoint_auth_method: none`) are given no secret.
    pub fn client_secret(&self) -> Option<&Secret> {
        (!is_public(&self.application)).then_some(&self.application.secret)
    }
}

/// A new registration token with its full value, which is shown this once.
#[derive(Debug)]
pub struct CreatedRegistrationToken {
    pub token: RegistrationToken,
    pub value: Secret,
}

/// `(id, secret)` of a presented registration token, or `None` when it is not shaped like one.
fn parse_token(presented: &str) -> Option<(&str, &str)> {
    let (id, secret) = presented.strip_prefix(TOKEN_PREFIX)?.split_once('_')?;
    let alphanumeric = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    (id.len() == TOKEN_ID_LEN && alphanumeric(id) && !secret.is_empty()).then_some((id, secret))
}

fn words(list: &[&str]) -> String {
    list.join(", ")
}

impl ClientMetadata {
    /// The metadata of a registered application, every default filled in.
    pub fn of(application: &Application) -> Self {
        let get = |key: &str| application.metadata.get(key).cloned();
        let grant_types: Vec<String> = get(GRANT_TYPES_KEY)
            .map(|grants| grants.split_ascii_whitespace().map(str::to_owned).collect())
            .unwrap_or_else(|| vec![AUTHORIZATION_CODE.to_owned()]);
        let response_types = if grant_types.iter().any(|g| g == AUTHORIZATION_CODE) {
            vec!["code".to_owned()]
        } else {
            Vec::new()
        };
        Self {
            redirect_uris: application.redirect_urls.clone(),
            client_name: Some(application.name.clone()),
            token_endpoint_auth_method: Some(
                get(AUTH_METHOD_KEY).unwrap_or_else(|| AUTH_METHODS[0].to_owned()),
            ),
            grant_types: Some(grant_types),
            response_types: Some(response_types),
            id_token_signed_response_alg: Some(
                get(ID_TOKEN_ALG_KEY).unwrap_or_else(|| SIGNING_ALGS[0].to_owned()),
            ),
            backchannel_logout_uri: get(BACKCHANNEL_LOGOUT_URI_KEY),
            backchannel_logout_session_required: get(BACKCHANNEL_LOGOUT_SESSION_REQUIRED_KEY)
                .map(|value| value == "true"),
            post_logout_redirect_uris: application.logout_urls.clone(),
            descriptive_uris: DESCRIPTIVE_URIS
                .iter()
                .filter_map(|name| Some(((*name).to_owned(), get(name)?)))
                .collect(),
            other_members: Vec::new(),
        }
    }

    /// The registered grant types (the default filled in), checked with the response types
    /// and redirect URIs they need.
    fn checked_grants(&self, problems: &mut Vec<FieldError>) -> Vec<String> {
        let grants = self
            .grant_types
            .clone()
            .unwrap_or_else(|| vec![AUTHORIZATION_CODE.to_owned()]);
        if grants.is_empty() {
            problems.push(FieldError::new("grant_types", Rule::Required));
        }
        for grant in &grants {
            if !GRANT_TYPES.contains(&grant.as_str()) {
                problems.push(FieldError::other(
                    "grant_types",
                    format!(
                        "The grant type {grant:?} is not supported; these are: {}.",
                        words(&GRANT_TYPES)
                    ),
                ));
            }
        }
        let code_flow = grants.iter().any(|g| g == AUTHORIZATION_CODE);
        let response_types = self.response_types.clone().unwrap_or_else(|| {
            if code_flow {
                vec!["code".to_owned()]
            } else {
                Vec::new()
            }
        });
        if response_types.iter().any(|r| r != "code") {
            problems.push(FieldError::other(
                "response_types",
                "Only the code response type is supported.",
            ));
        } else if code_flow != response_types.iter().any(|r| r == "code") {
            problems.push(FieldError::other(
                "response_types",
                "The code response type goes with the authorization_code grant type, and only with it.",
            ));
        }
        if code_flow && self.redirect_uris.is_empty() {
            problems.push(FieldError::new("redirect_uris", Rule::Required));
        }
        grants
    }

    /// The token endpoint's authentication method (the default filled in), checked with the
    /// grants, and the ID-token algorithm.
    fn checked_auth(&self, grants: &[String], problems: &mut Vec<FieldError>) -> String {
        let method = self
            .token_endpoint_auth_method
            .clone()
            .unwrap_or_else(|| AUTH_METHODS[0].to_owned());
        if !AUTH_METHODS.contains(&method.as_str()) {
            problems.push(FieldError::other(
                "token_endpoint_auth_method",
                format!("Must be one of: {}.", words(&AUTH_METHODS)),
            ));
        } else if method == "none" && grants.iter().any(|g| g == "client_credentials") {
            problems.push(FieldError::other(
                "grant_types",
                "A client without a secret (token_endpoint_auth_method none) cannot use client_credentials.",
            ));
        }
        if let Some(alg) = &self.id_token_signed_response_alg {
            if !SIGNING_ALGS.contains(&alg.as_str()) {
                problems.push(FieldError::other(
                    "id_token_signed_response_alg",
                    format!("Must be one of: {}.", words(&SIGNING_ALGS)),
                ));
            }
        }
        method
    }

    /// The URLs kept in metadata (back-channel logout, descriptive), by name, each checked as
    /// an application's URLs are.
    fn checked_urls(
        &self,
        developer_mode: bool,
        problems: &mut Vec<FieldError>,
    ) -> Vec<(String, String)> {
        let backchannel = self
            .backchannel_logout_uri
            .as_ref()
            .map(|uri| (BACKCHANNEL_LOGOUT_URI_KEY.to_owned(), uri.trim().to_owned()));
        let urls: Vec<(String, String)> = self
            .descriptive_uris
            .iter()
            .map(|(name, uri)| (name.clone(), uri.trim().to_owned()))
            .chain(backchannel)
            .filter(|(_, uri)| !uri.is_empty())
            .collect();
        for (name, uri) in &urls {
            if let Some(problem) = url_problem(uri, developer_mode) {
                problems.push(FieldError::other(name.clone(), problem));
            }
        }
        urls
    }

    /// The application this metadata describes, for [`Services::create_application`] and
    /// [`Services::update_application`] (which check the redirect URIs, logout URIs and the
    /// name). `kept`: the current application's metadata, whose operator-set keys stay.
    fn application_input(&self, developer_mode: bool, kept: &Metadata) -> Result<ApplicationInput> {
        let mut problems = Vec::new();
        for member in &self.other_members {
            if OPERATOR_KEYS.contains(&member.as_str()) || member == "metadata" {
                problems.push(FieldError::other(member.clone(), OPERATOR_ONLY));
            }
        }
        let grants = self.checked_grants(&mut problems);
        let method = self.checked_auth(&grants, &mut problems);
        let urls = self.checked_urls(developer_mode, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }

        // What the tenant's operators granted the client (through the management API) is
        // theirs to take back, not the registrant's to drop.
        let mut metadata: Metadata = kept
            .iter()
            .filter(|(key, _)| [ALLOWED_SCOPES_KEY, ALLOWED_ROLES_KEY].contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        metadata.insert(AUTH_METHOD_KEY.to_owned(), method);
        metadata.insert(GRANT_TYPES_KEY.to_owned(), grants.join(" "));
        if let Some(alg) = &self.id_token_signed_response_alg {
            metadata.insert(ID_TOKEN_ALG_KEY.to_owned(), alg.clone());
        }
        if let Some(required) = self.backchannel_logout_session_required {
            metadata.insert(
                BACKCHANNEL_LOGOUT_SESSION_REQUIRED_KEY.to_owned(),
                required.to_string(),
            );
        }
        metadata.extend(urls);
        metadata.insert(THIRD_PARTY_KEY.to_owned(), "true".to_owned());
        if grants.iter().any(|g| g == DEVICE_CODE_GRANT) {
            metadata.insert(DEVICE_FLOW_KEY.to_owned(), "true".to_owned());
        }

        let name = self
            .client_name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .or_else(|| {
                let first = url::Url::parse(self.redirect_uris.first()?).ok()?;
                first.host_str().map(str::to_owned)
            })
            .unwrap_or_else(|| UNNAMED.to_owned());
        Ok(ApplicationInput {
            name,
            login_url: String::new(),
            logout_urls: self.post_logout_redirect_uris.clone(),
            redirect_urls: self.redirect_uris.clone(),
            metadata,
        })
    }
}

/// The application's field problems under the names the registrant used.
fn in_registration_terms(error: Error) -> Error {
    match error {
        Error::Invalid(problems) => Error::Invalid(
            problems
                .into_iter()
                .map(|mut problem| {
                    for (ours, theirs) in [
                        ("redirect_urls", "redirect_uris"),
                        ("logout_urls", "post_logout_redirect_uris"),
                        ("name", "client_name"),
                    ] {
                        if let Some(rest) = problem.field.strip_prefix(ours) {
                            problem.field = format!("{theirs}{rest}");
                            break;
                        }
                    }
                    problem
                })
                .collect(),
        ),
        other => other,
    }
}

impl Services {
    /// Where `client_id` is read, replaced and deleted (RFC 7592).
    pub fn registration_client_uri(&self, tenant: &Tenant, plain_http: bool, id: &str) -> String {
        format!(
            "{}{REGISTRATION_PATH}/{id}",
            self.origin_of(tenant, plain_http)
        )
    }

    /// Whether `initial` (the request's bearer token, if any) may register a client in
    /// `tenant`: an API key that reaches it, a live registration token of it, or nothing when
    /// the tenant has opened registration (as often as the tenant's throttle lets one
    /// address). Says how, for the activity log; [`Error::Unauthenticated`] otherwise.
    async fn registrant(
        &self,
        tenant: &Tenant,
        initial: Option<&str>,
        client: &ClientInfo,
    ) -> Result<String> {
        let Some(presented) = initial.map(str::trim) else {
            if !tenant.settings.allow_client_registration {
                return Err(Error::Unauthenticated);
            }
            self.reserve_open_registration(tenant, client.ip.as_deref())
                .await?;
            return Ok("without a token (open registration)".to_owned());
        };
        if presented.starts_with(crate::api_keys::PREFIX) {
            let key = self.authenticate_api_key(presented).await?;
            if !key.reaches(&tenant.id) {
                return Err(Error::Unauthenticated);
            }
            return Ok(format!("with the API key {}", key.id));
        }
        let (id, secret) = parse_token(presented).ok_or(Error::Unauthenticated)?;
        let now = self.now();
        let token = self
            .store
            .registration_token(id)
            .await?
            .filter(|token| token.tenant_id == tenant.id && token.is_live(now))
            .ok_or(Error::Unauthenticated)?;
        if !secret_matches(secret, &token.secret_hash) {
            return Err(Error::Unauthenticated);
        }
        Ok(format!("with the registration token {}", token.id))
    }

    async fn record_registration_activity(
        &self,
        tenant: &Tenant,
        client: &ClientInfo,
        description: String,
    ) -> Result<()> {
        let activity = self.activity(&tenant.id, None, client, &description);
        Ok(self.store.record_activity(&activity).await?)
    }

    /// Registers a client (RFC 7591 §3): an application of `tenant`, marked third-party, with
    /// a new registration access token. `initial`: the bearer token the request carried.
    pub async fn register_client(
        &self,
        tenant: &Tenant,
        initial: Option<&str>,
        metadata: &ClientMetadata,
        client: &ClientInfo,
    ) -> Result<RegisteredClient> {
        let how = self.registrant(tenant, initial, client).await?;
        let input = metadata.application_input(tenant.settings.developer_mode, &Metadata::new())?;
        let application = self
            .create_application(tenant, input)
            .await
            .map_err(in_registration_terms)?;
        let token = crate::random::base62(ACCESS_TOKEN_LEN);
        let registration = ClientRegistration {
            application_id: application.id.clone(),
            tenant_id: tenant.id.clone(),
            access_token_hash: hash_secret(&token),
            created_at: application.created_at,
        };
        if let Err(error) = self.store.create_client_registration(&registration).await {
            // Without its registration the client could never be managed by its registrant.
            let _ = self
                .store
                .delete_application(&tenant.id, &application.id)
                .await;
            return Err(error.into());
        }
        self.record_registration_activity(
            tenant,
            client,
            format!(
                "Registered the application {:?} ({}) {how}.",
                application.name, application.id
            ),
        )
        .await?;
        Ok(RegisteredClient {
            metadata: ClientMetadata::of(&application),
            application,
            registration_access_token: Secret::new(token),
        })
    }

    /// The registered application `id`, when `token` is its registration access token;
    /// [`Error::Unauthenticated`] for anything else (another client's token, an API key, an
    /// application that did not register itself, no such application), as RFC 7592 §2 asks.
    async fn registered_application(
        &self,
        tenant: &Tenant,
        id: &str,
        token: Option<&str>,
    ) -> Result<Application> {
        let token = token.map(str::trim).ok_or(Error::Unauthenticated)?;
        let registration = self
            .store
            .client_registration(&tenant.id, id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        if !secret_matches(token, &registration.access_token_hash) {
            return Err(Error::Unauthenticated);
        }
        match self.application(tenant, id).await {
            Err(Error::NotFound) => Err(Error::Unauthenticated),
            found => found,
        }
    }

    /// A registered client as its registrant reads it (RFC 7592 §2.1).
    pub async fn registered_client(
        &self,
        tenant: &Tenant,
        id: &str,
        token: Option<&str>,
    ) -> Result<RegisteredClient> {
        let application = self.registered_application(tenant, id, token).await?;
        Ok(RegisteredClient {
            metadata: ClientMetadata::of(&application),
            application,
            registration_access_token: Secret::new(token.unwrap_or_default().trim()),
        })
    }

    /// Replaces a registered client's metadata (RFC 7592 §2.2), checked as at registration;
    /// `body_client_id` must name the client. What the tenant's operators granted it stays.
    pub async fn update_registered_client(
        &self,
        tenant: &Tenant,
        id: &str,
        token: Option<&str>,
        body_client_id: Option<&str>,
        metadata: &ClientMetadata,
        client: &ClientInfo,
    ) -> Result<RegisteredClient> {
        let current = self.registered_application(tenant, id, token).await?;
        if body_client_id != Some(id) {
            return Err(Error::invalid(
                "client_id",
                Rule::Other("Must be sent, and be the client's own client_id.".into()),
            ));
        }
        let input =
            metadata.application_input(tenant.settings.developer_mode, &current.metadata)?;
        let application = self
            .update_application(tenant, id, input)
            .await
            .map_err(in_registration_terms)?;
        self.record_registration_activity(
            tenant,
            client,
            format!(
                "The registered application {:?} ({id}) changed its registration.",
                application.name
            ),
        )
        .await?;
        Ok(RegisteredClient {
            metadata: ClientMetadata::of(&application),
            application,
            registration_access_token: Secret::new(token.unwrap_or_default().trim()),
        })
    }

    /// Deletes a registered client (RFC 7592 §2.3), and with it its registration, grants and
    /// tokens (see [`Services::delete_application`]).
    pub async fn delete_registered_client(
        &self,
        tenant: &Tenant,
        id: &str,
        token: Option<&str>,
        client: &ClientInfo,
    ) -> Result<()> {
        self.registered_application(tenant, id, token).await?;
        let deleted = self.delete_application(tenant, id).await?;
        self.record_registration_activity(
            tenant,
            client,
            format!(
                "The registered application {:?} ({id}) deleted itself.",
                deleted.name
            ),
        )
        .await
    }

    /// Makes a registration token for the tenant (by id or name), good for `lifetime` or until
    /// revoked.
    pub async fn create_registration_token(
        &self,
        tenant: &str,
        lifetime: Option<time::Duration>,
    ) -> Result<CreatedRegistrationToken> {
        if lifetime.is_some_and(|lifetime| !lifetime.is_positive()) {
            return Err(Error::invalid(
                "expires_in",
                Rule::Other("Must be longer than nothing.".into()),
            ));
        }
        let tenant = self.tenant_named(tenant).await?;
        let id = crate::random::base62(TOKEN_ID_LEN);
        let secret = crate::random::base62(TOKEN_SECRET_LEN);
        let now = self.now();
        let token = RegistrationToken {
            id: id.clone(),
            tenant_id: tenant.id,
            secret_hash: hash_secret(&secret),
            created_at: now,
            expires_at: lifetime.map(|lifetime| now + lifetime),
            revoked_at: None,
        };
        self.store.create_registration_token(&token).await?;
        Ok(CreatedRegistrationToken {
            value: Secret::new(format!("{TOKEN_PREFIX}{id}_{secret}")),
            token,
        })
    }

    /// The registration tokens of one tenant (by id or name), or of all.
    pub async fn registration_tokens(
        &self,
        tenant: Option<&str>,
    ) -> Result<Vec<RegistrationToken>> {
        let tenant = match tenant {
            Some(wanted) => Some(self.tenant_named(wanted).await?.id),
            None => None,
        };
        Ok(self.store.registration_tokens(tenant.as_ref()).await?)
    }

    /// Revokes a registration token; [`Error::NotFound`] when no live token has this id.
    /// Clients it registered stay.
    pub async fn revoke_registration_token(&self, id: &str) -> Result<()> {
        if self.store.revoke_registration_token(id, self.now()).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_client() -> ClientMetadata {
        ClientMetadata {
            redirect_uris: vec!["https://rp.example/cb".into()],
            ..ClientMetadata::default()
        }
    }

    fn fields(error: Error) -> Vec<String> {
        match error {
            Error::Invalid(problems) => problems.into_iter().map(|p| p.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_registrant_gets_defaults_and_is_third_party() {
        let input = code_client()
            .application_input(false, &Metadata::new())
            .unwrap();
        assert_eq!(input.name, "rp.example");
        assert_eq!(input.metadata[AUTH_METHOD_KEY], "client_secret_basic");
        assert_eq!(input.metadata[GRANT_TYPES_KEY], AUTHORIZATION_CODE);
        assert_eq!(input.metadata[THIRD_PARTY_KEY], "true");
        assert!(!input.metadata.contains_key(DEVICE_FLOW_KEY));
    }

    #[test]
    fn operator_keys_are_refused_and_kept() {
        let mut metadata = code_client();
        metadata.other_members = vec!["allowed_roles".into(), "software_id".into()];
        let error = metadata
            .application_input(false, &Metadata::new())
            .unwrap_err();
        assert_eq!(fields(error), ["allowed_roles"]);

        let kept = Metadata::from([
            ("allowed_scopes".to_owned(), "backup".to_owned()),
            ("third_party".to_owned(), "false".to_owned()),
        ]);
        let input = code_client().application_input(false, &kept).unwrap();
        assert_eq!(input.metadata["allowed_scopes"], "backup");
        assert_eq!(input.metadata[THIRD_PARTY_KEY], "true");
    }

    #[test]
    fn grants_and_methods_are_checked() {
        let device = ClientMetadata {
            grant_types: Some(vec![DEVICE_CODE_GRANT.into()]),
            token_endpoint_auth_method: Some("none".into()),
            ..ClientMetadata::default()
        };
        let input = device.application_input(false, &Metadata::new()).unwrap();
        assert_eq!(input.metadata[DEVICE_FLOW_KEY], "true");
        assert_eq!(input.name, UNNAMED);

        for (metadata, field) in [
            (
                ClientMetadata {
                    grant_types: Some(vec!["password".into()]),
                    ..code_client()
                },
                "grant_types",
            ),
            (ClientMetadata::default(), "redirect_uris"),
            (
                ClientMetadata {
                    response_types: Some(vec!["token".into()]),
                    ..code_client()
                },
                "response_types",
            ),
            (
                ClientMetadata {
                    token_endpoint_auth_method: Some("private_key_jwt".into()),
                    ..code_client()
                },
                "token_endpoint_auth_method",
            ),
            (
                ClientMetadata {
                    grant_types: Some(vec!["client_credentials".into()]),
                    token_endpoint_auth_method: Some("none".into()),
                    ..ClientMetadata::default()
                },
                "grant_types",
            ),
            (
                ClientMetadata {
                    id_token_signed_response_alg: Some("none".into()),
                    ..code_client()
                },
                "id_token_signed_response_alg",
            ),
            (
                ClientMetadata {
                    backchannel_logout_uri: Some("http://rp.example/logout".into()),
                    ..code_client()
                },
                "backchannel_logout_uri",
            ),
        ] {
            let error = metadata
                .application_input(false, &Metadata::new())
                .unwrap_err();
            assert_eq!(fields(error), [field], "{metadata:?}");
        }
    }

    #[test]
    fn tokens_parse_only_when_well_formed() {
        let id = "A".repeat(TOKEN_ID_LEN);
        assert_eq!(
            parse_token(&format!("pcrt_{id}_s3cret")),
            Some((id.as_str(), "s3cret"))
        );
        for bad in ["", "pcrt_", &format!("pcsk_{id}_x"), &format!("pcrt_{id}_")] {
            assert_eq!(parse_token(bad), None, "{bad:?}");
        }
    }
}

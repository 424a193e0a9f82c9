//! Passkeys and security keys (WebAuthn): registering them under the account-change rules,
//! signing in with one through the login pipeline, and managing them.
//!
//! The verifier is `webauthn-rs`. The relying party is the tenant's host (its issuer's: the
//! `domain`, or `public_url`'s host for the default tenant), so a passkey works only where it
//! was made, and a tenant's domain cannot change without its passkeys stopping to work. Each
//! ceremony's state is kept in the database (any node finishes what another began) and taken
//! once; a passkey's signature counter only goes forward.

use crate::auth::IssuedToken;
use crate::error::{Error, Result};
use crate::field::{has_nul, FieldError, Rule};
use crate::ids::{PasskeyId, Secret, UserId};
use crate::model::Challenge;
use crate::model::{
    amr, Ceremony, ClientInfo, NewPasskey, Passkey, PasskeyUse, Principal, SessionClient, Tenant,
    TenantSettings, User, UserStatus, WebauthnChallenge,
};
use crate::services::Services;
use crate::throttle;
use crate::tokens::hash_secret;
use crate::two_factor::invalid_challenge;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use time::Duration;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
    WebauthnError,
};
use webauthn_rs_core::internals::AuthenticatorData;
use webauthn_rs_core::proto::{Registration, ResidentKeyRequirement};

/// How long a ceremony may take, from its options to its answer.
pub const CEREMONY_LIFETIME: Duration = Duration::minutes(5);
/// Longest name a passkey keeps.
pub const PASSKEY_NAME_MAX: usize = 100;
/// Most passkeys one person may hold (each is offered to every new registration to refuse).
pub const PASSKEYS_PER_USER: usize = 20;
/// The refusal of every passkey ceremony while the tenant's `allow_hardware` is off.
pub const HARDWARE_OFF: &str = "Passkeys are turned off for this tenant.";
/// An AAGUID for authenticators that do not say what they are.
const UNKNOWN_AAGUID: &str = "00000000-0000-0000-0000-000000000000";

/// A ceremony begun: the `publicKey` options for `navigator.credentials.create()` or
/// `.get()` (binary members in base64url), and the handle the client sends back with its
/// answer.
#[derive(Debug)]
pub struct Begun {
    pub handle: Secret,
    pub public_key: Value,
}

/// An answer to a ceremony, as the client sent it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The handle [`Begun`] gave.
    pub handle: Secret,
    /// The browser's `PublicKeyCredential`, JSON-encoded as WebAuthn Level 3's `toJSON()`
    /// writes it.
    pub credential: Value,
}

/// Whether a tenant takes passkeys at all.
fn hardware_allowed(settings: &TenantSettings) -> Result<()> {
    if settings.allow_hardware {
        Ok(())
    } else {
        Err(Error::Refused(HARDWARE_OFF))
    }
}

/// Whether the tenant takes passkeys of this authenticator model. Without attestation the
/// model is the authenticator's own word: the list keeps honest devices of other models out,
/// it proves nothing about a forged one.
fn aaguid_allowed(settings: &TenantSettings, aaguid: &str) -> bool {
    let allowed = &settings.allowed_aaguids;
    allowed.is_empty()
        || allowed
            .iter()
            .any(|a| a.trim().eq_ignore_ascii_case(aaguid))
}

/// What is wrong with a passkey's name, if anything.
pub fn name_problem(name: &str) -> Option<FieldError> {
    if name.trim().is_empty() {
        Some(FieldError::new("name", Rule::Required))
    } else if has_nul(name) {
        Some(FieldError::new("name", Rule::Nul))
    } else if name.chars().any(char::is_control) {
        // Names go into mail and the activity log, where a line break could dress one up.
        Some(FieldError::new("name", Rule::Format))
    } else if name.chars().count() > PASSKEY_NAME_MAX {
        Some(FieldError::new(
            "name",
            Rule::TooLong {
                max: PASSKEY_NAME_MAX,
            },
        ))
    } else {
        None
    }
}

/// A client's answer that is not a WebAuthn credential at all.
fn malformed() -> Error {
    Error::invalid("credential", Rule::Format)
}

/// A credential id the tenant holds already.
fn registered_twice(error: crate::error::StoreError) -> Error {
    match error {
        crate::error::StoreError::Conflict(crate::error::Constraint::PasskeyCredential) => {
            Error::Conflict("This passkey is already registered.")
        }
        other => other.into(),
    }
}

/// A ceremony that is unknown, answered already, expired, or not the caller's.
fn spent() -> Error {
    Error::invalid("challenge_id", Rule::Unknown)
}

/// The relying party of a tenant reached at `origin`: its id is the origin's host.
fn relying_party(origin: &str, name: &str) -> Result<Webauthn> {
    let url = Url::parse(origin).map_err(|e| Error::Internal(format!("tenant origin: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| Error::Internal("tenant origin has no host".to_owned()))?
        .to_owned();
    WebauthnBuilder::new(&host, &url)
        .and_then(|builder| builder.rp_name(name).build())
        .map_err(|e| {
            // An address (not a name) cannot be a relying party id: browsers refuse it too.
            // The caller can do nothing else, so they are told why rather than given a 500.
            tracing::info!(%origin, error = %e, "no WebAuthn relying party for this origin");
            Error::Refused(
                "Passkeys need this server to be reached by a domain name, not an address.",
            )
        })
}

/// The AAGUID and backup flags of a registration's authenticator data. The verifier keeps
/// none of these where attestation is `none`, so they are read from the attestation object,
/// by the verifier's own parsers.
fn registration_facts(credential: &RegisterPublicKeyCredential) -> Result<(String, bool, bool)> {
    let object: serde_cbor_2::Value =
        serde_cbor_2::from_slice(&credential.response.attestation_object)
            .map_err(|_| malformed())?;
    let serde_cbor_2::Value::Map(entries) = object else {
        return Err(malformed());
    };
    let auth_data = entries
        .iter()
        .find_map(|(key, value)| match (key, value) {
            (serde_cbor_2::Value::Text(k), serde_cbor_2::Value::Bytes(bytes))
                if k == "authData" =>
            {
                Some(bytes)
            }
            _ => None,
        })
        .ok_or_else(malformed)?;
    let data = AuthenticatorData::<Registration>::try_from(auth_data.as_slice())
        .map_err(|_| malformed())?;
    let aaguid = data
        .acd
        .map(|acd| Uuid::from_bytes(acd.aaguid).to_string())
        .unwrap_or_else(|| UNKNOWN_AAGUID.to_owned());
    Ok((aaguid, data.backup_eligible, data.backup_state))
}

fn stored_credential(passkey: &Passkey) -> Result<webauthn_rs::prelude::Passkey> {
    serde_json::from_str(&passkey.credential)
        .map_err(|e| Error::Internal(format!("stored passkey {}: {e}", passkey.id)))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("serialising: {e}")))
}

impl Services {
    /// The relying party of `tenant`, as reached over plain HTTP or not.
    fn webauthn(&self, tenant: &Tenant, plain_http: bool) -> Result<Webauthn> {
        relying_party(
            &self.origin_of(tenant, plain_http),
            &tenant.settings.app_name,
        )
    }

    async fn tenant_of(&self, principal: &Principal) -> Result<Tenant> {
        self.store
            .tenant_by_id(&principal.tenant_id)
            .await?
            .ok_or(Error::Unauthenticated)
    }

    /// Stores a ceremony's state under a fresh handle.
    async fn begin_ceremony(
        &self,
        tenant: &Tenant,
        ceremony: Ceremony,
        owner: (Option<UserId>, Option<crate::ids::SessionId>),
        binding: Option<String>,
        state: &impl serde::Serialize,
        options: &impl serde::Serialize,
    ) -> Result<Begun> {
        let mut options =
            serde_json::to_value(options).map_err(|e| Error::Internal(format!("options: {e}")))?;
        let public_key = options["publicKey"].take();
        let state = to_json(state)?;
        let handle = Secret::new(crate::random::base62(40));
        let challenge = WebauthnChallenge {
            id_hash: hash_secret(handle.expose()),
            tenant_id: tenant.id.clone(),
            ceremony,
            user_id: owner.0,
            session_id: owner.1,
            binding,
            state,
            expires_at: self.now() + CEREMONY_LIFETIME,
        };
        self.store.create_webauthn_challenge(&challenge).await?;
        Ok(Begun { handle, public_key })
    }

    /// Takes the ceremony behind `handle` if it is of this kind and this tenant; `None` when it
    /// is unknown, used, expired or of another kind.
    async fn take_ceremony(
        &self,
        tenant: &Tenant,
        handle: &str,
        ceremony: Ceremony,
    ) -> Result<Option<WebauthnChallenge>> {
        let taken = self
            .store
            .take_webauthn_challenge(&tenant.id, &hash_secret(handle), self.now())
            .await?;
        Ok(taken.filter(|c| c.ceremony == ceremony))
    }

    /// Starts adding a passkey to the caller's account: a sensitive change, so only a login
    /// session may (with the current password when its sign-in is older than the tenant's
    /// `reauth_seconds`), and only where the tenant takes passkeys. The ceremony is bound to
    /// the caller's session.
    pub async fn begin_passkey_registration(
        &self,
        principal: &Principal,
        current_password: Option<&Secret>,
        client: &ClientInfo,
        plain_http: bool,
    ) -> Result<Begun> {
        hardware_allowed(&principal.settings)?;
        self.require_presence(principal, current_password, client)
            .await?;
        let tenant = self.tenant_of(principal).await?;
        let user = &principal.user;
        let existing = self.store.passkeys_of(user.id).await?;
        if existing.len() >= PASSKEYS_PER_USER {
            return Err(Error::Conflict(
                "You have as many passkeys as an account may hold; remove one first.",
            ));
        }
        // One handle per person, so every passkey of theirs names the same account.
        let handle = existing
            .first()
            .and_then(|p| Uuid::parse_str(&p.user_handle).ok())
            .unwrap_or_else(Uuid::new_v4);
        let exclude = existing
            .iter()
            .filter_map(|p| URL_SAFE_NO_PAD.decode(&p.credential_id).ok())
            .collect();
        self.begin_registration(
            &tenant,
            user,
            (handle, exclude),
            principal.session_id.clone(),
            None,
            plain_http,
        )
        .await
    }

    /// Stores a registration ceremony for `user` under `handle` (their WebAuthn user handle),
    /// refusing the credentials in `exclude` (those they hold): a passkey, so discoverable
    /// (it must sign in without a username typed) and verifying its user.
    async fn begin_registration(
        &self,
        tenant: &Tenant,
        user: &User,
        (handle, exclude): (Uuid, Vec<webauthn_rs::prelude::CredentialID>),
        session: Option<crate::ids::SessionId>,
        binding: Option<String>,
        plain_http: bool,
    ) -> Result<Begun> {
        let login = user.username.clone().unwrap_or_else(|| user.email.clone());
        let display = user.display_name.clone().unwrap_or_else(|| login.clone());
        let (mut options, state) = self
            .webauthn(tenant, plain_http)?
            .start_passkey_registration(handle, &login, &display, Some(exclude))
            .map_err(|e| Error::Internal(format!("starting a passkey registration: {e}")))?;
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        let pending = PendingRegistration {
            user_handle: handle,
            state,
        };
        self.begin_ceremony(
            tenant,
            Ceremony::Register,
            (Some(user.id), session),
            binding,
            &pending,
            &options,
        )
        .await
    }

    /// Finishes adding a passkey: the answer must come from the session that began the
    /// ceremony, within its five minutes, for this tenant's host.
    pub async fn finish_passkey_registration(
        &self,
        principal: &Principal,
        answer: &Answer,
        name: &str,
        client: &ClientInfo,
        plain_http: bool,
    ) -> Result<Passkey> {
        hardware_allowed(&principal.settings)?;
        // The ceremony is bound to the session; an application's token riding on it is not
        // the session itself.
        if !crate::account_changes::is_login_session(principal) {
            return Err(Error::Forbidden);
        }
        if let Some(problem) = name_problem(name) {
            return Err(Error::Invalid(vec![problem]));
        }
        let tenant = self.tenant_of(principal).await?;
        let ceremony = self
            .take_ceremony(&tenant, answer.handle.expose(), Ceremony::Register)
            .await?
            .filter(|c| {
                c.user_id == Some(principal.user.id)
                    && c.session_id.is_some()
                    && c.session_id == principal.session_id
            })
            .ok_or_else(spent)?;
        let new = self
            .verified_registration(
                &tenant,
                &principal.user,
                &ceremony,
                answer,
                name,
                plain_http,
            )
            .await?;
        let activity = self.activity_of(
            principal,
            client,
            &format!("Added a passkey ({}).", new.name),
        );
        let stored = self
            .store
            .add_passkey(&new, &activity)
            .await
            .map_err(registered_twice)?;
        self.send_change_notice(
            &principal.settings,
            &principal.user,
            &format!(
                "A passkey ({}) was added to your account. If it is not yours, remove it on \
                 your account page; resetting your password also removes every passkey.",
                stored.name
            ),
        )
        .await?;
        self.principals.forget_user(principal.user.id);
        Ok(stored)
    }

    /// Starts a passwordless tenant's sign-up's last step: the person followed the link that
    /// proves their address (`token`, not used up yet) and now makes the passkey they will sign
    /// in with. Only after the address is proven is a passkey bound to it, so nobody can plant
    /// one on an address that is not theirs.
    pub async fn begin_passkey_signup(
        &self,
        tenant: &Tenant,
        token: &str,
        plain_http: bool,
    ) -> Result<Begun> {
        if !tenant.settings.is_passwordless() {
            return Err(Error::NotFound);
        }
        let token_hash = hash_secret(token.trim());
        let user = match self
            .store
            .verification_owner(&tenant.id, &token_hash, self.now())
            .await?
        {
            Some(owner) => self.store.user(&tenant.id, owner).await?,
            None => None,
        }
        .ok_or(Error::InvalidToken)?;
        if user.disabled {
            return Err(Error::Banned);
        }
        let first = (Uuid::new_v4(), Vec::new());
        self.begin_registration(tenant, &user, first, None, Some(token_hash), plain_http)
            .await
    }

    /// Finishes a passwordless sign-up: the passkey is verified, then in one step the token is
    /// used up, the address marked confirmed and the passkey stored; a browser session follows.
    pub async fn finish_passkey_signup(
        &self,
        tenant: &Tenant,
        token: &str,
        answer: &Answer,
        name: &str,
        client: &ClientInfo,
        plain_http: bool,
    ) -> Result<IssuedToken> {
        if !tenant.settings.is_passwordless() {
            return Err(Error::NotFound);
        }
        if let Some(problem) = name_problem(name) {
            return Err(Error::Invalid(vec![problem]));
        }
        let token_hash = hash_secret(token.trim());
        let ceremony = self
            .take_ceremony(tenant, answer.handle.expose(), Ceremony::Register)
            .await?
            .filter(|c| c.binding.as_deref() == Some(token_hash.as_str()) && c.session_id.is_none())
            .ok_or_else(spent)?;
        let user = match ceremony.user_id {
            Some(id) => self.store.user(&tenant.id, id).await?,
            None => None,
        }
        .ok_or_else(spent)?;
        if user.disabled {
            return Err(Error::Banned);
        }
        let new = self
            .verified_registration(tenant, &user, &ceremony, answer, name, plain_http)
            .await?;
        let activity = self.activity(
            &tenant.id,
            Some(&user),
            client,
            &format!(
                "Confirmed the email address and added a passkey ({}).",
                new.name
            ),
        );
        self.store
            .confirm_with_passkey(&token_hash, &new, &activity)
            .await
            .map_err(registered_twice)?
            .ok_or(Error::InvalidToken)?;
        self.principals.forget_user(user.id);
        let user = self
            .store
            .user(&tenant.id, user.id)
            .await?
            .ok_or(Error::InvalidToken)?;
        self.open_session(
            tenant,
            user,
            client,
            SessionClient::Browser,
            // The passkey was made, not used: what this sign-in proved is the mailed link,
            // which no registered `amr` value names (and which is no phishing-resistant one).
            Vec::new(),
        )
        .await
    }

    /// A registration's answer verified for `user`: the passkey to store.
    async fn verified_registration(
        &self,
        tenant: &Tenant,
        user: &User,
        ceremony: &WebauthnChallenge,
        answer: &Answer,
        name: &str,
        plain_http: bool,
    ) -> Result<NewPasskey> {
        let credential: RegisterPublicKeyCredential =
            serde_json::from_value(answer.credential.clone()).map_err(|_| malformed())?;
        let pending: PendingRegistration = serde_json::from_str(&ceremony.state)
            .map_err(|e| Error::Internal(format!("stored registration: {e}")))?;
        let (aaguid, backup_eligible, backed_up) = registration_facts(&credential)?;
        let passkey = self
            .webauthn(tenant, plain_http)?
            .finish_passkey_registration(&credential, &pending.state)
            .map_err(|error| {
                tracing::info!(%error, user = %user.id, "refused a passkey registration");
                malformed()
            })?;
        if !aaguid_allowed(&tenant.settings, &aaguid) {
            return Err(Error::Refused(
                "This tenant accepts only the security keys it issues.",
            ));
        }
        Ok(NewPasskey {
            tenant_id: tenant.id.clone(),
            user_id: user.id,
            name: name.trim().to_owned(),
            credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id()),
            user_handle: pending.user_handle.to_string(),
            credential: to_json(&passkey)?,
            aaguid,
            sign_count: 0,
            backup_eligible,
            backed_up,
            created_at: self.now(),
        })
    }

    /// The caller's passkeys, oldest first; listed even while the tenant has them turned off.
    pub async fn passkeys(&self, principal: &Principal) -> Result<Vec<Passkey>> {
        Ok(self.store.passkeys_of(principal.user.id).await?)
    }

    /// Renames one of the caller's passkeys.
    pub async fn rename_passkey(
        &self,
        principal: &Principal,
        id: PasskeyId,
        name: &str,
        client: &ClientInfo,
    ) -> Result<Passkey> {
        if let Some(problem) = name_problem(name) {
            return Err(Error::Invalid(vec![problem]));
        }
        let passkey = self
            .store
            .passkey(principal.user.id, id)
            .await?
            .ok_or(Error::NotFound)?;
        let name = name.trim();
        let activity = self.activity_of(principal, client, &format!("Renamed a passkey ({name})."));
        self.store
            .rename_passkey(passkey.id, name, &activity, self.now())
            .await?
            .ok_or(Error::NotFound)
    }

    /// Removes one of the caller's passkeys: a sensitive change (see
    /// [`Services::require_presence`]); the account's address hears of it.
    pub async fn remove_passkey(
        &self,
        principal: &Principal,
        id: PasskeyId,
        current_password: Option<&Secret>,
        client: &ClientInfo,
    ) -> Result<()> {
        self.require_presence(principal, current_password, client)
            .await?;
        let passkey = self
            .store
            .passkey(principal.user.id, id)
            .await?
            .ok_or(Error::NotFound)?;
        let activity = self.activity_of(
            principal,
            client,
            &format!("Removed a passkey ({}).", passkey.name),
        );
        if !self.store.delete_passkey(passkey.id, &activity).await? {
            return Err(Error::NotFound);
        }
        self.send_change_notice(
            &principal.settings,
            &principal.user,
            &format!(
                "A passkey ({}) was removed from your account.",
                passkey.name
            ),
        )
        .await?;
        self.principals.forget_user(principal.user.id);
        Ok(())
    }

    /// Starts a sign-in with a discoverable passkey: nobody is named until it answers.
    /// `binding`, when given, must come back with the answer (the pages bind the ceremony to
    /// the browser's CSRF secret).
    /// Each one stores a ceremony, so an address may begin only so many (the tenant's
    /// `throttle_attempts` ten times over per window).
    pub async fn begin_passkey_sign_in(
        &self,
        tenant: &Tenant,
        binding: Option<&str>,
        ip: Option<&str>,
        plain_http: bool,
    ) -> Result<Begun> {
        hardware_allowed(&tenant.settings)?;
        self.reserve_passkey_ceremony(tenant, ip).await?;
        // Only the `publicKey` member goes out (see `begin_ceremony`): how the browser asks (a
        // button, or the username field's autofill) is the page's choice, made in
        // `navigator.credentials.get()`.
        let (options, state) = self
            .webauthn(tenant, plain_http)?
            .start_discoverable_authentication()
            .map_err(|e| Error::Internal(format!("starting a passkey sign-in: {e}")))?;
        self.begin_ceremony(
            tenant,
            Ceremony::SignIn,
            (None, None),
            binding.map(hash_secret),
            &state,
            &options,
        )
        .await
    }

    /// Finishes a passkey sign-in through the login pipeline: the tenant's `allow_hardware`,
    /// the login throttles, the verifier (challenge, origin, relying party, signature, user
    /// verification, a counter that only goes forward), then bans and unconfirmed addresses.
    /// A passkey that verified its user is a complete sign-in: no second factor follows.
    pub async fn passkey_login(
        &self,
        tenant: &Tenant,
        answer: &Answer,
        binding: Option<&str>,
        client: &ClientInfo,
        opener: SessionClient,
        plain_http: bool,
    ) -> Result<IssuedToken> {
        let user = self
            .verify_passkey_sign_in(tenant, answer, binding, client, plain_http)
            .await?;
        // Something held (the key) and something known or been (its PIN or biometric).
        self.open_session(tenant, user, client, opener, amr(&["hwk", "user"]))
            .await
    }

    /// Proof of who it is, by passkey: the first step of the login pipeline for
    /// [`Services::passkey_login`] and the hosted pages.
    pub(crate) async fn verify_passkey_sign_in(
        &self,
        tenant: &Tenant,
        answer: &Answer,
        binding: Option<&str>,
        client: &ClientInfo,
        plain_http: bool,
    ) -> Result<User> {
        hardware_allowed(&tenant.settings)?;
        let ceremony = self
            .take_ceremony(tenant, answer.handle.expose(), Ceremony::SignIn)
            .await?
            .filter(|c| c.binding.as_deref() == binding.map(hash_secret).as_deref())
            .ok_or_else(spent)?;
        let credential: PublicKeyCredential =
            serde_json::from_value(answer.credential.clone()).map_err(|_| malformed())?;
        let webauthn = self.webauthn(tenant, plain_http)?;
        let (handle, credential_id) = webauthn
            .identify_discoverable_authentication(&credential)
            .map_err(|_| malformed())?;
        let credential_id = URL_SAFE_NO_PAD.encode(credential_id);
        let found = self
            .store
            .passkey_by_credential(&tenant.id, &credential_id)
            .await?
            .filter(|p| Uuid::parse_str(&p.user_handle).ok() == Some(handle));
        let bucket = match &found {
            Some(passkey) => throttle::user_bucket(passkey.user_id.0),
            None => throttle::unknown_login_bucket(&format!("passkey:{credential_id}")),
        };
        let attempt = self.reserve(tenant, client.ip.as_deref(), bucket).await?;
        // A model the tenant stopped accepting signs nobody in either.
        let Some(passkey) =
            found.filter(|p| !p.disabled && aaguid_allowed(&tenant.settings, &p.aaguid))
        else {
            return Err(Error::InvalidCredentials);
        };
        let user = self
            .store
            .user(&tenant.id, passkey.user_id)
            .await?
            .ok_or(Error::InvalidCredentials)?;
        let state: DiscoverableAuthentication = serde_json::from_str(&ceremony.state)
            .map_err(|e| Error::Internal(format!("stored sign-in: {e}")))?;
        let stored = stored_credential(&passkey)?;
        let result =
            match webauthn.finish_discoverable_authentication_v2(&credential, state, &stored) {
                Ok(result) if result.user_verified() => result,
                Ok(_) => return Err(Error::InvalidCredentials),
                Err(error) => {
                    self.refuse_assertion(tenant, &user, &passkey, &error, client)
                        .await?;
                    return Err(Error::InvalidCredentials);
                }
            };
        // Checked after the proof, so a ban is only revealed to the key's holder.
        if user.disabled {
            self.attempt_succeeded(&attempt).await?;
            return Err(Error::Banned);
        }
        if user.status(&tenant.settings) == UserStatus::Unconfirmed {
            self.attempt_succeeded(&attempt).await?;
            return Err(Error::EmailNotConfirmed);
        }
        let used = format!("Signed in with a passkey ({}).", passkey.name);
        self.note_passkey_use(tenant, &user, &passkey, &result, client, &used)
            .await?;
        self.attempt_succeeded(&attempt).await?;
        Ok(user)
    }

    /// Records why an assertion was refused. A counter that went backwards means a copy of
    /// the passkey exists: it is disabled until an administrator enables it again, and its
    /// owner is told.
    async fn refuse_assertion(
        &self,
        tenant: &Tenant,
        user: &User,
        passkey: &Passkey,
        error: &WebauthnError,
        client: &ClientInfo,
    ) -> Result<()> {
        tracing::info!(%error, passkey = %passkey.id, "refused a passkey assertion");
        let (id, name) = (passkey.id, &passkey.name);
        if !matches!(error, WebauthnError::CredentialPossibleCompromise) {
            let what = format!("Refused a sign-in with passkey {id} ({name}).");
            let refused = self.activity(&tenant.id, Some(user), client, &what);
            return Ok(self.store.record_activity(&refused).await?);
        }
        let what = format!(
            "Refused and disabled passkey {id} ({name}): its signature counter went backwards, \
             so it may have been copied."
        );
        let refused = self.activity(&tenant.id, Some(user), client, &what);
        self.store
            .set_passkey_state(id, true, &passkey.metadata, &refused, self.now())
            .await?;
        let notice = format!(
            "Your passkey ({name}) was used by a copy of it, so it is now disabled. Ask an \
             administrator to look into it."
        );
        self.send_change_notice(&tenant.settings, user, &notice)
            .await
    }

    /// The login behind a second-factor `challenge` (live, unused, this tenant's), its user,
    /// and the passkeys that may answer it in place of a code.
    async fn second_factor_keys(
        &self,
        tenant: &Tenant,
        challenge: &str,
    ) -> Result<(Challenge, User, Vec<Passkey>)> {
        let now = self.now();
        let found = self
            .store
            .challenge(&hash_secret(challenge.trim()))
            .await?
            .filter(|c| c.tenant_id == tenant.id && !c.used && c.expires_at > now)
            .ok_or_else(invalid_challenge)?;
        let user = self
            .store
            .user(&tenant.id, found.user_id)
            .await?
            .ok_or_else(invalid_challenge)?;
        let keys = self
            .store
            .passkeys_of(user.id)
            .await?
            .into_iter()
            .filter(|p| !p.disabled && aaguid_allowed(&tenant.settings, &p.aaguid))
            .collect();
        Ok((found, user, keys))
    }

    /// Whether the login behind `challenge` may be finished with a passkey or security key
    /// (the second-factor page offers the button then).
    pub async fn second_factor_takes_passkeys(&self, tenant: &Tenant, challenge: &str) -> bool {
        tenant.settings.allow_hardware
            && self
                .second_factor_keys(tenant, challenge)
                .await
                .is_ok_and(|(_, _, keys)| !keys.is_empty())
    }

    /// Starts answering a login's second-factor `challenge` with one of the account's passkeys
    /// or security keys, in place of a code. The ceremony is bound to that challenge.
    pub async fn begin_passkey_second_factor(
        &self,
        tenant: &Tenant,
        challenge: &str,
        ip: Option<&str>,
        plain_http: bool,
    ) -> Result<Begun> {
        hardware_allowed(&tenant.settings)?;
        self.reserve_passkey_ceremony(tenant, ip).await?;
        let (_, user, keys) = self.second_factor_keys(tenant, challenge).await?;
        if keys.is_empty() {
            return Err(Error::Refused(
                "This account has no passkey or security key.",
            ));
        }
        let stored = keys
            .iter()
            .map(stored_credential)
            .collect::<Result<Vec<_>>>()?;
        let (options, state) = self
            .webauthn(tenant, plain_http)?
            .start_passkey_authentication(&stored)
            .map_err(|e| Error::Internal(format!("starting a passkey second factor: {e}")))?;
        self.begin_ceremony(
            tenant,
            Ceremony::SecondFactor,
            (Some(user.id), None),
            Some(hash_secret(challenge.trim())),
            &state,
            &options,
        )
        .await
    }

    /// Finishes a login's second step with a passkey or security key in place of a code: the
    /// ceremony must be the one begun for this `challenge`, and the key one of the account's.
    pub async fn complete_login_with_passkey(
        &self,
        tenant: &Tenant,
        challenge: &str,
        answer: &Answer,
        client: &ClientInfo,
        opener: impl FnOnce(String) -> SessionClient,
        plain_http: bool,
    ) -> Result<IssuedToken> {
        hardware_allowed(&tenant.settings)?;
        let bound = hash_secret(challenge.trim());
        let ceremony = self
            .take_ceremony(tenant, answer.handle.expose(), Ceremony::SecondFactor)
            .await?
            .filter(|c| c.binding.as_deref() == Some(bound.as_str()))
            .ok_or_else(spent)?;
        let (found, user, keys) = self.second_factor_keys(tenant, challenge).await?;
        if ceremony.user_id != Some(user.id) {
            return Err(spent());
        }
        if user.disabled {
            return Err(Error::Banned);
        }
        let credential: PublicKeyCredential =
            serde_json::from_value(answer.credential.clone()).map_err(|_| malformed())?;
        let credential_id = URL_SAFE_NO_PAD.encode(credential.get_credential_id());
        let Some(passkey) = keys.into_iter().find(|p| p.credential_id == credential_id) else {
            return Err(Error::InvalidCredentials);
        };
        let state: PasskeyAuthentication = serde_json::from_str(&ceremony.state)
            .map_err(|e| Error::Internal(format!("stored second factor: {e}")))?;
        let result = match self
            .webauthn(tenant, plain_http)?
            .finish_passkey_authentication(&credential, &state)
        {
            Ok(result) => result,
            Err(error) => {
                self.refuse_assertion(tenant, &user, &passkey, &error, client)
                    .await?;
                return Err(Error::InvalidCredentials);
            }
        };
        let used = format!(
            "Answered the second step with a passkey ({}).",
            passkey.name
        );
        self.note_passkey_use(tenant, &user, &passkey, &result, client, &used)
            .await?;
        self.finish_second_step(tenant, user, found, &bound, "hwk", client, opener)
            .await
    }

    /// Stores what a verified assertion changed on its passkey: a replay or a copy racing this
    /// use with the same count loses ([`Error::InvalidCredentials`]).
    async fn note_passkey_use(
        &self,
        tenant: &Tenant,
        user: &User,
        passkey: &Passkey,
        result: &AuthenticationResult,
        client: &ClientInfo,
        what: &str,
    ) -> Result<()> {
        let mut stored = stored_credential(passkey)?;
        stored.update_credential(result);
        let change = PasskeyUse {
            credential: to_json(&stored)?,
            sign_count: i64::from(result.counter()).max(passkey.sign_count),
            backed_up: result.backup_state(),
            backup_eligible: result.backup_eligible() || passkey.backup_eligible,
            at: self.now(),
        };
        let used = self.activity(&tenant.id, Some(user), client, what);
        if self
            .store
            .record_passkey_use(passkey.id, passkey.sign_count, &change, &used)
            .await?
        {
            Ok(())
        } else {
            Err(Error::InvalidCredentials)
        }
    }

    /// `user`'s passkeys, for the management API.
    pub async fn passkeys_of_user(&self, user: &User) -> Result<Vec<Passkey>> {
        Ok(self.store.passkeys_of(user.id).await?)
    }
}

/// A registration in flight: the verifier's state, and the user handle it asked the
/// authenticator to keep (the verifier's state does not record it; keeping it here, not taking
/// it from the client, means a client cannot choose whose passkey it makes).
#[derive(serde::Serialize, serde::Deserialize)]
struct PendingRegistration {
    user_handle: Uuid,
    state: PasskeyRegistration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relying_party_is_the_host_of_the_origin() {
        assert!(relying_party("https://id.example.com", "x").is_ok());
        assert!(relying_party("http://localhost:8080", "x").is_ok());
        assert!(relying_party("http://127.0.0.1:8080", "x").is_err());
    }

    #[test]
    fn names_are_required_short_and_storable() {
        assert!(name_problem("Laptop").is_none());
        assert!(name_problem("  ").is_some());
        assert!(name_problem("a\0b").is_some());
        assert!(name_problem(&"x".repeat(PASSKEY_NAME_MAX + 1)).is_some());
    }
}

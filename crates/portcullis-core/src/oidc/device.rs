//! The device authorization grant (RFC 8628): a device without a browser (a television, a
//! command-line tool) asks for a device code and a short user code; a person signed in on the
//! hosted pages enters the user code, sees which application asks for what, and approves or
//! denies; the device polls the token endpoint until then.
//!
//! Approval is a new way in: it opens a session for the device through the login pipeline
//! (session limit, activity entry), which the person sees in their sessions list and can end,
//! and binds a grant to it as the code flow does, so refresh, revocation and logout treat
//! device tokens as any grant's family. Only applications whose metadata has
//! [`DEVICE_FLOW_KEY`](super::clients::DEVICE_FLOW_KEY) = `"true"` may use it.

use super::authorize::NO_ACCESS;
use super::clients::{uses_device_flow, ClientCredentials};
use super::discovery::DEVICE_PAGE_PATH;
use super::error::{refused, ErrorCode, OAuthResult};
use super::grants::{new_secret, OIDC_SCOPES};
use super::token::{refresh_token, IssuedTokens, TokenRequest};
use crate::error::{Error, Result, StoreError};
use crate::ids::Secret;
use crate::model::{Application, ClientInfo, DeviceCode, Grant, Principal, SessionClient, Tenant};
use crate::services::Services;
use crate::tokens::hash_secret;
use time::Duration;

/// How long a person has to enter the user code, and the device to poll.
pub const DEVICE_CODE_LIFETIME: Duration = Duration::minutes(10);
/// The least seconds between two polls, at first.
pub const POLL_INTERVAL_SECONDS: i64 = 5;
/// What each poll that comes too soon adds to the interval (RFC 8628 §3.5).
pub const SLOW_DOWN_SECONDS: i64 = 5;
/// Letters a person cannot mistake for one another or for digits, and that spell few words:
/// no vowels, no `Y`.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LEN: usize = 8;
/// Tries at a user code no live code holds: 20^8 codes make a second try rare already.
const USER_CODE_TRIES: usize = 5;

/// What the page says about a user code that leads nowhere.
pub const CODE_WRONG: &str =
    "That code is not right. Check the code your device shows and type it again.";
pub const CODE_EXPIRED: &str =
    "That code has expired. Start again on your device to get a new one.";
pub const CODE_DECIDED: &str = "That code was used already.";

/// The answer to a device authorization request (RFC 8628 §3.2).
#[derive(Debug)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    /// As shown to the person: `WDJB-MJHT`.
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// A user code's request, as the page shows it before the person decides.
#[derive(Debug, Clone)]
pub struct DeviceRequest {
    /// As shown to the person: `WDJB-MJHT`.
    pub user_code: String,
    pub application: String,
    pub scopes: Vec<String>,
}

/// A user code as typed, in any case, with or without the dash or spaces, as it is stored
/// (hashed): eight letters of the alphabet, upper case. `None` when it cannot be one.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let well_formed =
        code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    well_formed.then_some(code)
}

/// A normalised user code as shown: two groups of four.
pub fn display_user_code(code: &str) -> String {
    match code.split_at_checked(USER_CODE_LEN / 2) {
        Some((first, second)) => format!("{first}-{second}"),
        None => code.to_owned(),
    }
}

impl Services {
    /// Answers `POST /oauth2/device_authorization` from a client with these credentials: a
    /// device code and a user code for the OIDC scopes asked for (`openid` required).
    /// `issuer` is the tenant's issuer as the client sees it; `client` the device.
    pub async fn device_authorization(
        &self,
        tenant: &Tenant,
        credentials: &ClientCredentials,
        scope: Option<&str>,
        issuer: &str,
        client: &ClientInfo,
    ) -> OAuthResult<DeviceAuthorization> {
        let application = self.authenticate_client(tenant, credentials).await?;
        if !uses_device_flow(&application) {
            return refused(ErrorCode::UnauthorizedClient, DEVICE_FLOW_OFF);
        }
        let requested: Vec<&str> = scope.unwrap_or("").split_ascii_whitespace().collect();
        if !requested.contains(&"openid") {
            return refused(ErrorCode::InvalidScope, "The scope must include openid.");
        }
        let scopes: Vec<String> = OIDC_SCOPES
            .iter()
            .filter(|scope| requested.contains(scope))
            .map(|scope| (*scope).to_owned())
            .collect();
        let now = self.now();
        let (device_code, device_code_hash) = new_secret();
        let mut tries = USER_CODE_TRIES;
        let user_code = loop {
            let user_code = crate::random::from_alphabet(USER_CODE_ALPHABET, USER_CODE_LEN);
            let code = DeviceCode {
                device_code_hash: device_code_hash.clone(),
                tenant_id: tenant.id.clone(),
                application_id: application.id.clone(),
                user_code_hash: hash_secret(&user_code),
                scopes: scopes.clone(),
                ip_address: client.ip.clone(),
                user_agent: client.user_agent.clone(),
                created_at: now,
                expires_at: now + DEVICE_CODE_LIFETIME,
                interval_seconds: POLL_INTERVAL_SECONDS,
                last_polled_at: None,
                grant_id: None,
                denied_at: None,
                redeemed_at: None,
            };
            match self.store.create_device_code(&code).await {
                Ok(()) => break user_code,
                Err(StoreError::Conflict(_)) if tries > 1 => tries -= 1,
                Err(other) => return Err(Error::from(other).into()),
            }
        };
        let shown = display_user_code(&user_code);
        let verification_uri = format!("{issuer}{DEVICE_PAGE_PATH}");
        Ok(DeviceAuthorization {
            device_code: Secret::new(device_code),
            verification_uri_complete: format!("{verification_uri}?user_code={shown}"),
            verification_uri,
            user_code: shown,
            expires_in: DEVICE_CODE_LIFETIME.whole_seconds(),
            interval: POLL_INTERVAL_SECONDS,
        })
    }

    /// What the user code `typed` asks the signed-in `principal` to approve. Each code typed
    /// counts against the address's throttle (a user code is short enough to guess), and a
    /// live one gives its hit back. Refusals ([`Error::Refused`]) are the page's to show.
    pub async fn device_request(
        &self,
        tenant: &Tenant,
        principal: &Principal,
        typed: &str,
        client: &ClientInfo,
    ) -> Result<DeviceRequest> {
        let (code, application) = self
            .live_device_code(tenant, principal, typed, client)
            .await?;
        Ok(DeviceRequest {
            user_code: normalize_user_code(typed)
                .map(|code| display_user_code(&code))
                .unwrap_or_default(),
            application: application.name,
            scopes: code.scopes,
        })
    }

    /// The signed-in `principal` approves or denies the device with the user code `typed`.
    /// Approval opens a session for the device (within the tenant's session limit, listed
    /// with the device's address) and binds a grant to it, whose ID tokens carry the browser
    /// sign-in's `auth_time` and `amr`.
    pub async fn decide_device_request(
        &self,
        tenant: &Tenant,
        principal: &Principal,
        typed: &str,
        approve: bool,
        client: &ClientInfo,
    ) -> Result<DeviceRequest> {
        let (code, application) = self
            .live_device_code(tenant, principal, typed, client)
            .await?;
        let now = self.now();
        let request = DeviceRequest {
            user_code: normalize_user_code(typed)
                .map(|code| display_user_code(&code))
                .unwrap_or_default(),
            application: application.name.clone(),
            scopes: code.scopes.clone(),
        };
        if !approve {
            if !self
                .store
                .deny_device_code(&code.device_code_hash, now)
                .await?
            {
                return Err(Error::Refused(CODE_DECIDED));
            }
            let description = format!(
                "Denied a device a sign-in to the application {:?}.",
                application.name
            );
            let activity = self.activity_of(principal, client, &description);
            self.store.record_activity(&activity).await?;
            return Ok(request);
        }
        let user = principal.user.clone();
        if user.disabled {
            return Err(Error::Banned);
        }
        let browser_session = principal
            .session_id
            .as_ref()
            .ok_or(Error::Unauthenticated)?;
        let amr = self
            .store
            .session(browser_session)
            .await?
            .map(|session| session.amr)
            .unwrap_or_default();
        let device = ClientInfo {
            ip: code.ip_address.clone(),
            user_agent: code.user_agent.clone(),
        };
        let name: String = application
            .name
            .chars()
            .take(crate::auth::DEVICE_NAME_MAX)
            .collect();
        let issued = self
            .open_session(tenant, user, &device, SessionClient::Approved(name), amr)
            .await?;
        let grant = Grant {
            id: crate::random::base62(24),
            tenant_id: tenant.id.clone(),
            application_id: application.id.clone(),
            user_id: principal.user.id,
            session_id: issued.session_id.clone(),
            scopes: code.scopes.clone(),
            auth_time: principal.authenticated_at.unwrap_or(now),
            created_at: now,
            revoked_at: None,
        };
        if !self
            .store
            .approve_device_code(&code.device_code_hash, &grant, now)
            .await?
        {
            // Decided meanwhile in another tab: the session made for it serves nobody.
            let ended = self.activity_of(principal, client, "Ended an unused device session.");
            self.store
                .end_session(&issued.session_id, &ended, now)
                .await?;
            self.principals.forget_user(principal.user.id);
            return Err(Error::Refused(CODE_DECIDED));
        }
        let description = format!(
            "Approved a device's sign-in to the application {:?}.",
            application.name
        );
        let activity = self.activity_of(principal, client, &description);
        self.store.record_activity(&activity).await?;
        Ok(request)
    }

    /// The live, undecided device code `typed` names, and its application, which must take
    /// the principal's user; each call counts one guess against the address.
    async fn live_device_code(
        &self,
        tenant: &Tenant,
        principal: &Principal,
        typed: &str,
        client: &ClientInfo,
    ) -> Result<(DeviceCode, Application)> {
        if principal.tenant_id != tenant.id || principal.session_id.is_none() {
            return Err(Error::Unauthenticated);
        }
        let attempt = self
            .reserve_user_code_guess(tenant, client.ip.as_deref())
            .await?;
        let Some(normalized) = normalize_user_code(typed) else {
            return Err(Error::Refused(CODE_WRONG));
        };
        let code = self
            .store
            .device_code_by_user_code(&tenant.id, &hash_secret(&normalized))
            .await?;
        let Some(code) = code else {
            return Err(Error::Refused(CODE_WRONG));
        };
        if code.expires_at <= self.now() {
            return Err(Error::Refused(CODE_EXPIRED));
        }
        if code.grant_id.is_some() || code.denied_at.is_some() {
            return Err(Error::Refused(CODE_DECIDED));
        }
        self.attempt_succeeded(&attempt).await?;
        let application = self
            .store
            .application(&tenant.id, &code.application_id)
            .await?
            .ok_or(Error::Refused(CODE_WRONG))?;
        if !self
            .may_use_application(&application, &principal.user)
            .await?
        {
            return Err(Error::Refused(NO_ACCESS));
        }
        Ok((code, application))
    }

    /// The token endpoint's answer to a device polling with its device code: pending, slow
    /// down, denied or expired, then once the tokens, in one atomic store step.
    pub(super) async fn redeem_device_code(
        &self,
        tenant: &Tenant,
        application: &Application,
        request: &TokenRequest,
        issuer: &str,
        client: &ClientInfo,
    ) -> OAuthResult<IssuedTokens> {
        if !uses_device_flow(application) {
            return refused(ErrorCode::UnauthorizedClient, DEVICE_FLOW_OFF);
        }
        let Some(presented) = request.device_code.as_deref() else {
            return refused(ErrorCode::InvalidRequest, "device_code is required.");
        };
        let hash = hash_secret(presented);
        let Some((code, grant)) = self.store.device_code(&hash).await? else {
            return refused(ErrorCode::InvalidGrant, DEVICE_CODE_INVALID);
        };
        if code.tenant_id != tenant.id || code.application_id != application.id {
            return refused(ErrorCode::InvalidGrant, DEVICE_CODE_INVALID);
        }
        // Unlike an authorization code, a device code never leaves the device, so a second
        // redemption is refused without revoking what the first one got.
        if code.redeemed_at.is_some() {
            return refused(ErrorCode::InvalidGrant, DEVICE_CODE_USED);
        }
        let now = self.now();
        if code.expires_at <= now {
            return refused(ErrorCode::ExpiredToken, "The device code has expired.");
        }
        if code.denied_at.is_some() {
            return refused(ErrorCode::AccessDenied, "The person denied the request.");
        }
        let Some(grant) = grant else {
            let too_soon = code
                .last_polled_at
                .is_some_and(|at| now - at < Duration::seconds(code.interval_seconds));
            let interval = code.interval_seconds + if too_soon { SLOW_DOWN_SECONDS } else { 0 };
            self.store.record_device_poll(&hash, now, interval).await?;
            return if too_soon {
                refused(
                    ErrorCode::SlowDown,
                    "Polled faster than the interval, which is now 5 seconds longer.",
                )
            } else {
                refused(
                    ErrorCode::AuthorizationPending,
                    "The person has not approved the request yet.",
                )
            };
        };
        if grant.revoked_at.is_some() {
            return refused(ErrorCode::InvalidGrant, DEVICE_CODE_INVALID);
        }
        let signer = self.signer(application, &grant).await?;
        let (access, access_secret) = self.access_token(application, &grant, &signer.session);
        let (refresh_secret, refresh) = refresh_token(&grant, now);
        let Some(token_id) = self
            .store
            .redeem_device_code(&hash, now, &access, &refresh)
            .await?
        else {
            return refused(ErrorCode::InvalidGrant, DEVICE_CODE_USED);
        };
        let description = format!(
            "Signed in to the application {:?} on a device.",
            application.name
        );
        let activity = self.activity(&tenant.id, Some(&signer.user), client, &description);
        self.store.record_activity(&activity).await?;
        let access_token = access_secret.bearer(token_id);
        self.respond(
            application,
            &grant,
            &signer,
            access,
            access_token,
            Some(refresh_secret),
            None,
            issuer,
        )
        .await
    }
}

const DEVICE_FLOW_OFF: &str =
    "This client may not use the device authorization grant (its metadata device_flow is not \"true\").";
const DEVICE_CODE_INVALID: &str = "The device code is unknown, or was issued to another client.";
const DEVICE_CODE_USED: &str = "The device code was used already.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_code_is_taken_in_any_case_with_or_without_its_dash() {
        for typed in ["WDJB-MJHT", "wdjbmjht", " wdjb mjht ", "Wdjb-mJht"] {
            assert_eq!(normalize_user_code(typed).as_deref(), Some("WDJBMJHT"));
        }
        for typed in ["WDJB-MJH", "WDJB-MJHTX", "WDJA-MJHT", "WDJB-MJH1", ""] {
            assert_eq!(normalize_user_code(typed), None, "{typed}");
        }
        assert_eq!(display_user_code("WDJBMJHT"), "WDJB-MJHT");
    }

    #[test]
    fn new_user_codes_use_the_alphabet_only() {
        let code = crate::random::from_alphabet(USER_CODE_ALPHABET, USER_CODE_LEN);
        assert_eq!(normalize_user_code(&code), Some(code.clone()));
    }
}

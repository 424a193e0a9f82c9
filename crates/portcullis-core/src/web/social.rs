//! Signing in on the hosted pages with a social network: the OAuth 2.0 code flow with PKCE.
//! The state and verifier wait in the browser (the pages keep them in a cookie) until it comes
//! back; the code is exchanged for an access token, and from there the rules are those of an
//! API social login, ending in a web session as a password sign-in does.

use crate::account_changes::is_login_session;
use crate::auth::LoginOutcome;
use crate::error::{Error, Result};
use crate::ids::Secret;
use crate::model::{ClientInfo, Principal, SocialNetwork, Tenant};
use crate::services::Services;
use crate::social::network_label;
use crate::social::ResolvedNetwork;
use crate::throttle::Attempt;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A "Continue with …" button of the login page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialButton {
    pub network: String,
    pub label: String,
}

/// A sign-in sent to a network, waiting for the browser to come back with a code.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingSocial {
    pub network: String,
    pub state: String,
    pub verifier: String,
}

impl std::fmt::Debug for PendingSocial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSocial")
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

/// Where to send the browser, and what to keep until it is back.
#[derive(Debug)]
pub struct SocialStart {
    pub authorize_url: String,
    pub pending: PendingSocial,
}

/// Network names that can stand in a URL path as they are.
fn plain_name(network: &str) -> bool {
    !network.is_empty()
        && network.len() <= 64
        && network
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Services {
    /// The networks a browser can sign in with here: the tenant's networks with a client
    /// registered, while it takes social logins.
    pub fn social_buttons(&self, tenant: &Tenant) -> Vec<SocialButton> {
        if !tenant.settings.allow_social {
            return Vec::new();
        }
        let settings = &tenant.settings.social_networks;
        settings
            .iter()
            .filter(|n| plain_name(&n.network))
            .filter(|n| SocialNetwork::resolve(n).is_some_and(|r| r.browser.is_some()))
            .map(|n| SocialButton {
                network: n.network.clone(),
                label: network_label(&n.network),
            })
            .collect()
    }

    /// Where the network sends the browser back to (registered with the network).
    pub fn social_redirect_uri(&self, tenant: &Tenant, network: &str) -> String {
        let origin = self.public_origin(&tenant.settings);
        format!("{origin}/login/social/{network}/callback")
    }

    /// Starts a sign-in with `network`: [`Error::NotFound`] unless the tenant registered a
    /// client with it (and [`crate::social::SOCIAL_OFF`] while social logins are off).
    pub fn start_web_social(&self, tenant: &Tenant, network: &str) -> Result<SocialStart> {
        if !plain_name(network) {
            return Err(Error::NotFound);
        }
        let resolved = self.social_network(tenant, network).map_err(not_found)?;
        let browser = resolved.browser.ok_or(Error::NotFound)?;
        let pending = PendingSocial {
            network: network.to_owned(),
            state: crate::random::base62(32),
            verifier: crate::random::base62(64),
        };
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(pending.verifier.as_bytes()));
        let mut url = url::Url::parse(&browser.authorize_url)
            .map_err(|e| Error::SocialNetwork(format!("{network}: authorize URL: {e}")))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &browser.client_id)
                .append_pair("redirect_uri", &self.social_redirect_uri(tenant, network));
            if !browser.scope.is_empty() {
                query.append_pair("scope", &browser.scope);
            }
            query
                .append_pair("state", &pending.state)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
        }
        Ok(SocialStart {
            authorize_url: url.into(),
            pending,
        })
    }

    /// Finishes the sign-in `pending` started, with what the network sent the browser back
    /// with: [`Error::InvalidToken`] unless it is the same network and state (another
    /// browser's, or a forged, return); [`Error::Throttled`] when the address failed too often
    /// lately; then the code is exchanged, and the account rules of
    /// [`Services::social_login`] and the page's second factor apply.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_web_social(
        &self,
        tenant: &Tenant,
        pending: &PendingSocial,
        network: &str,
        state: &str,
        code: &str,
        client: &ClientInfo,
        remembered_device: Option<&str>,
    ) -> Result<LoginOutcome> {
        let returned = Returned { state, code };
        let (resolved, access_token, attempt) = self
            .exchange_social_code(tenant, pending, network, returned, client)
            .await?;
        let user = self
            .social_account(tenant, network, &resolved, &access_token)
            .await?;
        self.attempt_succeeded(&attempt).await?;
        // No registered `amr` value names a sign-in at another provider.
        self.web_sign_in(tenant, user, client, remembered_device, Vec::new())
            .await
    }

    /// Starts linking `network` to the signed-in person's own account (the account page): a
    /// login session's change of how the account signs in, under the step-up rule.
    pub async fn start_social_link(
        &self,
        principal: &Principal,
        tenant: &Tenant,
        network: &str,
        current_password: Option<&Secret>,
        client: &ClientInfo,
    ) -> Result<SocialStart> {
        if tenant.id != principal.tenant_id {
            return Err(Error::Forbidden);
        }
        self.require_presence(principal, current_password, client)
            .await?;
        self.start_web_social(tenant, network)
    }

    /// Finishes a link `pending` started: the network's account signs in to the caller's own
    /// from now on. Refused ([`Error::Conflict`]) when that account already signs in to
    /// another one here; the account's address is told of the new way in.
    pub async fn finish_social_link(
        &self,
        principal: &Principal,
        (tenant, pending): (&Tenant, &PendingSocial),
        network: &str,
        returned: Returned<'_>,
        client: &ClientInfo,
    ) -> Result<()> {
        if tenant.id != principal.tenant_id || !is_login_session(principal) {
            return Err(Error::Forbidden);
        }
        let (resolved, access_token, attempt) = self
            .exchange_social_code(tenant, pending, network, returned, client)
            .await?;
        let profile = self
            .social_profile(tenant, network, &resolved, &access_token)
            .await?;
        self.attempt_succeeded(&attempt).await?;
        let user = &principal.user;
        match self
            .store
            .social_identity(&tenant.id, network, &profile.subject)
            .await?
        {
            Some(owner) if owner.id == user.id => return Ok(()),
            Some(_) => return Err(Error::Conflict(TAKEN)),
            None => {}
        }
        // Two links of the same network account at once: the second meets the first's row.
        self.store
            .link_social_identity(&tenant.id, network, &profile.subject, user.id, self.now())
            .await
            .map_err(|e| match e {
                crate::error::StoreError::Conflict(_) => Error::Conflict(TAKEN),
                other => other.into(),
            })?;
        let label = network_label(network);
        let activity = self.activity_of(principal, client, &format!("Linked the {label} sign-in."));
        self.store.record_activity(&activity).await?;
        self.principals.forget_user(user.id);
        let what = format!("{label} can now be used to sign in to your account.");
        self.send_change_notice(&principal.settings, user, &what)
            .await
    }

    /// The network's access token for a browser that came back from it with `returned`, after
    /// checking it is the return `pending` waits for ([`Error::InvalidToken`] for another
    /// browser's, or a forged, one) and that the address has not failed too often lately.
    async fn exchange_social_code(
        &self,
        tenant: &Tenant,
        pending: &PendingSocial,
        network: &str,
        returned: Returned<'_>,
        client: &ClientInfo,
    ) -> Result<(ResolvedNetwork, String, Attempt)> {
        let same_state: bool = pending
            .state
            .as_bytes()
            .ct_eq(returned.state.as_bytes())
            .into();
        if !(same_state && pending.network == network) || returned.code.is_empty() {
            return Err(Error::InvalidToken);
        }
        let resolved = self.social_network(tenant, network).map_err(not_found)?;
        let browser = resolved.browser.as_ref().ok_or(Error::NotFound)?;
        let attempt = self
            .reserve_social_return(tenant, client.ip.as_deref())
            .await?;
        let redirect_uri = self.social_redirect_uri(tenant, network);
        let client_secret = self.unseal_social_secret(tenant, network, &browser.client_secret)?;
        let answer = self
            .network_client()?
            .token(
                &browser.token_url,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", returned.code),
                    ("redirect_uri", &redirect_uri),
                    ("client_id", &browser.client_id),
                    ("client_secret", &client_secret),
                    ("code_verifier", &pending.verifier),
                ],
                tenant.settings.developer_mode,
            )
            .await;
        let answer = self.outbound(tenant, network, answer).await?;
        let access_token = answer["access_token"]
            .as_str()
            .filter(|token| !token.is_empty())
            .ok_or_else(|| Error::SocialNetwork(format!("{network}: no access_token")))?
            .to_owned();
        Ok((resolved, access_token, attempt))
    }
}

/// A link refused because the network's account is another one's way in already.
const TAKEN: &str = "That account of the network already signs in to another account here.";

/// What a network sent the browser back with.
#[derive(Debug, Clone, Copy)]
pub struct Returned<'a> {
    pub state: &'a str,
    pub code: &'a str,
}

/// An unknown network is a page that is not there, not a form problem.
fn not_found(error: Error) -> Error {
    match error {
        Error::Invalid(_) => Error::NotFound,
        other => other,
    }
}

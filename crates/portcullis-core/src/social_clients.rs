//! The OAuth client a tenant registered with each of its social networks, as the console's
//! `settings.auth` holders see and change it: the client id, and a secret that is written,
//! sealed, and never shown again. The networks themselves (their endpoints, which the server
//! will call) are the operator's to set up, with `portcullis social set`.

use crate::authz::Action;
use crate::error::{Error, Result};
use crate::field::Rule;
use crate::ids::Secret;
use crate::model::{ClientInfo, Principal, SocialNetwork};
use crate::services::Services;

/// A network as the console lists it.
#[derive(Debug, Clone)]
pub struct SocialClient {
    pub network: String,
    pub client_id: Option<String>,
    /// Whether a secret is kept (its value is never given back).
    pub has_secret: bool,
    /// Whether the network's sign-in endpoints are known (a preset's, or set by the operator),
    /// so that "Continue with …" can work once a client is set.
    pub browser_sign_in: bool,
    /// The callback to register with the network.
    pub callback: String,
}

/// What the console's form asks: a new client id (empty: none), and a new secret (`None`:
/// keep the one kept).
#[derive(Debug, Clone)]
pub struct SocialClientChange {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub remove_secret: bool,
}

const MAX_CLIENT_ID: usize = 255;

impl Services {
    /// The tenant's networks with their clients, for `settings.auth` holders.
    pub async fn social_clients(&self, principal: &Principal) -> Result<Vec<SocialClient>> {
        self.authorize(principal, Action::AuthSettings).await?;
        let tenant = self.console_tenant(principal).await?;
        Ok(tenant
            .settings
            .social_networks
            .iter()
            .map(|network| SocialClient {
                network: network.network.clone(),
                client_id: network.client_id.clone(),
                has_secret: network.client_secret.is_some(),
                browser_sign_in: has_preset_endpoints(network),
                callback: self.social_redirect_uri(&tenant, &network.network),
            })
            .collect())
    }

    /// Sets the client of one of the tenant's networks. Written only while the networks are
    /// as they were read, so a change made meanwhile (another administrator, the command
    /// line) is never undone: that one is refused as a conflict, to be tried again.
    pub async fn set_social_client(
        &self,
        principal: &Principal,
        network: &str,
        change: SocialClientChange,
        client: &ClientInfo,
    ) -> Result<()> {
        self.authorize(principal, Action::AuthSettings).await?;
        let tenant = self.console_tenant(principal).await?;
        let stored = self
            .store
            .stored_social_networks(&tenant.id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut networks: Vec<SocialNetwork> = serde_json::from_str(&stored)
            .map_err(|e| Error::Internal(format!("social networks: {e}")))?;
        let found = networks
            .iter_mut()
            .find(|n| n.network == network)
            .ok_or(Error::NotFound)?;
        let client_id = change.client_id.trim();
        if client_id.chars().count() > MAX_CLIENT_ID || client_id.chars().any(char::is_control) {
            return Err(Error::invalid(
                "client_id",
                Rule::Length { max: MAX_CLIENT_ID },
            ));
        }
        found.client_id = (!client_id.is_empty()).then(|| client_id.to_owned());
        if found.client_id.is_some() && !has_preset_endpoints(found) {
            return Err(Error::invalid(
                "client_id",
                Rule::Other(
                    "This network has no sign-in endpoints yet: the operator sets them with `portcullis social set`."
                        .into(),
                ),
            ));
        }
        match (&change.client_secret, change.remove_secret) {
            (Some(secret), _) if !secret.expose().trim().is_empty() => {
                found.client_secret =
                    Some(self.seal_social_secret(&tenant, network, secret.expose().trim())?);
            }
            (_, true) => found.client_secret = None,
            _ => {}
        }
        let new = serde_json::to_string(&networks)
            .map_err(|e| Error::Internal(format!("social networks: {e}")))?;
        if !self
            .store
            .replace_social_networks(&tenant.id, &stored, &new)
            .await?
        {
            return Err(Error::Conflict(
                "The social networks changed meanwhile; look at them again.",
            ));
        }
        self.principals.forget_all();
        let description = format!("Updated the settings: the {network} client.");
        let activity = self.activity_of(principal, client, &description);
        self.store.record_activity(&activity).await?;
        Ok(())
    }
}

/// Whether the browser sign-in's endpoints are known for `network` once it has a client:
/// its own, or its preset's.
fn has_preset_endpoints(network: &SocialNetwork) -> bool {
    // Asked of the network as if a client were registered (the endpoints are what matter).
    let with_client = SocialNetwork {
        client_id: Some("client".to_owned()),
        client_secret: Some("secret".to_owned()),
        ..network.clone()
    };
    with_client
        .resolve()
        .is_some_and(|resolved| resolved.browser.is_some())
}

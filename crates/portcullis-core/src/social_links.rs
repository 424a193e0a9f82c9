//! The social networks linked to one's own account, and unlinking one.
//!
//! Unlinking is a credential change, so it follows the presence rule; and it is refused when
//! the link is the only way into the account (no password it could sign in with, no passkey,
//! no other network), which would lock its owner out for good.

use crate::error::{Error, Result};
use crate::ids::Secret;
use crate::model::{ClientInfo, Principal, SocialIdentity};
use crate::services::Services;
use crate::social::network_label;

pub const ONLY_WAY_IN: &str = "This is the only way you can sign in: add a passkey or set a \
                               password before you unlink it.";

/// A network linked to the account, as the account page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedNetwork {
    pub network: String,
    pub label: String,
    /// When the first of the account's links at this network was made.
    pub linked_at: time::OffsetDateTime,
}

impl Services {
    /// The networks linked to the caller's account, one row per network, oldest link first.
    pub async fn linked_networks(&self, principal: &Principal) -> Result<Vec<LinkedNetwork>> {
        let identities = self.store.social_identities_of(principal.user.id).await?;
        Ok(by_network(&identities))
    }

    /// Unlinks the caller's account at `network`, under the presence rule.
    /// [`Error::NotFound`] when it is not linked there; [`Error::Refused`] with
    /// [`ONLY_WAY_IN`] when no other way in would be left.
    pub async fn unlink_network(
        &self,
        principal: &Principal,
        network: &str,
        current_password: Option<&Secret>,
        client: &ClientInfo,
    ) -> Result<()> {
        self.require_presence(principal, current_password, client)
            .await?;
        let user = principal.user.id;
        let identities = self.store.social_identities_of(user).await?;
        if !identities.iter().any(|i| i.network == network) {
            return Err(Error::NotFound);
        }
        let other_network = identities.iter().any(|i| i.network != network);
        let passkey = principal.settings.allow_hardware
            && self
                .store
                .passkeys_of(user)
                .await?
                .iter()
                .any(|p| !p.disabled);
        if !(other_network || passkey || self.has_usable_password(principal).await?) {
            return Err(Error::Refused(ONLY_WAY_IN));
        }
        let description = format!("Unlinked the {} sign-in.", network_label(network));
        let activity = self.activity_of(principal, client, &description);
        self.store
            .unlink_social_identities(user, network, &activity)
            .await?;
        self.principals.forget_user(user);
        Ok(())
    }
}

/// One row per network, in the order of each network's first link.
fn by_network(identities: &[SocialIdentity]) -> Vec<LinkedNetwork> {
    let mut networks: Vec<LinkedNetwork> = Vec::new();
    for identity in identities {
        match networks.iter_mut().find(|n| n.network == identity.network) {
            Some(known) => known.linked_at = known.linked_at.min(identity.created_at),
            None => networks.push(LinkedNetwork {
                network: identity.network.clone(),
                label: network_label(&identity.network),
                linked_at: identity.created_at,
            }),
        }
    }
    networks
}

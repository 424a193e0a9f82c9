//! Consent: which applications must ask the person before they get their claims, and what the
//! person allowed (listed and withdrawn on the account page).

use super::clients::THIRD_PARTY_KEY;
use crate::error::Result;
use crate::model::{Application, ClientInfo, ConsentedApplication, Principal, Tenant};
use crate::services::Services;

/// Whether the application is a third party's (metadata `third_party: "true"`).
pub fn is_third_party(application: &Application) -> bool {
    application
        .metadata
        .get(THIRD_PARTY_KEY)
        .is_some_and(|value| value == "true")
}

impl Services {
    /// Whether the person must allow what the application asks for before it gets it (unless
    /// they allowed it before): a third-party application where the tenant asks for consent,
    /// and always one that registered itself (nobody vouched for it).
    pub async fn needs_consent(&self, tenant: &Tenant, application: &Application) -> Result<bool> {
        if tenant.settings.third_party_consent && is_third_party(application) {
            return Ok(true);
        }
        // Whatever its metadata says since (an operator replacing it whole may drop
        // `third_party`), a client that registered itself is nobody's word.
        let registered = self
            .store
            .client_registration(&tenant.id, &application.id)
            .await?;
        Ok(registered.is_some())
    }

    /// The applications the person allowed access, most recent first.
    pub async fn consented_applications(
        &self,
        principal: &Principal,
    ) -> Result<Vec<ConsentedApplication>> {
        Ok(self.store.consents_of(principal.user.id).await?)
    }

    /// Withdraws the person's consent to an application and revokes every token the
    /// application holds for them. `false`: they had given it none.
    pub async fn withdraw_consent(
        &self,
        principal: &Principal,
        application_id: &str,
        client: &ClientInfo,
    ) -> Result<bool> {
        let name = self
            .store
            .application(&principal.tenant_id, application_id)
            .await?
            .map_or_else(|| application_id.to_owned(), |app| app.name);
        let description = format!("Withdrew the access of the application {name:?}.");
        let activity = self.activity_of(principal, client, &description);
        let withdrawn = self
            .store
            .withdraw_consent(principal.user.id, application_id, self.now(), &activity)
            .await?;
        // Its access tokens are the person's login tokens: no cache may keep them alive.
        self.principals.forget_user(principal.user.id);
        Ok(withdrawn)
    }
}

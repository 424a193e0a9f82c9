//! A user changing their own profile details. Login credentials (email, username, password)
//! change through the account-change service ([`crate::account_changes`]).

use crate::authz::Action;
use crate::error::{Error, Result};
use crate::field::Rule;
use crate::model::{ClientInfo, DetailsChange, Principal, User};
use crate::services::Services;

impl Services {
    /// The caller's own account.
    pub async fn own_profile(&self, principal: &Principal) -> Result<User> {
        self.authorize(principal, Action::ViewProfile).await?;
        Ok(principal.user.clone())
    }

    pub async fn update_details(
        &self,
        principal: &Principal,
        change: DetailsChange,
        client: &ClientInfo,
    ) -> Result<User> {
        self.authorize(principal, Action::UpdateProfile).await?;
        let mut problems = Vec::new();
        for (field, value, max) in [
            ("first_name", &change.first_name, 255),
            ("last_name", &change.last_name, 255),
            ("phone", &change.phone, 50),
            ("address", &change.address, 255),
        ] {
            if matches!(value, Some(Some(v)) if v.chars().count() > max) {
                problems.push(crate::field::FieldError::new(field, Rule::TooLong { max }));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        if let Some(Some(country)) = change.country_id {
            if self.store.country(country).await?.is_none() {
                return Err(Error::invalid("country_id", Rule::Unknown));
            }
        }
        let now = self.now();
        let user = self
            .store
            .update_user_details(principal.user.id, &change, now)
            .await?;
        self.principals.forget_user(user.id);
        let activity = self.activity(
            &principal.tenant_id,
            Some(&user),
            client,
            "Updated profile details.",
        );
        self.store.record_activity(&activity).await?;
        Ok(user)
    }
}

//! A user changing their own profile details. Login credentials (email, username, password)
//! change through the account-change service ([`crate::account_changes`]).

use crate::auth::Principal;
use crate::authz::Action;
use crate::error::{Error, Result};
use crate::field::Rule;
use crate::model::{ClientInfo, User};
use crate::Services;
use time::Date;

/// A field of a partial update: `None` leaves it alone, `Some(None)` clears it.
pub type Change<T> = Option<Option<T>>;

/// Profile fields to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetailsChange {
    pub first_name: Change<String>,
    pub last_name: Change<String>,
    pub birthday: Change<Date>,
    pub phone: Change<String>,
    pub address: Change<String>,
    pub country_id: Change<i64>,
}

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

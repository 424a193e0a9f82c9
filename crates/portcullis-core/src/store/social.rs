//! Social logins linked to accounts.

use super::StoreResult;
use crate::ids::{TenantId, UserId};
use crate::model::{NewActivity, NewUser, SocialIdentity, User};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait SocialStore: Send + Sync {
    /// The user linked to a social network's account.
    async fn social_identity(
        &self,
        tenant: &TenantId,
        network: &str,
        subject: &str,
    ) -> StoreResult<Option<User>>;
    async fn link_social_identity(
        &self,
        tenant: &TenantId,
        network: &str,
        subject: &str,
        user: UserId,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Creates a user without a password, linked to a social network's account; all or
    /// nothing.
    async fn create_social_user(
        &self,
        user: &NewUser,
        network: &str,
        subject: &str,
    ) -> StoreResult<User>;
    /// The user's linked social accounts, oldest first.
    async fn social_identities_of(&self, user: UserId) -> StoreResult<Vec<SocialIdentity>>;
    /// Removes the user's links at `network`, with the activity entry; whether any went.
    async fn unlink_social_identities(
        &self,
        user: UserId,
        network: &str,
        activity: &NewActivity,
    ) -> StoreResult<bool>;
}

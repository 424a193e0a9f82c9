//! Social logins linked to accounts.

use super::StoreResult;
use crate::ids::{TenantId, UserId};
use crate::model::{NewUser, User};
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
}

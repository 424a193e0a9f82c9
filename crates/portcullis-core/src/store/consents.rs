//! Consents given on the consent screen.

use super::StoreResult;
use crate::ids::UserId;
use crate::model::{Consent, ConsentedApplication, NewActivity};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait ConsentStore: Send + Sync {
    async fn consent(&self, user: UserId, application: &str) -> StoreResult<Option<Consent>>;
    /// Creates or replaces the person's consent to the application, with the activity row.
    async fn save_consent(&self, consent: &Consent, activity: &NewActivity) -> StoreResult<()>;
    /// The person's consents, most recently given first.
    async fn consents_of(&self, user: UserId) -> StoreResult<Vec<ConsentedApplication>>;
    /// Deletes the consent and revokes every grant of the person's to that application (its
    /// access and refresh tokens with it), with the activity row. `false`: there was none.
    async fn withdraw_consent(
        &self,
        user: UserId,
        application: &str,
        now: OffsetDateTime,
        activity: &NewActivity,
    ) -> StoreResult<bool>;
}

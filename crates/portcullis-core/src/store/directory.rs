//! Listing, searching and counting a tenant's users.

use super::StoreResult;
use crate::ids::{TenantId, UserId};
use crate::model::{NewActivity, NewUser, PasswordHash, User};
use async_trait::async_trait;
use time::OffsetDateTime;

/// What [`DirectoryStore::count_in_windows`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Users, by when they were created.
    Registrations,
    /// Activity-log entries, by when they were recorded.
    Activities,
    /// Sign-ins: sessions, by when they began.
    SignIns,
}

/// How many of a tenant's users are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub total: i64,
    /// Created at or after the time asked about.
    pub new: i64,
    pub banned: i64,
    /// Not banned, with an unverified email.
    pub unverified: i64,
}

/// Administering users (the directory service).
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// A page of the tenant's users, newest first, and how many match in all.
    async fn list_users(
        &self,
        tenant: &TenantId,
        filter: &crate::model::UserFilter,
        paging: crate::model::Paging,
    ) -> StoreResult<(Vec<User>, i64)>;
    /// Creates a user with its password and profile details and records the activity, in one
    /// transaction.
    async fn create_account(
        &self,
        user: &NewUser,
        password: &PasswordHash,
        details: &crate::model::DetailsChange,
        disabled: bool,
        activity: &NewActivity,
    ) -> StoreResult<User>;
    async fn update_account(
        &self,
        write: &crate::model::AccountWrite,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    /// Deletes a user and everything that is theirs, and records the activity.
    async fn delete_user(&self, user: UserId, activity: &NewActivity) -> StoreResult<()>;
    /// For each window `[bounds[i], bounds[i + 1])`, how many rows of the tenant (of one user,
    /// when given) fall in it: one query.
    async fn count_in_windows(
        &self,
        what: Counted,
        tenant: &TenantId,
        user: Option<UserId>,
        bounds: &[OffsetDateTime],
    ) -> StoreResult<Vec<i64>>;
    async fn status_counts(
        &self,
        tenant: &TenantId,
        new_since: OffsetDateTime,
    ) -> StoreResult<StatusCounts>;
}

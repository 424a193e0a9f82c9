//! Accounts: lookups, credentials, profiles, and the reference countries.

use super::StoreResult;
use crate::ids::{TenantId, UserId};
use crate::model::{Country, NewActivity, NewUser, PasswordCredential, PasswordHash, User};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait CountryStore: Send + Sync {
    async fn country(&self, id: i64) -> StoreResult<Option<Country>>;
    async fn countries(&self) -> StoreResult<Vec<Country>>;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts the user and its password credential together.
    async fn create_user(&self, user: &NewUser, password: &PasswordHash) -> StoreResult<User>;
    async fn user(&self, tenant: &TenantId, id: UserId) -> StoreResult<Option<User>>;
    /// Finds a user by username or email, case-insensitively.
    async fn user_by_login(&self, tenant: &TenantId, login: &str) -> StoreResult<Option<User>>;
    /// Whether the email, and the username when given, already belong to a user of the
    /// tenant (case-insensitively): `(email_taken, username_taken)`.
    async fn logins_taken(
        &self,
        tenant: &TenantId,
        email: &str,
        username: Option<&str>,
    ) -> StoreResult<(bool, bool)>;
    /// The tenant's users with these ids (any order; missing ids are skipped), in one query.
    async fn users_by_ids(&self, tenant: &TenantId, ids: &[UserId]) -> StoreResult<Vec<User>>;
    /// Finds a user by email alone, case-insensitively.
    async fn user_by_email(&self, tenant: &TenantId, email: &str) -> StoreResult<Option<User>>;
    async fn password_credential(&self, user: UserId) -> StoreResult<Option<PasswordCredential>>;
    /// Bans or unbans; banning also ends every live session of the user and revokes its
    /// tokens, in the same transaction.
    async fn set_user_disabled(
        &self,
        user: UserId,
        disabled: bool,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn replace_password_hash(
        &self,
        user: UserId,
        hash: &PasswordHash,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
}

/// Users and password credentials as the management API writes them (see
/// the managed-users service).
#[async_trait]
pub trait ManagedUserStore: Send + Sync {
    async fn user_by_uid(&self, tenant: &TenantId, uid: &str) -> StoreResult<Option<User>>;
    /// A page of the tenant's users, oldest first, and how many there are.
    async fn users_page(
        &self,
        tenant: &TenantId,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<User>, i64)>;
    /// Creates the user (`user` gives the id, tenant, role and time; `fields` the rest) with
    /// its password credential when given, and the activity row; all or nothing.
    async fn create_managed_user(
        &self,
        user: &NewUser,
        fields: &crate::model::ManagedFields,
        password: Option<&PasswordHash>,
        activity: &NewActivity,
    ) -> StoreResult<User>;
    /// Replaces the fields; a user becoming disabled also has every live session ended and
    /// every token revoked, in the same transaction.
    async fn update_managed_user(
        &self,
        user: UserId,
        fields: &crate::model::ManagedFields,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    /// Creates or changes the user's password credential (a `replace` starts it anew: its
    /// `created_at` is `now`), with the activity row; returns it.
    async fn put_password_credential(
        &self,
        user: UserId,
        write: &crate::model::CredentialWrite,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<PasswordCredential>;
    /// `false` when the user had no password credential.
    async fn delete_password_credential(
        &self,
        user: UserId,
        activity: &NewActivity,
    ) -> StoreResult<bool>;
}

/// A user's own changes to their account.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// Applies the given profile fields (leaving absent ones alone) and returns the user.
    async fn update_user_details(
        &self,
        user: UserId,
        change: &crate::model::DetailsChange,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    /// Writes new login credentials, with what goes with them (ended sessions, a confirmation
    /// token and mail, the activity row), all or nothing; returns the user.
    async fn update_credentials(
        &self,
        write: &crate::model::CredentialsWrite,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    /// Sets the user's avatar URL (or clears it), stores `image` when it is an upload, deletes
    /// the user's earlier uploads and records the activity; all or nothing.
    async fn replace_avatar(
        &self,
        user: UserId,
        url: Option<&str>,
        image: Option<&crate::model::AvatarImage>,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    async fn avatar(&self, name: &str) -> StoreResult<Option<crate::model::AvatarImage>>;
}

//! Sign-up, confirmation and password resets: the mailed single-use tokens.

use super::StoreResult;
use crate::ids::{TenantId, UserId};
use crate::model::{Mail, NewActivity, NewOneTimeToken, NewUser, PasswordHash, User};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait LifecycleStore: Send + Sync {
    /// Creates the user with its password credential (none for a passwordless tenant's
    /// sign-up) and, when given, its email-verification token and the mail that carries it;
    /// all or nothing.
    async fn register_user(
        &self,
        user: &NewUser,
        password: Option<&PasswordHash>,
        verification: Option<(&NewOneTimeToken, &Mail)>,
    ) -> StoreResult<User>;
    /// Stores a token for the user, voiding their unused ones of the same purpose, and queues
    /// the mail that carries it; all or nothing.
    async fn issue_one_time_token(
        &self,
        user: UserId,
        token: &NewOneTimeToken,
        mail: &Mail,
    ) -> StoreResult<()>;
    /// Uses up a live email-verification token and marks its user's email verified, first
    /// making the address it carries the user's; `None` when the token is unknown, used or
    /// expired. With the user, the address the token's replaced (when it carried one).
    async fn verify_email(
        &self,
        tenant: &TenantId,
        secret_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(UserId, Option<String>)>>;
    /// The user a live sign-up confirmation token of the tenant belongs to, without using it:
    /// not an address change's token, and only for an account never confirmed, not banned and
    /// without a passkey.
    async fn verification_owner(
        &self,
        tenant: &TenantId,
        secret_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<UserId>>;
    /// Uses up a live sign-up confirmation token of `passkey`'s user (as
    /// [`LifecycleStore::verification_owner`] finds them), marks the email verified, removes
    /// any password and ends every session set up before the address was proven, and stores
    /// the passkey with `activity`; all or nothing. `None` (and nothing) otherwise.
    async fn confirm_with_passkey(
        &self,
        secret_hash: &str,
        passkey: &crate::model::NewPasskey,
        activity: &crate::model::NewActivity,
    ) -> StoreResult<Option<crate::model::Passkey>>;
    /// Uses up a live password-reset token of the user with this email, replaces the password,
    /// ends every session, revokes every token and removes every passkey of the user, and
    /// records `activity` for the user; all or nothing. `None` when there is no such token.
    async fn reset_password(
        &self,
        tenant: &TenantId,
        email: &str,
        secret_hash: &str,
        password: &PasswordHash,
        activity: &NewActivity,
    ) -> StoreResult<Option<UserId>>;
    /// Emails of the tenant's active administrators.
    async fn admin_emails(&self, tenant: &TenantId) -> StoreResult<Vec<String>>;
}

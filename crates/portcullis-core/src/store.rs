//! What the domain needs from persistence. `portcullis-store` implements it for SQLite and
//! PostgreSQL; every method is one round trip or one transaction.

use crate::api_keys::ApiKey;
use crate::applications::Application;
use crate::error::StoreError;
use crate::ids::{PermissionId, RoleId, SessionId, TenantId, TokenId, UserId};
use crate::mail::{Mail, QueuedMail};
use crate::model::*;
use crate::scopes::CustomScope;
use crate::two_factor::{Challenge, NewChallenge, NewTwoFactor, TwoFactor};
use async_trait::async_trait;
use time::OffsetDateTime;

pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// What [`DirectoryStore::count_in_windows`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Users, by when they were created.
    Registrations,
    /// Activity-log entries, by when they were recorded.
    Activities,
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

/// How many live sessions a login may find, and which one to end first to make room.
#[derive(Debug, Clone)]
pub struct SessionLimit {
    /// `None`: unlimited.
    pub max: Option<i64>,
    /// A session of the user's to end (with the activity row that records it) before counting.
    pub end_first: Option<(SessionId, NewActivity)>,
}

/// What [`SessionStore::create_limited_login`] did.
#[derive(Debug)]
pub enum LimitedLogin {
    Created {
        token: TokenId,
        ended: bool,
    },
    /// At the limit: nothing was created; the user's live sessions, most recently active first.
    /// `ended` says whether the named session was ended all the same.
    Full {
        sessions: Vec<Session>,
        ended: bool,
    },
    /// `end_first` names no live session of the user's; nothing changed.
    UnknownSession,
}

/// A built-in role or permission to create when missing.
#[derive(Debug, Clone)]
pub struct Seed {
    pub name: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    pub removable: bool,
}

#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates the tenant unless one of that name exists; returns the stored one either way.
    async fn ensure_tenant(
        &self,
        id: &TenantId,
        name: &str,
        settings: &TenantSettings,
        now: OffsetDateTime,
    ) -> StoreResult<Tenant>;
    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>>;
    async fn tenant_by_id(&self, id: &TenantId) -> StoreResult<Option<Tenant>>;
    /// A page of every tenant, oldest first, with how many there are.
    async fn tenants(&self, offset: i64, limit: i64) -> StoreResult<(Vec<Tenant>, i64)>;
    async fn tenant_by_domain(&self, domain: &str) -> StoreResult<Option<Tenant>>;
    /// Inserts a new tenant; [`StoreError::Conflict`] when its name or domain is taken.
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    /// The tenant's social networks as the database holds them (JSON text of the list, as
    /// stored); `None` for no such tenant or no list.
    async fn stored_social_networks(&self, tenant: &TenantId) -> StoreResult<Option<String>>;
    /// Replaces the tenant's social networks with `new` (JSON) only while they are still
    /// `old` (as [`stored_social_networks`](Self::stored_social_networks) gave them).
    async fn replace_social_networks(
        &self,
        tenant: &TenantId,
        old: &str,
        new: &str,
    ) -> StoreResult<bool>;
    /// Writes the tenant's name and metadata, and these top-level settings fields over what
    /// the database holds (as [`merge_tenant_settings`](Self::merge_tenant_settings) does),
    /// keeping the domain column in step; `false` when there is no such tenant.
    async fn update_tenant(
        &self,
        id: &TenantId,
        name: &str,
        metadata: &crate::metadata::Metadata,
        settings: &serde_json::Map<String, serde_json::Value>,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Sets these top-level fields of the tenant's settings (field name → JSON value) and
    /// leaves every other field as it is in the database at that moment: one statement, so a
    /// concurrent change of other fields is never undone. The domain column follows the
    /// merged settings. The settings afterwards.
    async fn merge_tenant_settings(
        &self,
        tenant: &TenantId,
        fields: &serde_json::Map<String, serde_json::Value>,
        now: OffsetDateTime,
    ) -> StoreResult<TenantSettings>;
}

#[async_trait]
pub trait RbacStore: Send + Sync {
    /// Creates missing roles and permissions and grants every listed permission to the roles
    /// named in `grant_all_to`; leaves existing rows alone.
    async fn ensure_rbac(
        &self,
        tenant: &TenantId,
        roles: &[Seed],
        permissions: &[Seed],
        grant_all_to: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn role_by_name(&self, tenant: &TenantId, name: &str) -> StoreResult<Option<Role>>;
    async fn role(&self, tenant: &TenantId, id: RoleId) -> StoreResult<Option<Role>>;
    async fn role_permissions(&self, role: RoleId) -> StoreResult<Vec<Permission>>;
    /// The tenant's roles (or just `only`) with their user counts, by id.
    async fn roles_with_counts(
        &self,
        tenant: &TenantId,
        only: Option<RoleId>,
    ) -> StoreResult<Vec<crate::roles::RoleSummary>>;
    /// The tenant's permissions (or just `only`), by id.
    async fn permissions(
        &self,
        tenant: &TenantId,
        only: Option<PermissionId>,
    ) -> StoreResult<Vec<Permission>>;
    /// Every (role, permission) link of the tenant, in one query.
    async fn role_permission_pairs(
        &self,
        tenant: &TenantId,
    ) -> StoreResult<Vec<(RoleId, Permission)>>;
    /// Creates a removable role or permission (`input.name` is set); yields its id.
    /// [`StoreError::Conflict`] when the name is taken.
    async fn create_rbac(
        &self,
        kind: crate::roles::RbacKind,
        tenant: &TenantId,
        input: &crate::roles::RbacInput,
        activity: &NewActivity,
    ) -> StoreResult<i64>;
    async fn update_rbac(
        &self,
        kind: crate::roles::RbacKind,
        id: i64,
        input: &crate::roles::RbacInput,
        activity: &NewActivity,
    ) -> StoreResult<()>;
    /// Deletes a role, moving its users to `fallback`.
    async fn delete_role(
        &self,
        role: RoleId,
        fallback: RoleId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn delete_permission(
        &self,
        permission: PermissionId,
        activity: &NewActivity,
    ) -> StoreResult<()>;
    /// Makes the role hold exactly these permissions.
    async fn sync_role_permissions(
        &self,
        role: RoleId,
        permissions: &[PermissionId],
        activity: &NewActivity,
    ) -> StoreResult<()>;
}

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
/// [`crate::managed_users`]).
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
        fields: &crate::managed_users::ManagedFields,
        password: Option<&PasswordHash>,
        activity: &NewActivity,
    ) -> StoreResult<User>;
    /// Replaces the fields; a user becoming disabled also has every live session ended and
    /// every token revoked, in the same transaction.
    async fn update_managed_user(
        &self,
        user: UserId,
        fields: &crate::managed_users::ManagedFields,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    /// Creates or changes the user's password credential (a `replace` starts it anew: its
    /// `created_at` is `now`), with the activity row; returns it.
    async fn put_password_credential(
        &self,
        user: UserId,
        write: &crate::managed_users::CredentialWrite,
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

/// Administering users (see [`crate::directory`]).
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// A page of the tenant's users, newest first, and how many match in all.
    async fn list_users(
        &self,
        tenant: &TenantId,
        filter: &crate::directory::UserFilter,
        paging: crate::sessions::Paging,
    ) -> StoreResult<(Vec<User>, i64)>;
    /// Creates a user with its password and profile details and records the activity, in one
    /// transaction.
    async fn create_account(
        &self,
        user: &NewUser,
        password: &PasswordHash,
        details: &crate::profile::DetailsChange,
        disabled: bool,
        activity: &NewActivity,
    ) -> StoreResult<User>;
    async fn update_account(
        &self,
        write: &crate::directory::AccountWrite,
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

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Records a login (the session, its token, the user's `last_login` and the activity
    /// row, all or nothing) unless the user already has `limit.max` live sessions, first ending the
    /// session `limit.end_first` names (with its activity row). The check and the insert are
    /// one step: concurrent logins of one user cannot overshoot the limit.
    async fn create_limited_login(
        &self,
        session: &Session,
        token: &NewToken,
        activity: &NewActivity,
        limit: &SessionLimit,
    ) -> StoreResult<LimitedLogin>;
    async fn lookup_token(&self, id: TokenId) -> StoreResult<Option<TokenLookup>>;
    async fn touch_session(
        &self,
        session: &SessionId,
        token: TokenId,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn touch_token(&self, token: TokenId, now: OffsetDateTime) -> StoreResult<()>;
    /// Ends the session and revokes every token it issued, and records the activity.
    async fn end_session(
        &self,
        session: &SessionId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn revoke_token(
        &self,
        token: TokenId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn session(&self, id: &SessionId) -> StoreResult<Option<Session>>;
    /// The user's sessions that have not ended or expired, most recently active first.
    async fn live_sessions(&self, user: UserId, now: OffsetDateTime) -> StoreResult<Vec<Session>>;
}

#[async_trait]
pub trait ActivityStore: Send + Sync {
    async fn record_activity(&self, activity: &NewActivity) -> StoreResult<()>;
    /// A page of the tenant's (or one user's) activity, newest first, whose description
    /// contains `search` case-insensitively; and how many match in all. Browser, platform and
    /// device are left for the caller to read from the user agent.
    async fn activities(
        &self,
        tenant: &TenantId,
        user: Option<UserId>,
        search: Option<&str>,
        paging: crate::sessions::Paging,
    ) -> StoreResult<(Vec<crate::sessions::Activity>, i64)>;
}

#[async_trait]
pub trait LifecycleStore: Send + Sync {
    /// Creates the user with its password credential and, when given, its email-verification
    /// token and the mail that carries it; all or nothing.
    async fn register_user(
        &self,
        user: &NewUser,
        password: &PasswordHash,
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
    /// Uses up a live password-reset token of the user with this email, replaces the password,
    /// ends every session and revokes every token of the user, and records `activity` for the
    /// user; all or nothing. `None` when there is no such token.
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

/// A user's own changes to their account.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// Applies the given profile fields (leaving absent ones alone) and returns the user.
    async fn update_user_details(
        &self,
        user: UserId,
        change: &crate::profile::DetailsChange,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    /// Writes new login credentials, with what goes with them (ended sessions, a confirmation
    /// token and mail, the activity row), all or nothing; returns the user.
    async fn update_credentials(
        &self,
        write: &crate::account_changes::CredentialsWrite,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    /// Sets the user's avatar URL (or clears it), stores `image` when it is an upload, deletes
    /// the user's earlier uploads and records the activity; all or nothing.
    async fn replace_avatar(
        &self,
        user: UserId,
        url: Option<&str>,
        image: Option<&crate::avatars::AvatarImage>,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    async fn avatar(&self, name: &str) -> StoreResult<Option<crate::avatars::AvatarImage>>;
}

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

#[async_trait]
pub trait TwoFactorStore: Send + Sync {
    /// Users whose stored authenticator seed does not start with `sealed`, with that seed.
    async fn totp_seeds_not(&self, sealed: &str) -> StoreResult<Vec<(UserId, String)>>;
    /// Replaces a stored seed `old` with `new`; `false` (and nothing) when it changed
    /// meanwhile.
    async fn replace_totp_seed(&self, user: UserId, old: &str, new: &str) -> StoreResult<bool>;
    async fn two_factor(&self, user: UserId) -> StoreResult<Option<TwoFactor>>;
    /// Replaces the user's second factor (and the 2FA fields of the user row) and records the
    /// activity; returns the user.
    async fn set_two_factor(
        &self,
        user: UserId,
        setup: &NewTwoFactor,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    /// Activates a pending TOTP setup, remembering the step of the code that confirmed it.
    async fn confirm_totp(
        &self,
        user: UserId,
        step: i64,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Accepts a TOTP step once: false when it, or a later one, was already used.
    async fn record_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool>;
    /// Removes the user's second factor, recovery codes and open challenges; returns the user.
    async fn clear_two_factor(
        &self,
        user: UserId,
        activity: &NewActivity,
        now: OffsetDateTime,
    ) -> StoreResult<User>;
    async fn replace_recovery_codes(
        &self,
        user: UserId,
        hashes: &[String],
        activity: &NewActivity,
    ) -> StoreResult<()>;
    /// Uses up an unused recovery code of the user; false when there is none with this hash.
    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Stores a login challenge, and queues the mail carrying its code when given.
    async fn create_challenge(
        &self,
        challenge: &NewChallenge,
        mail: Option<&Mail>,
    ) -> StoreResult<()>;
    async fn challenge(&self, id_hash: &str) -> StoreResult<Option<Challenge>>;
    /// Claims one attempt on the challenge before its code is looked at: false when it is
    /// used, expired or out of attempts. One conditional update, so of any number of
    /// concurrent guesses at most `max_attempts` are ever evaluated.
    async fn claim_challenge_attempt(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
        max_attempts: i64,
    ) -> StoreResult<bool>;
    /// Uses the challenge up; false when it was used or expired meanwhile.
    async fn use_challenge(&self, id_hash: &str, now: OffsetDateTime) -> StoreResult<bool>;
}

#[async_trait]
pub trait MailStore: Send + Sync {
    async fn enqueue_mail(
        &self,
        tenant: &TenantId,
        mail: &Mail,
        now: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Takes up to `limit` messages due at `now` by moving their next attempt to
    /// `claimed_until`, so no other node takes them meanwhile.
    async fn claim_due_mail(
        &self,
        now: OffsetDateTime,
        claimed_until: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<QueuedMail>>;
    async fn mail_sent(&self, id: i64, now: OffsetDateTime) -> StoreResult<()>;
    async fn mail_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: OffsetDateTime,
    ) -> StoreResult<()>;
}

/// Personal tokens, the scope registry and API keys.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Stores a token that belongs to no session, with the activity row; returns its id.
    async fn create_token(&self, token: &NewToken, activity: &NewActivity) -> StoreResult<TokenId>;
    async fn token(&self, id: TokenId) -> StoreResult<Option<Token>>;
    /// The user's unrevoked personal tokens, newest first.
    async fn personal_tokens(&self, user: UserId) -> StoreResult<Vec<Token>>;
    /// Gives an unrevoked token a new secret hash; `false` when there is no such token.
    async fn replace_token_secret(
        &self,
        token: TokenId,
        secret_hash: &str,
        activity: &NewActivity,
    ) -> StoreResult<bool>;
    /// The tenant's registered scopes, by name.
    async fn custom_scopes(&self, tenant: &TenantId) -> StoreResult<Vec<CustomScope>>;
    /// [`StoreError::Conflict`] when the tenant has a scope of that name.
    async fn create_scope(
        &self,
        scope: &CustomScope,
        activity: &NewActivity,
    ) -> StoreResult<CustomScope>;
    async fn delete_scope(
        &self,
        tenant: &TenantId,
        name: &str,
        activity: &NewActivity,
    ) -> StoreResult<bool>;
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()>;
    /// Every key, revoked ones included, oldest first.
    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>>;
    async fn api_key(&self, id: &str) -> StoreResult<Option<ApiKey>>;
    /// `false` when there is no such unrevoked key.
    async fn revoke_api_key(&self, id: &str, now: OffsetDateTime) -> StoreResult<bool>;
    async fn touch_api_key(&self, id: &str, now: OffsetDateTime) -> StoreResult<()>;
}

/// A throttle counter after a hit: how many hits its window holds, and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleCount {
    pub hits: i64,
    pub window_ends: OffsetDateTime,
}

/// Fixed-window attempt counters, shared by every node through the database.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Counts one hit on the bucket, atomically: a bucket without a live window (none yet, or
    /// one that ended by `now`) starts one with a single hit that ends at `new_window_ends`.
    /// Of any number of concurrent hits, each sees a different count.
    async fn hit_throttle(
        &self,
        tenant: &TenantId,
        bucket: &str,
        now: OffsetDateTime,
        new_window_ends: OffsetDateTime,
    ) -> StoreResult<ThrottleCount>;
    /// The bucket's live window at `now` (`None` without one); counts nothing.
    async fn throttle_count(
        &self,
        tenant: &TenantId,
        bucket: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<ThrottleCount>>;
    /// Takes back one hit of the window that ends at `window_ends` (never below zero); does
    /// nothing once that window has been replaced.
    async fn refund_throttle(
        &self,
        tenant: &TenantId,
        bucket: &str,
        window_ends: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Forgets the bucket's count.
    async fn clear_throttle(&self, tenant: &TenantId, bucket: &str) -> StoreResult<()>;
    /// Deletes every counter (of any tenant) whose window ended by `now`.
    async fn sweep_throttles(&self, now: OffsetDateTime) -> StoreResult<u64>;
}

/// Document 002's image captchas (see [`crate::captcha`]). Each method is one statement, so
/// concurrent answers to one captcha are decided by the database.
#[async_trait]
pub trait CaptchaStore: Send + Sync {
    /// Stores a new captcha, and deletes (some of) those that expired before `purge_before`.
    async fn insert_captcha(
        &self,
        captcha: &crate::captcha::StoredCaptcha,
        purge_before: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn captcha(&self, key_hash: &str) -> StoreResult<Option<crate::captcha::StoredCaptcha>>;
    /// Marks an unused captcha solved until `grace_until`, unless it already is (the first
    /// deadline stays); `false` when it is used, expired unsolved, or past its deadline.
    async fn solve_captcha(
        &self,
        key_hash: &str,
        now: OffsetDateTime,
        grace_until: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Marks the captcha used (a wrong answer, or a login): it passes no more. `false` when
    /// it was used already (or is unknown).
    async fn burn_captcha(&self, key_hash: &str, now: OffsetDateTime) -> StoreResult<bool>;
}

/// The connection pool right now, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections the pool may open.
    pub max: u32,
    /// Connections open, idle or in use.
    pub open: u32,
    pub idle: u32,
    /// Operations waiting for a connection (estimated: operations in flight beyond the
    /// connections in use).
    pub waiting: u32,
}

#[async_trait]
pub trait HealthStore: Send + Sync {
    /// One trivial round trip to the database.
    async fn ping(&self) -> StoreResult<()>;
    /// Versions of the migrations this binary carries that the database has not applied.
    async fn pending_migrations(&self) -> StoreResult<Vec<i64>>;
    fn pool_stats(&self) -> PoolStats;
}

/// A tenant's OIDC clients (document 003's applications).
#[async_trait]
pub trait ApplicationStore: Send + Sync {
    async fn create_application(&self, application: &Application) -> StoreResult<()>;
    async fn application(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Application>>;
    /// A page of the tenant's applications, oldest first, with how many there are.
    async fn applications(
        &self,
        tenant: &TenantId,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<Application>, i64)>;
    /// Writes everything but the id, tenant, secret and creation time; `false` when there is
    /// no such application.
    async fn update_application(&self, application: &Application) -> StoreResult<bool>;
    /// Deletes the application, returning what it was.
    async fn delete_application(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> StoreResult<Option<Application>>;
    /// Applications (of every tenant) whose stored secret does not start with `sealed`.
    async fn applications_with_secrets_not(&self, sealed: &str) -> StoreResult<Vec<Application>>;
    /// Replaces an application's stored secret `old` with `new`; `false` (and nothing) when it
    /// changed meanwhile.
    async fn replace_application_secret(
        &self,
        tenant: &TenantId,
        id: &str,
        old: &str,
        new: &str,
    ) -> StoreResult<bool>;
}

/// ID-token signing keys (see [`crate::oidc::keys`]), shared by every node.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// Every key not expired by `now` (active ones, and retired ones still published), oldest
    /// first.
    async fn signing_keys(
        &self,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<crate::oidc::keys::StoredSigningKey>>;
    /// Inserts an active key unless one of its algorithm is active already (checked by the
    /// database, so concurrent callers store one); `false` when it was not inserted.
    async fn insert_signing_key_unless_active(
        &self,
        key: &crate::oidc::keys::StoredSigningKey,
    ) -> StoreResult<bool>;
    /// Retires every active key (stopping at `now`, published until `published_until`) and
    /// inserts `new`, in one transaction.
    async fn rotate_signing_keys(
        &self,
        new: &[crate::oidc::keys::StoredSigningKey],
        now: OffsetDateTime,
        published_until: OffsetDateTime,
    ) -> StoreResult<()>;
}

/// The OpenID Connect code flow's grants, codes and refresh tokens, and applications' own
/// tokens (see [`crate::oidc::grants`]). Single use is decided by the database: of concurrent
/// redemptions of one code or one refresh token, one wins.
#[async_trait]
pub trait OAuthStore: Send + Sync {
    /// Stores a grant and its authorization code together.
    async fn create_grant(
        &self,
        grant: &crate::oidc::grants::Grant,
        code: &crate::oidc::grants::StoredCode,
    ) -> StoreResult<()>;
    /// The code with this hash and its grant.
    async fn code(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<(crate::oidc::grants::StoredCode, crate::oidc::grants::Grant)>>;
    /// Marks the code used and stores the grant's first access token and refresh token, all
    /// or nothing; `None` (nothing stored) when the code was used already or its grant was
    /// revoked. A concurrent [`OAuthStore::revoke_grant`] must revoke whatever this stores.
    async fn redeem_code(
        &self,
        code_hash: &str,
        now: OffsetDateTime,
        access: &NewToken,
        refresh: &crate::oidc::grants::StoredRefreshToken,
    ) -> StoreResult<Option<TokenId>>;
    /// The refresh token with this hash and its grant.
    async fn refresh_token(
        &self,
        secret_hash: &str,
    ) -> StoreResult<
        Option<(
            crate::oidc::grants::StoredRefreshToken,
            crate::oidc::grants::Grant,
        )>,
    >;
    /// Marks the refresh token used and stores its successor and a new access token, all or
    /// nothing; `None` (nothing stored) when it or its grant was used or revoked already. A
    /// concurrent [`OAuthStore::revoke_grant`] must revoke whatever this stores.
    async fn rotate_refresh_token(
        &self,
        secret_hash: &str,
        now: OffsetDateTime,
        access: &NewToken,
        next: &crate::oidc::grants::StoredRefreshToken,
    ) -> StoreResult<Option<TokenId>>;
    /// Revokes the grant, every access token it issued and every refresh token of its family.
    async fn revoke_grant(&self, grant_id: &str, now: OffsetDateTime) -> StoreResult<()>;
    /// The grant an access token was issued through, if any.
    async fn grant_of_token(
        &self,
        token: TokenId,
    ) -> StoreResult<Option<crate::oidc::grants::Grant>>;
    /// Stores a client token; returns its id.
    async fn create_client_token(
        &self,
        token: &crate::oidc::grants::ClientToken,
    ) -> StoreResult<i64>;
    async fn client_token(&self, id: i64) -> StoreResult<Option<crate::oidc::grants::ClientToken>>;
    async fn revoke_client_token(&self, id: i64, now: OffsetDateTime) -> StoreResult<()>;
}

/// Browsers remembered after a second factor (see [`crate::web::devices`]).
#[async_trait]
pub trait RememberedDeviceStore: Send + Sync {
    async fn remember_device(
        &self,
        device: &crate::web::devices::RememberedDevice,
    ) -> StoreResult<()>;
    /// The device with this secret hash, unless it expired by `now`.
    async fn remembered_device(
        &self,
        secret_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<crate::web::devices::RememberedDevice>>;
    /// How many live devices the user has remembered.
    async fn remembered_devices(&self, user: UserId, now: OffsetDateTime) -> StoreResult<i64>;
    /// Forgets every device of the user; how many there were.
    async fn forget_devices(&self, user: UserId) -> StoreResult<u64>;
}

/// Everything the domain persists.
pub trait Store:
    TenantStore
    + ApplicationStore
    + RbacStore
    + CountryStore
    + UserStore
    + ManagedUserStore
    + DirectoryStore
    + SessionStore
    + ActivityStore
    + HealthStore
    + LifecycleStore
    + MailStore
    + TwoFactorStore
    + ProfileStore
    + SocialStore
    + AccessStore
    + ThrottleStore
    + CaptchaStore
    + SigningKeyStore
    + OAuthStore
    + RememberedDeviceStore
    + 'static
{
}

impl<
        T: TenantStore
            + ApplicationStore
            + RbacStore
            + CountryStore
            + UserStore
            + ManagedUserStore
            + DirectoryStore
            + SessionStore
            + ActivityStore
            + HealthStore
            + LifecycleStore
            + MailStore
            + TwoFactorStore
            + ProfileStore
            + SocialStore
            + AccessStore
            + ThrottleStore
            + CaptchaStore
            + SigningKeyStore
            + OAuthStore
            + RememberedDeviceStore
            + 'static,
    > Store for T
{
}

//! People: accounts, their passwords and profile details, and what a write of them carries.

use crate::ids::{RoleId, SessionId, TenantId, UserId};
use crate::model::{Mail, NewActivity, NewOneTimeToken, TenantSettings};
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    Unconfirmed,
    Banned,
}

impl UserStatus {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Active" => Some(Self::Active),
            "Unconfirmed" => Some(Self::Unconfirmed),
            "Banned" => Some(Self::Banned),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Unconfirmed => "Unconfirmed",
            Self::Banned => "Banned",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    /// The management API's string id.
    pub uid: String,
    pub tenant_id: TenantId,
    pub username: Option<String>,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub phone: Option<String>,
    pub avatar: Option<String>,
    pub address: Option<String>,
    pub country_id: Option<i64>,
    pub role_id: RoleId,
    pub birthday: Option<Date>,
    /// Banned (account API) and disabled (management API) are one flag.
    pub disabled: bool,
    pub email_verified_at: Option<OffsetDateTime>,
    pub last_login: Option<OffsetDateTime>,
    pub two_factor_country_code: Option<i64>,
    pub two_factor_phone: Option<String>,
    pub two_factor_options: Option<serde_json::Value>,
    /// The management API's free key-value data.
    pub metadata: crate::model::Metadata,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl User {
    /// The management API's `profile.name`: the stored display name, else "first last".
    pub fn full_name(&self) -> String {
        match &self.display_name {
            Some(name) => name.clone(),
            None => [self.first_name.as_deref(), self.last_name.as_deref()]
                .into_iter()
                .flatten()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// Status as the account API reports it; whether an unverified email counts depends on the
    /// tenant's settings.
    pub fn status(&self, settings: &TenantSettings) -> UserStatus {
        if self.disabled {
            UserStatus::Banned
        } else if self.email_verified_at.is_none() && !settings.allow_unverified {
            UserStatus::Unconfirmed
        } else {
            UserStatus::Active
        }
    }
}

/// What is needed to create a user; the store assigns `id`.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub uid: String,
    pub tenant_id: TenantId,
    pub username: Option<String>,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role_id: RoleId,
    pub email_verified_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// A stored password hash and the algorithm that made it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub alg: String,
    pub hash: String,
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasswordHash({}, ***)", self.alg)
    }
}

/// The user's password credential (document 003 calls it credential `password`).
#[derive(Debug, Clone)]
pub struct PasswordCredential {
    pub user_id: UserId,
    pub hash: PasswordHash,
    /// A disabled credential refuses every login.
    pub disabled: bool,
    pub metadata: crate::model::Metadata,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What the store writes for a credentials change, in one transaction.
#[derive(Debug, Clone)]
pub struct CredentialsWrite {
    pub user: UserId,
    /// The address the account has from now on: the new one, or (while a new one waits for
    /// its confirmation) the old one.
    pub email: String,
    /// The address changed now, so it is no longer verified.
    pub unverify: bool,
    pub username: Change<String>,
    pub password: Option<PasswordHash>,
    /// A confirmation token for the new address (carrying it, when it waits) and its mail.
    pub reverify: Option<(NewOneTimeToken, Mail)>,
    /// Mails to the account's previous address.
    pub notices: Vec<Mail>,
    /// When the password changes, every session but this one ends.
    pub keep_session: Option<SessionId>,
    pub activity: NewActivity,
}

/// Which users a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Lowercased; matched as a substring of username, email, first and last name.
    pub search: Option<String>,
    pub status: Option<UserStatus>,
    /// Only the holders of this role.
    pub role: Option<RoleId>,
    /// Whether unverified emails make a user Unconfirmed in this tenant.
    pub unverified_is_unconfirmed: bool,
}

/// What the store writes for an administrator's change to an account, in one transaction.
#[derive(Debug, Clone)]
pub struct AccountWrite {
    pub user: UserId,
    pub details: DetailsChange,
    pub email: Option<String>,
    pub username: Change<String>,
    pub role: Option<RoleId>,
    pub password: Option<PasswordHash>,
    pub disabled: Option<bool>,
    pub email_verified_at: Change<OffsetDateTime>,
    /// Whether every session and token of the user ends (a ban, or a new password)…
    pub end_sessions: bool,
    /// …except this one (an administrator changing their own password stays logged in).
    pub keep_session: Option<SessionId>,
    pub activity: NewActivity,
}

/// What the store writes for a managed user, checked.
#[derive(Debug, Clone)]
pub struct ManagedFields {
    pub email: String,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email_verified_at: Option<OffsetDateTime>,
    pub disabled: bool,
    pub metadata: Metadata,
}

/// What the store writes for a password credential.
#[derive(Debug, Clone)]
pub struct CredentialWrite {
    pub hash: PasswordHash,
    pub disabled: bool,
    pub metadata: Metadata,
    /// A new credential (created now) rather than a change to the existing one.
    pub replace: bool,
}

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

pub type Metadata = BTreeMap<String, String>;

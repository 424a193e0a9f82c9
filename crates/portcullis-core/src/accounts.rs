//! Creating and reading accounts.

use crate::error::{Constraint, Error, Result, StoreError};
use crate::field::{FieldError, Rule};
use crate::ids::Secret;
use crate::model::{Country, NewUser, Role, Tenant, User};

pub const MIN_PASSWORD_LEN: usize = 8;

/// A user created by an operator (CLI) or an administrator: active and verified.
#[derive(Debug, Clone)]
pub struct CreateUser {
    pub username: Option<String>,
    pub email: String,
    pub password: Secret,
    pub role: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl crate::services::Services {
    pub async fn create_user(&self, tenant: &Tenant, input: CreateUser) -> Result<User> {
        let mut problems = Vec::new();
        let email = check_email(&input.email, &mut problems);
        let username = check_username(input.username.as_deref(), &mut problems);
        check_password_rules(&input.password, &mut problems);
        self.check_taken(&tenant.id, Some(&email), username.as_deref(), &mut problems)
            .await?;
        let role = self.store.role_by_name(&tenant.id, &input.role).await?;
        if role.is_none() {
            problems.push(FieldError::new("role", Rule::Unknown));
        }
        let Some(role) = role.filter(|_| problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };

        let hash = self.hasher.hash(&input.password).await?;
        let now = self.now();
        let new = NewUser {
            uid: crate::random::base62(12),
            tenant_id: tenant.id.clone(),
            username,
            email,
            first_name: input.first_name,
            last_name: input.last_name,
            role_id: role.id,
            email_verified_at: Some(now),
            created_at: now,
        };
        self.store.create_user(&new, &hash).await.map_err(taken)
    }

    /// Bans (or lifts the ban on) a user. A banned user's sessions and tokens stop working at
    /// once, on every surface.
    pub async fn set_banned(
        &self,
        tenant: &Tenant,
        user: crate::ids::UserId,
        banned: bool,
    ) -> Result<User> {
        let existing = self
            .store
            .user(&tenant.id, user)
            .await?
            .ok_or(Error::NotFound)?;
        let now = self.now();
        self.store
            .set_user_disabled(existing.id, banned, now)
            .await?;
        self.principals.forget_user(existing.id);
        Ok(User {
            disabled: banned,
            updated_at: now,
            ..existing
        })
    }

    pub async fn role(&self, user: &User) -> Result<Role> {
        self.store
            .role(&user.tenant_id, user.role_id)
            .await?
            .ok_or(Error::NotFound)
    }

    pub async fn country(&self, id: i64) -> Result<Option<Country>> {
        Ok(self.store.country(id).await?)
    }

    /// Every country, for a caller.
    pub async fn list_countries(
        &self,
        principal: &crate::model::Principal,
    ) -> Result<Vec<Country>> {
        self.authorize(principal, crate::authz::Action::ViewCountries)
            .await?;
        self.countries().await
    }

    pub async fn countries(&self) -> Result<Vec<Country>> {
        Ok(self.store.countries().await?)
    }
}

/// The trimmed email, or a problem when it does not look like one.
pub(crate) fn check_email(email: &str, problems: &mut Vec<FieldError>) -> String {
    let email = email.trim().to_owned();
    if !looks_like_email(&email) {
        problems.push(FieldError::new("email", Rule::Email));
    }
    email
}

/// The trimmed username (`None` when blank), or a problem when it has spaces or `@` (which
/// would make logins by username or email ambiguous).
pub(crate) fn check_username(
    username: Option<&str>,
    problems: &mut Vec<FieldError>,
) -> Option<String> {
    let username = username.map(str::trim).filter(|u| !u.is_empty())?;
    if username.contains('@') || username.chars().any(char::is_whitespace) || username.len() > 255 {
        problems.push(FieldError::other(
            "username",
            "The username may not contain spaces or '@'.",
        ));
    }
    Some(username.to_owned())
}

pub(crate) fn confirmation_matches(
    password: &Secret,
    confirmation: &Secret,
    problems: &mut Vec<FieldError>,
) {
    if password.expose() != confirmation.expose() {
        problems.push(FieldError::new("password", Rule::Mismatch));
    }
}

/// The email and username among these that differ (ignoring case) from the user's own: the
/// ones that must not be taken by someone else.
pub(crate) fn new_logins<'a>(
    user: &User,
    email: Option<&'a str>,
    username: Option<&'a str>,
) -> (Option<&'a str>, Option<&'a str>) {
    let email = email.filter(|e| !e.eq_ignore_ascii_case(&user.email));
    let username = username.filter(|n| {
        !user
            .username
            .as_deref()
            .is_some_and(|o| o.eq_ignore_ascii_case(n))
    });
    (email, username)
}

pub(crate) fn check_password_rules(password: &Secret, problems: &mut Vec<FieldError>) {
    if password.expose().chars().count() < MIN_PASSWORD_LEN {
        problems.push(FieldError::new(
            "password",
            Rule::TooShort {
                min: MIN_PASSWORD_LEN,
            },
        ));
    }
}

impl crate::services::Services {
    /// Adds "already taken" problems for an email and a username that would be new to the
    /// account (`None`: not changing). The database's unique indexes still decide races; this
    /// only lets both fields be reported at once.
    pub(crate) async fn check_taken(
        &self,
        tenant: &crate::ids::TenantId,
        email: Option<&str>,
        username: Option<&str>,
        problems: &mut Vec<FieldError>,
    ) -> Result<()> {
        if email.is_none() && username.is_none() {
            return Ok(());
        }
        let (email_taken, username_taken) = self
            .store
            .logins_taken(tenant, email.unwrap_or(""), username)
            .await?;
        if email.is_some() && email_taken {
            problems.push(FieldError::new("email", Rule::Taken));
        }
        if username_taken {
            problems.push(FieldError::new("username", Rule::Taken));
        }
        Ok(())
    }
}

/// A lost race on an account's unique email or username, as the field error the check before
/// the write reports.
pub(crate) fn taken(error: StoreError) -> Error {
    match error {
        StoreError::Conflict(Constraint::UserEmail) => Error::invalid("email", Rule::Taken),
        StoreError::Conflict(Constraint::UserUsername) => Error::invalid("username", Rule::Taken),
        other => other.into(),
    }
}

/// A deliberately loose check: one `@`, something on both sides, a dot in the domain.
pub fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.len() <= 255
}

#[cfg(test)]
mod tests {
    #[test]
    fn email_shapes() {
        assert!(super::looks_like_email("john@example.com"));
        for bad in [
            "john",
            "@example.com",
            "john@",
            "john@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(!super::looks_like_email(bad), "{bad}");
        }
    }
}

//! Creating and reading accounts.

use crate::error::{Error, Result, StoreError};
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

impl crate::Services {
    pub async fn create_user(&self, tenant: &Tenant, input: CreateUser) -> Result<User> {
        let mut problems = Vec::new();
        let email = input.email.trim().to_owned();
        if !looks_like_email(&email) {
            problems.push((
                "email".to_owned(),
                "The email must be a valid email address.".to_owned(),
            ));
        }
        let username = input
            .username
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        if let Some(name) = &username {
            if name.contains('@') || name.chars().any(char::is_whitespace) || name.len() > 255 {
                problems.push((
                    "username".to_owned(),
                    "The username may not contain spaces or '@'.".to_owned(),
                ));
            }
        }
        if input.password.expose().chars().count() < MIN_PASSWORD_LEN {
            problems.push((
                "password".to_owned(),
                format!("The password must be at least {MIN_PASSWORD_LEN} characters."),
            ));
        }
        let role = self.store.role_by_name(&tenant.id, &input.role).await?;
        if role.is_none() {
            problems.push((
                "role".to_owned(),
                "The selected role is invalid.".to_owned(),
            ));
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
        self.store
            .create_user(&new, &hash)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(what) if what.contains("email") => {
                    Error::invalid("email", "The email has already been taken.")
                }
                StoreError::Conflict(what) if what.contains("username") => {
                    Error::invalid("username", "The username has already been taken.")
                }
                other => other.into(),
            })
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

    pub async fn countries(&self) -> Result<Vec<Country>> {
        Ok(self.store.countries().await?)
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

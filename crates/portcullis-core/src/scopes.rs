//! The scope registry: the built-in scopes that `/api` routes declare, and the scopes a tenant
//! registers for its own applications (document 000's backup app, say), which Portcullis grants
//! and reports through introspection but does not enforce itself.

use crate::authz::Action;
use crate::error::{Error, Result};
use crate::field::{FieldError, Rule};
use crate::ids::TenantId;
use crate::model::{ClientInfo, CustomScope, Principal, Scopes};
use crate::rbac::{builtin_scope, BuiltinScope, BUILTIN_SCOPES};
use crate::services::Services;
use std::sync::Arc;
use time::OffsetDateTime;

/// Longest scope name accepted.
pub const NAME_MAX: usize = 64;
pub const DESCRIPTION_MAX: usize = 255;

/// Kebab case: lowercase letters and digits in words joined by single hyphens.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && name.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// One entry of the registry as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeEntry {
    pub name: String,
    pub description: String,
    pub builtin: bool,
    /// When a tenant registered it; `None` for built-in scopes.
    pub created_at: Option<OffsetDateTime>,
}

impl From<&BuiltinScope> for ScopeEntry {
    fn from(scope: &BuiltinScope) -> Self {
        Self {
            name: scope.name.to_owned(),
            description: scope.description.to_owned(),
            builtin: true,
            created_at: None,
        }
    }
}

impl From<CustomScope> for ScopeEntry {
    fn from(scope: CustomScope) -> Self {
        Self {
            name: scope.name,
            description: scope.description,
            builtin: false,
            created_at: Some(scope.created_at),
        }
    }
}

impl Services {
    /// Every scope a token of this tenant may carry: built-in first, then the tenant's own by
    /// name.
    pub async fn scopes(&self, principal: &Principal) -> Result<Vec<ScopeEntry>> {
        self.authorize(principal, Action::ManageScopes).await?;
        self.registry(&principal.tenant_id).await
    }

    async fn registry(&self, tenant: &TenantId) -> Result<Vec<ScopeEntry>> {
        let custom = self.store.custom_scopes(tenant).await?;
        Ok(BUILTIN_SCOPES
            .iter()
            .map(ScopeEntry::from)
            .chain(custom.into_iter().map(ScopeEntry::from))
            .collect())
    }

    /// Registers a scope for the tenant's applications.
    pub async fn register_scope(
        &self,
        principal: &Principal,
        name: &str,
        description: &str,
        client: &ClientInfo,
    ) -> Result<ScopeEntry> {
        self.authorize(principal, Action::ManageScopes).await?;
        let name = name.trim();
        let description = description.trim();
        let mut problems = Vec::new();
        if !valid_name(name) {
            problems.push(FieldError::other(
                "name",
                format!("The name must be kebab-case (like run-backup-tasks), at most {NAME_MAX} characters."),
            ));
        } else if builtin_scope(name).is_some() {
            problems.push(FieldError::new("name", Rule::Taken));
        }
        if description.chars().count() > DESCRIPTION_MAX {
            problems.push(FieldError::new(
                "description",
                Rule::TooLong {
                    max: DESCRIPTION_MAX,
                },
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let scope = CustomScope {
            id: 0,
            tenant_id: principal.tenant_id.clone(),
            name: name.to_owned(),
            description: description.to_owned(),
            created_at: self.now(),
        };
        let activity =
            self.activity_of(principal, client, &format!("Registered the {name} scope."));
        let created = self.store.create_scope(&scope, &activity).await;
        self.principals.forget_all();
        match created {
            Ok(created) => Ok(created.into()),
            Err(crate::error::StoreError::Conflict(crate::error::Constraint::ScopeName)) => {
                Err(Error::invalid("name", Rule::Taken))
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Removes a registered scope. Tokens that carry it keep the name, but it is no longer
    /// granted anew nor reported by introspection.
    pub async fn remove_scope(
        &self,
        principal: &Principal,
        name: &str,
        client: &ClientInfo,
    ) -> Result<()> {
        self.authorize(principal, Action::ManageScopes).await?;
        if builtin_scope(name).is_some() {
            return Err(Error::Refused("Built-in scopes cannot be removed."));
        }
        let activity = self.activity_of(principal, client, &format!("Removed the {name} scope."));
        let deleted = self
            .store
            .delete_scope(&principal.tenant_id, name, &activity)
            .await?;
        self.principals.forget_all();
        if deleted {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// The scopes `requested` for a new token of the principal's user, checked: each must be
    /// registered, within the calling token's own scopes, and, for a built-in one, backed by a
    /// permission the user holds. Duplicates are dropped; order is kept.
    pub(crate) async fn grantable(
        &self,
        principal: &Principal,
        requested: &[String],
    ) -> Result<Vec<String>> {
        let custom = self.store.custom_scopes(&principal.tenant_id).await?;
        let held = self.store.role_permissions(principal.user.role_id).await?;
        let holds = |permission: &str| held.iter().any(|p| p.name == permission);
        let mut problems = Vec::new();
        let mut granted: Vec<String> = Vec::new();
        if requested.is_empty() {
            problems.push(FieldError::other("scopes", "Choose at least one scope."));
        }
        for name in requested {
            let name = name.trim();
            let known = name == Scopes::ALL
                || builtin_scope(name).is_some()
                || custom.iter().any(|c| c.name == name);
            let problem = if !known {
                Some(format!("The scope {name:?} does not exist."))
            } else if !principal.scopes.allows(name)
                || (name == Scopes::ALL && !principal.scopes.allows_all())
            {
                Some(format!("This token may not grant the {name} scope."))
            } else if builtin_scope(name)
                .and_then(|s| s.permission)
                .is_some_and(|p| !holds(p))
            {
                Some(format!("You may not grant the {name} scope."))
            } else {
                None
            };
            match problem {
                Some(message) => problems.push(FieldError::other("scopes", message)),
                None if !granted.iter().any(|g| g == name) => granted.push(name.to_owned()),
                None => {}
            }
        }
        if problems.is_empty() {
            Ok(granted)
        } else {
            Err(Error::Invalid(problems))
        }
    }

    /// What a token may do, spelled out for a resource server: `*` becomes every registered
    /// scope, and built-in scopes the user's role cannot use are left out.
    pub(crate) async fn effective_scopes(
        &self,
        tenant: &TenantId,
        role: crate::ids::RoleId,
        scopes: &Scopes,
    ) -> Result<Vec<String>> {
        let now = self.now();
        let key = (tenant.clone(), role, scopes.as_slice().join(" "));
        if let Some(effective) = self.principals.effective_scopes(&key, now) {
            return Ok(Vec::clone(&effective));
        }
        let epoch = self.principals.epoch();
        let effective = self.read_effective_scopes(tenant, role, scopes).await?;
        self.principals
            .put_effective_scopes(key, Arc::new(effective.clone()), now, epoch);
        Ok(effective)
    }

    async fn read_effective_scopes(
        &self,
        tenant: &TenantId,
        role: crate::ids::RoleId,
        scopes: &Scopes,
    ) -> Result<Vec<String>> {
        // Two independent reads, so at the same time.
        let (registry, held) =
            tokio::join!(self.registry(tenant), self.store.role_permissions(role));
        let (registry, held) = (registry?, held?);
        let usable = |entry: &ScopeEntry| {
            builtin_scope(&entry.name)
                .and_then(|s| s.permission)
                .is_none_or(|p| held.iter().any(|h| h.name == p))
        };
        Ok(registry
            .into_iter()
            .filter(|entry| scopes.allows(&entry.name) && usable(entry))
            .map(|entry| entry.name)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kebab_case() {
        for good in ["run-backup-tasks", "manage-tags", "v2-read", "a"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "Run",
            "a_b",
            "a b",
            "*",
            "a.b",
            &"x".repeat(65),
        ] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn builtin_names_are_unique_and_valid() {
        for (i, scope) in BUILTIN_SCOPES.iter().enumerate() {
            assert!(valid_name(scope.name), "{}", scope.name);
            assert!(BUILTIN_SCOPES[i + 1..].iter().all(|s| s.name != scope.name));
        }
    }
}

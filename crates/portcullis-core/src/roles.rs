//! Administering roles (`roles.manage`) and permissions (`permissions.manage`).
//!
//! Roles and permissions have one shape: a unique name of letters, digits, `_`, `-` and `.`,
//! a display name, a description, and whether it may be deleted. The built-in ones may not.

use crate::authz::Action;
use crate::error::{Constraint, Error, Result, StoreError};
use crate::field::Rule;
use crate::ids::{PermissionId, RoleId};
use crate::model::{ClientInfo, Permission, Principal, RbacInput, RbacKind, Role, RoleSummary};
use crate::rbac::USER_ROLE;
use crate::services::Services;

const NAME_MAX: usize = 255;

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The longest display name and description: what the JSON API has always accepted, so that
/// every surface (the console too) keeps to it.
const DISPLAY_NAME_MAX: usize = 255;
const DESCRIPTION_MAX: usize = 1000;

/// A display name or description over its length, as field errors.
fn check_lengths(input: &RbacInput) -> Result<()> {
    let mut problems = Vec::new();
    for (field, text, max) in [
        ("display_name", &input.display_name, DISPLAY_NAME_MAX),
        ("description", &input.description, DESCRIPTION_MAX),
    ] {
        if text
            .as_ref()
            .and_then(Option::as_ref)
            .is_some_and(|t| t.chars().count() > max)
        {
            problems.push(crate::field::FieldError::new(field, Rule::TooLong { max }));
        }
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(Error::Invalid(problems)),
    }
}

fn name_taken() -> Error {
    Error::invalid("name", Rule::Taken)
}

impl Services {
    pub async fn roles(&self, principal: &Principal) -> Result<Vec<RoleSummary>> {
        self.authorize(principal, Action::ManageRoles).await?;
        Ok(self
            .store
            .roles_with_counts(&principal.tenant_id, None)
            .await?)
    }

    /// The tenant's roles, to embed in lists of users.
    pub async fn tenant_roles(&self, principal: &Principal) -> Result<Vec<Role>> {
        self.authorize(principal, Action::ViewUsers).await?;
        let summaries = self
            .store
            .roles_with_counts(&principal.tenant_id, None)
            .await?;
        Ok(summaries.into_iter().map(|s| s.role).collect())
    }

    pub async fn role_summary(&self, principal: &Principal, id: RoleId) -> Result<RoleSummary> {
        self.authorize(principal, Action::ManageRoles).await?;
        self.find_role(principal, id).await
    }

    async fn find_role(&self, principal: &Principal, id: RoleId) -> Result<RoleSummary> {
        self.store
            .roles_with_counts(&principal.tenant_id, Some(id))
            .await?
            .pop()
            .ok_or(Error::NotFound)
    }

    /// The permissions each of the tenant's roles holds, as `(role, permission)` pairs.
    pub async fn role_permission_pairs(
        &self,
        principal: &Principal,
    ) -> Result<Vec<(RoleId, Permission)>> {
        self.authorize(principal, Action::ManageRoles).await?;
        Ok(self
            .store
            .role_permission_pairs(&principal.tenant_id)
            .await?)
    }

    pub async fn permissions_of_role(
        &self,
        principal: &Principal,
        id: RoleId,
    ) -> Result<Vec<Permission>> {
        self.authorize(principal, Action::ManageRoles).await?;
        let found = self.find_role(principal, id).await?;
        Ok(self.store.role_permissions(found.role.id).await?)
    }

    pub async fn create_role(
        &self,
        principal: &Principal,
        input: RbacInput,
        client: &ClientInfo,
    ) -> Result<RoleSummary> {
        self.authorize(principal, Action::ManageRoles).await?;
        let id = self
            .create_rbac(principal, RbacKind::Role, input, client)
            .await?;
        self.find_role(principal, RoleId(id)).await
    }

    pub async fn update_role(
        &self,
        principal: &Principal,
        id: RoleId,
        input: RbacInput,
        client: &ClientInfo,
    ) -> Result<RoleSummary> {
        self.authorize(principal, Action::ManageRoles).await?;
        let found = self.find_role(principal, id).await?;
        let target = (
            found.role.id.0,
            found.role.name.as_str(),
            !found.role.removable,
        );
        self.update_rbac(principal, RbacKind::Role, target, input, client)
            .await?;
        self.find_role(principal, id).await
    }

    /// Deletes a removable role; its users get the `User` role.
    pub async fn delete_role(
        &self,
        principal: &Principal,
        id: RoleId,
        client: &ClientInfo,
    ) -> Result<()> {
        self.authorize(principal, Action::ManageRoles).await?;
        let found = self.find_role(principal, id).await?;
        if !found.role.removable {
            return Err(Error::Forbidden);
        }
        let fallback = self
            .store
            .role_by_name(&principal.tenant_id, USER_ROLE)
            .await?
            .ok_or_else(|| Error::Internal("the User role is missing".to_owned()))?;
        let description = format!("Deleted the role {}.", found.role.name);
        let activity = self.activity_of(principal, client, &description);
        self.store
            .delete_role(found.role.id, fallback.id, &activity, self.now())
            .await?;
        // Its users now hold another role, and remembered lookups still name the old one.
        self.principals.forget_all();
        Ok(())
    }

    /// Makes the role hold exactly these permissions (ids of the tenant's permissions).
    pub async fn sync_role_permissions(
        &self,
        principal: &Principal,
        id: RoleId,
        permissions: &[PermissionId],
        client: &ClientInfo,
    ) -> Result<Vec<Permission>> {
        self.authorize(principal, Action::ManageRoles).await?;
        let found = self.find_role(principal, id).await?;
        // Admin holds every permission by definition; emptying its rows would only make it
        // look like a role anyone may hand out.
        if crate::rbac::is_builtin_admin(&found.role) {
            return Err(Error::Forbidden);
        }
        let known = self.store.permissions(&principal.tenant_id, None).await?;
        let mut wanted: Vec<PermissionId> = permissions.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.iter().any(|id| !known.iter().any(|p| p.id == *id)) {
            return Err(Error::invalid("permissions", Rule::Unknown));
        }
        // A caller hands out only what it holds, and changes no role beyond its own rights
        // (taking permissions from a role above it would be as much a takeover).
        let mut reached = self.store.role_permissions(found.role.id).await?;
        reached.extend(known.into_iter().filter(|p| wanted.contains(&p.id)));
        if !self.holds_all(principal, &reached).await? {
            return Err(Error::Forbidden);
        }
        let description = format!("Updated the permissions of the role {}.", found.role.name);
        let activity = self.activity_of(principal, client, &description);
        self.store
            .sync_role_permissions(found.role.id, &wanted, &activity)
            .await?;
        // Whether a holder of the role may do something changed; no remembered lookup may
        // outlive that.
        self.principals.forget_all();
        Ok(self.store.role_permissions(found.role.id).await?)
    }

    pub async fn permissions(&self, principal: &Principal) -> Result<Vec<Permission>> {
        self.authorize(principal, Action::ManagePermissions).await?;
        Ok(self.store.permissions(&principal.tenant_id, None).await?)
    }

    pub async fn permission(&self, principal: &Principal, id: PermissionId) -> Result<Permission> {
        self.authorize(principal, Action::ManagePermissions).await?;
        self.find_permission(principal, id).await
    }

    async fn find_permission(&self, principal: &Principal, id: PermissionId) -> Result<Permission> {
        self.store
            .permissions(&principal.tenant_id, Some(id))
            .await?
            .pop()
            .ok_or(Error::NotFound)
    }

    pub async fn create_permission(
        &self,
        principal: &Principal,
        input: RbacInput,
        client: &ClientInfo,
    ) -> Result<Permission> {
        self.authorize(principal, Action::ManagePermissions).await?;
        let id = self
            .create_rbac(principal, RbacKind::Permission, input, client)
            .await?;
        self.find_permission(principal, PermissionId(id)).await
    }

    pub async fn update_permission(
        &self,
        principal: &Principal,
        id: PermissionId,
        input: RbacInput,
        client: &ClientInfo,
    ) -> Result<Permission> {
        self.authorize(principal, Action::ManagePermissions).await?;
        let found = self.find_permission(principal, id).await?;
        let target = (found.id.0, found.name.as_str(), !found.removable);
        self.update_rbac(principal, RbacKind::Permission, target, input, client)
            .await?;
        // A renamed permission may grant or stop granting what the code checks by name.
        self.principals.forget_all();
        self.find_permission(principal, id).await
    }

    /// Deletes a removable permission; roles stop holding it.
    pub async fn delete_permission(
        &self,
        principal: &Principal,
        id: PermissionId,
        client: &ClientInfo,
    ) -> Result<()> {
        self.authorize(principal, Action::ManagePermissions).await?;
        let found = self.find_permission(principal, id).await?;
        if !found.removable {
            return Err(Error::Forbidden);
        }
        let description = format!("Deleted the permission {}.", found.name);
        let activity = self.activity_of(principal, client, &description);
        self.store.delete_permission(found.id, &activity).await?;
        self.principals.forget_all();
        Ok(())
    }

    async fn create_rbac(
        &self,
        principal: &Principal,
        kind: RbacKind,
        input: RbacInput,
        client: &ClientInfo,
    ) -> Result<i64> {
        check_lengths(&input)?;
        let name = match input.name.as_deref().map(str::trim) {
            None | Some("") => return Err(Error::invalid("name", Rule::Required)),
            Some(name) if !valid_name(name) => return Err(Error::invalid("name", Rule::Format)),
            Some(name) => name.to_owned(),
        };
        let description = format!("Created the {} {name}.", kind.noun());
        let activity = self.activity_of(principal, client, &description);
        let input = RbacInput {
            name: Some(name),
            ..input
        };
        self.store
            .create_rbac(kind, &principal.tenant_id, &input, &activity)
            .await
            .map_err(conflict_is_taken)
    }

    async fn update_rbac(
        &self,
        principal: &Principal,
        kind: RbacKind,
        (id, current_name, builtin): (i64, &str, bool),
        input: RbacInput,
        client: &ClientInfo,
    ) -> Result<()> {
        check_lengths(&input)?;
        let name = match input.name.as_deref().map(str::trim) {
            Some(name) if !valid_name(name) => return Err(Error::invalid("name", Rule::Format)),
            // Authorization and sign-up look built-ins up by name: renaming one would take
            // its rights away from everyone, or hand them to whoever takes the name next.
            Some(name) if builtin && name != current_name => return Err(Error::Forbidden),
            name => name.map(str::to_owned),
        };
        let description = format!("Updated the {} {current_name}.", kind.noun());
        let activity = self.activity_of(principal, client, &description);
        let input = RbacInput { name, ..input };
        self.store
            .update_rbac(kind, id, &input, &activity)
            .await
            .map_err(conflict_is_taken)
    }
}

fn conflict_is_taken(error: StoreError) -> Error {
    match error {
        StoreError::Conflict(Constraint::RoleName | Constraint::PermissionName) => name_taken(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_letters_digits_and_three_marks() {
        for good in ["my_role", "users.create", "Editor-2"] {
            assert!(super::valid_name(good), "{good}");
        }
        for bad in ["", "my role", "rôle", "a/b", "x'; DROP TABLE roles; --"] {
            assert!(!super::valid_name(bad), "{bad}");
        }
        assert!(!super::valid_name(&"a".repeat(256)));
    }
}

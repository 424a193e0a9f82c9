//! What the hosted account page needs beyond the account API's services.

use crate::authz::Action;
use crate::error::Result;
use crate::model::Principal;
use crate::rbac::builtin_scope;
use crate::scopes::ScopeEntry;
use crate::services::Services;

impl Services {
    /// The scopes the caller may put on a new personal token (what the "Manage API Tokens"
    /// form offers): every registered scope within the caller's own, minus built-in ones
    /// backed by a permission the caller's role lacks.
    pub async fn grantable_scopes(&self, principal: &Principal) -> Result<Vec<ScopeEntry>> {
        self.authorize(principal, Action::ManageTokens).await?;
        let (names, custom) = tokio::join!(
            self.effective_scopes(
                &principal.tenant_id,
                principal.user.role_id,
                &principal.scopes
            ),
            self.store.custom_scopes(&principal.tenant_id)
        );
        let custom = custom?;
        Ok(names?
            .into_iter()
            .filter_map(|name| match builtin_scope(&name) {
                Some(scope) => Some(ScopeEntry::from(scope)),
                None => custom
                    .iter()
                    .find(|c| c.name == name)
                    .cloned()
                    .map(ScopeEntry::from),
            })
            .collect())
    }
}

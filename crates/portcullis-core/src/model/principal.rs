//! Who is calling: what a bearer token proves, and the scopes it carries.

use crate::ids::{SessionId, TenantId, TokenId};
use crate::model::{Permission, TenantSettings, TokenKind, User};
use std::sync::OnceLock;
use time::OffsetDateTime;

/// Who is calling, as proven by a bearer token.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub user: User,
    pub settings: TenantSettings,
    pub token_id: TokenId,
    pub token_kind: TokenKind,
    pub session_id: Option<SessionId>,
    pub scopes: Scopes,
    /// When the token itself stops working (a login token: when its session would end).
    pub token_expires_at: Option<OffsetDateTime>,
    /// When the person proved who they are: the start of the token's session (OpenID
    /// Connect's `auth_time`); `None` for a token that belongs to no session.
    pub authenticated_at: Option<OffsetDateTime>,
    /// The user's role's permissions, read by the first check that needs them: a request
    /// checked by its route and again by its service asks the database once. A principal lives
    /// for one request, so this is what the role held when the request began.
    pub(crate) role_permissions: OnceLock<Vec<Permission>>,
    /// Set only by [`Services::acting_in`](crate::Services::acting_in): the operator's own
    /// tenant, while the console acts in another one as its Admin.
    pub acting_from: Option<TenantId>,
}

/// The scopes a token carries. `*` grants everything its user may do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<String>);

impl Scopes {
    pub const ALL: &'static str = "*";

    pub fn new(scopes: Vec<String>) -> Self {
        Self(scopes)
    }

    pub fn all() -> Self {
        Self(vec![Self::ALL.to_owned()])
    }

    pub fn allows(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == Self::ALL || s == scope)
    }

    /// Whether the token carries `*`.
    pub fn allows_all(&self) -> bool {
        self.0.iter().any(|s| s == Self::ALL)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Scopes;

    #[test]
    fn wildcard_allows_everything_and_lists_allow_only_members() {
        assert!(Scopes::all().allows("view-users"));
        let some = Scopes::new(vec!["view-profile".into()]);
        assert!(some.allows("view-profile"));
        assert!(!some.allows("view-users"));
        assert!(!Scopes::default().allows("view-profile"));
    }
}

//! Personal tokens (document 000): named, scoped, optionally expiring tokens a user makes for
//! scripts and apps, shown once and stored as a hash.

use crate::authz::Action;
use crate::error::{Error, Result};
use crate::field::{FieldError, Rule};
use crate::ids::{Secret, TokenId};
use crate::model::{ClientInfo, NewToken, Principal, Token, TokenKind};
use crate::services::Services;
use crate::tokens::TokenSecret;
use time::OffsetDateTime;

pub const NAME_MAX: usize = 255;

#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub name: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<OffsetDateTime>,
}

/// A token with its bearer value, which is shown this once.
#[derive(Debug)]
pub struct CreatedToken {
    pub token: Token,
    pub bearer: Secret,
}

/// The calling token's expiry, when the caller is a personal token and the new one would
/// outlive it (a login token's tokens may outlive the login: that is what they are for).
fn outlived(principal: &Principal, wanted: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    let limit = principal.token_expires_at?;
    let personal = principal.token_kind == TokenKind::Personal;
    (personal && wanted.is_none_or(|at| at > limit)).then_some(limit)
}

impl Services {
    /// The caller's live personal tokens, newest first.
    pub async fn personal_tokens(&self, principal: &Principal) -> Result<Vec<Token>> {
        self.authorize(principal, Action::ManageTokens).await?;
        Ok(self.store.personal_tokens(principal.user.id).await?)
    }

    pub async fn create_personal_token(
        &self,
        principal: &Principal,
        request: TokenRequest,
        client: &ClientInfo,
    ) -> Result<CreatedToken> {
        self.authorize(principal, Action::ManageTokens).await?;
        let now = self.now();
        let name = request.name.trim();
        let mut problems = Vec::new();
        if name.is_empty() {
            problems.push(FieldError::new("name", Rule::Required));
        } else if name.chars().count() > NAME_MAX {
            problems.push(FieldError::new("name", Rule::TooLong { max: NAME_MAX }));
        }
        if request.expires_at.is_some_and(|at| at <= now) {
            problems.push(FieldError::other(
                "expires_at",
                "The expiry must be in the future.",
            ));
        } else if let Some(limit) = outlived(principal, request.expires_at) {
            problems.push(FieldError::other(
                "expires_at",
                format!(
                    "A personal token cannot make one that outlives it: choose an expiry no later than {}.",
                    limit.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
                ),
            ));
        }
        let scopes = match self.grantable(principal, &request.scopes).await {
            Ok(scopes) => scopes,
            Err(Error::Invalid(more)) => {
                problems.extend(more);
                Vec::new()
            }
            Err(other) => return Err(other),
        };
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let secret = TokenSecret::generate();
        let new = NewToken {
            tenant_id: principal.tenant_id.clone(),
            user_id: principal.user.id,
            session_id: None,
            kind: TokenKind::Personal,
            name: name.to_owned(),
            secret_hash: secret.hash.clone(),
            scopes,
            created_at: now,
            expires_at: request.expires_at,
        };
        let activity = self.activity_of(
            principal,
            client,
            &format!("Created the API token {name:?}."),
        );
        let id = self.store.create_token(&new, &activity).await?;
        Ok(CreatedToken {
            bearer: secret.bearer(id),
            token: Token {
                id,
                tenant_id: new.tenant_id,
                user_id: new.user_id,
                session_id: None,
                kind: new.kind,
                name: new.name,
                secret_hash: new.secret_hash,
                scopes: new.scopes,
                created_at: now,
                last_used_at: None,
                expires_at: new.expires_at,
                revoked_at: None,
            },
        })
    }

    pub async fn revoke_personal_token(
        &self,
        principal: &Principal,
        id: TokenId,
        client: &ClientInfo,
    ) -> Result<()> {
        let token = self.own_personal_token(principal, id).await?;
        let activity = self.activity_of(
            principal,
            client,
            &format!("Revoked the API token {:?}.", token.name),
        );
        self.store.revoke_token(id, &activity, self.now()).await?;
        self.principals.forget_user(principal.user.id);
        Ok(())
    }

    /// Gives the token a new secret; the old bearer value stops working at once.
    pub async fn rotate_personal_token(
        &self,
        principal: &Principal,
        id: TokenId,
        client: &ClientInfo,
    ) -> Result<CreatedToken> {
        let mut token = self.own_personal_token(principal, id).await?;
        if token.expires_at.is_some_and(|at| at <= self.now()) {
            return Err(Error::Conflict(
                "An expired token cannot be rotated; make a new one.",
            ));
        }
        let secret = TokenSecret::generate();
        let activity = self.activity_of(
            principal,
            client,
            &format!("Rotated the API token {:?}.", token.name),
        );
        if !self
            .store
            .replace_token_secret(id, &secret.hash, &activity)
            .await?
        {
            return Err(Error::NotFound);
        }
        self.principals.forget_user(principal.user.id);
        token.secret_hash = secret.hash.clone();
        Ok(CreatedToken {
            bearer: secret.bearer(id),
            token,
        })
    }

    /// The token the caller is using, whatever its kind.
    pub async fn current_token(&self, principal: &Principal) -> Result<Token> {
        self.store
            .token(principal.token_id)
            .await?
            .ok_or(Error::Unauthenticated)
    }

    async fn own_personal_token(&self, principal: &Principal, id: TokenId) -> Result<Token> {
        self.authorize(principal, Action::ManageTokens).await?;
        self.store
            .token(id)
            .await?
            .filter(|t| {
                t.user_id == principal.user.id
                    && t.kind == TokenKind::Personal
                    && t.revoked_at.is_none()
            })
            .ok_or(Error::NotFound)
    }
}

//! API keys and the application scopes registry.

use super::StoreResult;
use crate::ids::{TenantId, TokenId, UserId};
use crate::model::{ApiKey, CustomScope, NewActivity, NewToken, Token};
use async_trait::async_trait;
use time::OffsetDateTime;

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

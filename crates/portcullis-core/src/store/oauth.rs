//! Signing keys, authorization codes, grants and their tokens.

use super::StoreResult;
use crate::ids::TokenId;
use crate::model::NewToken;
use async_trait::async_trait;
use time::OffsetDateTime;

/// ID-token signing keys (see `signing`), shared by every node.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// Every key not expired by `now` (active ones, and retired ones still published), oldest
    /// first.
    async fn signing_keys(
        &self,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<crate::model::StoredSigningKey>>;
    /// Inserts an active key unless one of its algorithm is active already (checked by the
    /// database, so concurrent callers store one); `false` when it was not inserted.
    async fn insert_signing_key_unless_active(
        &self,
        key: &crate::model::StoredSigningKey,
    ) -> StoreResult<bool>;
    /// Retires every active key (stopping at `now`, published until `published_until`) and
    /// inserts `new`, in one transaction.
    async fn rotate_signing_keys(
        &self,
        new: &[crate::model::StoredSigningKey],
        now: OffsetDateTime,
        published_until: OffsetDateTime,
    ) -> StoreResult<()>;
}

/// The OpenID Connect code flow's grants, codes and refresh tokens, and applications' own
/// tokens (the code flow's grants). Single use is decided by the database: of concurrent
/// redemptions of one code or one refresh token, one wins.
#[async_trait]
pub trait OAuthStore: Send + Sync {
    /// Stores a grant and its authorization code together.
    async fn create_grant(
        &self,
        grant: &crate::model::Grant,
        code: &crate::model::StoredCode,
    ) -> StoreResult<()>;
    /// The code with this hash and its grant.
    async fn code(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<(crate::model::StoredCode, crate::model::Grant)>>;
    /// Marks the code used and stores the grant's first access token and refresh token, all
    /// or nothing, with the activity entry of the sign-in; `None` (nothing stored) when the
    /// code was used already or its grant was revoked. A concurrent [`OAuthStore::revoke_grant`] must revoke whatever this stores.
    async fn redeem_code(
        &self,
        code_hash: &str,
        now: OffsetDateTime,
        access: &NewToken,
        refresh: &crate::model::StoredRefreshToken,
        activity: &crate::model::NewActivity,
    ) -> StoreResult<Option<TokenId>>;
    /// Stores a sealed code's grant with its first access token and refresh token and the
    /// activity entry of the sign-in, all or nothing; `None` (nothing stored) when a grant
    /// with its id exists already: the code was redeemed before.
    async fn redeem_sealed_code(
        &self,
        grant: &crate::model::Grant,
        access: &NewToken,
        refresh: &crate::model::StoredRefreshToken,
        activity: &crate::model::NewActivity,
    ) -> StoreResult<Option<TokenId>>;
    /// The refresh token with this hash and its grant.
    async fn refresh_token(
        &self,
        secret_hash: &str,
    ) -> StoreResult<Option<(crate::model::StoredRefreshToken, crate::model::Grant)>>;
    /// Marks the refresh token used and stores its successor and a new access token, all or
    /// nothing; `None` (nothing stored) when it or its grant was used or revoked already. A
    /// concurrent [`OAuthStore::revoke_grant`] must revoke whatever this stores.
    async fn rotate_refresh_token(
        &self,
        secret_hash: &str,
        now: OffsetDateTime,
        access: &NewToken,
        next: &crate::model::StoredRefreshToken,
    ) -> StoreResult<Option<TokenId>>;
    /// Revokes the grant, every access token it issued and every refresh token of its family.
    async fn revoke_grant(&self, grant_id: &str, now: OffsetDateTime) -> StoreResult<()>;
    /// The grant an access token was issued through, if any.
    async fn grant_of_token(&self, token: TokenId) -> StoreResult<Option<crate::model::Grant>>;
    /// Stores a client token; returns its id.
    async fn create_client_token(&self, token: &crate::model::ClientToken) -> StoreResult<i64>;
    async fn client_token(&self, id: i64) -> StoreResult<Option<crate::model::ClientToken>>;
    async fn revoke_client_token(&self, id: i64, now: OffsetDateTime) -> StoreResult<()>;
    /// Records that a JWT access token is revoked (again: nothing changes), and clears away a
    /// few entries of tokens that have expired since.
    async fn revoke_jwt(&self, revoked: &crate::model::RevokedJwt) -> StoreResult<()>;
    /// Every revoked JWT access token that has not expired by `now`: its `jti` and expiry.
    async fn revoked_jwts(&self, now: OffsetDateTime)
        -> StoreResult<Vec<(String, OffsetDateTime)>>;
}

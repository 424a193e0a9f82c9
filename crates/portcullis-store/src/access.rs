//! Personal tokens, the tenant scope registry and API keys.

use crate::activity::audited_write;
use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer, BeginWrite};
use crate::rows::{corrupt, from_db, opt_from_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::{SessionId, TenantId, TokenId, UserId};
use portcullis_core::model::{ApiKey, CustomScope, NewActivity, NewToken, Token, TokenKind};
use portcullis_core::store::AccessStore;
use portcullis_core::StoreError;
use sqlx::FromRow;
use time::OffsetDateTime;

/// Inserts a [`NewToken`] inside a transaction, evaluating to its id.
macro_rules! insert_token {
    ($executor:expr, $token:expr) => {{
        let token: &portcullis_core::model::NewToken = $token;
        match serde_json::to_string(&token.scopes) {
            Err(e) => Err(sqlx::Error::Encode(Box::new(e))),
            Ok(scopes) => {
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO tokens (tenant_id, user_id, session_id, kind, name, secret_hash, scopes, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(token.tenant_id.as_str())
                .bind(token.user_id.0)
                .bind(token.session_id.as_ref().map(portcullis_core::ids::SessionId::as_str))
                .bind(token.kind.as_str())
                .bind(&token.name)
                .bind(&token.secret_hash)
                .bind(scopes)
                .bind($crate::rows::to_db(token.created_at))
                .bind($crate::rows::opt_to_db(token.expires_at))
                .fetch_one($executor)
                .await
            }
        }
    }};
}
pub(crate) use insert_token;

const TOKEN_COLUMNS: &str = "id, tenant_id, user_id, session_id, kind, name, secret_hash, scopes, \
    created_at, last_used_at, expires_at, revoked_at";

#[derive(FromRow)]
struct TokenRow {
    id: i64,
    tenant_id: String,
    user_id: i64,
    session_id: Option<String>,
    kind: String,
    name: String,
    secret_hash: String,
    scopes: String,
    created_at: i64,
    last_used_at: Option<i64>,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<TokenRow> for Token {
    type Error = StoreError;
    fn try_from(row: TokenRow) -> Result<Self> {
        Ok(Self {
            id: TokenId(row.id),
            tenant_id: TenantId(row.tenant_id),
            user_id: UserId(row.user_id),
            session_id: row.session_id.map(SessionId),
            kind: TokenKind::parse(&row.kind).ok_or_else(|| corrupt("token kind", &row.kind))?,
            name: row.name,
            secret_hash: row.secret_hash,
            scopes: serde_json::from_str(&row.scopes).map_err(|e| corrupt("token scopes", e))?,
            created_at: from_db(row.created_at),
            last_used_at: opt_from_db(row.last_used_at),
            expires_at: opt_from_db(row.expires_at),
            revoked_at: opt_from_db(row.revoked_at),
        })
    }
}

const SCOPE_COLUMNS: &str = "id, tenant_id, name, description, created_at";

#[derive(FromRow)]
struct ScopeRow {
    id: i64,
    tenant_id: String,
    name: String,
    description: String,
    created_at: i64,
}

impl From<ScopeRow> for CustomScope {
    fn from(row: ScopeRow) -> Self {
        Self {
            id: row.id,
            tenant_id: TenantId(row.tenant_id),
            name: row.name,
            description: row.description,
            created_at: from_db(row.created_at),
        }
    }
}

const API_KEY_COLUMNS: &str =
    "id, tenant_id, name, secret_hash, created_at, last_used_at, revoked_at";

#[derive(FromRow)]
struct ApiKeyRow {
    id: String,
    tenant_id: Option<String>,
    name: String,
    secret_hash: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(row: ApiKeyRow) -> Self {
        Self {
            id: row.id,
            tenant_id: row.tenant_id.map(TenantId),
            name: row.name,
            secret_hash: row.secret_hash,
            created_at: from_db(row.created_at),
            last_used_at: opt_from_db(row.last_used_at),
            revoked_at: opt_from_db(row.revoked_at),
        }
    }
}

#[async_trait]
impl AccessStore for SqlStore {
    async fn create_token(&self, token: &NewToken, activity: &NewActivity) -> Result<TokenId> {
        let id = audited_write!(&self.pool, activity, |tx| {
            let id = insert_token!(&mut *tx, token)?;
            id
        })?;
        Ok(TokenId(id))
    }

    async fn token(&self, id: TokenId) -> Result<Option<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1");
        let row: Option<TokenRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        row.map(Token::try_from).transpose()
    }

    async fn personal_tokens(&self, user: UserId) -> Result<Vec<Token>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens \
             WHERE user_id = $1 AND kind = $2 AND revoked_at IS NULL ORDER BY id DESC"
        );
        let rows: Vec<TokenRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql)
                .bind(user.0)
                .bind(TokenKind::Personal.as_str())
                .fetch_all(pool)
                .await
        })
        .map_err(store_error)?;
        rows.into_iter().map(Token::try_from).collect()
    }

    async fn replace_token_secret(
        &self,
        token: TokenId,
        secret_hash: &str,
        activity: &NewActivity,
    ) -> Result<bool> {
        audited_write!(&self.pool, activity, |tx| {
            let changed = sqlx::query(
                "UPDATE tokens SET secret_hash = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(secret_hash)
            .bind(token.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            true
        })
    }

    async fn custom_scopes(&self, tenant: &TenantId) -> Result<Vec<CustomScope>> {
        let sql = format!("SELECT {SCOPE_COLUMNS} FROM scopes WHERE tenant_id = $1 ORDER BY name");
        let rows: Vec<ScopeRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(tenant.as_str()).fetch_all(pool).await
        })
        .map_err(store_error)?;
        Ok(rows.into_iter().map(CustomScope::from).collect())
    }

    async fn create_scope(
        &self,
        scope: &CustomScope,
        activity: &NewActivity,
    ) -> Result<CustomScope> {
        let sql = format!(
            "INSERT INTO scopes (tenant_id, name, description, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING {SCOPE_COLUMNS}"
        );
        let row: ScopeRow = audited_write!(&self.pool, activity, |tx| {
            let row = sqlx::query_as(&sql)
                .bind(scope.tenant_id.as_str())
                .bind(&scope.name)
                .bind(&scope.description)
                .bind(to_db(scope.created_at))
                .fetch_one(&mut *tx)
                .await?;
            row
        })?;
        Ok(row.into())
    }

    async fn delete_scope(
        &self,
        tenant: &TenantId,
        name: &str,
        activity: &NewActivity,
    ) -> Result<bool> {
        audited_write!(&self.pool, activity, |tx| {
            let deleted = sqlx::query("DELETE FROM scopes WHERE tenant_id = $1 AND name = $2")
                .bind(tenant.as_str())
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted == 0 {
                return Ok(false);
            }
            true
        })
    }

    async fn create_api_key(&self, key: &ApiKey) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "INSERT INTO api_keys (id, tenant_id, name, secret_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&key.id)
            .bind(key.tenant_id.as_ref().map(TenantId::as_str))
            .bind(&key.name)
            .bind(&key.secret_hash)
            .bind(to_db(key.created_at))
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id");
        let rows: Vec<ApiKeyRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await
        })
        .map_err(store_error)?;
        Ok(rows.into_iter().map(ApiKey::from).collect())
    }

    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE id = $1");
        let row: Option<ApiKeyRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        Ok(row.map(ApiKey::from))
    }

    async fn revoke_api_key(&self, id: &str, now: OffsetDateTime) -> Result<bool> {
        on_writer!(&self.pool, pool => {
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(to_db(now))
                .bind(id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected() > 0)
        })
        .map_err(store_error)
    }

    async fn touch_api_key(&self, id: &str, now: OffsetDateTime) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                .bind(to_db(now))
                .bind(id)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .map_err(store_error)
    }
}

//! Dynamic client registration: initial access tokens and self-registered applications.

use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer};
use crate::rows::{from_db, opt_from_db, opt_to_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::ids::TenantId;
use portcullis_core::model::{ClientRegistration, RegistrationToken};
use portcullis_core::store::RegistrationStore;
use sqlx::FromRow;
use time::OffsetDateTime;

const TOKEN_COLUMNS: &str = "id, tenant_id, secret_hash, created_at, expires_at, revoked_at";

#[derive(FromRow)]
struct TokenRow {
    id: String,
    tenant_id: String,
    secret_hash: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<TokenRow> for RegistrationToken {
    fn from(row: TokenRow) -> Self {
        Self {
            id: row.id,
            tenant_id: TenantId(row.tenant_id),
            secret_hash: row.secret_hash,
            created_at: from_db(row.created_at),
            expires_at: opt_from_db(row.expires_at),
            revoked_at: opt_from_db(row.revoked_at),
        }
    }
}

#[derive(FromRow)]
struct RegistrationRow {
    application_id: String,
    tenant_id: String,
    access_token_hash: String,
    created_at: i64,
}

impl From<RegistrationRow> for ClientRegistration {
    fn from(row: RegistrationRow) -> Self {
        Self {
            application_id: row.application_id,
            tenant_id: TenantId(row.tenant_id),
            access_token_hash: row.access_token_hash,
            created_at: from_db(row.created_at),
        }
    }
}

#[async_trait]
impl RegistrationStore for SqlStore {
    async fn create_registration_token(&self, token: &RegistrationToken) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "INSERT INTO registration_tokens (id, tenant_id, secret_hash, created_at, \
                 expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&token.id)
            .bind(token.tenant_id.as_str())
            .bind(&token.secret_hash)
            .bind(to_db(token.created_at))
            .bind(opt_to_db(token.expires_at))
            .bind(opt_to_db(token.revoked_at))
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn registration_token(&self, id: &str) -> Result<Option<RegistrationToken>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM registration_tokens WHERE id = $1");
        let row: Option<TokenRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        Ok(row.map(RegistrationToken::from))
    }

    async fn registration_tokens(
        &self,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<RegistrationToken>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM registration_tokens \
             WHERE ($1 IS NULL OR tenant_id = $1) ORDER BY created_at, id"
        );
        let rows: Vec<TokenRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql)
                .bind(tenant.map(TenantId::as_str))
                .fetch_all(pool)
                .await
        })
        .map_err(store_error)?;
        Ok(rows.into_iter().map(RegistrationToken::from).collect())
    }

    async fn revoke_registration_token(&self, id: &str, at: OffsetDateTime) -> Result<bool> {
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "UPDATE registration_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(to_db(at))
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() > 0)
        })
        .map_err(store_error)
    }

    async fn create_client_registration(&self, registration: &ClientRegistration) -> Result<()> {
        on_writer!(&self.pool, pool => {
            sqlx::query(
                "INSERT INTO client_registrations (application_id, tenant_id, \
                 access_token_hash, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&registration.application_id)
            .bind(registration.tenant_id.as_str())
            .bind(&registration.access_token_hash)
            .bind(to_db(registration.created_at))
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(store_error)
    }

    async fn client_registration(
        &self,
        tenant: &TenantId,
        application_id: &str,
    ) -> Result<Option<ClientRegistration>> {
        let row: Option<RegistrationRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT application_id, tenant_id, access_token_hash, created_at \
                 FROM client_registrations WHERE tenant_id = $1 AND application_id = $2",
            )
            .bind(tenant.as_str())
            .bind(application_id)
            .fetch_optional(pool)
            .await
        })
        .map_err(store_error)?;
        Ok(row.map(ClientRegistration::from))
    }
}

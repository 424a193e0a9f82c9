//! ID-token signing keys. The store keeps what it is given: the private half arrives sealed.

use crate::error::{store_error, Result};
use crate::pool::{on_pool, on_writer, BeginWrite};
use crate::rows::{corrupt, from_db, opt_from_db, to_db};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::model::{Algorithm, StoredSigningKey};
use portcullis_core::store::SigningKeyStore;
use portcullis_core::StoreError;
use sqlx::FromRow;
use time::OffsetDateTime;

const INSERT: &str = "INSERT INTO signing_keys (id, algorithm, public_jwk, private_key_nonce, \
    private_key_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6)";

#[derive(FromRow)]
struct SigningKeyRow {
    id: String,
    algorithm: String,
    public_jwk: String,
    private_key_nonce: Vec<u8>,
    private_key_sealed: Vec<u8>,
    created_at: i64,
    retired_at: Option<i64>,
    expires_at: Option<i64>,
}

impl TryFrom<SigningKeyRow> for StoredSigningKey {
    type Error = StoreError;
    fn try_from(row: SigningKeyRow) -> Result<Self> {
        Ok(Self {
            algorithm: Algorithm::parse(&row.algorithm)
                .ok_or_else(|| corrupt("signing key algorithm", &row.algorithm))?,
            public_jwk: serde_json::from_str(&row.public_jwk)
                .map_err(|e| corrupt("signing key public_jwk", e))?,
            id: row.id,
            nonce: row.private_key_nonce,
            sealed_private_key: row.private_key_sealed,
            created_at: from_db(row.created_at),
            retired_at: opt_from_db(row.retired_at),
            expires_at: opt_from_db(row.expires_at),
        })
    }
}

fn public_jwk(key: &StoredSigningKey) -> Result<String> {
    serde_json::to_string(&key.public_jwk).map_err(|e| StoreError::Other(e.to_string()))
}

#[async_trait]
impl SigningKeyStore for SqlStore {
    async fn signing_keys(&self, now: OffsetDateTime) -> Result<Vec<StoredSigningKey>> {
        let rows: Vec<SigningKeyRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT id, algorithm, public_jwk, private_key_nonce, private_key_sealed, \
                 created_at, retired_at, expires_at FROM signing_keys \
                 WHERE expires_at IS NULL OR expires_at > $1 ORDER BY created_at, id",
            )
            .bind(to_db(now))
            .fetch_all(pool)
            .await
        })
        .map_err(store_error)?;
        rows.into_iter().map(StoredSigningKey::try_from).collect()
    }

    async fn insert_signing_key_unless_active(&self, key: &StoredSigningKey) -> Result<bool> {
        let jwk = public_jwk(key)?;
        // The partial unique index allows one active key per algorithm; a concurrent
        // insert of a second one does nothing.
        let sql = format!("{INSERT} ON CONFLICT DO NOTHING");
        let inserted = on_writer!(&self.pool, pool => {
            sqlx::query(&sql)
                .bind(&key.id)
                .bind(key.algorithm.as_str())
                .bind(&jwk)
                .bind(&key.nonce)
                .bind(&key.sealed_private_key)
                .bind(to_db(key.created_at))
                .execute(pool)
                .await
                .map(|done| done.rows_affected() == 1)
        })
        .map_err(store_error)?;
        Ok(inserted)
    }

    async fn rotate_signing_keys(
        &self,
        new: &[StoredSigningKey],
        now: OffsetDateTime,
        published_until: OffsetDateTime,
    ) -> Result<()> {
        let jwks = new.iter().map(public_jwk).collect::<Result<Vec<_>>>()?;
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE signing_keys SET retired_at = $1, expires_at = $2 \
                 WHERE retired_at IS NULL",
            )
            .bind(to_db(now))
            .bind(to_db(published_until))
            .execute(&mut *tx)
            .await?;
            for (key, jwk) in new.iter().zip(&jwks) {
                sqlx::query(INSERT)
                    .bind(&key.id)
                    .bind(key.algorithm.as_str())
                    .bind(jwk)
                    .bind(&key.nonce)
                    .bind(&key.sealed_private_key)
                    .bind(to_db(key.created_at))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })
        .map_err(store_error)
    }
}

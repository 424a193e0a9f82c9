//! The store: one connection pool to one database, migrated and seeded with reference data.
//! Each other file implements one of the domain's store traits on it.

use crate::pool::{Backend, ConnectOptions, Pool};
use portcullis_core::error::StoreError;

/// A connection pool to one database, migrated and seeded with reference data.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pub(crate) pool: Pool,
    /// Sealed codes' redemptions waiting to be written together (SQLite; see `redemptions`).
    pub(crate) redemptions: std::sync::Arc<crate::redemptions::RedemptionQueue>,
}

impl SqlStore {
    /// Opens the database (creating a SQLite file if needed), applies pending migrations and
    /// loads the countries table.
    pub async fn open(options: &ConnectOptions) -> Result<Self, StoreError> {
        let store = Self::connect(options).await?;
        store.migrate().await?;
        store.seed_countries().await?;
        Ok(store)
    }

    /// Opens the database as it is: nothing migrated, nothing seeded (see
    /// [`Self::pending_migrations`]).
    pub async fn connect(options: &ConnectOptions) -> Result<Self, StoreError> {
        Ok(Self {
            pool: Pool::connect(options).await?,
            redemptions: Default::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    pub async fn close(&self) {
        self.pool.close().await
    }
}

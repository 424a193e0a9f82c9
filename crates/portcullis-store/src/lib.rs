//! Persistence for Portcullis: the domain's [`Store`](portcullis_core::store::Store) traits over
//! an embedded SQLite file or a PostgreSQL server, chosen by the database URL at runtime.
//!
//! Queries are written once, with `$N` placeholders that both backends accept, and run on
//! whichever pool is open (see [`on_pool!`]). Schemas differ only in DDL, so each backend has its
//! own migrations.

mod access;
mod activity;
mod applications;
mod captchas;
mod changes;
mod countries;
mod directory;
mod error;
mod health;
mod lifecycle;
mod mail;
mod managed_users;
mod migrations;
mod oauth;
mod pool;
mod profile;
mod rbac;
mod remembered_devices;
mod rows;
mod sessions;
mod signing_keys;
mod social;
mod tenants;
mod throttles;
mod two_factor;
mod users;

pub use changes::PrincipalChange;
pub use pool::{Backend, ConnectOptions};

use pool::Pool;
use portcullis_core::StoreError;

/// A connection pool to one database, migrated and seeded with reference data.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: Pool,
}

impl SqlStore {
    /// Opens the database (creating a SQLite file if needed), applies pending migrations and
    /// loads the countries table.
    pub async fn open(options: &ConnectOptions) -> Result<Self, StoreError> {
        let store = Self {
            pool: Pool::connect(options).await?,
        };
        store.migrate().await?;
        store.seed_countries().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    pub async fn close(&self) {
        self.pool.close().await
    }
}

//! Persistence for Portcullis: the domain's [`Store`](portcullis_core::store::Store) traits over
//! an embedded SQLite file or a PostgreSQL server, chosen by the database URL at runtime.
//!
//! Queries are written once, with `$N` placeholders that both backends accept, and run on
//! whichever pool is open (see [`on_pool!`]). Schemas differ only in DDL, so each backend has its
//! own migrations.

mod access;
mod activity;
mod applications;
mod backup;
mod captchas;
mod changes;
mod consents;
mod countries;
mod device_codes;
mod directory;
mod error;
mod health;
mod lifecycle;
mod logout_notices;
mod mail;
mod managed_users;
mod migrations;
mod oauth;
mod passkeys;
mod pool;
mod profile;
mod rbac;
mod redemptions;
mod registration;
mod remembered_devices;
mod rows;
mod sessions;
mod signing_keys;
mod social;
mod sql_store;
mod tenants;
mod throttles;
mod transfer;
mod two_factor;
mod users;

pub use backup::sqlite_file;
pub use changes::PrincipalChange;
pub use pool::{Backend, ConnectOptions};
pub use sql_store::SqlStore;
pub use transfer::{exported_columns, LEFT_BEHIND};

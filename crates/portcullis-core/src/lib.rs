//! The Portcullis domain: what an identity server knows and decides, with no HTTP and no SQL.
//!
//! Surfaces (crate `portcullis-http`) translate a dialect into calls on [`Services`]; the store
//! (crate `portcullis-store`) implements [`store::Store`]. Every rule lives here once.

pub mod account_changes;
pub mod account_export;
pub mod accounts;
pub mod api_keys;
pub mod applications;
pub mod auth;
pub mod authz;
pub mod avatars;
pub mod captcha;
pub mod clock;
pub mod console;
pub mod console_users;
pub mod directory;
pub mod egress;
pub mod error;
pub mod field;
pub mod health;
pub mod ids;
pub mod introspection;
pub mod lifecycle;
pub mod mail;
pub mod managed_credentials;
pub mod managed_users;
pub mod metadata;
pub mod model;
pub mod oidc;
pub mod operators;
pub mod outbound;
pub mod passkeys;
pub mod password;
pub mod personal_tokens;
pub mod profile;
pub mod random;
pub mod rbac;
pub mod roles;
pub mod runtime;
pub mod scopes;
pub mod sealing;
pub mod self_deletion;
pub mod services;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod signing;
pub mod social;
pub mod social_clients;
pub mod social_links;
pub mod stats;
pub mod store;
pub mod tenant_transfer;
pub mod tenants;
pub mod throttle;
pub mod tokens;
pub mod two_factor;
pub mod useragent;
pub mod web;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Constraint, Error, Result, StoreError};
pub use field::{FieldError, Rule};
pub use ids::{PermissionId, RoleId, Secret, SessionId, TenantId, TokenId, UserId};
pub use services::Services;

//! The account API over real HTTP: the real router and store on an ephemeral port, once per
//! backend (SQLite always; PostgreSQL when `PORTCULLIS_TEST_POSTGRES_URL` is set).

mod harness;

mod admin;
mod auth;
mod avatar;
mod captcha;
mod changes;
mod dashboard;
mod errors;
mod faults;
mod introspection;
mod layers;
mod lifecycle;
mod mail;
mod mail_throttle;
mod me;
mod mgmt;
mod mgmt_tenants;
mod mgmt_users;
mod oidc_device;
mod oidc_flow;
mod oidc_keys;
mod oidc_registration;
mod openapi;
mod ops;
pub(crate) mod pages;
mod passkeys;
mod profile;
mod refusals;
mod roles;
mod route_scopes;
mod security;
mod serving;
mod social;
mod social_pages;
mod storage;
mod tenant_transfer;
mod throttle;
mod tokens;
mod two_factor;
mod users;
mod vms_token;
mod webauthn_soft;

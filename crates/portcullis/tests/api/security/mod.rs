//! The threat model as code: each test plays an account-takeover attack against the real
//! server, on both backends, and shows it fails. One file per area.

mod account_changes;
mod administration;
mod applications;
mod login_captcha;
mod second_factor;
mod secrets_at_rest;
mod sessions;
mod settings;
mod social;
mod tenant_hosts;
mod transport;
mod uploads;

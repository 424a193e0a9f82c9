//! Domain records, at the bottom of the crate: they import nothing of it but ids. These are not
//! rows: the store maps its rows into them, and each surface maps them into its own dialect's
//! JSON. Services above decide what they may hold.

mod applications;
mod avatars;
mod captcha;
mod consents;
mod countries;
mod devices;
mod logout_notices;
mod mail;
mod oauth;
mod one_time_tokens;
mod passkeys;
mod principal;
mod registration;
mod roles;
mod sessions;
mod signing_keys;
mod social;
mod tenants;
mod throttle;
mod two_factor;
mod users;

pub use applications::*;
pub use avatars::*;
pub use captcha::*;
pub use consents::*;
pub use countries::*;
pub use devices::*;
pub use logout_notices::*;
pub use mail::*;
pub use oauth::*;
pub use one_time_tokens::*;
pub use passkeys::*;
pub use principal::*;
pub use registration::*;
pub use roles::*;
pub use sessions::*;
pub use signing_keys::*;
pub use social::*;
pub use tenants::*;
pub use throttle::*;
pub use two_factor::*;
pub use users::*;

//! What the domain needs from persistence. `portcullis-store` implements it for SQLite and
//! PostgreSQL; every method is one round trip or one transaction.

use crate::error::StoreError;

mod access;
mod applications;
mod consents;
mod device_codes;
mod directory;
mod health;
mod lifecycle;
mod logout_notices;
mod lost_connections;
mod mail;
mod oauth;
mod passkeys;
mod rbac;
mod registration;
mod sessions;
mod social;
mod tenants;
mod throttles;
mod transfer;
mod two_factor;
mod users;

pub use access::*;
pub use applications::*;
pub use consents::*;
pub use device_codes::*;
pub use directory::*;
pub use health::*;
pub use lifecycle::*;
pub use logout_notices::*;
pub use lost_connections::{note_connection_lost, watching_connections};
pub use mail::*;
pub use oauth::*;
pub use passkeys::*;
pub use rbac::*;
pub use registration::*;
pub use sessions::*;
pub use social::*;
pub use tenants::*;
pub use throttles::*;
pub use transfer::*;
pub use two_factor::*;
pub use users::*;

pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// `Store` is all of the traits it lists, and whatever implements them all is a `Store`: the
/// list is written once.
macro_rules! store_of {
    ($($part:ident),+ $(,)?) => {
        /// Everything the domain persists.
        pub trait Store: $($part +)+ 'static {}

        impl<T: $($part +)+ 'static> Store for T {}
    };
}

store_of!(
    TenantStore,
    ApplicationStore,
    RbacStore,
    CountryStore,
    UserStore,
    ManagedUserStore,
    DirectoryStore,
    SessionStore,
    ActivityStore,
    HealthStore,
    LifecycleStore,
    MailStore,
    TwoFactorStore,
    ProfileStore,
    SocialStore,
    AccessStore,
    ThrottleStore,
    CaptchaStore,
    SigningKeyStore,
    OAuthStore,
    DeviceCodeStore,
    RememberedDeviceStore,
    PasskeyStore,
    LogoutNoticeStore,
    ConsentStore,
    RegistrationStore,
    TransferStore,
);

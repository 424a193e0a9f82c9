//! What document 002's handlers take from a request, rejected in its error shape.

use super::error::VmsError;

/// The tenant named by the `Host` header, or the default tenant.
pub type HostTenant = crate::common::state::HostTenant<VmsError>;

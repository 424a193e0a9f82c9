//! Browsers remembered after a second factor.

use crate::ids::{TenantId, UserId};
use time::OffsetDateTime;

/// A remembered browser.
#[derive(Debug, Clone)]
pub struct RememberedDevice {
    pub secret_hash: String,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

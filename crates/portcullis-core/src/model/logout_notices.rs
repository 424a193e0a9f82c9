//! Back-channel logout notices waiting in the outbox: an application to tell that a session it
//! received tokens in has ended.

use crate::ids::{SessionId, TenantId, UserId};
use time::OffsetDateTime;

/// A notice claimed for delivery.
#[derive(Debug, Clone)]
pub struct LogoutNotice {
    pub id: i64,
    pub tenant_id: TenantId,
    pub application_id: String,
    pub session_id: SessionId,
    pub user_id: UserId,
    /// The user's uid, the logout token's `sub`.
    pub subject: String,
    /// Delivery attempts made before this one.
    pub attempts: i64,
    pub created_at: OffsetDateTime,
}

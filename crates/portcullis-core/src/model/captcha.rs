//! Captcha pictures waiting to be answered.

use crate::ids::TenantId;
use time::OffsetDateTime;

/// A stored captcha, as the store keeps it.
#[derive(Debug, Clone)]
pub struct StoredCaptcha {
    /// SHA-256 of the key (hex).
    pub key_hash: String,
    pub tenant_id: TenantId,
    /// See [`answer_hash`].
    pub answer_hash: String,
    pub created_at: OffsetDateTime,
    /// Until when it can be answered for the first time.
    pub expires_at: OffsetDateTime,
    /// Set by the first right answer: until when the same answer passes again.
    pub solved_until: Option<OffsetDateTime>,
    /// Set by a wrong answer or a login: it passes no more.
    pub used_at: Option<OffsetDateTime>,
}

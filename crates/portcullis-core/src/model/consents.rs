//! What a person allowed an application to know, on the consent screen.

use crate::ids::{TenantId, UserId};
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct Consent {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub application_id: String,
    /// The OIDC scopes allowed.
    pub scopes: Vec<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A consent with the name of its application, as the account page lists them.
#[derive(Debug, Clone)]
pub struct ConsentedApplication {
    pub consent: Consent,
    pub application_name: String,
}

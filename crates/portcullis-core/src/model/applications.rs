//! A tenant's applications (OIDC clients) and the API keys services present.

use crate::ids::{Secret, TenantId};
use crate::model::Metadata;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: String,
    /// `None`: the key reaches every tenant.
    pub tenant_id: Option<TenantId>,
    pub name: String,
    pub secret_hash: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiKey {
    pub fn reaches(&self, tenant: &TenantId) -> bool {
        self.tenant_id.as_ref().is_none_or(|t| t == tenant)
    }
}

#[derive(Debug, Clone)]
pub struct Application {
    /// 12 base62 characters; the OIDC client id.
    pub id: String,
    pub tenant_id: TenantId,
    pub name: String,
    pub secret: Secret,
    pub login_url: String,
    pub logout_urls: Vec<String>,
    pub redirect_urls: Vec<String>,
    pub metadata: Metadata,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// An application as a management request writes it: the whole object. The id, secret and
/// timestamps are the server's.
#[derive(Debug, Clone, Default)]
pub struct ApplicationInput {
    pub name: String,
    pub login_url: String,
    pub logout_urls: Vec<String>,
    pub redirect_urls: Vec<String>,
    pub metadata: Metadata,
}

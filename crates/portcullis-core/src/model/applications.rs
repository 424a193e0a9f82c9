//! A tenant's applications (OIDC clients) and the API keys services present.

use crate::ids::{Secret, TenantId};
use crate::model::Metadata;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
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

/// An application as a node remembers it between its requests: still sealed, with its secret
/// known only as a SHA-256 digest. Client secrets are long random strings, so a fast hash is
/// the right one, and a request is answered without opening the seal again.
#[derive(Debug)]
pub struct KnownClient {
    /// As stored: its secret sealed.
    pub application: Application,
    secret_digest: [u8; 32],
}

impl KnownClient {
    /// `application` as stored, and its `secret` opened.
    pub fn new(application: Application, secret: &Secret) -> Self {
        Self {
            secret_digest: Sha256::digest(secret.expose().as_bytes()).into(),
            application,
        }
    }

    /// Whether `presented` is the secret, compared in time independent of where they differ.
    pub fn secret_matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest.ct_eq(&self.secret_digest).into()
    }
}

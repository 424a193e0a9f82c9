//! Which browser origins may call the provider from JavaScript (CORS): the origins of the
//! tenant's applications' redirect URLs, where their single-page apps run. A page anywhere else
//! gets no CORS answer, so the browser keeps the provider's answers from it.

use crate::error::Result;
use crate::model::Tenant;
use crate::services::Services;

/// Applications read per round while looking for an origin.
const PAGE: i64 = 200;

impl Services {
    /// Whether a page at `origin` may read the provider's answers for `tenant`: one of the
    /// tenant's applications redirects to that origin.
    pub async fn cors_allows(&self, tenant: &Tenant, origin: &str) -> Result<bool> {
        let Some(origin) = super::urls::origin(origin.trim()) else {
            return Ok(false);
        };
        let mut offset = 0;
        loop {
            let (applications, total) = self.store.applications(&tenant.id, offset, PAGE).await?;
            let found = applications.iter().any(|application| {
                application
                    .redirect_urls
                    .iter()
                    .any(|url| super::urls::origin(url).as_deref() == Some(origin.as_str()))
            });
            if found {
                return Ok(true);
            }
            offset += applications.len() as i64;
            if applications.is_empty() || offset >= total {
                return Ok(false);
            }
        }
    }
}

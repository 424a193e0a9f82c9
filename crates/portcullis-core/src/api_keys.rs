//! API keys: the secrets services present (resource servers asking about tokens, later the
//! management API). They look like `pcsk_<id>_<secret>`: the prefix lets secret scanners spot a
//! leaked key, the id finds the row, and only a SHA-256 of the secret is stored.

use crate::error::{Error, Result};
use crate::field::Rule;
use crate::ids::Secret;
use crate::model::ApiKey;
use crate::services::Services;
use crate::tokens::{hash_secret, secret_matches};
use std::sync::Arc;
use time::Duration;

pub const PREFIX: &str = "pcsk_";
const ID_LEN: usize = 16;
const SECRET_LEN: usize = 40;
/// `last_used_at` moves at most this often per key.
const USE_GRANULARITY: Duration = Duration::minutes(1);

/// A new key with its full value, which is shown this once.
#[derive(Debug)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    pub value: Secret,
}

/// `(id, secret)` of a presented key, or `None` when it is not shaped like one.
fn parse(presented: &str) -> Option<(&str, &str)> {
    let (id, secret) = presented.strip_prefix(PREFIX)?.split_once('_')?;
    let alphanumeric = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    (id.len() == ID_LEN && alphanumeric(id) && !secret.is_empty()).then_some((id, secret))
}

impl Services {
    /// Makes a key for one tenant (by id or name) or, with `None`, for every tenant.
    pub async fn create_api_key(&self, name: &str, tenant: Option<&str>) -> Result<CreatedApiKey> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", Rule::Required));
        }
        let tenant_id = match tenant {
            None => None,
            Some(wanted) => Some(self.tenant_named(wanted).await?.id),
        };
        let id = crate::random::base62(ID_LEN);
        let secret = crate::random::base62(SECRET_LEN);
        let key = ApiKey {
            id: id.clone(),
            tenant_id,
            name: name.to_owned(),
            secret_hash: hash_secret(&secret),
            created_at: self.now(),
            last_used_at: None,
            revoked_at: None,
        };
        self.store.create_api_key(&key).await?;
        Ok(CreatedApiKey {
            value: Secret::new(format!("{PREFIX}{id}_{secret}")),
            key,
        })
    }

    pub async fn api_keys(&self) -> Result<Vec<ApiKey>> {
        Ok(self.store.api_keys().await?)
    }

    pub async fn revoke_api_key(&self, id: &str) -> Result<()> {
        let revoked = self.store.revoke_api_key(id, self.now()).await?;
        // Keys are remembered like token lookups: none may outlive its revocation.
        self.principals.forget_all();
        if revoked {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// The live key `presented` names; [`Error::Unauthenticated`] for anything else.
    pub async fn authenticate_api_key(&self, presented: &str) -> Result<ApiKey> {
        let (id, secret) = parse(presented.trim()).ok_or(Error::Unauthenticated)?;
        let now = self.now();
        let epoch = self.principals.epoch();
        let key = match self.principals.api_key(id, now) {
            Some(key) => key,
            None => {
                let key = self
                    .store
                    .api_key(id)
                    .await?
                    .ok_or(Error::Unauthenticated)?;
                let key = Arc::new(key);
                self.principals.put_api_key(Arc::clone(&key), now, epoch);
                key
            }
        };
        // Checked on every request, remembered or not.
        if key.revoked_at.is_some() || !secret_matches(secret, &key.secret_hash) {
            return Err(Error::Unauthenticated);
        }
        if key
            .last_used_at
            .is_none_or(|at| now - at >= USE_GRANULARITY)
        {
            self.store.touch_api_key(&key.id, now).await?;
            let touched = ApiKey {
                last_used_at: Some(now),
                ..ApiKey::clone(&key)
            };
            self.principals.put_api_key(Arc::new(touched), now, epoch);
        }
        Ok(ApiKey::clone(&key))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_only_well_formed_keys() {
        let id = "A".repeat(16);
        assert_eq!(
            parse(&format!("pcsk_{id}_s3cret")),
            Some((id.as_str(), "s3cret"))
        );
        for bad in [
            "",
            "pcsk_",
            "pcsk_short_x",
            &format!("pcsk_{id}_"),
            &format!("pcsk_{id}"),
            &format!("xxsk_{id}_x"),
            &format!("pcsk_{}_x", "A-".repeat(8)),
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}

//! Secrets Portcullis must read back (application secrets, social networks' client secrets,
//! authenticator-app seeds) are stored sealed with the key that seals the signing keys:
//! ChaCha20-Poly1305 with a random nonce, bound to what the secret belongs to (a sealed value
//! copied to another row does not open), written `sealed:v1:<base64 of nonce and ciphertext>`.
//! A value without the prefix was stored before sealing: it is read as it is, and sealed at
//! the next start ([`Services::seal_stored_secrets`]).

use crate::error::{Error, Result};
use crate::model::SigningKeySecret;
use crate::services::Services;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

const PREFIX: &str = "sealed:v1:";
const NONCE_LEN: usize = 12;

/// What a sealed secret belongs to; part of the sealing, so it opens only there.
pub(crate) enum SealedFor<'a> {
    Application { tenant: &'a str, id: &'a str },
    SocialClient { tenant: &'a str, network: &'a str },
    TotpSeed { user: i64 },
}

impl SealedFor<'_> {
    fn associated_data(&self) -> Vec<u8> {
        match self {
            Self::Application { tenant, id } => format!("application secret {tenant} {id}"),
            Self::SocialClient { tenant, network } => {
                format!("social client secret {tenant} {network}")
            }
            Self::TotpSeed { user } => format!("totp seed {user}"),
        }
        .into_bytes()
    }
}

impl SigningKeySecret {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn generate() -> Self {
        Self(crate::random::bytes())
    }

    /// Reads standard base64 (padded or not) of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Option<Self> {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| STANDARD_NO_PAD.decode(text))
            .ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }
}

impl SigningKeySecret {
    fn seal_text(&self, owner: &SealedFor<'_>, plain: &str) -> Result<String> {
        let nonce: [u8; NONCE_LEN] = crate::random::bytes();
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: &owner.associated_data(),
                },
            )
            .map_err(|_| Error::Internal("sealing a secret failed".to_owned()))?;
        Ok(format!(
            "{PREFIX}{}",
            STANDARD_NO_PAD.encode([nonce.as_slice(), &sealed].concat())
        ))
    }

    fn open_text(&self, owner: &SealedFor<'_>, stored: &str) -> Result<String> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let wrong = || {
            Error::Internal(
                "a sealed secret does not open with this signing_key_secret; every node \
                 sharing a database needs the same one"
                    .to_owned(),
            )
        };
        let bytes = STANDARD_NO_PAD.decode(encoded).map_err(|_| wrong())?;
        if bytes.len() < NONCE_LEN {
            return Err(wrong());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &owner.associated_data(),
                },
            )
            .map_err(|_| wrong())?;
        String::from_utf8(plain).map_err(|_| wrong())
    }
}

/// Whether a stored value is sealed (not one kept from before sealing).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

impl Services {
    /// Seals what an older version stored in clear (application secrets, authenticator seeds,
    /// social client secrets); run at start. Each value is replaced only if it is still the
    /// one read, so nodes starting together do not seal twice. Returns how many it sealed.
    pub async fn seal_stored_secrets(&self) -> Result<usize> {
        let mut sealed = 0;
        for app in self.store.applications_with_secrets_not(PREFIX).await? {
            let clear = app.secret.expose();
            let new = self.sealed(&app)?.secret;
            if self
                .store
                .replace_application_secret(&app.tenant_id, &app.id, clear, new.expose())
                .await?
            {
                sealed += 1;
            }
        }
        for (user, clear) in self.store.totp_seeds_not(PREFIX).await? {
            let new = self.seal(SealedFor::TotpSeed { user: user.0 }, &clear)?;
            if self.store.replace_totp_seed(user, &clear, &new).await? {
                sealed += 1;
            }
        }
        let (tenants, _) = self.store.tenants(0, i64::MAX).await?;
        for tenant in tenants {
            // Read as stored, and written back only while it still is: a `social set` made
            // meanwhile (another node's CLI) is never undone.
            let Some(stored) = self.store.stored_social_networks(&tenant.id).await? else {
                continue;
            };
            let mut networks: Vec<crate::model::SocialNetwork> = serde_json::from_str(&stored)
                .map_err(|e| Error::Internal(format!("social networks: {e}")))?;
            let mut found = 0;
            for network in &mut networks {
                if let Some(clear) = network.client_secret.as_deref().filter(|s| !is_sealed(s)) {
                    let sealed = self.seal_social_secret(&tenant, &network.network, clear)?;
                    network.client_secret = Some(sealed);
                    found += 1;
                }
            }
            if found == 0 {
                continue;
            }
            let new = serde_json::to_string(&networks)
                .map_err(|e| Error::Internal(format!("social networks: {e}")))?;
            if self
                .store
                .replace_social_networks(&tenant.id, &stored, &new)
                .await?
            {
                sealed += found;
                self.principals.forget_all();
            }
        }
        Ok(sealed)
    }

    /// `plain`, sealed for `owner`.
    pub(crate) fn seal(&self, owner: SealedFor<'_>, plain: &str) -> Result<String> {
        self.signing_secret()?.seal_text(&owner, plain)
    }

    /// The secret a stored value holds (sealed for `owner`, or kept in clear from before).
    pub(crate) fn unseal(&self, owner: SealedFor<'_>, stored: &str) -> Result<String> {
        if !is_sealed(stored) {
            return Ok(stored.to_owned());
        }
        self.signing_secret()?.open_text(&owner, stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_owner() {
        let key = SigningKeySecret::generate();
        let owner = SealedFor::TotpSeed { user: 7 };
        let sealed = key.seal_text(&owner, "JBSWY3DPEHPK3PXP").unwrap();
        assert!(is_sealed(&sealed) && !sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(sealed, key.seal_text(&owner, "JBSWY3DPEHPK3PXP").unwrap());
        assert_eq!(key.open_text(&owner, &sealed).unwrap(), "JBSWY3DPEHPK3PXP");
        assert!(key
            .open_text(&SealedFor::TotpSeed { user: 8 }, &sealed)
            .is_err());
        assert!(SigningKeySecret::generate()
            .open_text(&owner, &sealed)
            .is_err());
        assert!(key.open_text(&owner, "sealed:v1:AAAA").is_err());
        // What was stored before sealing reads as it is.
        assert_eq!(key.open_text(&owner, "plain").unwrap(), "plain");
    }
}

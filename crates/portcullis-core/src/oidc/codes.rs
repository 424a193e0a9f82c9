//! Authorization codes that carry their own grant, sealed (XChaCha20-Poly1305 under a key
//! derived from the server's secret, bound to the tenant and the client): issuing one writes nothing. The grant is stored
//! when the code is redeemed, under the id the code names, so a second redemption finds it
//! taken: single use is still decided by the database, and a reused code still revokes all
//! its first redemption led to.
//!
//! Codes issued before (a hash in `oauth_codes`) are still redeemed from the database.

use crate::error::{Error, Result};
use crate::ids::{SessionId, TenantId, UserId};
use crate::model::{Grant, StoredCode};
use crate::services::Services;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// What starts a sealed code, so it is never looked up as a stored one.
pub const SEALED_CODE_PREFIX: &str = "pc1.";
/// XChaCha20's nonce: long enough that random ones never repeat, however many codes.
const NONCE_LEN: usize = 24;

/// A code's contents.
#[derive(Serialize, Deserialize)]
struct Sealed {
    grant: String,
    user: i64,
    session: String,
    scopes: Vec<String>,
    auth_time: i64,
    created_at: i64,
    expires_at: i64,
    redirect_uri: String,
    nonce: Option<String>,
    challenge: Option<String>,
}

/// The key codes are sealed with: derived from the server's secret, so that nothing else sealed
/// with that secret opens as a code, nor the reverse.
fn code_cipher(secret: &crate::model::SigningKeySecret) -> XChaCha20Poly1305 {
    let key = Sha256::new()
        .chain_update(b"portcullis authorization codes v1")
        .chain_update(secret.as_bytes())
        .finalize();
    XChaCha20Poly1305::new(&key)
}

fn associated_data(tenant: &TenantId, client_id: &str) -> Vec<u8> {
    format!("authorization code {} {client_id}", tenant.as_str()).into_bytes()
}

impl Services {
    /// A code for `grant` and `code` (whose hash is not used: the code is the sealed pair).
    pub(crate) fn seal_code(&self, grant: &Grant, code: &StoredCode) -> Result<String> {
        let sealed = Sealed {
            grant: grant.id.clone(),
            user: grant.user_id.0,
            session: grant.session_id.as_str().to_owned(),
            scopes: grant.scopes.clone(),
            auth_time: grant.auth_time.unix_timestamp(),
            created_at: code.created_at.unix_timestamp(),
            expires_at: code.expires_at.unix_timestamp(),
            redirect_uri: code.redirect_uri.clone(),
            nonce: code.nonce.clone(),
            challenge: code.code_challenge.clone(),
        };
        let plain = serde_json::to_vec(&sealed).map_err(|e| Error::Internal(e.to_string()))?;
        let nonce: [u8; NONCE_LEN] = crate::random::bytes();
        let ciphertext = code_cipher(self.signing_secret()?.as_ref())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &associated_data(&grant.tenant_id, &grant.application_id),
                },
            )
            .map_err(|_| Error::Internal("sealing a code failed".to_owned()))?;
        Ok(format!(
            "{SEALED_CODE_PREFIX}{}",
            URL_SAFE_NO_PAD.encode([nonce.as_slice(), &ciphertext].concat())
        ))
    }

    /// The grant and code a sealed code carries, when it was sealed here for this tenant and
    /// client; `None` for anything else (altered, another client's, not ours).
    pub(crate) fn open_code(
        &self,
        presented: &str,
        tenant: &TenantId,
        client_id: &str,
    ) -> Result<Option<(StoredCode, Grant)>> {
        let Some(encoded) = presented.strip_prefix(SEALED_CODE_PREFIX) else {
            return Ok(None);
        };
        let Some(bytes) = URL_SAFE_NO_PAD.decode(encoded).ok() else {
            return Ok(None);
        };
        if bytes.len() <= NONCE_LEN {
            return Ok(None);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let Ok(plain) = code_cipher(self.signing_secret()?.as_ref()).decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &associated_data(tenant, client_id),
            },
        ) else {
            return Ok(None);
        };
        let Ok(sealed) = serde_json::from_slice::<Sealed>(&plain) else {
            return Ok(None);
        };
        let time = |seconds| OffsetDateTime::from_unix_timestamp(seconds).ok();
        let (Some(auth_time), Some(created_at), Some(expires_at)) = (
            time(sealed.auth_time),
            time(sealed.created_at),
            time(sealed.expires_at),
        ) else {
            return Ok(None);
        };
        let grant = Grant {
            id: sealed.grant,
            tenant_id: tenant.clone(),
            application_id: client_id.to_owned(),
            user_id: UserId(sealed.user),
            session_id: SessionId(sealed.session),
            scopes: sealed.scopes,
            auth_time,
            created_at,
            revoked_at: None,
        };
        let code = StoredCode {
            code_hash: String::new(),
            grant_id: grant.id.clone(),
            redirect_uri: sealed.redirect_uri,
            nonce: sealed.nonce,
            code_challenge: sealed.challenge,
            created_at,
            expires_at,
            used_at: None,
        };
        Ok(Some((code, grant)))
    }
}

//! Image captchas for document 002's token endpoint: `GET /api/v1/captcha` hands out a PNG and
//! an opaque key; `POST /api/v1/token` sends the key back with what the user read.
//!
//! The key is 40 random characters the server keeps only a SHA-256 of, next to a hash of the
//! answer keyed by the key itself, so the client holds nothing it could use to forge or read an
//! answer, and a copy of the table does not give the answers away either. A captcha answers
//! once: a wrong answer burns it; a right one holds for [`CAPTCHA_GRACE`] (so the client can
//! retry after a 419 without a new image) until [`Services::consume_captcha`] after a login.

use crate::error::{Error, Result};
use crate::field::Rule;
use crate::ids::Secret;
use crate::model::{StoredCaptcha, Tenant};
use crate::services::Services;
use crate::tokens::hash_secret;
use subtle::ConstantTimeEq;
use time::Duration;

/// How long a correctly answered captcha keeps passing: document 002's
/// `captcha_will_required_in`.
pub const CAPTCHA_GRACE: Duration = Duration::seconds(120);
/// How long an unanswered captcha can be answered.
pub const CAPTCHA_TTL: Duration = Duration::minutes(5);
/// Rows this long past their expiry are deleted when new captchas are made.
const PURGE_AFTER: Duration = Duration::hours(1);
const KEY_LEN: usize = 40;
/// Characters in the image.
pub const ANSWER_LEN: u32 = 5;
/// The glyphs drawn: digits and capitals, without those easily taken for another
/// (0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, 6/G). Answers are compared case-insensitively.
const ALPHABET: &[char] = &[
    '3', '4', '7', '9', 'A', 'C', 'E', 'F', 'H', 'J', 'K', 'M', 'N', 'P', 'R', 'T', 'U', 'V', 'W',
    'X', 'Y',
];
/// Width and height of the image, in pixels.
pub const IMAGE_SIZE: (u32, u32) = (220, 120);

/// A fresh captcha: the image to show and the key to send back with the answer.
#[derive(Debug)]
pub struct NewCaptcha {
    pub png: Vec<u8>,
    pub key: Secret,
    /// What the image shows. For callers that check captchas without looking (tests); never
    /// sent to the client.
    pub answer: Secret,
}

/// What is stored of an answer: a SHA-256 of the key and the normalized answer together. With
/// only millions of possible answers, a hash of the answer alone would be reversed at once.
fn answer_hash(key: &str, answer: &str) -> String {
    hash_secret(&format!("{key}\n{}", answer.trim().to_lowercase()))
}

/// Whether `key` could be one of ours; anything else is refused without a query.
fn well_formed(key: &str) -> bool {
    key.len() == KEY_LEN && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Draws `ANSWER_LEN` random characters as a noisy, wavy PNG. CPU work: about 3 ms optimized
/// (70 ms in a debug build), so callers run it off the async workers.
fn draw() -> Result<(String, Vec<u8>)> {
    use captcha::filters::{Dots, Noise, Wave};
    let mut image = captcha::Captcha::new();
    image
        .set_chars(ALPHABET)
        .add_chars(ANSWER_LEN)
        .apply_filter(Noise::new(0.2))
        .apply_filter(Wave::new(2.0, 10.0))
        .view(IMAGE_SIZE.0, IMAGE_SIZE.1)
        .apply_filter(Dots::new(10).min_radius(3).max_radius(6));
    let png = image
        .as_png()
        .ok_or_else(|| Error::Internal("captcha image could not be encoded".into()))?;
    Ok((image.chars_as_string(), png))
}

fn refused(message: &'static str) -> Error {
    Error::invalid("captcha", Rule::Other(message.into()))
}

const EXPIRED: &str = "The captcha has expired; request a new one.";
const WRONG: &str = "The captcha is incorrect; request a new one.";

impl Services {
    /// Makes and stores a captcha for the tenant, deleting long-expired ones on the way.
    pub async fn new_captcha(&self, tenant: &Tenant) -> Result<NewCaptcha> {
        let (answer, png) = tokio::task::spawn_blocking(draw)
            .await
            .map_err(|e| Error::Internal(format!("captcha job failed: {e}")))??;
        let key = crate::random::base62(KEY_LEN);
        let now = self.now();
        let stored = StoredCaptcha {
            key_hash: hash_secret(&key),
            tenant_id: tenant.id.clone(),
            answer_hash: answer_hash(&key, &answer),
            created_at: now,
            expires_at: now + CAPTCHA_TTL,
            solved_until: None,
            used_at: None,
        };
        self.store
            .insert_captcha(&stored, now - PURGE_AFTER)
            .await?;
        Ok(NewCaptcha {
            png,
            key: Secret::new(key),
            answer: Secret::new(answer),
        })
    }

    /// Passes when `answer` (any case) is what the tenant's captcha `key` shows and the captcha
    /// is live: unanswered and younger than [`CAPTCHA_TTL`], or answered right less than
    /// [`CAPTCHA_GRACE`] ago. A wrong answer burns the captcha. Otherwise a 422 on `captcha`.
    pub async fn check_captcha(&self, tenant: &Tenant, key: &str, answer: &str) -> Result<()> {
        let key = key.trim();
        if !well_formed(key) {
            return Err(refused(EXPIRED));
        }
        let key_hash = hash_secret(key);
        let Some(stored) = self.store.captcha(&key_hash).await? else {
            return Err(refused(EXPIRED));
        };
        if stored.tenant_id != tenant.id {
            return Err(refused(EXPIRED));
        }
        let now = self.now();
        let right: bool = answer_hash(key, answer)
            .as_bytes()
            .ct_eq(stored.answer_hash.as_bytes())
            .into();
        if !right {
            self.store.burn_captcha(&key_hash, now).await?;
            return Err(refused(WRONG));
        }
        // One conditional update decides, so a wrong answer that burned the captcha meanwhile
        // wins, and every right answer shares the first one's deadline.
        if self
            .store
            .solve_captcha(&key_hash, now, now + CAPTCHA_GRACE)
            .await?
        {
            Ok(())
        } else {
            Err(refused(EXPIRED))
        }
    }

    /// [`check_captcha`](Self::check_captcha), then uses the captcha up in one conditional
    /// update, so of any number of requests carrying one solved picture at once, one passes.
    pub async fn spend_captcha(&self, tenant: &Tenant, key: &str, answer: &str) -> Result<()> {
        self.check_captcha(tenant, key, answer).await?;
        if self
            .store
            .burn_captcha(&hash_secret(key.trim()), self.now())
            .await?
        {
            Ok(())
        } else {
            Err(refused(EXPIRED))
        }
    }

    /// Uses a captcha up, after the login it allowed; it passes no more. Unknown keys are
    /// ignored.
    pub async fn consume_captcha(&self, key: &str) -> Result<()> {
        let key = key.trim();
        if well_formed(key) {
            self.store
                .burn_captcha(&hash_secret(key), self.now())
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_png_of_the_alphabet() {
        let (answer, png) = draw().unwrap();
        assert_eq!(answer.chars().count(), ANSWER_LEN as usize);
        assert!(answer.chars().all(|c| ALPHABET.contains(&c)), "{answer}");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    }

    #[test]
    fn answers_are_case_insensitive_and_bound_to_the_key() {
        let key = crate::random::base62(KEY_LEN);
        assert_eq!(answer_hash(&key, "AB3CD"), answer_hash(&key, " ab3cd "));
        assert_ne!(answer_hash(&key, "AB3CD"), answer_hash(&key, "AB3CE"));
        let other = crate::random::base62(KEY_LEN);
        assert_ne!(answer_hash(&key, "AB3CD"), answer_hash(&other, "AB3CD"));
    }

    #[test]
    fn only_keys_of_our_shape_are_looked_up() {
        assert!(well_formed(&crate::random::base62(KEY_LEN)));
        assert!(!well_formed(""));
        assert!(!well_formed(&"a".repeat(KEY_LEN + 1)));
        assert!(!well_formed(&format!("{}$", "a".repeat(KEY_LEN - 1))));
    }
}

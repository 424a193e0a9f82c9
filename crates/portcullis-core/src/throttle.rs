//! Login throttles, shared by every surface that takes a password: at most
//! `throttle_attempts` attempts per client address and per login in each window of
//! `throttle_lockout_time` minutes (the tenant's settings; `throttle_enabled` turns them off).
//! The same windows limit requests that send mail to an address the caller names, per address
//! and per recipient.
//!
//! The counters are fixed windows in the database, so every node counts the same attempts, and
//! a hit is one atomic statement, so of any number of concurrent attempts exactly the allowed
//! number get through.
//!
//! Two ways to count, chosen with [`Throttling`] when checking a password:
//! - most surfaces count failed attempts: [`Throttling::CountFailures`] reserves an attempt
//!   before the password is verified and, when it is right, gives the address its hit back
//!   and forgets the login's count;
//! - document 002's `/api/v1/token` counts every request: the endpoint calls
//!   [`Services::reserve_attempt`] first thing and passes the [`Attempt`] on as
//!   [`Throttling::AlreadyCounted`]; nothing is given back.

use crate::error::{Error, Result};
use crate::ids::{TenantId, UserId};
use crate::model::{Limited, Tenant};
use crate::services::Services;
use crate::store::ThrottleCount;
use sha2::{Digest, Sha256};
use std::sync::atomic::Ordering;
use time::{Duration, OffsetDateTime};

/// Captchas an address may fetch per login attempt it is allowed (a person may need a few
/// tries to read one).
pub const CAPTCHAS_PER_ATTEMPT: i64 = 6;

/// Mails one account may be sent in a throttle window on a stranger's request (password
/// resets): enough for a person who lost one, too few to flood their inbox.
pub const MAILS_PER_RECIPIENT: i64 = 3;

/// Ended windows are deleted at most this often by each node.
const SWEEP_EVERY_SECONDS: i64 = 60;

/// How a password check counts towards the login throttles.
#[derive(Debug, Clone, Copy)]
pub enum Throttling<'a> {
    /// Failed attempts count: the check reserves an attempt before verifying, and a right
    /// password clears the login's count and gives the address its hit back.
    CountFailures,
    /// The caller counted this request already, with [`Services::reserve_attempt`]; the check
    /// counts nothing more and a right password clears nothing.
    AlreadyCounted(&'a Attempt),
    /// The caller reserved this attempt with [`Services::reserve_attempt`] (to decide on a
    /// captcha by its count); from there as [`Throttling::CountFailures`].
    FailuresReserved(&'a Attempt),
}

/// An attempt that got past the throttles: the hits it took, so they can be given back.
#[derive(Debug)]
#[must_use = "an attempt holds throttle hits; pass it on or report its success"]
pub struct Attempt {
    tenant: TenantId,
    /// `None` when throttling is off, or (for the address) when there is no address.
    address: Option<Hit>,
    login: Option<Hit>,
}

/// A second-factor code counted against its account.
#[derive(Debug)]
#[must_use = "a guess holds a throttle hit; give it back when the code was right"]
pub(crate) struct SecondFactorGuess {
    tenant: TenantId,
    hit: Hit,
    locks_now: bool,
}

impl SecondFactorGuess {
    /// Whether this code, if wrong, is the last one the window allows.
    pub(crate) fn locks_now(&self) -> bool {
        self.locks_now
    }
}

#[derive(Debug)]
struct Hit {
    bucket: String,
    window_ends: OffsetDateTime,
    /// The bucket's hits in its window, this one included.
    hits: i64,
}

impl Services {
    /// Counts one attempt to log in as `login` from `ip`, or fails with [`Error::Throttled`]
    /// when the address or the login has used up its attempts for the current window.
    ///
    /// A login that names a user is counted per user, whether it gives the username or the
    /// email address. An attempt refused for its login does not count against its address, so
    /// an account locked by someone else does not lock out the address of its owner.
    pub async fn reserve_attempt(
        &self,
        tenant: &Tenant,
        ip: Option<&str>,
        login: &str,
    ) -> Result<Attempt> {
        if !tenant.settings.throttle_enabled {
            return Ok(Attempt::unthrottled(tenant));
        }
        let user = self.store.user_by_login(&tenant.id, login.trim()).await?;
        let bucket = match user {
            Some(user) => user_bucket(user.id.0),
            None => unknown_login_bucket(login),
        };
        self.reserve(tenant, ip, bucket).await
    }

    /// Reports that the attempt's password was right, for surfaces that count failed attempts
    /// only: forgets the login's count and gives the address its hit back. (Not cleared
    /// outright, so that logging in to one's own account does not buy more guesses at others.)
    pub async fn attempt_succeeded(&self, attempt: &Attempt) -> Result<()> {
        if let Some(address) = &attempt.address {
            self.store
                .refund_throttle(&attempt.tenant, &address.bucket, address.window_ends)
                .await?;
        }
        if let Some(login) = &attempt.login {
            self.store
                .clear_throttle(&attempt.tenant, &login.bucket)
                .await?;
        }
        Ok(())
    }

    /// Gives back both hits of an attempt whose password was never looked at (the hash queue
    /// was full): nothing was guessed.
    pub(crate) async fn attempt_unchecked(&self, attempt: &Attempt) -> Result<()> {
        for hit in [&attempt.address, &attempt.login].into_iter().flatten() {
            self.store
                .refund_throttle(&attempt.tenant, &hit.bucket, hit.window_ends)
                .await?;
        }
        Ok(())
    }

    /// Takes a hit on the address's bucket, then on the login's: the address first, so a
    /// flood from one address is refused without touching the login's count.
    pub(crate) async fn reserve(
        &self,
        tenant: &Tenant,
        ip: Option<&str>,
        login_bucket: String,
    ) -> Result<Attempt> {
        let mut attempt = Attempt::unthrottled(tenant);
        if !tenant.settings.throttle_enabled {
            return Ok(attempt);
        }
        attempt.address = self
            .hit_address(tenant, ip, "ip", 1, Limited::Logins)
            .await?;
        let now = self.now();
        self.sweep_now_and_then(now).await;
        let limit = tenant.settings.throttle_attempts.max(1);
        let count = match self
            .counted_hit(tenant, &login_bucket, limit, now, Limited::Logins)
            .await
        {
            Ok(count) => count,
            Err(refusal) => {
                if let Some(address) = &attempt.address {
                    self.store
                        .refund_throttle(&tenant.id, &address.bucket, address.window_ends)
                        .await?;
                }
                return Err(refusal);
            }
        };
        attempt.login = Some(Hit {
            bucket: login_bucket,
            window_ends: count.window_ends,
            hits: count.hits,
        });
        Ok(attempt)
    }

    /// Whether a sign-in on the hosted pages from `ip` must solve the image captcha first:
    /// the address has used half its password attempts in the current window (failed ones;
    /// a right password gives its hit back). [`Error::Throttled`] once it used them all, so
    /// that the page says so rather than asking for a picture nobody may use.
    pub async fn login_needs_captcha(&self, tenant: &Tenant, ip: Option<&str>) -> Result<bool> {
        let (true, Some(ip)) = (tenant.settings.throttle_enabled, ip) else {
            return Ok(false);
        };
        let now = self.now();
        let bucket = format!("ip:{}", network_of(ip));
        let Some(count) = self.store.throttle_count(&tenant.id, &bucket, now).await? else {
            return Ok(false);
        };
        if count.hits >= tenant.settings.throttle_attempts.max(1) {
            return Err(throttled(Limited::Logins, count, now));
        }
        Ok(count.hits >= captcha_threshold(&tenant.settings))
    }

    /// Counts one new captcha for the address: drawing one costs CPU and a row, so an address
    /// gets [`CAPTCHAS_PER_ATTEMPT`] per allowed login attempt in each throttle window.
    pub async fn reserve_captcha(&self, tenant: &Tenant, ip: Option<&str>) -> Result<()> {
        let hit = self.hit_address(tenant, ip, "captcha", CAPTCHAS_PER_ATTEMPT, Limited::Logins);
        hit.await.map(drop)
    }

    /// Counts one return from a social network to the hosted pages from `ip`: each costs
    /// requests to the network, so failing ones are limited like password attempts
    /// (`throttle_attempts` per window); report a success with [`Services::attempt_succeeded`]
    /// to give the hit back.
    pub(crate) async fn reserve_social_return(
        &self,
        tenant: &Tenant,
        ip: Option<&str>,
    ) -> Result<Attempt> {
        let mut attempt = Attempt::unthrottled(tenant);
        attempt.address = self
            .hit_address(tenant, ip, "social", 1, Limited::Logins)
            .await?;
        Ok(attempt)
    }

    /// Counts one user code typed on the device page from `ip`: a user code is short enough to
    /// guess, so wrong ones are limited like password attempts (`throttle_attempts` per
    /// window); report a right one with [`Services::attempt_succeeded`] to give the hit back.
    pub(crate) async fn reserve_user_code_guess(
        &self,
        tenant: &Tenant,
        ip: Option<&str>,
    ) -> Result<Attempt> {
        let mut attempt = Attempt::unthrottled(tenant);
        attempt.address = self
            .hit_address(tenant, ip, "user-code", 1, Limited::Logins)
            .await?;
        Ok(attempt)
    }

    /// Counts one request from `ip` that would mail an address the caller chose (a sign-up,
    /// a password reset): `throttle_attempts` per window, whether or not a mail goes out, so
    /// the answers cannot be used to test many addresses either.
    pub(crate) async fn reserve_mail_request(
        &self,
        tenant: &Tenant,
        ip: Option<&str>,
    ) -> Result<()> {
        let hit = self.hit_address(tenant, ip, "mail", 1, Limited::Mails);
        hit.await.map(drop)
    }

    /// Counts one registration of an application without an initial access token from `ip`
    /// (open registration): each stores an application, so an address gets
    /// `throttle_attempts` per window.
    pub(crate) async fn reserve_open_registration(
        &self,
        tenant: &Tenant,
        ip: Option<&str>,
    ) -> Result<()> {
        // The registration endpoint words its own answer, whatever kind is named here.
        let hit = self.hit_address(tenant, ip, "registration", 1, Limited::Logins);
        hit.await.map(drop)
    }

    /// One hit on the address's `kind` bucket, allowed `times` the tenant's
    /// `throttle_attempts` per window; `None` when throttles are off or there is no address.
    async fn hit_address(
        &self,
        tenant: &Tenant,
        ip: Option<&str>,
        kind: &str,
        times: i64,
        of: Limited,
    ) -> Result<Option<Hit>> {
        let (true, Some(ip)) = (tenant.settings.throttle_enabled, ip) else {
            return Ok(None);
        };
        let now = self.now();
        self.sweep_now_and_then(now).await;
        let limit = tenant.settings.throttle_attempts.max(1) * times;
        let bucket = format!("{kind}:{}", network_of(ip));
        let count = self.counted_hit(tenant, &bucket, limit, now, of).await?;
        Ok(Some(Hit {
            bucket,
            window_ends: count.window_ends,
            hits: count.hits,
        }))
    }

    /// Counts a passkey ceremony begun from `ip`: each stores a row until it is answered or
    /// expires, so an address may begin ten times `throttle_attempts` per window.
    pub(crate) async fn reserve_passkey_ceremony(
        &self,
        tenant: &Tenant,
        ip: Option<&str>,
    ) -> Result<()> {
        let hit = self.hit_address(tenant, ip, "passkey-options", 10, Limited::Logins);
        hit.await.map(drop)
    }

    /// Counts one mail to `user` sent on someone else's request: [`MAILS_PER_RECIPIENT`] per
    /// window, from all addresses together.
    pub(crate) async fn reserve_mail_to(&self, tenant: &Tenant, user: UserId) -> Result<()> {
        if !tenant.settings.throttle_enabled {
            return Ok(());
        }
        let now = self.now();
        let bucket = format!("mail-to:{}", user_bucket(user.0));
        self.hit(tenant, &bucket, MAILS_PER_RECIPIENT, now, Limited::Mails)
            .await
            .map(drop)
    }

    /// One hit on `bucket` in the tenant's current window: when that window ends, or the
    /// refusal when the bucket is past `limit`.
    async fn hit(
        &self,
        tenant: &Tenant,
        bucket: &str,
        limit: i64,
        now: OffsetDateTime,
        of: Limited,
    ) -> Result<OffsetDateTime> {
        self.counted_hit(tenant, bucket, limit, now, of)
            .await
            .map(|count| count.window_ends)
    }

    /// [`hit`](Self::hit), answering the bucket's count with its window.
    async fn counted_hit(
        &self,
        tenant: &Tenant,
        bucket: &str,
        limit: i64,
        now: OffsetDateTime,
        of: Limited,
    ) -> Result<ThrottleCount> {
        let window_ends = now + Duration::minutes(tenant.settings.throttle_lockout_time.max(1));
        let count = self
            .store
            .hit_throttle(&tenant.id, bucket, now, window_ends)
            .await?;
        if count.hits > limit {
            Err(throttled(of, count, now))
        } else {
            Ok(count)
        }
    }

    /// Counts one second-factor code for `user` before it is checked: `throttle_attempts`
    /// wrong codes per window lock the second step (not the password step), whether or not
    /// the tenant throttles logins, since a right password leads here without limit. Give a
    /// right code's hit back with [`second_factor_unchecked`](Self::second_factor_unchecked).
    pub(crate) async fn reserve_second_factor(
        &self,
        tenant: &Tenant,
        user: UserId,
    ) -> Result<SecondFactorGuess> {
        let now = self.now();
        self.sweep_now_and_then(now).await;
        let limit = tenant.settings.throttle_attempts.max(1);
        let bucket = format!("second-factor:{}", user_bucket(user.0));
        let count = self
            .counted_hit(tenant, &bucket, limit, now, Limited::SecondFactor)
            .await?;
        Ok(SecondFactorGuess {
            tenant: tenant.id.clone(),
            locks_now: count.hits == limit,
            hit: Hit {
                bucket,
                window_ends: count.window_ends,
                hits: count.hits,
            },
        })
    }

    /// Gives back a second-factor hit whose code was right, or never looked at.
    pub(crate) async fn second_factor_unchecked(&self, guess: &SecondFactorGuess) -> Result<()> {
        self.store
            .refund_throttle(&guess.tenant, &guess.hit.bucket, guess.hit.window_ends)
            .await?;
        Ok(())
    }

    /// Deletes ended windows and expired WebAuthn ceremonies, at most once a minute per node.
    /// Best effort: a failure only leaves rows for the next sweep.
    async fn sweep_now_and_then(&self, now: OffsetDateTime) {
        let due = self.throttle_sweeper.0.load(Ordering::Relaxed);
        let second = now.unix_timestamp();
        if second < due {
            return;
        }
        let next = second + SWEEP_EVERY_SECONDS;
        let claimed = self.throttle_sweeper.0.compare_exchange(
            due,
            next,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        if claimed.is_ok() {
            if let Err(error) = self.store.sweep_throttles(now).await {
                tracing::warn!(%error, "sweeping ended throttle windows failed");
            }
            if let Err(error) = self.store.sweep_webauthn_challenges(now).await {
                tracing::warn!(%error, "sweeping expired WebAuthn ceremonies failed");
            }
        }
    }
}

impl Attempt {
    /// Whether the hosted login page must see a solved captcha before checking this attempt's
    /// password: its address had failed half its attempts before it (decided by the count
    /// this attempt's own hit saw, so concurrent attempts cannot all slip under it).
    pub(crate) fn captcha_due(&self, settings: &crate::model::TenantSettings) -> bool {
        // Failures before this attempt (`hits - 1`) reached the threshold.
        let threshold = captcha_threshold(settings);
        self.address
            .as_ref()
            .is_some_and(|address| address.hits > threshold)
    }

    fn unthrottled(tenant: &Tenant) -> Self {
        Self {
            tenant: tenant.id.clone(),
            address: None,
            login: None,
        }
    }
}

/// The failures from one address after which the hosted login page asks for a captcha: half
/// its attempts.
fn captcha_threshold(settings: &crate::model::TenantSettings) -> i64 {
    (settings.throttle_attempts.max(1) / 2).max(1)
}

pub(crate) fn user_bucket(user: i64) -> String {
    format!("user:{user}")
}

/// A login that names nobody, hashed: any length becomes a short key, and what people mistype
/// (often a password) is not stored.
pub(crate) fn unknown_login_bucket(login: &str) -> String {
    let normalized = login.trim().to_lowercase();
    format!(
        "login:{}",
        hex::encode(Sha256::digest(normalized.as_bytes()))
    )
}

/// The refusal, with the whole seconds until the window ends (at least 1).
fn throttled(of: Limited, count: ThrottleCount, now: OffsetDateTime) -> Error {
    let left = count.window_ends - now;
    let seconds = left.whole_seconds() + i64::from(left.subsec_nanoseconds() > 0);
    Error::Throttled {
        of,
        retry_after_seconds: u64::try_from(seconds.max(1)).unwrap_or(1),
    }
}

/// The network an address counts for: an IPv6 address by its /64, since anyone holding one
/// address of a network usually holds them all (2^64 of them); an IPv4 address (mapped ones
/// too) by itself. Text that is no address counts as itself.
fn network_of(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(prefix))
            }
        },
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ipv6_addresses_count_by_their_64_network() {
        use super::network_of;
        assert_eq!(network_of("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(network_of("2001:db8:1:2:ffff::9"), "2001:db8:1:2::/64");
        assert_ne!(network_of("2001:db8:1:3::1"), "2001:db8:1:2::/64");
        assert_eq!(network_of("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(network_of("192.0.2.7"), "192.0.2.7");
    }

    use super::*;

    #[test]
    fn retry_after_rounds_up_and_is_at_least_one_second() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::hours(1);
        let wait = |left: Duration| match throttled(
            Limited::Logins,
            ThrottleCount {
                hits: 11,
                window_ends: now + left,
            },
            now,
        ) {
            Error::Throttled {
                retry_after_seconds,
                ..
            } => retry_after_seconds,
            other => panic!("{other:?}"),
        };
        assert_eq!(wait(Duration::minutes(10)), 600);
        assert_eq!(wait(Duration::milliseconds(1500)), 2);
        assert_eq!(wait(Duration::milliseconds(1)), 1);
        assert_eq!(wait(Duration::ZERO), 1);
    }

    #[test]
    fn unknown_logins_share_a_bucket_whatever_their_case() {
        assert_eq!(
            unknown_login_bucket(" Someone@Example.com"),
            unknown_login_bucket("someone@example.com")
        );
        assert_ne!(
            unknown_login_bucket("someone"),
            unknown_login_bucket("someone-else")
        );
    }
}

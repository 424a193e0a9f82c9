//! What the services keep in memory between requests, per node: the login figures since start, and
//! when the throttles' ended windows are next swept; and the token lookups the principals are made
//! from.

mod kept;
mod principals;

pub use principals::{CacheStats, Epoch, PrincipalCache};

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Counts of logins since start, whatever the surface.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    logins_succeeded: AtomicU64,
    logins_failed: AtomicU64,
    logins_refused: AtomicU64,
    /// Outbound requests the egress policy refused, by reason (in `Refusal::ALL`'s order).
    egress_refused: [AtomicU64; 8],
}

impl Counters {
    /// Counts a password check that did not lead to a login: a wrong password, an unknown or
    /// banned user (failed), or a throttle or a full hash queue (refused). Passes the result
    /// through.
    pub(crate) fn count_failed_check<T>(&self, checked: Result<T>) -> Result<T> {
        let counter = match &checked {
            Ok(_) => return checked,
            Err(Error::InvalidCredentials | Error::Banned | Error::EmailNotConfirmed) => {
                &self.logins_failed
            }
            Err(Error::Overloaded { .. } | Error::Throttled { .. }) => &self.logins_refused,
            Err(_) => return checked,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        checked
    }

    pub(crate) fn count_egress_refused(&self, refusal: crate::egress::Refusal) {
        if let Some(i) = crate::egress::Refusal::ALL
            .iter()
            .position(|r| *r == refusal)
        {
            self.egress_refused[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Refused outbound requests by reason, every reason listed.
    pub(crate) fn egress_refusals(&self) -> Vec<(&'static str, u64)> {
        crate::egress::Refusal::ALL
            .iter()
            .zip(&self.egress_refused)
            .map(|(refusal, count)| (refusal.reason(), count.load(Ordering::Relaxed)))
            .collect()
    }

    pub(crate) fn count_login(&self) {
        self.logins_succeeded.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> LoginStats {
        LoginStats {
            succeeded: self.logins_succeeded.load(Ordering::Relaxed),
            failed: self.logins_failed.load(Ordering::Relaxed),
            refused: self.logins_refused.load(Ordering::Relaxed),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginStats {
    pub succeeded: u64,
    pub failed: u64,
    /// Refused unchecked: throttled, or the password-hash queue was full.
    pub refused: u64,
}

/// When the next sweep of ended windows is due (Unix seconds), per node.
#[derive(Debug, Default)]
pub(crate) struct Sweeper(pub(crate) AtomicI64);

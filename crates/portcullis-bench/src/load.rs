//! Runs one operation from many tasks at once for a fixed time and summarizes what finished.
//!
//! A warm-up comes first; then only operations that *finish* inside the measured window count,
//! whenever they started, so slow operations (logins queued behind the hash pool) are counted
//! fairly at both edges.

use crate::BoxError;
use std::future::Future;
use std::time::{Duration, Instant};

/// One operation is abandoned, and counted as an error, after this long.
const OP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy)]
pub struct Plan {
    pub concurrency: usize,
    pub warmup: Duration,
    pub window: Duration,
}

pub struct Outcome {
    pub ok: u64,
    pub errors: u64,
    pub window: Duration,
    /// Sorted, in microseconds, of the successful operations in the window.
    latencies_us: Vec<u64>,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.window.as_secs_f64()
    }

    /// The `q`-quantile latency in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let Some(last) = self.latencies_us.len().checked_sub(1) else {
            return f64::NAN;
        };
        let index = ((last as f64) * q).round() as usize;
        self.latencies_us[index.min(last)] as f64 / 1000.0
    }
}

#[derive(Default)]
struct Tally {
    ok: u64,
    errors: u64,
    latencies_us: Vec<u64>,
    first_error: Option<String>,
}

/// Runs `op` from `plan.concurrency` tasks until the window closes; fails when most operations
/// in the window failed, quoting the first failure.
pub async fn run<F, Fut>(name: &str, plan: Plan, op: F) -> Result<Outcome, BoxError>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let start = Instant::now();
    let window_start = start + plan.warmup;
    let window_end = window_start + plan.window;
    let tasks: Vec<_> = (0..plan.concurrency)
        .map(|_| {
            let op = op.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                while Instant::now() < window_end {
                    let began = Instant::now();
                    let result = match tokio::time::timeout(OP_TIMEOUT, op()).await {
                        Ok(result) => result,
                        Err(_) => Err(format!("no answer within {OP_TIMEOUT:?}")),
                    };
                    let ended = Instant::now();
                    if ended < window_start || ended > window_end {
                        continue;
                    }
                    match result {
                        Ok(()) => {
                            tally.ok += 1;
                            tally.latencies_us.push((ended - began).as_micros() as u64);
                        }
                        Err(e) => {
                            tally.errors += 1;
                            tally.first_error.get_or_insert(e);
                        }
                    }
                }
                tally
            })
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await?;
        total.ok += tally.ok;
        total.errors += tally.errors;
        total.latencies_us.extend(tally.latencies_us);
        if total.first_error.is_none() {
            total.first_error = tally.first_error;
        }
    }
    if total.ok == 0 || total.errors >= total.ok {
        return Err(format!(
            "{name}: most operations failed ({} of {}); first failure: {}",
            total.errors,
            total.ok + total.errors,
            total.first_error.as_deref().unwrap_or("none recorded")
        )
        .into());
    }
    if let Some(e) = &total.first_error {
        eprintln!("{name}: first failure: {e}");
    }
    total.latencies_us.sort_unstable();
    Ok(Outcome {
        ok: total.ok,
        errors: total.errors,
        window: plan.window,
        latencies_us: total.latencies_us,
    })
}

//! Delivers queued mail in the background.

use super::Mailer;
use crate::clock::Clock;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Waits before the 1st, 2nd, … retry; the last one repeats.
pub const RETRY_DELAYS: [time::Duration; 6] = [
    time::Duration::minutes(1),
    time::Duration::minutes(5),
    time::Duration::minutes(15),
    time::Duration::hours(1),
    time::Duration::hours(4),
    time::Duration::hours(12),
];

/// How long a node may hold a claimed message before another may try it.
const CLAIM: time::Duration = time::Duration::minutes(5);
/// Messages taken per round.
const BATCH: i64 = 20;
/// Even with no wake-up, the queue is looked at this often (retries, other nodes' mail).
const POLL: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct MailWorker {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn Mailer>,
    from: String,
    send_timeout: Duration,
    wake: Arc<Notify>,
}

impl MailWorker {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        mailer: Arc<dyn Mailer>,
        from: String,
        send_timeout: Duration,
    ) -> Self {
        Self {
            store,
            clock,
            mailer,
            from,
            send_timeout,
            wake: Arc::default(),
        }
    }

    /// Asks the worker to look at the queue now (after something was queued).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until `stop` completes.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            while self.deliver_due().await > 0 {}
            tokio::select! {
                () = &mut stop => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Sends what is due now; returns how many messages it tried.
    pub async fn deliver_due(&self) -> usize {
        let now = self.clock.now();
        let due = match self.store.claim_due_mail(now, now + CLAIM, BATCH).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "cannot read the mail queue");
                return 0;
            }
        };
        for queued in &due {
            let sent = tokio::time::timeout(
                self.send_timeout,
                self.mailer.send(&self.from, &queued.mail),
            )
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {:?}", self.send_timeout)));
            let now = self.clock.now();
            let recorded = match sent {
                Ok(()) => self.store.mail_sent(queued.id, now).await,
                Err(error) => {
                    let delay =
                        RETRY_DELAYS[(queued.attempts as usize).min(RETRY_DELAYS.len() - 1)];
                    tracing::warn!(
                        mail = queued.id,
                        attempt = queued.attempts + 1,
                        retry_in = %delay,
                        %error,
                        "sending mail failed",
                    );
                    self.store.mail_failed(queued.id, &error, now + delay).await
                }
            };
            if let Err(error) = recorded {
                tracing::warn!(mail = queued.id, %error, "cannot record a mail delivery");
            }
        }
        due.len()
    }
}

//! OpenID Connect Back-Channel Logout 1.0: when a session ends, for whatever reason, every
//! application that received tokens in it and registered a `backchannel_logout_uri` is sent a
//! signed logout token.
//!
//! The store writes the notices (a row per application and session) in the very transaction that
//! ends a session, so no way of ending one can forget them and none is lost to a crash. Any node
//! delivers them from that outbox: a round claims the due rows (so one node sends each), posts,
//! and records the outcome in the tenant's activity log. A failed post is tried again with
//! growing pauses for a day.

use super::clients::{id_token_algorithm, BACKCHANNEL_LOGOUT_URI_KEY};
use crate::egress::OutboundError;
use crate::error::Result;
use crate::model::{Application, LogoutNotice, Tenant};
use crate::services::Services;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use time::Duration;

/// The `events` member that makes a JWT a logout token (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The header `typ` of logout tokens (§2.4, explicit typing), so one never passes for an ID
/// token.
pub const LOGOUT_TOKEN_TYPE: &str = "logout+jwt";
/// How long a logout token is good for: it is read at once by the application it is sent to.
const LOGOUT_TOKEN_LIFETIME: Duration = Duration::minutes(2);

/// Waits before the 1st, 2nd, … retry; the last one repeats until [`GIVE_UP_AFTER`].
pub const RETRY_DELAYS: [Duration; 6] = [
    Duration::seconds(10),
    Duration::seconds(30),
    Duration::minutes(2),
    Duration::minutes(10),
    Duration::minutes(30),
    Duration::hours(1),
];
/// A notice not delivered this long after its session ended is given up.
pub const GIVE_UP_AFTER: Duration = Duration::days(1);
/// How long a node may hold a claimed notice before another may try it: well past a round's
/// longest (its notices are sent at once, each waiting [`ANSWER_WITHIN`] at most).
const CLAIM: Duration = Duration::minutes(1);
/// How long an application has to answer a notice. Short: a receiver that never answers must not
/// hold up the notices of others.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);
/// Notices taken per round.
const BATCH: i64 = 20;
/// Finished notices are kept this long (they show what happened), then cleared away.
const KEEP_FINISHED: Duration = Duration::days(7);
/// The outbox is looked at this often: other nodes' notices, and retries.
pub const POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// What became of one delivery attempt.
enum Outcome {
    Delivered,
    RetryLater(String),
    GiveUp(String),
}

impl Services {
    /// Delivers logout notices until `stop` completes.
    pub async fn run_logout_notices(&self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            while self.deliver_logout_notices().await > 0 {}
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Sends the notices due now, all at once (one slow application does not hold up the
    /// others); returns how many it tried.
    pub async fn deliver_logout_notices(&self) -> usize {
        let now = self.now();
        let due = match self
            .store
            .claim_due_logout_notices(now, now + CLAIM, BATCH)
            .await
        {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "cannot read the logout notices");
                return 0;
            }
        };
        let tried = due.len();
        let mut sending = tokio::task::JoinSet::new();
        for notice in due {
            let services = self.clone();
            sending.spawn(async move {
                if let Err(error) = services.deliver_logout_notice(&notice).await {
                    tracing::warn!(notice = notice.id, %error, "cannot deliver a logout notice");
                }
            });
        }
        while sending.join_next().await.is_some() {}
        tried
    }

    async fn deliver_logout_notice(&self, notice: &LogoutNotice) -> Result<()> {
        let tenant = self.store.tenant_by_id(&notice.tenant_id).await?;
        let application = self
            .store
            .application(&notice.tenant_id, &notice.application_id)
            .await?;
        // Deleting either deletes the notice too; one deleted meanwhile needs no telling.
        let (Some(tenant), Some(application)) = (tenant, application) else {
            return Ok(());
        };
        let outcome = match application.metadata.get(BACKCHANNEL_LOGOUT_URI_KEY) {
            None => Outcome::GiveUp("it no longer has a backchannel_logout_uri".into()),
            Some(uri) => {
                let answer = match self.logout_token(&tenant, &application, notice).await {
                    Ok(token) => self.post_logout_token(&tenant, uri, &token).await,
                    // Counted as a failed try, so that a notice that can never be signed is
                    // given up in a day like any other.
                    Err(error) => Err(OutboundError::Failed(format!(
                        "the logout token could not be signed: {error}"
                    ))),
                };
                self.judge(notice, answer)
            }
        };
        let now = self.now();
        let user = self.store.user(&tenant.id, notice.user_id).await?;
        let describe = |what: String| {
            let activity = self.activity(&tenant.id, user.as_ref(), &Default::default(), &what);
            activity
        };
        match outcome {
            Outcome::Delivered => {
                let activity = describe(format!(
                    "Told the application {:?} that a sign-in ended (back-channel logout).",
                    application.name
                ));
                self.store
                    .logout_notice_delivered(notice.id, now, &activity, now - KEEP_FINISHED)
                    .await?;
            }
            Outcome::RetryLater(why) => {
                let delay = RETRY_DELAYS
                    [usize::try_from(notice.attempts).map_or(0, |n| n.min(RETRY_DELAYS.len() - 1))];
                tracing::info!(notice = notice.id, attempt = notice.attempts + 1, retry_in = %delay, %why, "a logout notice was not taken");
                self.store
                    .logout_notice_failed(notice.id, &why, now + delay)
                    .await?;
            }
            Outcome::GiveUp(why) => {
                tracing::warn!(notice = notice.id, %why, "gave up a logout notice");
                let activity = describe(format!(
                    "Could not tell the application {:?} that a sign-in ended (back-channel logout): {why}.",
                    application.name
                ));
                self.store
                    .logout_notice_given_up(notice.id, &why, now, &activity)
                    .await?;
            }
        }
        Ok(())
    }

    /// Posts a logout token to the application, waiting [`ANSWER_WITHIN`] at most.
    async fn post_logout_token(
        &self,
        tenant: &Tenant,
        uri: &str,
        token: &str,
    ) -> std::result::Result<(), OutboundError> {
        let client = self
            .network_client()
            .map_err(|error| OutboundError::Failed(error.to_string()))?;
        let form = [("logout_token", token)];
        let sent = client.notify(uri, &form, tenant.settings.developer_mode);
        tokio::time::timeout(ANSWER_WITHIN, sent)
            .await
            .unwrap_or_else(|_| {
                Err(OutboundError::Failed(format!(
                    "no answer within {ANSWER_WITHIN:?}"
                )))
            })
    }

    /// Whether to try again: a refusal by the egress policy will not change by waiting, and a
    /// day of failures is enough.
    fn judge(
        &self,
        notice: &LogoutNotice,
        answer: std::result::Result<(), OutboundError>,
    ) -> Outcome {
        match answer {
            Ok(()) => Outcome::Delivered,
            Err(OutboundError::Refused(refusal)) => {
                self.counters.count_egress_refused(refusal);
                Outcome::GiveUp(format!(
                    "its backchannel_logout_uri is off limits ({})",
                    refusal.reason()
                ))
            }
            Err(OutboundError::Failed(why)) if self.now() - notice.created_at >= GIVE_UP_AFTER => {
                Outcome::GiveUp(format!("no success within a day; the last try: {why}"))
            }
            Err(OutboundError::Failed(why)) => Outcome::RetryLater(why),
        }
    }

    /// The signed logout token (§2.4) of a notice. Its `jti` is the same on every try of one
    /// notice, so an application that got an earlier try can tell it has seen this one.
    pub(crate) async fn logout_token(
        &self,
        tenant: &Tenant,
        application: &Application,
        notice: &LogoutNotice,
    ) -> Result<String> {
        let now = self.now().unix_timestamp();
        // The issuer ID tokens carried: a localhost domain is reached over plain HTTP.
        let issuer = self.origin_of(tenant, true);
        let jti = URL_SAFE_NO_PAD.encode(
            &Sha256::digest(format!(
                "{}:{}:{}",
                notice.id,
                notice.session_id.as_str(),
                notice.created_at.unix_timestamp_nanos()
            ))[..18],
        );
        let claims = json!({
            "iss": issuer,
            "aud": application.id,
            "iat": now,
            "exp": now + LOGOUT_TOKEN_LIFETIME.whole_seconds(),
            "jti": jti,
            "sub": notice.subject,
            "sid": notice.session_id.as_str(),
            "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
        });
        self.sign_typed_jwt(
            &tenant.id,
            id_token_algorithm(application),
            LOGOUT_TOKEN_TYPE,
            &claims,
        )
        .await
    }
}

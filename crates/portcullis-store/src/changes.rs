//! A feed of changes to principals made by any node (or by the CLI, straight in the database),
//! so that each node's token-lookup cache can forget them. On PostgreSQL the triggers of
//! migration 0008 announce them with NOTIFY; SQLite is always one node and has no feed.

use crate::pool::Backends;
use crate::sql_store::SqlStore;
use portcullis_core::ids::UserId;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::io;
use std::time::Duration;

/// The channel the triggers of migration 0008 notify on.
const CHANNEL: &str = "portcullis_principals";

/// With no notification for this long, the connection is asked to prove it is alive: a
/// half-open TCP connection would otherwise go on "listening" to nothing.
const IDLE_PROBE: Duration = Duration::from_secs(5);
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
const RECONNECT_DELAY: Duration = Duration::from_millis(250);
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(5);

/// What the feed reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalChange {
    /// Listening: every change committed from now on will be reported.
    Connected,
    /// Something about this user (a token, a session, the user row) changed.
    User(UserId),
    /// Something every principal depends on changed (tenant settings, roles, permissions).
    All,
    /// A JWT access token was revoked: its `jti` and expiry (Unix seconds), when the payload
    /// names them.
    RevokedJwt(Option<(String, i64)>),
    /// The connection is gone; changes may be missed until the next `Connected`.
    Lost,
}

impl SqlStore {
    /// Whether this database can be shared by several nodes, so caches need the change feed.
    pub fn has_change_feed(&self) -> bool {
        matches!(self.pool.backends, Backends::Postgres(_))
    }

    /// On PostgreSQL, reports changes to principals for as long as the future is polled,
    /// reconnecting (after a `Lost`) whenever the connection fails. On SQLite, returns at once.
    ///
    /// The listener has a connection of its own, outside the store's pool, so that it takes no
    /// slot from requests and closing the store does not wait for it.
    pub async fn watch_principal_changes(&self, mut report: impl FnMut(PrincipalChange)) {
        let Backends::Postgres(pool) = &self.pool.backends else {
            return;
        };
        let options = (*pool.connect_options()).clone();
        let mut delay = RECONNECT_DELAY;
        loop {
            let mut connected = false;
            let mut forward = |change| {
                connected |= change == PrincipalChange::Connected;
                report(change);
            };
            if let Err(error) = listen(options.clone(), &mut forward).await {
                tracing::warn!(%error, "principal change feed lost");
            }
            report(PrincipalChange::Lost);
            // Retry soon after losing a working connection (the cache is dark meanwhile), less
            // often while the database stays unreachable.
            delay = if connected {
                RECONNECT_DELAY
            } else {
                (delay * 2).min(MAX_RECONNECT_DELAY)
            };
            tokio::time::sleep(delay).await;
        }
    }
}

/// Listens on one connection until it fails.
async fn listen(
    options: PgConnectOptions,
    report: &mut impl FnMut(PrincipalChange),
) -> Result<(), sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(PROBE_TIMEOUT)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_with(options)
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    // A reconnection here would come back without a `Connected`, hiding the gap in between.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    report(PrincipalChange::Connected);
    loop {
        // `try_recv` is cancel-safe: an unfinished message stays in the connection's buffer.
        match tokio::time::timeout(IDLE_PROBE, listener.try_recv()).await {
            Ok(Ok(Some(notification))) => report(parse(notification.payload())),
            Ok(Ok(None)) => return Err(io::Error::from(io::ErrorKind::ConnectionAborted).into()),
            Ok(Err(error)) => return Err(error),
            Err(_idle) => {
                let probe = sqlx::query("SELECT 1").execute(&mut listener);
                tokio::time::timeout(PROBE_TIMEOUT, probe)
                    .await
                    .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
            }
        }
    }
}

fn parse(payload: &str) -> PrincipalChange {
    if let Some(rest) = payload.strip_prefix("jwt") {
        let named = rest
            .trim()
            .split_once(' ')
            .and_then(|(jti, expires)| Some((jti.to_owned(), expires.parse().ok()?)))
            .filter(|(jti, _)| !jti.is_empty());
        if rest.is_empty() || named.is_some() {
            return PrincipalChange::RevokedJwt(named);
        }
    }
    match payload.parse() {
        Ok(id) => PrincipalChange::User(UserId(id)),
        // '*', or anything this version does not understand: forgetting everything is safe.
        Err(_) => PrincipalChange::All,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_a_user_or_everyone() {
        assert_eq!(parse("42"), PrincipalChange::User(UserId(42)));
        assert_eq!(parse("*"), PrincipalChange::All);
        assert_eq!(parse("jwt"), PrincipalChange::RevokedJwt(None));
        assert_eq!(
            parse("jwt abc 1700000000"),
            PrincipalChange::RevokedJwt(Some(("abc".to_owned(), 1_700_000_000)))
        );
        assert_eq!(parse("jwtx"), PrincipalChange::All);
        assert_eq!(parse("something new"), PrincipalChange::All);
    }
}

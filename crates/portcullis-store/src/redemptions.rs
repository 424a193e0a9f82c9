//! Redemptions of sealed authorization codes on SQLite, written together. SQLite has one
//! writer at a time, and a redemption's transaction is several statements, each a trip to the
//! connection's thread: one at a time, those trips bound the code flow, and each transaction
//! writes again every page it touches. So redemptions queue here, and whoever gets the write
//! turn writes every queued one in one transaction, a multi-row statement per table, and hands
//! each its answer. PostgreSQL writes concurrently and keeps one transaction per redemption.

use crate::error::{store_error, Result};
use crate::rows::{opt_to_db, scopes_to_db, to_db, INSERT_ACTIVITY_COLUMNS, INSERT_GRANT_COLUMNS};
use portcullis_core::ids::{SessionId, TokenId};
use portcullis_core::model::{Grant, NewActivity, NewToken, StoredRefreshToken};
use portcullis_core::StoreError;
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Sqlite};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Redemptions one transaction writes at most (well within SQLite's bound variables).
const MOST_AT_ONCE: usize = 64;

/// What one redemption stores.
pub(crate) struct Redemption {
    pub(crate) grant: Grant,
    pub(crate) access: NewToken,
    pub(crate) refresh: StoredRefreshToken,
    pub(crate) activity: NewActivity,
}

type Answer = oneshot::Sender<Result<Option<i64>>>;

/// Redemptions waiting for a writer, oldest first.
#[derive(Default)]
pub(crate) struct RedemptionQueue(Mutex<Vec<(Redemption, Answer)>>);

impl std::fmt::Debug for RedemptionQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedemptionQueue")
    }
}

impl RedemptionQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Redemption, Answer)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `redemption` with the others queued beside it: the access token's id, or `None`
    /// when its grant's id was taken (the code was redeemed before).
    pub(crate) async fn redeem(
        &self,
        pool: &SqlitePool,
        redemption: Redemption,
    ) -> Result<Option<TokenId>> {
        let (answer, mut answered) = oneshot::channel();
        self.lock().push((redemption, answer));
        loop {
            tokio::select! {
                biased;
                outcome = &mut answered => {
                    let outcome = outcome.map_err(|_| {
                        StoreError::Unavailable("the redemption's writer stopped".to_owned())
                    })?;
                    return outcome.map(|id| id.map(TokenId));
                }
                turn = crate::pool::write_turn(pool) => {
                    let turn = turn.map_err(store_error)?;
                    let batch: Vec<_> = {
                        let mut queue = self.lock();
                        let n = queue.len().min(MOST_AT_ONCE);
                        queue.drain(..n).collect()
                    };
                    if batch.is_empty() {
                        // Another writer took ours; its answer is on the way.
                        continue;
                    }
                    // Its own task, so that a caller giving up mid-write strands nobody.
                    let pool = pool.clone();
                    let written = tokio::spawn(async move {
                        let _turn = turn;
                        let (redemptions, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                        match write(&pool, &redemptions).await {
                            Ok(ids) => {
                                for (answer, id) in answers.into_iter().zip(ids) {
                                    let _ = answer.send(Ok(id));
                                }
                            }
                            // One redemption's fault (its user deleted meanwhile, say) must not
                            // fail the others: each is tried again alone.
                            Err(_) => {
                                for (one, answer) in redemptions.chunks(1).zip(answers) {
                                    let outcome = write(&pool, one).await.map_err(store_error);
                                    let _ = answer.send(outcome.map(|ids| ids[0]));
                                }
                            }
                        }
                    });
                    written.await.map_err(|e| StoreError::Other(e.to_string()))?;
                }
            }
        }
    }
}

/// Writes the redemptions in one transaction; each one's access token id, or `None` where its
/// grant's id was taken (before, or by an earlier one of the same batch).
async fn write(pool: &SqlitePool, redemptions: &[Redemption]) -> sqlx::Result<Vec<Option<i64>>> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut seen = HashSet::new();
    let first: Vec<&Redemption> = redemptions
        .iter()
        .filter(|r| seen.insert(r.grant.id.as_str()))
        .collect();
    let scopes =
        |scopes: &[String]| scopes_to_db(scopes).map_err(|e| sqlx::Error::Protocol(e.to_string()));

    let mut grants = QueryBuilder::<Sqlite>::new(format!(
        "INSERT INTO oauth_grants ({INSERT_GRANT_COLUMNS}) "
    ));
    let mut grant_scopes = Vec::with_capacity(first.len());
    for r in &first {
        grant_scopes.push(scopes(&r.grant.scopes)?);
    }
    grants.push_values(first.iter().zip(&grant_scopes), |mut row, (r, scopes)| {
        let g = &r.grant;
        row.push_bind(g.id.clone())
            .push_bind(g.tenant_id.as_str().to_owned())
            .push_bind(g.application_id.clone())
            .push_bind(g.user_id.0)
            .push_bind(g.session_id.as_str().to_owned())
            .push_bind(scopes.clone())
            .push_bind(to_db(g.auth_time))
            .push_bind(to_db(g.created_at));
    });
    grants.push(" ON CONFLICT (id) DO NOTHING RETURNING id");
    let inserted: HashSet<String> = grants
        .build_query_scalar::<String>()
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let issued: Vec<&Redemption> = first
        .into_iter()
        .filter(|r| inserted.contains(&r.grant.id))
        .collect();
    if issued.is_empty() {
        tx.commit().await?;
        return Ok(vec![None; redemptions.len()]);
    }

    let mut token_scopes = Vec::with_capacity(issued.len());
    for r in &issued {
        token_scopes.push(scopes(&r.access.scopes)?);
    }
    let mut tokens = QueryBuilder::<Sqlite>::new(
        "INSERT INTO tokens (tenant_id, user_id, session_id, kind, name, secret_hash, scopes, \
         created_at, expires_at, grant_id) ",
    );
    tokens.push_values(issued.iter().zip(&token_scopes), |mut row, (r, scopes)| {
        let a = &r.access;
        row.push_bind(a.tenant_id.as_str().to_owned())
            .push_bind(a.user_id.0)
            .push_bind(
                a.session_id
                    .as_ref()
                    .map(SessionId::as_str)
                    .map(str::to_owned),
            )
            .push_bind(a.kind.as_str())
            .push_bind(a.name.clone())
            .push_bind(a.secret_hash.clone())
            .push_bind(scopes.clone())
            .push_bind(to_db(a.created_at))
            .push_bind(opt_to_db(a.expires_at))
            .push_bind(r.grant.id.clone());
    });
    tokens.push(" RETURNING id, grant_id");
    let token_ids: HashMap<String, i64> = tokens
        .build_query_as::<(i64, String)>()
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|(id, grant)| (grant, id))
        .collect();

    let mut refresh = QueryBuilder::<Sqlite>::new(
        "INSERT INTO oauth_refresh_tokens (secret_hash, grant_id, created_at) ",
    );
    refresh.push_values(&issued, |mut row, r| {
        row.push_bind(r.refresh.secret_hash.clone())
            .push_bind(r.refresh.grant_id.clone())
            .push_bind(to_db(r.refresh.created_at));
    });
    refresh.build().execute(&mut *tx).await?;

    let mut activities = QueryBuilder::<Sqlite>::new(format!(
        "INSERT INTO activities ({INSERT_ACTIVITY_COLUMNS}) "
    ));
    activities.push_values(&issued, |mut row, r| {
        let a = &r.activity;
        row.push_bind(a.tenant_id.as_str().to_owned())
            .push_bind(a.user_id.map(|id| id.0))
            .push_bind(a.ip_address.clone())
            .push_bind(a.user_agent.clone())
            .push_bind(a.description.clone())
            .push_bind(to_db(a.created_at));
    });
    activities.build().execute(&mut *tx).await?;
    tx.commit().await?;

    let mut answered = HashSet::new();
    Ok(redemptions
        .iter()
        .map(|r| {
            // Only the first of a batch's redemptions of one code was issued.
            let id = token_ids.get(&r.grant.id).copied();
            id.filter(|_| answered.insert(r.grant.id.as_str()))
        })
        .collect())
}

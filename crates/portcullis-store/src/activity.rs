use crate::error::{store_error, Result};
use crate::pool::on_pool;
use crate::SqlStore;
use async_trait::async_trait;
use portcullis_core::model::NewActivity;
use portcullis_core::store::ActivityStore;

pub(crate) const INSERT_ACTIVITY: &str = "INSERT INTO activities \
    (tenant_id, user_id, ip_address, user_agent, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)";

/// Inserts an activity row on any executor, so other writes can include it in their
/// transaction.
macro_rules! insert_activity {
    ($executor:expr, $activity:expr) => {{
        let a: &portcullis_core::model::NewActivity = $activity;
        sqlx::query($crate::activity::INSERT_ACTIVITY)
            .bind(a.tenant_id.as_str())
            .bind(a.user_id.map(|id| id.0))
            .bind(a.ip_address.as_deref())
            .bind(a.user_agent.as_deref())
            .bind(a.description.as_str())
            .bind($crate::rows::to_db(a.created_at))
            .execute($executor)
            .await
            .map(|_| ())
    }};
}
pub(crate) use insert_activity;

#[async_trait]
impl ActivityStore for SqlStore {
    async fn record_activity(&self, activity: &NewActivity) -> Result<()> {
        on_pool!(&self.pool, pool => insert_activity!(pool, activity)).map_err(store_error)
    }
}

//! A tenant's rows as they move between servers (`portcullis tenant export` and `import`):
//! table by table, column by column, in a form both backends read and write alike.

use super::StoreResult;
use crate::ids::TenantId;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One row: column name to value (integers and timestamps as numbers, booleans as booleans,
/// text as strings, bytes as standard base64, NULL as null).
pub type Row = serde_json::Map<String, serde_json::Value>;

/// A table's rows that belong to one tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableRows {
    pub table: String,
    pub rows: Vec<Row>,
}

#[async_trait]
pub trait TransferStore: Send + Sync {
    /// Every row of the tables that make up a tenant (never tokens, sessions or anything else
    /// short-lived), parents before children, as one snapshot.
    async fn dump_tenant(&self, tenant: &TenantId) -> StoreResult<Vec<TableRows>>;
    /// Which of `values` are already in `table.column` (an exported table's identifying
    /// column), on any tenant.
    async fn values_taken(
        &self,
        table: &str,
        column: &str,
        values: &[serde_json::Value],
    ) -> StoreResult<Vec<serde_json::Value>>;
    /// `count` integer ids for `table` that nothing else will take, each at least `at_least`:
    /// drawn from the database's own counter, so rows others insert meanwhile never get them.
    async fn reserve_ids(&self, table: &str, count: usize, at_least: i64) -> StoreResult<Vec<i64>>;
    /// Inserts the rows, parents first, in one transaction: all of them or none. `inserted`
    /// is told after each row.
    async fn load_tenant(
        &self,
        tables: &[TableRows],
        inserted: &(dyn Fn() + Send + Sync),
    ) -> StoreResult<()>;
}

use crate::error::{store_error, Result};
use crate::pool::{on_pool, BeginWrite};
use crate::rows::{CountryRow, COUNTRY_COLUMNS};
use crate::sql_store::SqlStore;
use async_trait::async_trait;
use portcullis_core::model::Country;
use portcullis_core::store::CountryStore;
use portcullis_core::StoreError;

/// Every ISO 3166-1 country; see `data/check_countries.py` for what is checked of it.
const COUNTRIES_JSON: &str = include_str!("../data/countries.json");

impl SqlStore {
    /// Loads the countries table when it is missing rows; a no-op on later starts.
    pub(crate) async fn seed_countries(&self) -> Result<()> {
        let countries: Vec<Country> = serde_json::from_str(COUNTRIES_JSON)
            .map_err(|e| StoreError::Other(format!("countries data: {e}")))?;
        let stored: i64 = on_pool!(&self.pool, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM countries").fetch_one(pool).await
        })
        .map_err(store_error)?;
        if usize::try_from(stored).is_ok_and(|n| n >= countries.len()) {
            return Ok(());
        }
        let placeholders = (1..=16)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO countries ({COUNTRY_COLUMNS}) VALUES ({placeholders}) ON CONFLICT (id) DO NOTHING");
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            for c in &countries {
                sqlx::query(&sql)
                    .bind(c.id)
                    .bind(&c.name)
                    .bind(&c.full_name)
                    .bind(&c.capital)
                    .bind(&c.citizenship)
                    .bind(c.country_code)
                    .bind(&c.currency)
                    .bind(&c.currency_code)
                    .bind(&c.currency_sub_unit)
                    .bind(&c.currency_symbol)
                    .bind(&c.iso_3166_2)
                    .bind(&c.iso_3166_3)
                    .bind(c.region_code)
                    .bind(c.sub_region_code)
                    .bind(c.eea)
                    .bind(c.calling_code)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })
        .map_err(store_error)
    }
}

#[async_trait]
impl CountryStore for SqlStore {
    async fn country(&self, id: i64) -> Result<Option<Country>> {
        let sql = format!("SELECT {COUNTRY_COLUMNS} FROM countries WHERE id = $1");
        let row: Option<CountryRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await
        })
        .map_err(store_error)?;
        Ok(row.map(Country::from))
    }

    async fn countries(&self) -> Result<Vec<Country>> {
        let sql = format!("SELECT {COUNTRY_COLUMNS} FROM countries ORDER BY name");
        let rows: Vec<CountryRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await
        })
        .map_err(store_error)?;
        Ok(rows.into_iter().map(Country::from).collect())
    }
}

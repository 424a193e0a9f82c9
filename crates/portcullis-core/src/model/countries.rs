//! Reference data shared by all tenants.

use serde::{Deserialize, Serialize};
/// An ISO 3166-1 country, with the fields the account API shows. Reference data shared by all
/// tenants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Country {
    pub id: i64,
    pub name: String,
    pub full_name: Option<String>,
    pub capital: Option<String>,
    pub citizenship: Option<String>,
    pub country_code: i64,
    pub currency: Option<String>,
    pub currency_code: Option<String>,
    pub currency_sub_unit: Option<String>,
    pub currency_symbol: Option<String>,
    pub iso_3166_2: String,
    pub iso_3166_3: String,
    pub region_code: Option<i64>,
    pub sub_region_code: Option<i64>,
    pub eea: bool,
    pub calling_code: Option<i64>,
}

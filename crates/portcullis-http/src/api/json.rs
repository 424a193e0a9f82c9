//! Domain records rendered the way document 001 shows them: `YYYY-MM-DD HH:MM:SS` timestamps,
//! `role` and `country` objects only when included.

use portcullis_core::model::{Country, Role, TenantSettings, User};
use serde::Serialize;
use serde_json::Value;
use time::macros::format_description;
use time::OffsetDateTime;

pub fn timestamp(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

fn opt_timestamp(at: Option<OffsetDateTime>) -> Option<String> {
    at.map(timestamp)
}

#[derive(Serialize)]
pub struct UserJson {
    pub id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub email: String,
    pub phone: Option<String>,
    pub avatar: Option<String>,
    pub address: Option<String>,
    pub country_id: Option<i64>,
    pub role_id: i64,
    pub status: &'static str,
    pub birthday: Option<String>,
    pub last_login: Option<String>,
    pub two_factor_country_code: Option<i64>,
    pub two_factor_phone: Option<String>,
    pub two_factor_options: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleJson>,
    /// Included on request; `null` when the user has no country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<Option<CountryJson>>,
}

impl UserJson {
    pub fn new(user: User, settings: &TenantSettings) -> Self {
        let date = format_description!("[year]-[month]-[day]");
        Self {
            id: user.id.0,
            status: user.status(settings).as_str(),
            first_name: user.first_name,
            last_name: user.last_name,
            username: user.username,
            email: user.email,
            phone: user.phone,
            avatar: user.avatar,
            address: user.address,
            country_id: user.country_id,
            role_id: user.role_id.0,
            birthday: user.birthday.and_then(|d| d.format(&date).ok()),
            last_login: opt_timestamp(user.last_login),
            two_factor_country_code: user.two_factor_country_code,
            two_factor_phone: user.two_factor_phone,
            two_factor_options: user.two_factor_options,
            created_at: timestamp(user.created_at),
            updated_at: timestamp(user.updated_at),
            role: None,
            country: None,
        }
    }
}

#[derive(Serialize)]
pub struct RoleJson {
    pub id: i64,
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub removable: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Role> for RoleJson {
    fn from(role: Role) -> Self {
        Self {
            id: role.id.0,
            name: role.name,
            display_name: role.display_name,
            description: role.description,
            removable: role.removable,
            created_at: timestamp(role.created_at),
            updated_at: timestamp(role.updated_at),
        }
    }
}

#[derive(Serialize)]
pub struct CountryJson {
    #[serde(flatten)]
    pub country: Country,
    pub flag: String,
}

impl CountryJson {
    /// `public_url` is the server's base URL; flags are served under it.
    pub fn new(country: Country, public_url: &str) -> Self {
        let flag = format!("{public_url}/flags/{}.png", country.iso_3166_2);
        Self { country, flag }
    }
}

/// The `include` query parameter: a comma-separated list of relation names.
pub fn includes(param: Option<&str>) -> impl Fn(&str) -> bool + '_ {
    move |name| param.is_some_and(|p| p.split(',').any(|part| part.trim() == name))
}

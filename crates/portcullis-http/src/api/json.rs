//! Domain records rendered the way document 001 shows them: `YYYY-MM-DD HH:MM:SS` timestamps,
//! `role` and `country` objects only when included.

use crate::common::laravel::timestamp;
use portcullis_core::model::{Country, Permission, Role, TenantSettings, User};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::macros::format_description;
use time::OffsetDateTime;
use utoipa::ToSchema;

fn opt_timestamp(at: Option<OffsetDateTime>) -> Option<String> {
    at.map(timestamp)
}

#[derive(Serialize, ToSchema)]
#[schema(as = User)]
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
    #[schema(example = "Active")]
    pub status: &'static str,
    /// `YYYY-MM-DD`.
    pub birthday: Option<String>,
    pub last_login: Option<String>,
    pub two_factor_country_code: Option<i64>,
    pub two_factor_phone: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub two_factor_options: Option<Value>,
    #[schema(example = "2026-11-24 09:30:00")]
    pub created_at: String,
    pub updated_at: String,
    /// With `include=role`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleJson>,
    /// With `include=country`; `null` when the user has no country.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<CountryJson>)]
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

#[derive(Serialize, ToSchema)]
#[schema(as = Role)]
pub struct RoleJson {
    pub id: i64,
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub removable: bool,
    /// In the roles API (not when embedded in a user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users_count: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    /// With `include=permissions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion, value_type = Option<Vec<Object>>)]
    pub permissions: Option<Vec<PermissionJson>>,
}

impl From<Role> for RoleJson {
    fn from(role: Role) -> Self {
        Self {
            id: role.id.0,
            name: role.name,
            display_name: role.display_name,
            description: role.description,
            removable: role.removable,
            users_count: None,
            created_at: timestamp(role.created_at),
            updated_at: timestamp(role.updated_at),
            permissions: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Country)]
pub struct CountryJson {
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
    /// A URL of the country's flag image.
    pub flag: String,
}

impl CountryJson {
    /// `public_url` is the server's base URL; flags are served under it.
    pub fn new(country: Country, public_url: &str) -> Self {
        Self {
            flag: format!("{public_url}/flags/{}.png", country.iso_3166_2),
            id: country.id,
            name: country.name,
            full_name: country.full_name,
            capital: country.capital,
            citizenship: country.citizenship,
            country_code: country.country_code,
            currency: country.currency,
            currency_code: country.currency_code,
            currency_sub_unit: country.currency_sub_unit,
            currency_symbol: country.currency_symbol,
            iso_3166_2: country.iso_3166_2,
            iso_3166_3: country.iso_3166_3,
            region_code: country.region_code,
            sub_region_code: country.sub_region_code,
            eea: country.eea,
            calling_code: country.calling_code,
        }
    }
}

/// The `include` query parameter: a comma-separated list of relation names.
pub fn includes(param: Option<&str>) -> impl Fn(&str) -> bool + '_ {
    move |name| param.is_some_and(|p| p.split(',').any(|part| part.trim() == name))
}

#[derive(Serialize, ToSchema)]
#[schema(as = Permission)]
pub struct PermissionJson {
    name: String,
    display_name: Option<String>,
    description: Option<String>,
    id: i64,
    removable: bool,
    created_at: String,
    updated_at: String,
}

impl From<Permission> for PermissionJson {
    fn from(p: Permission) -> Self {
        Self {
            name: p.name,
            display_name: p.display_name,
            description: p.description,
            id: p.id.0,
            removable: p.removable,
            created_at: timestamp(p.created_at),
            updated_at: timestamp(p.updated_at),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncludeQuery {
    /// Relations to embed, comma-separated.
    pub include: Option<String>,
}

//! `/v1/tenants`.

use super::error::{ErrorJson, MgmtError};
use super::extract::{Key, Paging};
use super::list::{rfc3339, ListJson};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use portcullis_core::model::Tenant;
use serde::Serialize;
use utoipa::ToSchema;

/// A tenant in document 003's shape; false and empty values are left out.
#[derive(Serialize, ToSchema)]
#[schema(as = Tenant)]
pub struct TenantJson {
    #[serde(rename = "type")]
    #[schema(example = "Tenant")]
    kind: &'static str,
    #[schema(example = "CmKJPDorO34hGJ0J")]
    id: String,
    name: String,
    #[schema(example = "2023-08-18T15:11:28.708085985Z")]
    created_at: String,
    updated_at: String,
    settings: TenantSettingsJson,
}

#[derive(Serialize, ToSchema)]
#[schema(as = TenantSettings)]
pub struct TenantSettingsJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    allow_signups: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    allow_unverified: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    remember_device: bool,
}

impl From<Tenant> for TenantJson {
    fn from(tenant: Tenant) -> Self {
        let s = tenant.settings;
        Self {
            kind: "Tenant",
            id: tenant.id.0,
            name: tenant.name,
            created_at: rfc3339(tenant.created_at),
            updated_at: rfc3339(tenant.updated_at),
            settings: TenantSettingsJson {
                domain: s.domain,
                allow_signups: s.allow_signups,
                allow_unverified: s.allow_unverified,
                remember_device: s.remember_device,
            },
        }
    }
}

/// The tenants this API key reaches.
#[utoipa::path(
    get,
    path = "/v1/tenants",
    operation_id = "mgmt_list_tenants",
    tag = "tenants",
    security(("api_key" = [])),
    params(Paging),
    responses(
        (status = 200, description = "A `List` of tenants", body = inline(Object)),
        (status = 401, description = "`authentication_failure`", body = ErrorJson),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Key(key): Key,
    Query(paging): Query<Paging>,
) -> Result<Json<ListJson<TenantJson>>, MgmtError> {
    let (limit, offset) = paging.window();
    let (tenants, total) = state.services.tenants_for_key(&key, offset, limit).await?;
    let data = tenants.into_iter().map(TenantJson::from).collect();
    Ok(Json(ListJson::new(data, total, limit)))
}

/// One tenant; 404 for one the key does not reach.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}",
    operation_id = "mgmt_show_tenant",
    tag = "tenants",
    security(("api_key" = [])),
    params(("tenant_id" = String, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "The tenant", body = TenantJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ),
)]
pub async fn show(
    State(state): State<AppState>,
    Key(key): Key,
    Path(tenant_id): Path<String>,
) -> Result<Json<TenantJson>, MgmtError> {
    let tenant = state.services.tenant_for_key(&key, &tenant_id).await?;
    Ok(Json(tenant.into()))
}

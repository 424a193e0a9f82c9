//! `/v1/tenants`.

use super::error::{ErrorJson, MgmtError};
use super::extract::{Body, Key, KeyTenant, Paging, Params, TenantPath};
use super::json::{is_zero, metadata, or_zero};
use super::list::{rfc3339, ListJson};
use crate::common::state::AppState;
use axum::extract::State;
use axum::Json;
use portcullis_core::model::{Metadata, Tenant};
use portcullis_core::tenants::{ManagedSettings, TenantInput};
use serde::{Deserialize, Serialize};
use serde_json::Value;
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
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[schema(example = "2023-08-18T15:11:28.708085985Z")]
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    metadata: Metadata,
    settings: SettingsJson,
}

/// The tenant's settings as document 003 names them, read and written whole.
#[derive(Serialize, Deserialize, Default, ToSchema)]
#[schema(as = TenantSettings)]
pub struct SettingsJson {
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "String::is_empty"
    )]
    #[schema(example = "acme01.example.test")]
    domain: String,
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "String::is_empty"
    )]
    company_name: String,
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "String::is_empty"
    )]
    logo_image_text: String,
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "String::is_empty"
    )]
    support_email: String,
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "is_false"
    )]
    allow_social: bool,
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "is_false"
    )]
    allow_hardware: bool,
    /// Off: every password login of the tenant is refused, on every surface.
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "is_false"
    )]
    allow_passwords: bool,
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "is_false"
    )]
    allow_totp_app: bool,
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "is_false"
    )]
    allow_totp_email: bool,
    /// Off: users must verify their email address before they can log in.
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "is_false"
    )]
    allow_unverified: bool,
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "is_false"
    )]
    remember_device: bool,
    /// 0 to 315360000 (ten years).
    #[serde(default, deserialize_with = "or_zero", skip_serializing_if = "is_zero")]
    #[schema(minimum = 0, maximum = 315_360_000)]
    remember_device_seconds: i64,
    /// 0 to 315360000 (ten years).
    #[serde(default, deserialize_with = "or_zero", skip_serializing_if = "is_zero")]
    #[schema(minimum = 0, maximum = 315_360_000)]
    remember_login_seconds: i64,
    /// Off: `POST /api/register` on the tenant's host answers 404.
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "is_false"
    )]
    allow_signups: bool,
    /// On: applications may use plain-http URLs on any host.
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "is_false"
    )]
    developer_mode: bool,
    /// On: anyone may register an application at `/oauth2/register` without an initial access
    /// token (OAuth dynamic client registration).
    #[serde(
        default,
        deserialize_with = "or_zero",
        skip_serializing_if = "is_false"
    )]
    allow_client_registration: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

impl From<ManagedSettings> for SettingsJson {
    fn from(s: ManagedSettings) -> Self {
        Self {
            domain: s.domain,
            company_name: s.company_name,
            logo_image_text: s.logo_image_text,
            support_email: s.support_email,
            allow_social: s.allow_social,
            allow_hardware: s.allow_hardware,
            allow_passwords: s.allow_passwords,
            allow_totp_app: s.allow_totp_app,
            allow_totp_email: s.allow_totp_email,
            allow_unverified: s.allow_unverified,
            remember_device: s.remember_device,
            remember_device_seconds: s.remember_device_seconds,
            remember_login_seconds: s.remember_login_seconds,
            allow_signups: s.allow_signups,
            developer_mode: s.developer_mode,
            allow_client_registration: s.allow_client_registration,
        }
    }
}

impl From<SettingsJson> for ManagedSettings {
    fn from(s: SettingsJson) -> Self {
        Self {
            domain: s.domain,
            company_name: s.company_name,
            logo_image_text: s.logo_image_text,
            support_email: s.support_email,
            allow_social: s.allow_social,
            allow_hardware: s.allow_hardware,
            allow_passwords: s.allow_passwords,
            allow_totp_app: s.allow_totp_app,
            allow_totp_email: s.allow_totp_email,
            allow_unverified: s.allow_unverified,
            remember_device: s.remember_device,
            remember_device_seconds: s.remember_device_seconds,
            remember_login_seconds: s.remember_login_seconds,
            allow_signups: s.allow_signups,
            developer_mode: s.developer_mode,
            allow_client_registration: s.allow_client_registration,
        }
    }
}

impl From<Tenant> for TenantJson {
    fn from(tenant: Tenant) -> Self {
        Self {
            kind: "Tenant",
            settings: ManagedSettings::of(&tenant.settings).into(),
            id: tenant.id.0,
            name: tenant.name,
            created_at: rfc3339(tenant.created_at),
            updated_at: rfc3339(tenant.updated_at),
            metadata: tenant.metadata,
        }
    }
}

/// A whole tenant, as `POST` takes it: fields left out are zero values; `type`, `id` and the
/// timestamps are ignored, like any unknown field.
#[derive(Deserialize, ToSchema)]
pub struct TenantBody {
    /// 1 to 255 characters (around them, spaces do not count); unique.
    #[serde(default, deserialize_with = "or_zero")]
    #[schema(example = "acme01", required = true, min_length = 1, max_length = 255)]
    name: String,
    #[serde(default)]
    #[schema(value_type = Option<super::json::MetadataBody>)]
    metadata: Option<Value>,
    #[serde(default, deserialize_with = "or_zero")]
    settings: SettingsJson,
}

impl TenantBody {
    fn input(self) -> Result<TenantInput, MgmtError> {
        Ok(TenantInput {
            name: self.name,
            settings: self.settings.into(),
            metadata: metadata(self.metadata)?,
        })
    }
}

/// The tenants this API key reaches.
#[utoipa::path(
    get,
    path = "/v1/tenants",
    operation_id = "mgmt_list_tenants",
    tag = "tenants",
    params(Paging),
    responses(
        (status = 200, description = "A `List` of tenants", body = inline(Object)),
        (status = 400, description = "`invalid_request`: a malformed query string", body = ErrorJson),
        (status = 401, description = "`authentication_failure`", body = ErrorJson),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Key(key): Key,
    Params(paging): Params<Paging>,
) -> Result<Json<ListJson<TenantJson>>, MgmtError> {
    let (limit, offset) = paging.window();
    let (tenants, total) = state.services.tenants_for_key(&key, offset, limit).await?;
    let data = tenants.into_iter().map(TenantJson::from).collect();
    Ok(Json(ListJson::new(data, total, limit)))
}

/// Creates a tenant, with the built-in roles and permissions. Only a key bound to no tenant
/// may (403 `forbidden` otherwise). The name is required; a domain or name another tenant has
/// is 400 `invalid_request`.
#[utoipa::path(
    post,
    path = "/v1/tenants",
    operation_id = "mgmt_create_tenant",
    tag = "tenants",
    request_body = TenantBody,
    responses(
        (status = 200, description = "The new tenant", body = TenantJson),
        (status = 400, description = "`invalid_request` or `invalid_metadata`", body = ErrorJson),
        (status = 403, description = "`forbidden`: the key is bound to one tenant", body = ErrorJson),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Key(key): Key,
    Body(body): Body<TenantBody>,
) -> Result<Json<TenantJson>, MgmtError> {
    let tenant = state
        .services
        .create_tenant_for_key(&key, body.input()?)
        .await?;
    Ok(Json(tenant.into()))
}

/// One tenant; 404 for one the key does not reach.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}",
    operation_id = "mgmt_show_tenant",
    tag = "tenants",
    params(TenantPath),
    responses(
        (status = 200, description = "The tenant", body = TenantJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ),
)]
pub async fn show(KeyTenant { tenant, .. }: KeyTenant) -> Json<TenantJson> {
    Json(tenant.into())
}

/// `?force=true`: change the domain even though passkeys are bound to it.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForceQuery {
    /// Change `settings.domain` of a tenant whose users hold passkeys, which stop working.
    force: Option<bool>,
}

/// Replaces the tenant's name, settings and metadata: fetch it, change what you need, post it
/// back whole. The change applies at once on every surface (e.g. `allow_signups`,
/// `allow_passwords`, `allow_unverified`, and `domain`, which picks the tenant by `Host`).
/// Passkeys are bound to the tenant's host, so a new `domain` for a tenant whose users hold
/// some is refused (409) unless `force=true`.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant_id}",
    operation_id = "mgmt_update_tenant",
    tag = "tenants",
    params(TenantPath, ForceQuery),
    request_body = TenantBody,
    responses(
        (status = 200, description = "The tenant as stored", body = TenantJson),
        (status = 400, description = "`invalid_request` or `invalid_metadata`", body = ErrorJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
        (status = 409, description = "`conflict`: a new domain would strand the tenant's passkeys", body = ErrorJson),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    KeyTenant { key, tenant }: KeyTenant,
    Params(ForceQuery { force }): Params<ForceQuery>,
    Body(body): Body<TenantBody>,
) -> Result<Json<TenantJson>, MgmtError> {
    let tenant = state
        .services
        .update_tenant_for_key(&key, tenant, body.input()?, force.unwrap_or(false))
        .await?;
    Ok(Json(tenant.into()))
}

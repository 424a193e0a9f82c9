//! The console's operator sections: tenants, API keys and signing keys, for an Admin of the
//! default tenant. Each action calls an `operator_*` service of
//! [`portcullis_core::operators`], which checks that first (a 403 page for anyone else).

use super::account::{when, AccountForm};
use super::admin::console;
use super::context::Page;
use super::cookies::console_tenant_cookie;
use super::form::PageForm;
use super::view::Errors;
use crate::common::html::{ok, redirect, render, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::Response;
use portcullis_core::console::ConsoleAccess;
use portcullis_core::model::{Principal, Tenant};
use portcullis_core::tenants::{ManagedSettings, TenantInput};
use portcullis_core::Error;
use time::OffsetDateTime;

/// Tenants listed on the section's page; more are left to the management API and the CLI.
const LISTED: i64 = 500;

/// The signed-in operator and what the console shows them; a 403 page for anyone else.
async fn operator(
    state: &AppState,
    session: Option<Principal>,
    back_to: &str,
) -> Result<(Principal, ConsoleAccess), PageError> {
    console(state, session, back_to, |a| a.operator).await
}

/// The console's sections, for a posted form (whose services check the operator again).
async fn access_of(state: &AppState, principal: &Principal) -> Result<ConsoleAccess, PageError> {
    let access = state.services.console_access(principal).await?;
    if !access.operator {
        return Err(PageError::Forbidden);
    }
    Ok(access)
}

/// The domain's problems, each under the form's field (`settings.domain` is `domain`).
fn errors_of(problems: &[portcullis_core::FieldError]) -> Errors {
    Errors::from_problems(
        problems
            .iter()
            .map(|p| {
                let field = p.field.strip_prefix("settings.").unwrap_or(&p.field);
                (field.to_owned(), super::view::field_message(p))
            })
            .collect(),
    )
}

/// How long ago, in the largest whole unit.
fn age(since: OffsetDateTime, now: OffsetDateTime) -> String {
    let seconds = (now - since).whole_seconds().max(0);
    match seconds {
        s if s < 3600 => format!("{} minute(s)", s / 60),
        s if s < 2 * 86400 => format!("{} hour(s)", s / 3600),
        s => format!("{} day(s)", s / 86400),
    }
}

// Tenants.

struct TenantRow {
    id: String,
    name: String,
    domain: String,
    created: String,
}

#[derive(Template)]
#[template(path = "pages/admin/tenants.html")]
struct TenantsPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    access: ConsoleAccess,
    tenants: Vec<TenantRow>,
    total: i64,
    /// The list stops at [`LISTED`]; the management API pages through the rest.
    cut: bool,
    name: String,
    domain: String,
    errors: Errors,
}

async fn tenants_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    access: ConsoleAccess,
    (name, domain): (String, String),
    errors: Errors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (tenants, total) = state
        .services
        .operator_tenants(principal, 0, LISTED)
        .await?;
    let view = TenantsPage {
        chrome: &page.chrome,
        title: "Tenants",
        access,
        tenants: tenants
            .into_iter()
            .map(|t| TenantRow {
                domain: t.settings.domain.unwrap_or_default(),
                created: when(t.created_at),
                id: t.id.0,
                name: t.name,
            })
            .collect(),
        cut: total > LISTED,
        total,
        name,
        domain,
        errors,
    };
    Ok(render(status, &view, &page.chrome))
}

/// `GET /admin/tenants`: every tenant, and the form that creates one.
pub async fn tenants(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
) -> Result<Response, PageError> {
    let (principal, access) = operator(&state, session, "/admin/tenants").await?;
    let blank = (String::new(), String::new());
    tenants_page(
        &state,
        &page,
        &principal,
        access,
        blank,
        Errors::none(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/tenants`: creates a tenant (with the built-in roles), then shows it.
pub async fn create_tenant(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let access = access_of(&state, &principal).await?;
    let (name, domain) = (form.text("name"), form.text("domain"));
    let input = TenantInput {
        name: name.clone(),
        settings: ManagedSettings {
            domain: domain.clone(),
            ..ManagedSettings::of(&Default::default())
        },
        ..TenantInput::default()
    };
    match state
        .services
        .operator_create_tenant(&principal, input, &page.client)
        .await
    {
        Ok(tenant) => Ok(redirect(&format!("/admin/tenants/{}", tenant.id.0))),
        Err(Error::Invalid(problems)) => {
            let errors = errors_of(&problems);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let draft = (name, domain);
            tenants_page(&state, &page, &principal, access, draft, errors, status).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "pages/admin/tenant.html")]
struct TenantPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    access: ConsoleAccess,
    id: String,
    current_name: String,
    name: String,
    domain: String,
    created: String,
    /// The operator's own tenant, which the console manages already.
    own: bool,
    /// The management API's warning, when a domain change was refused for it.
    warning: Option<&'static str>,
    errors: Errors,
}

fn tenant_page(
    page: &Page,
    access: ConsoleAccess,
    tenant: &Tenant,
    (name, domain): (String, String),
    (warning, errors): (Option<&'static str>, Errors),
    status: StatusCode,
) -> Response {
    let view = TenantPage {
        chrome: &page.chrome,
        title: "Tenant",
        access,
        id: tenant.id.0.clone(),
        current_name: tenant.name.clone(),
        name,
        domain,
        created: when(tenant.created_at),
        own: tenant.id == page.tenant.id,
        warning,
        errors,
    };
    render(status, &view, &page.chrome)
}

fn tenant_id(path: Result<Path<String>, PathRejection>) -> Result<String, PageError> {
    path.map(|Path(id)| id).map_err(|_| PageError::NotFound)
}

/// `GET /admin/tenants/{id}`: a tenant, and the form that renames it or moves its domain.
pub async fn tenant(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let id = tenant_id(path)?;
    let back = format!("/admin/tenants/{id}");
    let (principal, access) = operator(&state, session, &back).await?;
    let tenant = state.services.operator_tenant(&principal, &id).await?;
    let draft = (
        tenant.name.clone(),
        tenant.settings.domain.clone().unwrap_or_default(),
    );
    let none = (None, Errors::none());
    Ok(tenant_page(
        &page,
        access,
        &tenant,
        draft,
        none,
        StatusCode::OK,
    ))
}

/// `POST /admin/tenants/{id}`: a new name or domain; the tenant's other settings and its
/// metadata stay. A domain that would strand passkeys needs `force`, as with the management
/// API.
pub async fn update_tenant(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<String>, PathRejection>,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let id = tenant_id(path)?;
    let access = access_of(&state, &principal).await?;
    let tenant = state.services.operator_tenant(&principal, &id).await?;
    let (name, domain) = (form.text("name"), form.text("domain"));
    let input = TenantInput {
        name: name.clone(),
        settings: ManagedSettings {
            domain: domain.clone(),
            ..ManagedSettings::of(&tenant.settings)
        },
        metadata: tenant.metadata.clone(),
    };
    let force = form.checked("force");
    let refused = match state
        .services
        .operator_update_tenant(&principal, &id, input, force, &page.client)
        .await
    {
        Ok(_) => return Ok(redirect(&format!("/admin/tenants/{id}"))),
        Err(Error::Invalid(problems)) => (None, errors_of(&problems)),
        Err(Error::Conflict(message)) => (Some(message), Errors::none()),
        Err(Error::Refused(message)) => (None, Errors::general(message)),
        Err(other) => return Err(other.into()),
    };
    Ok(tenant_page(
        &page,
        access,
        &tenant,
        (name, domain),
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

/// `POST /admin/tenants/{id}/manage`: the console acts in that tenant, as its Admin, until
/// the operator returns (a cookie naming it, checked again on every request).
pub async fn manage_tenant(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<String>, PathRejection>,
    AccountForm { principal, .. }: AccountForm,
) -> Result<Response, PageError> {
    let id = tenant_id(path)?;
    access_of(&state, &principal).await?;
    let tenant = state
        .services
        .operator_manage_tenant(&principal, &id, &page.client)
        .await?;
    let choice = match (tenant.id == principal.tenant_id, &principal.session_id) {
        (false, Some(session)) => Some((tenant.id.as_str(), session.as_str())),
        _ => None,
    };
    let mut response = redirect("/admin");
    response
        .headers_mut()
        .append(SET_COOKIE, console_tenant_cookie(choice));
    Ok(response)
}

/// `POST /admin/manage/return`: back to the operator's own tenant.
pub async fn stop_managing(_: PageForm) -> Response {
    let mut response = redirect("/admin/tenants");
    response
        .headers_mut()
        .append(SET_COOKIE, console_tenant_cookie(None));
    response
}

// API keys.

struct KeyRow {
    id: String,
    name: String,
    tenant: String,
    created: String,
    last_used: String,
    revoked: bool,
}

struct TenantChoice {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "pages/admin/api_keys.html")]
struct KeysPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    access: ConsoleAccess,
    keys: Vec<KeyRow>,
    tenants: Vec<TenantChoice>,
    /// A key just made: its name and its value, shown this once.
    created: Option<(String, String)>,
    name: String,
    errors: Errors,
}

async fn keys_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    access: ConsoleAccess,
    (created, name, errors): (Option<(String, String)>, String, Errors),
    status: StatusCode,
) -> Result<Response, PageError> {
    let services = &state.services;
    let (tenants, _) = services.operator_tenants(principal, 0, LISTED).await?;
    let name_of = |id: &str| {
        tenants
            .iter()
            .find(|t| t.id.0 == id)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let keys = services
        .operator_api_keys(principal)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            tenant: k
                .tenant_id
                .as_ref()
                .map(|t| name_of(&t.0))
                .unwrap_or_else(|| "every tenant".into()),
            created: when(k.created_at),
            last_used: k.last_used_at.map(when).unwrap_or_else(|| "never".into()),
            revoked: k.revoked_at.is_some(),
            id: k.id,
            name: k.name,
        })
        .collect();
    let view = KeysPage {
        chrome: &page.chrome,
        title: "API keys",
        access,
        keys,
        tenants: tenants
            .into_iter()
            .map(|t| TenantChoice {
                id: t.id.0,
                name: t.name,
            })
            .collect(),
        created,
        name,
        errors,
    };
    Ok(render(status, &view, &page.chrome))
}

/// `GET /admin/api-keys`: every management API key, and the form that makes one.
pub async fn api_keys(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
) -> Result<Response, PageError> {
    let (principal, access) = operator(&state, session, "/admin/api-keys").await?;
    let nothing = (None, String::new(), Errors::none());
    keys_page(&state, &page, &principal, access, nothing, StatusCode::OK).await
}

/// `POST /admin/api-keys`: makes a key, for one tenant or every one; the answer shows its
/// value, the only time it is shown.
pub async fn create_api_key(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let access = access_of(&state, &principal).await?;
    let name = form.text("name");
    let tenant = form.text("tenant");
    let tenant = Some(tenant.trim()).filter(|t| !t.is_empty());
    let (shown, status) = match state
        .services
        .operator_create_api_key(&principal, &name, tenant, &page.client)
        .await
    {
        Ok(created) => (
            (
                Some((created.key.name, created.value.expose().to_owned())),
                String::new(),
                Errors::none(),
            ),
            StatusCode::OK,
        ),
        Err(Error::Invalid(problems)) => (
            (None, name, errors_of(&problems)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // A tenant that is gone since the form was drawn.
        Err(Error::NotFound) => (
            (
                None,
                name,
                Errors::from_problems(vec![("tenant".into(), "No such tenant.".into())]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(other) => return Err(other.into()),
    };
    let mut response = keys_page(&state, &page, &principal, access, shown, status).await?;
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `POST /admin/api-keys/revoke`: the key stops working at once.
pub async fn revoke_api_key(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let id = form.text("key_id");
    match state
        .services
        .operator_revoke_api_key(&principal, id.trim(), &page.client)
        .await
    {
        // Revoked already, or never there: nothing to do.
        Ok(()) | Err(Error::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    Ok(redirect("/admin/api-keys"))
}

// Signing keys.

struct SigningRow {
    id: String,
    algorithm: &'static str,
    age: String,
    created: String,
    state: String,
}

#[derive(Template)]
#[template(path = "pages/admin/signing_keys.html")]
struct SigningPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    access: ConsoleAccess,
    keys: Vec<SigningRow>,
}

/// `GET /admin/signing-keys`: the keys relying parties see, with their algorithm and age.
pub async fn signing_keys(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
) -> Result<Response, PageError> {
    let (principal, access) = operator(&state, session, "/admin/signing-keys").await?;
    let now = state.services.now();
    let keys = state
        .services
        .operator_signing_keys(&principal)
        .await?
        .into_iter()
        .map(|k| SigningRow {
            algorithm: k.algorithm.as_str(),
            age: age(k.created_at, now),
            created: when(k.created_at),
            state: match k.expires_at {
                None => "signing".to_owned(),
                Some(until) => format!("retired, published until {}", when(until)),
            },
            id: k.id,
        })
        .collect();
    let view = SigningPage {
        chrome: &page.chrome,
        title: "Signing keys",
        access,
        keys,
    };
    Ok(ok(&view, &page.chrome))
}

/// `POST /admin/signing-keys/rotate`: new keys sign from now on; the old ones stay published
/// until what they signed has expired.
pub async fn rotate_signing_keys(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, .. }: AccountForm,
) -> Result<Response, PageError> {
    state
        .services
        .operator_rotate_signing_keys(&principal, &page.client)
        .await?;
    Ok(redirect("/admin/signing-keys"))
}

//! The console's applications section (`/admin/applications`): the tenant's OIDC clients,
//! for operators and whoever holds `settings.auth`. Every action goes through the services the
//! management API's application endpoints call, on the tenant
//! [`Services::applications_tenant`](portcullis_core::Services::applications_tenant) gives,
//! so another tenant's application is not found.

use super::account::when;
use super::admin::console;
use super::admin::{ConsoleForm, ConsoleSession};
use super::context::Page;
use super::view::Errors;
use crate::common::html::{ok, redirect, render, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use portcullis_core::applications::ApplicationInput;
use portcullis_core::console::ConsoleAccess;
use portcullis_core::model::{Application, Metadata, Principal, Tenant};
use portcullis_core::oidc::clients::{
    is_public, ALLOWED_ROLES_KEY, ALLOWED_SCOPES_KEY, AUTH_METHOD_KEY, ID_TOKEN_ALG_KEY,
};
use portcullis_core::Error;
use sha2::{Digest, Sha256};

/// Applications listed on the section's page; more are left to the management API.
const LISTED: i64 = 200;
const ALGORITHMS: [&str; 2] = ["RS256", "EdDSA"];

/// The signed-in person, what the console lets them see, and the tenant whose applications
/// they manage; a 403 page when that is none.
async fn section(
    state: &AppState,
    session: Option<Principal>,
    back_to: &str,
) -> Result<(Principal, ConsoleAccess, Tenant), PageError> {
    let (principal, access) = console(state, session, back_to, |a| a.applications).await?;
    let tenant = state.services.applications_tenant(&principal).await?;
    Ok((principal, access, tenant))
}

struct AppRow {
    id: String,
    name: String,
    kind: &'static str,
    created: String,
}

/// What the create form holds, to show it again with its problems.
#[derive(Default)]
struct Draft {
    name: String,
    login_url: String,
    redirect_urls: String,
    logout_urls: String,
    public: bool,
    algorithm: String,
    allowed_scopes: String,
    allowed_roles: String,
}

#[derive(Template)]
#[template(path = "pages/admin/applications.html")]
struct ListPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    access: ConsoleAccess,
    applications: Vec<AppRow>,
    total: i64,
    /// The list stops at [`LISTED`]; the management API pages through the rest.
    cut: bool,
    draft: Draft,
    algorithms: [&'static str; 2],
    errors: Errors,
}

fn kind(application: &Application) -> &'static str {
    if is_public(application) {
        "public"
    } else {
        "confidential"
    }
}

async fn list_page(
    state: &AppState,
    page: &Page,
    access: ConsoleAccess,
    tenant: &Tenant,
    draft: Draft,
    errors: Errors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (applications, total) = state.services.applications(tenant, 0, LISTED).await?;
    let view = ListPage {
        chrome: &page.chrome,
        title: "Applications",
        access,
        applications: applications
            .iter()
            .map(|app| AppRow {
                id: app.id.clone(),
                name: app.name.clone(),
                kind: kind(app),
                created: when(app.created_at),
            })
            .collect(),
        cut: total > LISTED,
        total,
        draft,
        algorithms: ALGORITHMS,
        errors,
    };
    Ok(render(status, &view, &page.chrome))
}

/// `GET /admin/applications`: the tenant's applications and the form that creates one.
pub async fn list(
    State(state): State<AppState>,
    page: Page,
    ConsoleSession(session): ConsoleSession,
) -> Result<Response, PageError> {
    let (_, access, tenant) = section(&state, session, "/admin/applications").await?;
    let draft = Draft {
        algorithm: ALGORITHMS[0].to_owned(),
        ..Draft::default()
    };
    list_page(
        &state,
        &page,
        access,
        &tenant,
        draft,
        Errors::none(),
        StatusCode::OK,
    )
    .await
}

/// One URL a line; blank lines are no URL.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Space-separated names, as the metadata keeps them (commas are taken as spaces too).
fn names(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|name| !name.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Draft {
    fn input(&self) -> ApplicationInput {
        let mut metadata = Metadata::new();
        if self.public {
            metadata.insert(AUTH_METHOD_KEY.into(), "none".into());
        }
        // The default algorithm (RS256) is what no metadata says.
        if self.algorithm != ALGORITHMS[0] {
            metadata.insert(ID_TOKEN_ALG_KEY.into(), self.algorithm.clone());
        }
        for (key, value) in [
            (ALLOWED_SCOPES_KEY, names(&self.allowed_scopes)),
            (ALLOWED_ROLES_KEY, names(&self.allowed_roles)),
        ] {
            if !value.is_empty() {
                metadata.insert(key.into(), value);
            }
        }
        ApplicationInput {
            name: self.name.clone(),
            login_url: self.login_url.clone(),
            logout_urls: lines(&self.logout_urls),
            redirect_urls: lines(&self.redirect_urls),
            metadata,
        }
    }
}

/// The domain's field names (`redirect_urls[2]`) as the form's (`redirect_urls`).
fn form_field(field: &str) -> String {
    field.split('[').next().unwrap_or(field).to_owned()
}

/// `POST /admin/applications`: creates an application, then shows it.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let access = state.services.console_access(&principal).await?;
    if !access.applications {
        return Err(PageError::Forbidden);
    }
    let tenant = state.services.applications_tenant(&principal).await?;
    let draft = Draft {
        name: form.text("name"),
        login_url: form.text("login_url"),
        redirect_urls: form.text("redirect_urls"),
        logout_urls: form.text("logout_urls"),
        public: form.text("client_type") == "public",
        algorithm: form.text("algorithm"),
        allowed_scopes: form.text("allowed_scopes"),
        allowed_roles: form.text("allowed_roles"),
    };
    if !ALGORITHMS.contains(&draft.algorithm.as_str()) {
        return Err(PageError::BadForm);
    }
    match state
        .services
        .create_application(&tenant, draft.input())
        .await
    {
        Ok(created) => Ok(redirect(&format!("/admin/applications/{}", created.id))),
        Err(Error::Invalid(problems)) => {
            let errors = Errors::from_problems(
                problems
                    .iter()
                    .map(|p| {
                        let field = form_field(&p.field);
                        let message = super::view::field_message(p);
                        // Which line of a list, in the person's counting.
                        let message = match p.field.split_once('[') {
                            Some((_, rest)) => match rest.trim_end_matches(']').parse::<usize>() {
                                Ok(i) => format!("Line {}: {message}", i + 1),
                                Err(_) => message,
                            },
                            None => message,
                        };
                        (field, message)
                    })
                    .collect(),
            );
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            list_page(&state, &page, access, &tenant, draft, errors, status).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "pages/admin/application.html")]
struct ShowPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    access: ConsoleAccess,
    id: String,
    name: String,
    kind: &'static str,
    public: bool,
    algorithm: String,
    login_url: String,
    redirect_urls: Vec<String>,
    logout_urls: Vec<String>,
    allowed_scopes: String,
    allowed_roles: String,
    created: String,
    /// The secret, on the one answer that asked for it.
    secret: Option<String>,
    /// The code flow's start against the first redirect URL, with the PKCE verifier that
    /// finishes it.
    test_sign_in: Option<(String, String)>,
}

/// The application's id from the path; anything unreadable is no application.
fn app_id(path: Result<Path<String>, PathRejection>) -> Result<String, PageError> {
    path.map(|Path(id)| id).map_err(|_| PageError::NotFound)
}

/// The authorization request a test sign-in starts, and its PKCE verifier. `origin` is
/// empty on the application's own tenant's host; the tenant's origin when an operator
/// manages it from elsewhere (its applications are known on its own host only).
fn test_sign_in(application: &Application, origin: &str) -> Option<(String, String)> {
    let redirect_uri = application.redirect_urls.first()?;
    let verifier = portcullis_core::random::base62(43);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = portcullis_core::random::base62(16);
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", application.id.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("scope", "openid profile email"),
        ("state", state.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ])
    .ok()?;
    Some((format!("{origin}/oauth2/authorize?{query}"), verifier))
}

fn show_page(
    (state, page): (&AppState, &Page),
    access: ConsoleAccess,
    (tenant, application): (&Tenant, Application),
    reveal: bool,
) -> Response {
    let origin = match tenant.id == page.tenant.id {
        true => String::new(),
        false => state.services.origin_of(tenant, page.plain_http),
    };
    let meta = |key: &str| application.metadata.get(key).cloned().unwrap_or_default();
    let view = ShowPage {
        chrome: &page.chrome,
        title: "Application",
        access,
        kind: kind(&application),
        public: is_public(&application),
        algorithm: application
            .metadata
            .get(ID_TOKEN_ALG_KEY)
            .cloned()
            .unwrap_or_else(|| ALGORITHMS[0].to_owned()),
        allowed_scopes: meta(ALLOWED_SCOPES_KEY),
        allowed_roles: meta(ALLOWED_ROLES_KEY),
        created: when(application.created_at),
        test_sign_in: test_sign_in(&application, &origin),
        secret: reveal.then(|| application.secret.expose().to_owned()),
        id: application.id,
        name: application.name,
        login_url: application.login_url,
        redirect_urls: application.redirect_urls,
        logout_urls: application.logout_urls,
    };
    ok(&view, &page.chrome)
}

/// `GET /admin/applications/{id}`: one application, its secret hidden.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    ConsoleSession(session): ConsoleSession,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let id = app_id(path)?;
    let back = format!("/admin/applications/{id}");
    let (_, access, tenant) = section(&state, session, &back).await?;
    let application = state.services.application(&tenant, &id).await?;
    Ok(show_page(
        (&state, &page),
        access,
        (&tenant, application),
        false,
    ))
}

/// A posted form on one application: the person may manage the tenant's applications.
async fn posted(
    state: &AppState,
    principal: &Principal,
) -> Result<(ConsoleAccess, Tenant), PageError> {
    let access = state.services.console_access(principal).await?;
    if !access.applications {
        return Err(PageError::Forbidden);
    }
    Ok((access, state.services.applications_tenant(principal).await?))
}

/// `POST /admin/applications/{id}/secret`: the page again, with the secret shown on this
/// answer only (a POST, so it is neither cached as a page nor in the history as a link).
pub async fn reveal_secret(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<String>, PathRejection>,
    ConsoleForm { principal, .. }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = app_id(path)?;
    let (access, tenant) = posted(&state, &principal).await?;
    let application = state.services.application(&tenant, &id).await?;
    let mut response = show_page((&state, &page), access, (&tenant, application), true);
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `POST /admin/applications/{id}/rotate`: a new secret; the old one stops working.
pub async fn rotate_secret(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ConsoleForm { principal, .. }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = app_id(path)?;
    let (_, tenant) = posted(&state, &principal).await?;
    match state.services.rotate_application_secret(&tenant, &id).await {
        // Another rotation won the race: the secret is new either way.
        Ok(_) | Err(Error::Conflict(_)) => {}
        Err(other) => return Err(other.into()),
    }
    Ok(redirect(&format!("/admin/applications/{id}")))
}

#[derive(Template)]
#[template(path = "pages/admin/application_delete.html")]
struct DeletePage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    access: ConsoleAccess,
    id: String,
    name: String,
}

/// `GET /admin/applications/{id}/delete`: asks before deleting.
pub async fn confirm_delete(
    State(state): State<AppState>,
    page: Page,
    ConsoleSession(session): ConsoleSession,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let id = app_id(path)?;
    let back = format!("/admin/applications/{id}/delete");
    let (_, access, tenant) = section(&state, session, &back).await?;
    let application = state.services.application(&tenant, &id).await?;
    let view = DeletePage {
        chrome: &page.chrome,
        title: "Delete application",
        access,
        id: application.id,
        name: application.name,
    };
    Ok(ok(&view, &page.chrome))
}

/// `POST /admin/applications/{id}/delete`: deletes it, with its grants and tokens.
pub async fn delete(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    ConsoleForm { principal, .. }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = app_id(path)?;
    let (_, tenant) = posted(&state, &principal).await?;
    state.services.delete_application(&tenant, &id).await?;
    Ok(redirect("/admin/applications"))
}

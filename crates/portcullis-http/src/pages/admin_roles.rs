//! The console's roles section (`roles.manage`): the tenant's roles, made, renamed and deleted;
//! and the role × permission matrix (`permissions.manage`, saved through `roles.manage`'s
//! service as `PUT /api/roles/{id}/permissions` is). Built-in roles keep their names and stay;
//! the services say so, the page only leaves out the buttons that would be refused.

use super::admin::console;
use super::admin::{ConsoleForm, ConsoleSession};
use super::context::Page;
use super::view::Errors;
use crate::common::html::{ok, redirect, render};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use portcullis_core::console::ConsoleAccess;
use portcullis_core::model::{Principal, RbacInput};
use portcullis_core::{Error, PermissionId, RoleId};
use std::borrow::Borrow;

/// The new role's form, where a role's id would be (ids start at 1).
const NEW: i64 = 0;
const ROLES: &str = "/admin/roles";
const MATRIX: &str = "/admin/permissions";

struct RoleRow {
    id: i64,
    name: String,
    display_name: String,
    description: String,
    users: i64,
    removable: bool,
}

#[derive(Template)]
#[template(path = "pages/admin/roles.html")]
struct RolesPage<'a> {
    chrome: &'a crate::common::html::Chrome,
    title: &'a str,
    access: ConsoleAccess,
    roles: Vec<RoleRow>,
    /// The role whose form failed (`NEW`: the new role's), with what was typed.
    failed: Option<i64>,
    typed_name: String,
    typed_display_name: String,
    typed_description: String,
    errors: Errors,
}

impl RolesPage<'_> {
    /// The message for `field` of the form of `role` (`NEW`: the new role's), if it failed.
    fn error(&self, role: impl Borrow<i64>, field: &str) -> Option<String> {
        (self.failed == Some(*role.borrow()))
            .then(|| self.errors.get(field))
            .flatten()
    }

    /// What the form of `role` shows in `field`: what was typed if it failed, else `current`.
    fn value(&self, role: impl Borrow<i64>, field: &str, current: &str) -> String {
        match (self.failed == Some(*role.borrow()), field) {
            (true, "name") => self.typed_name.clone(),
            (true, "description") => self.typed_description.clone(),
            (true, _) => self.typed_display_name.clone(),
            (false, _) => current.to_owned(),
        }
    }

    fn others(&self) -> Vec<String> {
        self.errors.others(&["name", "display_name", "description"])
    }
}

async fn roles_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    access: ConsoleAccess,
    failed: Option<(i64, &RbacForm, Errors)>,
) -> Result<Response, PageError> {
    let roles = state
        .services
        .roles(principal)
        .await?
        .into_iter()
        .map(|summary| RoleRow {
            id: summary.role.id.0,
            name: summary.role.name,
            display_name: summary.role.display_name.unwrap_or_default(),
            description: summary.role.description.unwrap_or_default(),
            users: summary.users_count,
            removable: summary.role.removable,
        })
        .collect();
    let (status, failed, typed, errors) = match failed {
        None => (StatusCode::OK, None, None, Errors::none()),
        Some((role, typed, errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(role),
            Some(typed),
            errors,
        ),
    };
    let typed = |pick: fn(&RbacForm) -> String| typed.map(pick).unwrap_or_default();
    let view = RolesPage {
        chrome: &page.chrome,
        title: "Roles",
        access,
        roles,
        failed,
        typed_name: typed(|t| t.name.clone()),
        typed_display_name: typed(|t| t.display_name.clone()),
        typed_description: typed(|t| t.description.clone().unwrap_or_default()),
        errors,
    };
    Ok(render(status, &view, &page.chrome))
}

/// `GET /admin/roles`: the tenant's roles, each with its forms.
pub async fn roles(
    State(state): State<AppState>,
    page: Page,
    ConsoleSession(session): ConsoleSession,
) -> Result<Response, PageError> {
    let (principal, access) = console(&state, session, ROLES, |a| a.roles).await?;
    roles_page(&state, &page, &principal, access, None).await
}

/// A role's form as typed.
struct RbacForm {
    name: String,
    display_name: String,
    description: Option<String>,
}

impl RbacForm {
    fn read(form: &super::form::PageForm) -> Self {
        Self {
            name: form.text("name"),
            display_name: form.text("display_name"),
            description: form.value("description").map(|_| form.text("description")),
        }
    }

    /// The change it asks for: an empty display name or description clears it.
    fn input(&self) -> RbacInput {
        let optional = |text: &str| {
            let text = text.trim();
            (!text.is_empty()).then(|| text.to_owned())
        };
        RbacInput {
            name: Some(self.name.clone()),
            display_name: Some(optional(&self.display_name)),
            description: self.description.as_deref().map(optional),
        }
    }
}

/// What a role action came to: back to the list, or the list with the form's problems.
async fn after(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    role: i64,
    typed: &RbacForm,
    done: Result<(), Error>,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(redirect(ROLES)),
        Err(Error::Invalid(problems)) => {
            let access = state.services.console_access(principal).await?;
            let errors = Errors::from_field_errors(&problems);
            roles_page(state, page, principal, access, Some((role, typed, errors))).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /admin/roles`: a new role (`POST /api/roles`'s service).
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let typed = RbacForm::read(&form);
    let done = state
        .services
        .create_role(&principal, typed.input(), &page.client)
        .await
        .map(drop);
    after(&state, &page, &principal, NEW, &typed, done).await
}

fn role_id(path: Result<Path<i64>, PathRejection>) -> Result<RoleId, PageError> {
    path.map(|Path(id)| RoleId(id))
        .map_err(|_| PageError::NotFound)
}

/// `POST /admin/roles/{id}`: a new name, display name or description (`PATCH
/// /api/roles/{id}`'s service, which keeps a built-in role's name).
pub async fn rename(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = role_id(path)?;
    let typed = RbacForm::read(&form);
    let done = state
        .services
        .update_role(&principal, id, typed.input(), &page.client)
        .await
        .map(drop);
    after(&state, &page, &principal, id.0, &typed, done).await
}

/// `POST /admin/roles/{id}/delete`: deletes a removable role; its users get the `User` role
/// (`DELETE /api/roles/{id}`'s service, which refuses a built-in one).
pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, .. }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = role_id(path)?;
    state
        .services
        .delete_role(&principal, id, &page.client)
        .await?;
    Ok(redirect(ROLES))
}

struct Column {
    id: i64,
    name: String,
    label: String,
}

struct MatrixRow {
    id: i64,
    name: String,
    /// The built-in Admin holds everything by definition: shown, not editable.
    fixed: bool,
    /// One per column, in the columns' order.
    held: Vec<bool>,
}

#[derive(Template)]
#[template(path = "pages/admin/permissions.html")]
struct MatrixPage<'a> {
    chrome: &'a crate::common::html::Chrome,
    title: &'a str,
    access: ConsoleAccess,
    columns: Vec<Column>,
    rows: Vec<MatrixRow>,
}

/// `GET /admin/permissions`: which role holds which permission, one form per role. Reading
/// the roles and saving a row is `roles.manage`'s, so the matrix needs both permissions.
pub async fn matrix(
    State(state): State<AppState>,
    page: Page,
    ConsoleSession(session): ConsoleSession,
) -> Result<Response, PageError> {
    let allowed: fn(&ConsoleAccess) -> bool = |a| a.permissions && a.roles;
    let (principal, access) = console(&state, session, MATRIX, allowed).await?;
    let services = &state.services;
    let permissions = services.permissions(&principal).await?;
    let pairs = services.role_permission_pairs(&principal).await?;
    let rows = services
        .roles(&principal)
        .await?
        .into_iter()
        .map(|summary| {
            let role = summary.role;
            let fixed = portcullis_core::rbac::is_builtin_admin(&role);
            MatrixRow {
                id: role.id.0,
                held: permissions
                    .iter()
                    .map(|p| fixed || pairs.iter().any(|(r, q)| *r == role.id && q.id == p.id))
                    .collect(),
                name: role.display_name.unwrap_or(role.name),
                fixed,
            }
        })
        .collect();
    let columns = permissions
        .into_iter()
        .map(|p| Column {
            id: p.id.0,
            label: p.display_name.clone().unwrap_or_else(|| p.name.clone()),
            name: p.name,
        })
        .collect();
    let view = MatrixPage {
        chrome: &page.chrome,
        title: "Permissions",
        access,
        columns,
        rows,
    };
    Ok(ok(&view, &page.chrome))
}

/// `POST /admin/roles/{id}/permissions`: the role holds exactly the ticked permissions
/// (`PUT /api/roles/{id}/permissions`'s service: only what the caller holds, never Admin's).
pub async fn save_row(
    State(state): State<AppState>,
    page: Page,
    path: Result<Path<i64>, PathRejection>,
    ConsoleForm { principal, form }: ConsoleForm,
) -> Result<Response, PageError> {
    let id = role_id(path)?;
    let access = state.services.console_access(&principal).await?;
    if !access.permissions {
        return Err(PageError::Forbidden);
    }
    let mut ids = Vec::new();
    for value in form.all("permission") {
        ids.push(PermissionId(value.parse().map_err(|_| PageError::BadForm)?));
    }
    match state
        .services
        .sync_role_permissions(&principal, id, &ids, &page.client)
        .await
    {
        Ok(_) => Ok(redirect(MATRIX)),
        // Only ids the page did not offer: a stale page or a forged form.
        Err(Error::Invalid(_)) => Err(PageError::BadForm),
        Err(other) => Err(other.into()),
    }
}

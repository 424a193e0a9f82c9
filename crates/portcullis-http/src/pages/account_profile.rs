//! The account page's profile (`/account/profile`): the person's details (the account API's
//! fields, saved by the same service as `PATCH /api/me/details`, with its messages) and their
//! picture (uploaded through the same image pipeline as `PUT /api/me/avatar`, or removed).

use super::account::{AccountForm, SIGN_IN};
use super::context::Page;
use super::form::{PageForm, UploadForm};
use super::view::Errors;
use crate::common::html::{redirect, render, Chrome};
use crate::common::page_error::PageError;
use crate::common::state::AppState;
use crate::common::web_session::WebSession;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use portcullis_core::field::{FieldError, Rule};
use portcullis_core::model::{DetailsChange, Principal, User};
use portcullis_core::Error;
use serde::Deserialize;

const PROFILE: &str = "/account/profile";

#[derive(Template)]
#[template(path = "pages/account/profile.html")]
struct ProfilePage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    saved: bool,
    errors: Errors,
    first_name: String,
    last_name: String,
    birthday: String,
    phone: String,
    address: String,
    country: i64,
    countries: Vec<(i64, String)>,
    /// Where the picture is served (same origin), when the person has an uploaded one.
    avatar: Option<String>,
    has_avatar: bool,
}

/// What the details form shows: the account's values, or what was typed into a refused form.
struct Typed {
    first_name: String,
    last_name: String,
    birthday: String,
    phone: String,
    address: String,
    country: String,
}

impl Typed {
    fn of(user: &User) -> Self {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        Self {
            first_name: text(&user.first_name),
            last_name: text(&user.last_name),
            birthday: user.birthday.map(|d| d.to_string()).unwrap_or_default(),
            phone: text(&user.phone),
            address: text(&user.address),
            country: user.country_id.map(|c| c.to_string()).unwrap_or_default(),
        }
    }

    fn from_form(form: &PageForm) -> Self {
        Self {
            first_name: form.text("first_name"),
            last_name: form.text("last_name"),
            birthday: form.text("birthday"),
            phone: form.text("phone"),
            address: form.text("address"),
            country: form.text("country_id"),
        }
    }

    /// The change these values ask for: an empty field clears it. Dates and countries that
    /// are not one are problems.
    fn change(&self, problems: &mut Vec<FieldError>) -> DetailsChange {
        let text = |value: &str| Some(Some(value.trim().to_owned()).filter(|v| !v.is_empty()));
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let birthday = match self.birthday.trim() {
            "" => Some(None),
            typed => match time::Date::parse(typed, &format) {
                Ok(date) => Some(Some(date)),
                Err(_) => {
                    problems.push(FieldError::other(
                        "birthday",
                        "Enter the birthday as YYYY-MM-DD.",
                    ));
                    None
                }
            },
        };
        let country_id = match self.country.trim() {
            "" => Some(None),
            typed => match typed.parse() {
                Ok(id) => Some(Some(id)),
                Err(_) => {
                    problems.push(FieldError::new("country_id", Rule::Unknown));
                    None
                }
            },
        };
        DetailsChange {
            first_name: text(&self.first_name),
            last_name: text(&self.last_name),
            birthday,
            phone: text(&self.phone),
            address: text(&self.address),
            country_id,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ProfileQuery {
    saved: Option<String>,
}

/// An uploaded picture's same-origin path (`/api/avatars/<name>`): every host serves it, and
/// the pages' policy allows images from their own origin only.
fn avatar_path(state: &AppState, user: &User) -> Option<String> {
    let url = user.avatar.as_deref()?;
    let name = url.rsplit_once("/api/avatars/")?.1;
    (state.services.avatar_url(name) == url).then(|| format!("/api/avatars/{name}"))
}

async fn profile_page(
    state: &AppState,
    page: &Page,
    principal: &Principal,
    (typed, errors): (Typed, Errors),
    saved: bool,
) -> Result<Response, PageError> {
    let user = state.services.own_profile(principal).await?;
    let countries = state
        .services
        .countries()
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let view = ProfilePage {
        chrome: &page.chrome,
        title: "Profile",
        saved,
        errors,
        country: typed.country.trim().parse().unwrap_or(0),
        first_name: typed.first_name,
        last_name: typed.last_name,
        birthday: typed.birthday,
        phone: typed.phone,
        address: typed.address,
        countries,
        avatar: avatar_path(state, &user),
        has_avatar: user.avatar.is_some(),
    };
    Ok(render(status, &view, &page.chrome))
}

/// `GET /account/profile`.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    WebSession(session): WebSession,
    query: Result<Query<ProfileQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Some(principal) = session else {
        return Ok(redirect(SIGN_IN));
    };
    let saved = query.is_ok_and(|Query(q)| q.saved.is_some());
    let typed = Typed::of(&principal.user);
    profile_page(&state, &page, &principal, (typed, Errors::none()), saved).await
}

/// `POST /account/profile`: the details, each field as typed (empty clears it).
pub async fn save(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, form }: AccountForm,
) -> Result<Response, PageError> {
    let typed = Typed::from_form(&form);
    let mut problems = Vec::new();
    let change = typed.change(&mut problems);
    let outcome = match problems.is_empty() {
        true => {
            state
                .services
                .update_details(&principal, change, &page.client)
                .await
        }
        false => Err(Error::Invalid(problems)),
    };
    match outcome {
        Ok(_) => Ok(redirect(&format!("{PROFILE}?saved=1"))),
        Err(Error::Invalid(problems)) => {
            let errors = Errors::from_field_errors(&problems);
            profile_page(&state, &page, &principal, (typed, errors), false).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /account/profile/avatar`: a new picture, from a file field named `file`.
pub async fn upload_avatar(
    State(state): State<AppState>,
    page: Page,
    UploadForm { principal, file }: UploadForm,
) -> Result<Response, PageError> {
    let outcome = match file {
        Some(bytes) => {
            state
                .services
                .upload_own_avatar(&principal, bytes, &page.client)
                .await
        }
        None => Err(Error::invalid("file", Rule::Required)),
    };
    match outcome {
        Ok(_) => Ok(redirect(&format!("{PROFILE}?saved=1"))),
        Err(Error::Invalid(problems)) => {
            let errors = Errors::from_field_errors(&problems);
            let typed = Typed::of(&principal.user);
            profile_page(&state, &page, &principal, (typed, errors), false).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /account/profile/avatar/remove`.
pub async fn remove_avatar(
    State(state): State<AppState>,
    page: Page,
    AccountForm { principal, .. }: AccountForm,
) -> Result<Response, PageError> {
    state
        .services
        .remove_own_avatar(&principal, &page.client)
        .await?;
    Ok(redirect(&format!("{PROFILE}?saved=1")))
}

//! `GET /api/me` and `GET /api/countries`.

use super::error::ApiResult;
use super::extract::Auth;
use super::json::{includes, CountryJson, IncludeQuery, UserJson};
use super::schema::ErrorJson;
use crate::common::state::AppState;
use axum::extract::{Query, State};
use axum::Json;

/// The user the token belongs to.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "profile",
    params(IncludeQuery),
    responses(
        (status = 200, description = "The current user", body = UserJson),
        (status = 403, description = "The token lacks the `view-profile` scope", body = ErrorJson),
    ),
)]
pub async fn show(
    State(state): State<AppState>,
    Auth(principal): Auth,
    query: Result<Query<IncludeQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<UserJson>> {
    let user = state.services.own_profile(&principal).await?;
    let include = query.ok().and_then(|Query(q)| q.include);
    let wants = includes(include.as_deref());
    let role = if wants("role") {
        Some(state.services.role(&user).await?.into())
    } else {
        None
    };
    let country = match (wants("country"), user.country_id) {
        (false, _) => None,
        (true, None) => Some(None),
        (true, Some(id)) => Some(
            state
                .services
                .country(id)
                .await?
                .map(|c| CountryJson::new(c, &state.http.public_url)),
        ),
    };
    let mut json = UserJson::new(user, &principal.settings);
    json.role = role;
    json.country = country;
    Ok(Json(json))
}

/// Every ISO 3166-1 country.
#[utoipa::path(
    get,
    path = "/api/countries",
    tag = "reference",
    responses(
        (status = 200, description = "All countries", body = Vec<CountryJson>),
    ),
)]
pub async fn countries(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> ApiResult<Json<Vec<CountryJson>>> {
    let countries = state.services.list_countries(&principal).await?;
    let public_url = &state.http.public_url;
    Ok(Json(
        countries
            .into_iter()
            .map(|c| CountryJson::new(c, public_url))
            .collect(),
    ))
}

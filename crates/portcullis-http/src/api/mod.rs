//! The account API of document 001, under `/api`.

mod auth;
pub mod error;
mod extract;
mod input;
mod json;
mod me;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route("/api/me", get(me::show))
        .route("/api/countries", get(me::countries))
}

//! `GET /api/v1/captcha`.

use super::error::VmsError;
use super::extract::HostTenant;
use crate::common::client::ClientAddr;
use crate::common::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CaptchaJson {
    /// The image to show, as a data URL.
    #[schema(example = "data:image/png;base64,iVBORw0KGgo…")]
    img: String,
    /// Send it back as `key`, with what the image shows as `captcha`, to `POST /api/v1/token`.
    #[schema(example = "q3ZP0mVt7Hc9rWk2LxN5bYd8sJf4GhA6eTu1iOy0")]
    key: String,
}

/// A new captcha: an image of 5 characters and its key. It can be answered once, within 5
/// minutes, case-insensitively; a right answer then holds for 120 s (a retry after a 419), a
/// wrong one uses it up. Required by `POST /api/v1/token` when the captcha setting is on.
#[utoipa::path(
    get,
    path = "/api/v1/captcha",
    operation_id = "vms_captcha",
    tag = "captcha",
    responses(
        (status = 200, description = "A fresh captcha; not cacheable", body = CaptchaJson),
        (status = 429, description = "Too many captchas from this address (6 per allowed login attempt per throttle window); see `Retry-After`", body = super::error::MessageJson),
    ),
)]
pub async fn captcha(
    State(state): State<AppState>,
    HostTenant { tenant, .. }: HostTenant,
    ClientAddr(client): ClientAddr,
) -> Result<Response, VmsError> {
    state
        .services
        .reserve_captcha(&tenant, client.ip.as_deref())
        .await?;
    let made = state.services.new_captcha(&tenant).await?;
    // `made.answer` stays here: the client must read it from the image.
    let img = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&made.png)
    );
    let json = CaptchaJson {
        img,
        key: made.key.expose().to_owned(),
    };
    Ok(crate::common::response::no_store(Json(json)))
}

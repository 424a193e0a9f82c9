//! One OpenAPI 3.1 document per surface, built from the same `OpenApiRouter`s that route the
//! requests, so a route cannot be served without being documented.

use crate::common::route_table::operations_mut;
use crate::common::state::AppState;
use crate::ops::{Document, Documents};
use axum::{Extension, Router};
use std::sync::Arc;
use utoipa::openapi::{OpenApi, Ref, RefOr};

/// Every surface's routes merged, with the documents they produced. The documents are also
/// served by the operational routes (which is why they are built here, before any state).
pub fn surfaces(state: &AppState) -> (Router<AppState>, Arc<Documents>) {
    let (api_routes, mut api) = crate::api::routes().split_for_parts();
    add_common_errors(&mut api, crate::api::schema::ERROR_SCHEMA, true);
    either_422(&mut api);
    add_unknown_object(&mut api, crate::api::schema::ERROR_SCHEMA);
    let (oauth2_routes, mut oauth2) = crate::oauth2::routes().split_for_parts();
    add_common_errors(&mut oauth2, "OAuthError", false);
    let (vms_routes, mut vms) = crate::vms::routes().split_for_parts();
    add_common_errors(&mut vms, crate::vms::ERROR_SCHEMA, false);
    let (mgmt_routes, mut mgmt) = crate::mgmt::routes().split_for_parts();
    add_common_errors(&mut mgmt, crate::mgmt::ERROR_SCHEMA, false);
    add_unknown_object(&mut mgmt, crate::mgmt::ERROR_SCHEMA);
    let with_metrics = state.http.metrics_route && state.metrics.is_some();
    let (ops_routes, ops) = crate::ops::routes(with_metrics).split_for_parts();
    let public_url = &state.http.public_url;
    let documents = Arc::new(Documents {
        api: Document::new(api, public_url),
        oauth2: Document::new(oauth2, public_url),
        mgmt: Document::new(mgmt, public_url),
        ops: Document::new(ops, public_url),
        vms: Document::new(vms, public_url),
    });
    let router = api_routes
        .merge(oauth2_routes)
        .merge(mgmt_routes)
        .merge(vms_routes)
        .merge(ops_routes.layer(Extension(Arc::clone(&documents))))
        // HTML pages: in no OpenAPI document, but under the same common layers.
        .merge(crate::pages::routes());
    (router, documents)
}

/// What the common layers and extractors can answer on any operation of a surface (in its
/// error shape, `error_schema`), added to each operation that does not describe it already:
/// 500 and 503 everywhere; 401 where a credential is required (and 403, on `scoped` surfaces,
/// for a missing scope); 400, 413 and 415 where there
/// is a body.
fn add_common_errors(openapi: &mut OpenApi, error_schema: &str, scoped: bool) {
    let error = |description: &str| error_response(error_schema, description);
    for item in openapi.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            let mut statuses = vec![
                ("500", "Internal server error"),
                (
                    "503",
                    "The database is unavailable or the request took too long; see `Retry-After`",
                ),
            ];
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                statuses.push(("401", "No valid token"));
            }
            if scoped && operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                statuses.push((
                    "403",
                    "The token lacks the scope in this operation's `security` (`missing_scope` names it), or the user lacks the permission",
                ));
            }
            if operation.request_body.is_some() {
                statuses.extend([
                    (
                        "400",
                        "The body is not valid JSON, a JSON object, or a form",
                    ),
                    ("413", "The body is larger than `max_body_bytes`"),
                    ("415", "The body is neither JSON nor a form"),
                ]);
            }
            for (status, description) in statuses {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error(description));
            }
        }
    }
}

fn error_response(error_schema: &str, description: &str) -> RefOr<utoipa::openapi::Response> {
    utoipa::openapi::ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(error_schema)))
                .build(),
        )
        .build()
        .into()
}

/// 404 wherever the path names something (a tenant, a user, a role...) that may not exist,
/// or not within the caller's reach, unless the operation says so itself.
fn add_unknown_object(openapi: &mut OpenApi, error_schema: &str) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        if !path.contains('{') {
            continue;
        }
        for operation in operations_mut(item) {
            operation
                .responses
                .responses
                .entry("404".to_owned())
                .or_insert_with(|| {
                    error_response(
                        error_schema,
                        "Nothing by that name or id, within the caller's reach",
                    )
                });
        }
    }
}

/// The account API answers 422 in two shapes: `{"error": ...}` when the resource's state
/// forbids the request, `{field: [messages]}` when fields are invalid, and most operations can
/// meet both. Each 422 is documented as the one or the other.
fn either_422(openapi: &mut OpenApi) {
    use utoipa::openapi::schema::{AnyOfBuilder, Schema};
    const EITHER: &str = "Unprocessable";
    let components = openapi.components.get_or_insert_with(Default::default);
    components.schemas.insert(
        EITHER.to_owned(),
        RefOr::T(Schema::AnyOf(
            AnyOfBuilder::new()
                .description(Some(
                    "`{\"error\": ...}` when the resource's state forbids the request, or each invalid field with its messages.",
                ))
                .item(Ref::from_schema_name(crate::api::schema::ERROR_SCHEMA))
                .item(Ref::from_schema_name("ValidationErrors"))
                .build(),
        )),
    );
    for item in openapi.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            let Some(RefOr::T(response)) = operation.responses.responses.get_mut("422") else {
                continue;
            };
            for content in response.content.values_mut() {
                content.schema = Some(Ref::from_schema_name(EITHER).into());
            }
        }
    }
}

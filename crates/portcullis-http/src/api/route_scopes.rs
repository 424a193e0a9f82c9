//! The scope each `/api` route requires. A route declares it in its OpenAPI entry,
//! `security(("bearer" = ["view-users"]))`, right beside the handler; this table is read from
//! the generated document at start, so what the published document says is what the `Auth`
//! extractor enforces. `("bearer" = [])` means any valid token (logging out, asking about the
//! token itself).

use axum::http::Method;
use std::collections::HashMap;
use utoipa::openapi::path::Operation;
use utoipa::openapi::OpenApi;

/// What a route asks of a token beyond being valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Required {
    AnyToken,
    Scope(String),
}

#[derive(Debug, Default)]
pub struct RouteScopes(HashMap<(Method, String), Required>);

impl RouteScopes {
    pub fn from_openapi(openapi: &OpenApi) -> Self {
        let mut table = HashMap::new();
        for (path, item) in &openapi.paths.paths {
            let operations = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ];
            for (method, operation) in operations {
                if let Some(required) = operation.as_ref().and_then(bearer_scope) {
                    table.insert((method, path.clone()), required);
                }
            }
        }
        Self(table)
    }

    /// `None` when the route declares no bearer requirement at all.
    pub fn required(&self, method: &Method, route: &str) -> Option<&Required> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.0.get(&(method.clone(), route.to_owned()))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&(Method, String), &Required)> {
        self.0.iter()
    }
}

/// The operation's `bearer` requirement: its single scope, or any token when it lists none.
fn bearer_scope(operation: &Operation) -> Option<Required> {
    let requirements = serde_json::to_value(operation.security.as_ref()?).ok()?;
    let scopes = requirements
        .as_array()?
        .iter()
        .find_map(|r| r.get(super::BEARER))?;
    match scopes.as_array()?.as_slice() {
        [] => Some(Required::AnyToken),
        [scope] => scope.as_str().map(|s| Required::Scope(s.to_owned())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bearer_route_declares_one_builtin_scope_or_any_token() {
        let (_, openapi) = super::super::routes().split_for_parts();
        let table = RouteScopes::from_openapi(&openapi);
        let mut bearer_operations = 0;
        for item in openapi.paths.paths.values() {
            for operation in [&item.get, &item.post, &item.put, &item.patch, &item.delete]
                .into_iter()
                .flatten()
            {
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    bearer_operations += 1;
                }
            }
        }
        assert_eq!(table.iter().count(), bearer_operations);
        for ((method, route), required) in table.iter() {
            if let Required::Scope(scope) = required {
                assert!(
                    portcullis_core::rbac::builtin_scope(scope).is_some(),
                    "{method} {route} declares the unknown scope {scope}"
                );
            }
        }
        assert_eq!(
            table.required(&Method::GET, "/api/users"),
            Some(&Required::Scope("view-users".into()))
        );
        assert_eq!(
            table.required(&Method::POST, "/api/logout"),
            Some(&Required::AnyToken)
        );
        assert_eq!(table.required(&Method::POST, "/api/login"), None);
    }
}

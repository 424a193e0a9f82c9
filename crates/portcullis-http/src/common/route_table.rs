//! A route states its rules once. Each surface lists its routes in one table (its
//! `routes.rs`): method, path, handler, what the caller must present ([`Needs`]) and what the
//! caller's role must hold ([`Permission`]). From that table come the router (every handler
//! is registered through it, and carries its row to the extractors), the OpenAPI `security`
//! entries, and the test that the table and the served routes name the same operations.

use axum::http::request::Parts;
use axum::http::Method;
use axum::Extension;
use portcullis_core::authz::Action;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// One row of a surface's table.
#[derive(Debug)]
pub struct Route {
    pub method: Method,
    /// As axum and the OpenAPI document spell it: `/api/users/{id}`.
    pub path: &'static str,
    pub needs: Needs,
    pub permission: Permission,
}

/// What the caller must present before the handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: a public route (which may still read credentials of its own kind, as the
    /// token endpoint reads a client's).
    Nothing,
    /// A valid credential of this OpenAPI security scheme, whatever it may do.
    Credential(&'static str),
    /// A valid credential of this scheme that carries this scope.
    Scope(&'static str, &'static str),
}

/// What the caller's role must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// No role permission: a public route, a question about the caller's own token, or an
    /// API key (whose reach the service decides per tenant).
    Unneeded,
    /// The permission of this action ([`Action::permission`]; none for what anyone may do to
    /// their own account), checked by the surface's extractor before the handler runs.
    Of(Action),
    /// `own` for the caller's own sessions, `other` for another user's: which it is, the
    /// service knows only once it has found the session or user, so the service checks it.
    OwnOrOther(Action, Action),
}

impl Needs {
    /// The operation's OpenAPI `security`, as `security((scheme = [scope]))` would write it.
    fn security(self) -> Option<Vec<SecurityRequirement>> {
        let (scheme, scopes) = match self {
            Self::Nothing => return None,
            Self::Credential(scheme) => (scheme, Vec::new()),
            Self::Scope(scheme, scope) => (scheme, vec![scope]),
        };
        Some(vec![SecurityRequirement::new(scheme, scopes)])
    }
}

impl Route {
    /// The row of the route a request was routed to; `None` for a route registered outside
    /// its surface's table (which extractors refuse: they fail closed).
    pub fn of(parts: &Parts) -> Option<&'static Route> {
        parts.extensions.get::<&'static Route>().copied()
    }
}

/// Declares a surface's table: `static ROUTES` with one [`Route`] per line, and
/// `fn handlers()` registering each line's handler (its `#[utoipa::path]` entry with it), in
/// the same order, for [`router`].
///
/// ```text
/// GET "/api/users" users::list => Scope(BEARER, "view-users"), Of(Action::ViewUsers);
/// ```
macro_rules! route_table {
    ( $( $method:ident $path:literal $($handler:ident)::+ => $needs:expr, $permission:expr; )* ) => {
        /// This surface's routes and their rules.
        pub static ROUTES: &[$crate::common::route_table::Route] = &[ $(
            $crate::common::route_table::Route {
                method: ::axum::http::Method::$method,
                path: $path,
                needs: $needs,
                permission: $permission,
            },
        )* ];

        /// Each row's handler with its OpenAPI entry, in the order of [`ROUTES`].
        pub fn handlers() -> Vec<::utoipa_axum::router::UtoipaMethodRouter<$crate::common::state::AppState>> {
            vec![ $( ::utoipa_axum::routes!($($handler)::+), )* ]
        }

        /// The surface serves what its table lists, nothing more or less.
        #[cfg(test)]
        #[test]
        fn every_route_has_one_row_and_every_row_a_route() {
            let problems = $crate::common::route_table::mismatches(ROUTES, handlers(), super::routes());
            assert!(problems.is_empty(), "{problems:#?}");
        }
    };
}
pub(crate) use route_table;

/// A surface's router: each handler registered with its row of `table` (which extractors read
/// with [`Route::of`]), and its OpenAPI operation given the `security` the row's [`Needs`]
/// says. Rows register in order: where two handlers describe schemas of the same name, the
/// document keeps the later row's.
pub fn router<S>(
    openapi: OpenApi,
    table: &'static [Route],
    handlers: Vec<UtoipaMethodRouter<S>>,
) -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    table.iter().zip(handlers).fold(
        OpenApiRouter::with_openapi(openapi),
        |router, (route, (schemas, mut paths, method_router))| {
            for item in paths.paths.values_mut() {
                for operation in operations_mut(item) {
                    operation.security = route.needs.security();
                }
            }
            router.routes((schemas, paths, method_router.route_layer(Extension(route))))
        },
    )
}

/// A path item's operations by method, each slot empty or filled.
fn slots(
    item: &mut utoipa::openapi::PathItem,
) -> [(&'static str, &mut Option<utoipa::openapi::path::Operation>); 8] {
    [
        ("GET", &mut item.get),
        ("PUT", &mut item.put),
        ("POST", &mut item.post),
        ("DELETE", &mut item.delete),
        ("OPTIONS", &mut item.options),
        ("HEAD", &mut item.head),
        ("PATCH", &mut item.patch),
        ("TRACE", &mut item.trace),
    ]
}

/// The operations a path item has, whatever their method.
pub(crate) fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    slots(item)
        .into_iter()
        .filter_map(|(_, operation)| operation.as_mut())
}

/// Every operation of a document as `METHOD path`.
#[cfg(test)]
fn operations(openapi: &OpenApi) -> Vec<String> {
    let mut paths = openapi.paths.paths.clone();
    let mut found: Vec<String> = paths
        .iter_mut()
        .flat_map(|(path, item)| {
            slots(item)
                .into_iter()
                .filter(|(_, operation)| operation.is_some())
                .map(move |(method, _)| format!("{method} {path}"))
                .collect::<Vec<_>>()
        })
        .collect();
    found.sort();
    found
}

/// What is wrong between a surface's table and its router (`served`, as the surface builds
/// it): a row whose handler serves another method or path than the row says, a row twice, a
/// served operation without a row, a row without a served operation.
#[cfg(test)]
pub fn mismatches<S: Clone + Send + Sync + 'static>(
    table: &[Route],
    handlers: Vec<UtoipaMethodRouter<S>>,
    served: OpenApiRouter<S>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let rows: Vec<String> = table
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    for (row, (_, paths, _)) in rows.iter().zip(handlers) {
        let handler = operations(&OpenApi::builder().paths(paths).build());
        if handler != [row.clone()] {
            problems.push(format!("the row {row} registers a handler of {handler:?}"));
        }
    }
    let mut sorted = rows.clone();
    sorted.sort();
    for pair in sorted.windows(2).filter(|pair| pair[0] == pair[1]) {
        problems.push(format!("{} has two rows", pair[0]));
    }
    let (_, openapi) = served.split_for_parts();
    let served = operations(&openapi);
    for operation in served.iter().filter(|o| !rows.contains(o)) {
        problems.push(format!("{operation} is served without a row"));
    }
    for row in rows.iter().filter(|r| !served.contains(r)) {
        problems.push(format!("the row {row} names no served operation"));
    }
    problems
}

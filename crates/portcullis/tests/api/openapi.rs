//! The OpenAPI documents: valid OpenAPI 3.1, and exactly the routes the router serves.

use crate::harness::{Backend, TestServer};
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::collections::BTreeSet;
use tower::ServiceExt;

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a serde_json::Value, found: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", serde_json::Value::String(target)) => found.push(target),
                    _ => refs(inner, found),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn each_surface_serves_a_valid_openapi_3_1_document() {
    let server = TestServer::start(&Backend::Sqlite).await;
    for (surface, prefix) in [
        ("api", "/api/"),
        ("oauth2", "/oauth2/"),
        ("mgmt", "/v1/"),
        ("vms", "/api/v1/"),
        ("ops", "/"),
    ] {
        let response = server
            .request(reqwest::Method::GET, &format!("/openapi/{surface}.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        let spec = oas3::from_json(&text).expect("an OpenAPI 3.1 document");
        let version = spec.validate_version().expect("a supported version");
        assert_eq!((version.major, version.minor), (3, 1), "{surface}");
        assert_eq!(spec.info.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(
            spec.servers.first().map(|s| s.url.as_str()),
            Some("http://portcullis.test")
        );

        let mut ids = BTreeSet::new();
        let operations: Vec<_> = spec.operations().collect();
        assert!(!operations.is_empty(), "{surface}");
        for (path, method, operation) in &operations {
            // OpenID Connect discovery lives where the specification puts it.
            let well_known = surface == "oauth2" && path == "/.well-known/openid-configuration";
            assert!(path.starts_with(prefix) || well_known, "{surface}: {path}");
            let id = operation.operation_id.clone().expect("an operation id");
            assert!(ids.insert(id.clone()), "{surface}: operation id {id} twice");
            let responses = operation.responses(&spec);
            assert!(
                !responses.is_empty(),
                "{method} {path} documents no response"
            );
            if surface != "ops" {
                // What the common layers may answer, in the dialect's error shape.
                for status in ["500", "503"] {
                    assert!(responses.contains_key(status), "{method} {path}: {status}");
                }
                if !operation.security.is_empty() {
                    assert!(responses.contains_key("401"), "{method} {path}: 401");
                }
            }
            if surface == "api" && !operation.security.is_empty() {
                assert!(responses.contains_key("403"), "{method} {path}: 403");
            }
        }

        let document: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut targets = Vec::new();
        refs(&document, &mut targets);
        for target in targets {
            let pointer = target
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("{target} is not local"));
            assert!(
                document.pointer(pointer).is_some(),
                "{surface}: {target} does not resolve"
            );
        }
    }
    server.stop().await;
}

/// The route templates the router holds, read from its `Debug` output (axum lists them there
/// and nowhere else). Fails loudly if that output changes shape.
fn served_templates(router: &axum::Router) -> BTreeSet<String> {
    let debug = format!("{router:?}");
    let start = debug
        .find("path_router")
        .and_then(|at| {
            debug[at..]
                .find("paths: {")
                .map(|p| at + p + "paths: {".len())
        })
        .expect("axum's Router debug output lists `paths`");
    let mut templates = BTreeSet::new();
    let mut rest = debug[start..].chars();
    let mut current: Option<String> = None;
    while let Some(c) = rest.next() {
        match (&mut current, c) {
            (None, '}') => break,
            (None, '"') => current = Some(String::new()),
            (Some(_), '"') => templates.extend(current.take()),
            (Some(text), '\\') => text.extend(rest.next()),
            (Some(text), c) => text.push(c),
            (None, _) => {}
        }
    }
    assert!(templates.contains("/api/login"), "parsed {templates:?}");
    templates
}

/// Tells the test which template matched a request.
async fn report_match(request: Request, next: Next) -> Response {
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| HeaderValue::from_str(m.as_str()).unwrap());
    let mut response = next.run(request).await;
    if let Some(matched) = matched {
        response.headers_mut().insert("x-matched-path", matched);
    }
    response
}

#[tokio::test]
async fn the_documents_list_exactly_the_routes_the_router_serves() {
    let server = TestServer::start(&Backend::Sqlite).await;
    let router = server.app.router();
    let templates = served_templates(&router);
    let probe = router.layer(middleware::from_fn(report_match));

    let mut served = BTreeSet::new();
    for template in &templates {
        // Any value fits a `{param}` segment for routing purposes.
        let path: String = template
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in METHODS {
            let request = axum::http::Request::builder()
                .method(method.clone())
                .uri(&path)
                .body(Body::empty())
                .unwrap();
            let response = probe.clone().oneshot(request).await.unwrap();
            if response.status() == StatusCode::METHOD_NOT_ALLOWED {
                continue;
            }
            let matched = response.headers().get("x-matched-path");
            assert_eq!(
                matched.and_then(|m| m.to_str().ok()),
                Some(template.as_str()),
                "{method} {path}"
            );
            served.insert((method.to_string(), template.clone()));
        }
    }

    // The hosted pages answer HTML and are documented in the README instead.
    let pages: BTreeSet<String> = portcullis_http::pages::PATHS
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(pages.is_subset(&templates), "every page is served");
    served.retain(|(_, template)| !pages.contains(template));

    let mut documented = BTreeSet::new();
    for surface in ["api", "oauth2", "mgmt", "vms", "ops"] {
        let (_, text) = server
            .call(reqwest::Method::GET, &format!("/openapi/{surface}.json"))
            .await;
        let spec: oas3::Spec = serde_json::from_value(text).unwrap();
        for (path, method, _) in spec.operations() {
            documented.insert((method.to_string(), path));
        }
    }
    assert_eq!(
        served, documented,
        "every route served is documented, and every documented route is served"
    );
    server.stop().await;
}

async fn document(server: &TestServer, surface: &str) -> serde_json::Value {
    server
        .request(reqwest::Method::GET, &format!("/openapi/{surface}.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// What schemathesis found (scripts/fuzz.sh): answers the documents did not describe.
#[tokio::test]
async fn the_documents_describe_the_answers_fuzzing_found_undocumented() {
    for backend in crate::harness::backends() {
        let server = TestServer::start(&backend).await;
        documents_describe_the_answers(&server).await;
        server.stop().await;
    }
}

async fn documents_describe_the_answers(server: &TestServer) {
    let api = document(server, "api").await;
    // A 422 is either shape: PUT /api/me/2fa answers invalid fields as `{field: [...]}` and
    // "already enabled" as `{"error": ...}`.
    let either = &api["components"]["schemas"]["Unprocessable"]["anyOf"];
    assert_eq!(either[0]["$ref"], "#/components/schemas/ErrorJson");
    assert_eq!(either[1]["$ref"], "#/components/schemas/ValidationErrors");
    for (path, method) in [
        ("/api/me/2fa", "put"),
        ("/api/me/2fa/verify", "post"),
        ("/api/users/{id}/2fa", "put"),
    ] {
        assert_eq!(
            api["paths"][path][method]["responses"]["422"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/Unprocessable",
            "{method} {path}"
        );
    }
    let token = server.signed_in("shapes", "User").await;
    let answer = server
        .request(reqwest::Method::PUT, "/api/me/2fa")
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert!(body["phone_number"].is_array(), "{body}");

    // Two bodies of one name were one schema, and one operation showed the other's body.
    let body = |doc: &serde_json::Value, path: &str, media: &str| -> serde_json::Value {
        let schema = &doc["paths"][path]["post"]["requestBody"]["content"][media]["schema"];
        let name = schema["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
        doc["components"]["schemas"][name]["properties"].clone()
    };
    assert!(body(&api, "/api/register", "application/json")["email"].is_object());
    assert!(body(&api, "/api/me/passkeys", "application/json")["credential"].is_object());
    let oauth2 = document(server, "oauth2").await;
    let form = "application/x-www-form-urlencoded";
    assert!(body(&oauth2, "/oauth2/token", form)["grant_type"].is_object());
    assert!(body(&oauth2, "/oauth2/introspect", form)["token"].is_object());

    // The limits the services hold bodies to.
    let schemas = &document(server, "mgmt").await["components"]["schemas"];
    let settings = &schemas["TenantSettings"]["properties"];
    assert_eq!(
        settings["remember_login_seconds"]["maximum"],
        portcullis_core::settings::MAX_REMEMBER_SECONDS
    );
    assert_eq!(
        schemas["MetadataInput"]["maxProperties"],
        portcullis_core::metadata::MAX_KEYS
    );
    // What a body cannot do without is required in its schema.
    for (schema, field) in [
        ("TenantBody", "name"),
        ("ApplicationBody", "name"),
        ("UserInput", "profile"),
        ("UserProfileInput", "email"),
    ] {
        let required = schemas[schema]["required"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            required.contains(&serde_json::json!(field)),
            "{schema}: {required:?}"
        );
    }

    // An unknown tenant (or user) in a path is 404, and documented so.
    let mgmt = document(server, "mgmt").await;
    assert!(mgmt["paths"]["/v1/tenants/{tenant_id}/users"]["post"]["responses"]["404"].is_object());
    let key = crate::mgmt::api_key(server, None).await;
    let answer = server
        .request(reqwest::Method::POST, "/v1/tenants/0/users")
        .bearer_auth(&key)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);

    // The account API's bodies say the limits the services hold them to.
    let schemas = &api["components"]["schemas"];
    assert_eq!(
        schemas["NewScopeBody"]["properties"]["name"]["maxLength"],
        portcullis_core::scopes::NAME_MAX
    );
    assert_eq!(
        schemas["NewScopeBody"]["properties"]["description"]["maxLength"],
        portcullis_core::scopes::DESCRIPTION_MAX
    );
    assert_eq!(
        schemas["NewTokenBody"]["properties"]["name"]["maxLength"],
        portcullis_core::personal_tokens::NAME_MAX
    );
}

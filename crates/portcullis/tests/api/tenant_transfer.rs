//! `tenant export` and `tenant import`: a tenant moved to another server keeps its users'
//! passwords and authenticator apps, its applications' secrets, its roles and its ids, and
//! none of its tokens; imported beside itself, every id that is taken is changed and every
//! reference follows.

use crate::harness::{backends, TestServer, PASSWORD};
use crate::mgmt_tenants::on_host;
use crate::two_factor::{app_code, enable_totp};
use portcullis_core::tenant_transfer::{ImportAs, TenantExport};
use reqwest::Method;
use serde_json::{json, Value};

/// What the source tenant holds, to look for after the move.
struct Source {
    secret: String,
    app_id: String,
    app_secret: String,
    uid: String,
    token: String,
}

/// The object an answer holds, alone or as a list of one.
fn one(answer: Value) -> Value {
    match answer {
        Value::Array(mut items) => items.remove(0),
        other => other,
    }
}

async fn furnish(server: &mut TestServer) -> Source {
    server
        .set_settings(|s| {
            s.two_factor_enabled = true;
            s.max_sessions = 0;
            s.developer_mode = true;
        })
        .await;
    let admin = server.signed_in("boss", "Admin").await;
    let (status, permission) = server
        .send(
            Method::POST,
            "/api/permissions",
            &admin,
            json!({ "name": "ship-crates" }),
        )
        .await;
    assert_eq!(status, 200, "{permission}");
    let permission = one(permission);
    let (status, role) = server
        .send(
            Method::POST,
            "/api/roles",
            &admin,
            json!({ "name": "shipper" }),
        )
        .await;
    assert_eq!(status, 200, "{role}");
    let role = one(role);
    let path = format!("/api/roles/{}/permissions", role["id"]);
    let (status, body) = server
        .send(
            Method::PUT,
            &path,
            &admin,
            json!({ "permissions": [permission["id"]] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // A user with an authenticator app.
    let token = server.signed_in("mover", "User").await;
    let secret = enable_totp(server, "mover").await;

    let key = crate::mgmt::api_key(server, None).await;
    let path = format!("/v1/tenants/{}/applications", server.tenant.id.0);
    let body = json!({ "name": "backup", "redirect_urls": ["https://backup.example/cb"] });
    let (status, app) = server.send(Method::POST, &path, &key, body).await;
    assert!(status == 200 || status == 201, "{app}");
    let (_, users) = server
        .get(
            &format!("/v1/tenants/{}/users?limit=100", server.tenant.id.0),
            &key,
        )
        .await;
    let uid = users["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["profile"]["email"] == "mover@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Source {
        secret,
        app_id: app["id"].as_str().unwrap().to_owned(),
        app_secret: app["secret"].as_str().unwrap().to_owned(),
        uid,
        token,
    }
}

/// The file as `tenant export` writes it and `tenant import` reads it.
async fn exported(server: &TestServer) -> TenantExport {
    let export = server
        .app
        .services
        .export_tenant(&server.tenant)
        .await
        .unwrap();
    let file = serde_json::to_string(&export).unwrap();
    assert!(
        !file.contains("sealed:v1:"),
        "secrets travel opened, for the new server's key"
    );
    serde_json::from_str(&file).unwrap()
}

/// Imports `export` on `server` as `name` on `domain` (none: the file's); what came of it.
async fn import(
    server: &TestServer,
    export: TenantExport,
    name: &str,
    domain: Option<&str>,
) -> Result<portcullis_core::tenant_transfer::Imported, String> {
    let import_as = ImportAs {
        name: Some(name.to_owned()),
        domain: domain.map(|d| Some(d.to_owned())),
    };
    server
        .app
        .services
        .import_tenant(export, import_as, &|| {})
        .await
        .map_err(|e| e.to_string())
}

/// Signs `mover` in on `host` with password and authenticator app (the last code taken moved
/// with the seed): the token.
async fn sign_in_with_app(server: &TestServer, host: &str, secret: &str) -> String {
    // A code is taken once: the next sign-in waits for the next one, as a person would.
    server.clock.advance(time::Duration::seconds(30));
    let login = json!({ "username": "mover", "password": PASSWORD });
    let (status, body) = on_host(server, host, Method::POST, "/api/login", None, Some(login)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["requires_2fa"], true, "{body}");
    let answer = json!({ "challenge": body["challenge"], "code": app_code(server, secret, 0) });
    let (status, body) = on_host(
        server,
        host,
        Method::POST,
        "/api/login/2fa",
        None,
        Some(answer),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn client_credentials(server: &TestServer, host: &str, id: &str, secret: &str) -> u16 {
    server
        .request(Method::POST, "/oauth2/token")
        .header(reqwest::header::HOST, host)
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn roles_of(server: &TestServer, host: &str, token: &str) -> Vec<Value> {
    let (status, roles) = on_host(server, host, Method::GET, "/api/roles", Some(token), None).await;
    assert_eq!(status, 200, "{roles}");
    roles
        .as_array()
        .cloned()
        .unwrap_or_else(|| roles["data"].as_array().unwrap().clone())
}

#[tokio::test]
async fn a_tenant_moves_to_another_server_with_its_secrets_and_ids_and_no_tokens() {
    for backend in backends() {
        let mut source = TestServer::start(&backend).await;
        let what = furnish(&mut source).await;
        let export = exported(&source).await;
        let rows = export.row_count();

        let target = TestServer::start(&backend).await;
        let counted = std::sync::atomic::AtomicU64::new(0);
        let imported = target
            .app
            .services
            .import_tenant(
                export,
                ImportAs {
                    name: Some("moved".to_owned()),
                    domain: Some(Some("moved.test".to_owned())),
                },
                &|| {
                    counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                },
            )
            .await
            .unwrap();
        assert_eq!(counted.into_inner(), rows, "progress for every row");
        // A fresh server: its default tenant's built-in roles and permissions hold the first
        // ids, and only those changed; the users', applications' and tenant's ids were kept.
        assert!(!imported.changed.is_empty());
        assert!(
            imported
                .changed
                .iter()
                .all(|c| c.starts_with("roles.id") || c.starts_with("permissions.id")),
            "[{}] {:?}",
            target.backend_name,
            imported.changed
        );
        assert_eq!(imported.tenant, source.tenant.id);
        // The operator is told what the file turns on.
        assert!(
            imported
                .loosened
                .iter()
                .any(|s| s.starts_with("developer_mode")),
            "{:?}",
            imported.loosened
        );

        let host = "moved.test";
        // The password hash and the authenticator seed came along, the seed sealed anew.
        let token = sign_in_with_app(&target, host, &what.secret).await;
        // The application's client id and secret work there.
        assert_eq!(
            client_credentials(&target, host, &what.app_id, &what.app_secret).await,
            200
        );
        // No token moved.
        let (status, _) = on_host(
            &target,
            host,
            Method::GET,
            "/api/me",
            Some(&what.token),
            None,
        )
        .await;
        assert_eq!(status, 401);
        // The user's public id is the same, and the custom role with its permission.
        let key = crate::mgmt::api_key(&target, None).await;
        let path = format!("/v1/tenants/{}/users/{}", imported.tenant.0, what.uid);
        let (status, user) = target.get(&path, &key).await;
        assert_eq!(status, 200, "{user}");
        let admin = sign_in_as(&target, host, "boss").await;
        let roles = roles_of(&target, host, &admin).await;
        assert!(roles.iter().any(|r| r["name"] == "shipper"), "{roles:?}");
        let (_, me) = on_host(&target, host, Method::GET, "/api/me", Some(&token), None).await;
        assert_eq!(me["username"], "mover", "{me}");
        target.create_user("newcomer", "User").await;

        // The same file again, beside itself on the source: the name is taken ...
        let export = exported(&source).await;
        let refused = source
            .app
            .services
            .import_tenant(export, ImportAs::default(), &|| {})
            .await;
        assert!(refused.unwrap_err().to_string().contains("--name"));
        // ... and under another name and domain, every taken id changes and references follow.
        let export = exported(&source).await;
        let twin = import(&source, export, "twin", Some("twin.test"))
            .await
            .unwrap();
        assert_ne!(twin.tenant, source.tenant.id);
        for changed in [
            "tenants.id",
            "users.id",
            "users.uid",
            "roles.id",
            "applications.id",
        ] {
            assert!(
                twin.changed.iter().any(|c| c.starts_with(changed)),
                "{changed}: {:?}",
                twin.changed
            );
        }
        let token = sign_in_with_app(&source, "twin.test", &what.secret).await;
        let (_, me) = on_host(
            &source,
            "twin.test",
            Method::GET,
            "/api/me",
            Some(&token),
            None,
        )
        .await;
        assert_eq!(me["username"], "mover", "{me}");
        let admin = sign_in_as(&source, "twin.test", "boss").await;
        assert!(roles_of(&source, "twin.test", &admin)
            .await
            .iter()
            .any(|r| r["name"] == "shipper"));
        // Ids written by hand did not leave the database's own counters behind.
        source.create_user("after", "User").await;
        // The original is untouched.
        sign_in_with_app(&source, "portcullis.test", &what.secret).await;
        source.stop().await;
        target.stop().await;
    }
}

async fn sign_in_as(server: &TestServer, host: &str, username: &str) -> String {
    let login = json!({ "username": username, "password": PASSWORD });
    let (status, body) = on_host(server, host, Method::POST, "/api/login", None, Some(login)).await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_file_that_is_not_an_export_changes_nothing() {
    let server = TestServer::start(&crate::harness::Backend::Sqlite).await;
    let mut export = exported(&server).await;
    export.version = 99;
    let refused = import(&server, export, "x", None).await.unwrap_err();
    assert!(refused.contains("version"), "{refused}");
    // A column this release does not know: refused before anything is written.
    let mut export = exported(&server).await;
    export.tables[0].rows[0].insert("surprise".to_owned(), json!(1));
    let refused = import(&server, export, "x", None).await.unwrap_err();
    assert!(refused.contains("surprise"), "{refused}");
    assert!(server.app.services.tenant_named("x").await.is_err());
    server.stop().await;
}

/// Every column of every exported table moves, and every table with a tenant's or a user's
/// rows is exported or named as left behind: a migration that adds either fails here until
/// the export knows it.
#[tokio::test]
async fn the_export_knows_every_column_and_table_of_the_schema() {
    for backend in backends() {
        let server = TestServer::start(&backend).await;
        let pool = server.inspect().await;
        let sql = if server.backend_name == "sqlite" {
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table'"
        } else {
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) \
             FROM information_schema.columns WHERE table_schema = current_schema()"
        };
        let columns: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        let of = |table: &str| -> std::collections::BTreeSet<String> {
            columns
                .iter()
                .filter(|(t, _)| t == table)
                .map(|(_, c)| c.clone())
                .collect()
        };
        let exported = portcullis_store::exported_columns();
        for (table, listed) in &exported {
            let listed: std::collections::BTreeSet<String> =
                listed.iter().map(|c| c.to_string()).collect();
            assert_eq!(listed, of(table), "[{}] {table}", server.backend_name);
        }
        let tables: std::collections::BTreeSet<&String> = columns
            .iter()
            .filter(|(_, c)| c == "tenant_id" || c == "user_id")
            .map(|(t, _)| t)
            .collect();
        for table in tables {
            assert!(
                exported.iter().any(|(t, _)| t == table)
                    || portcullis_store::LEFT_BEHIND.contains(&table.as_str()),
                "[{}] {table} holds a tenant's rows: export it or leave it behind, and say why",
                server.backend_name
            );
        }
        pool.close().await;
        server.stop().await;
    }
}

/// A file someone else made must not reach into this server's other tenants: every reference
/// names a row of the file, and the server's own host stays the default tenant's.
#[tokio::test]
async fn a_crafted_file_cannot_reach_another_tenant_or_the_servers_host() {
    for backend in backends() {
        let mut server = TestServer::start(&backend).await;
        furnish(&mut server).await;
        let file = serde_json::to_string(&exported(&server).await).unwrap();
        // Made after the export, so in no file: another tenant's rows, as far as it knows.
        let victim = server.create_user("victim", "User").await;
        let admin = server.signed_in("later", "Admin").await;
        let (status, permission) = server
            .send(
                Method::POST,
                "/api/permissions",
                &admin,
                json!({ "name": "later" }),
            )
            .await;
        assert_eq!(status, 200, "{permission}");
        let permission = one(permission)["id"].clone();
        let crafted = [
            // A role of the file given a permission that is not the file's.
            ("permission_role", "permission_id", permission),
            // A password, recovery codes, a social link for a user who is not the file's.
            ("credentials", "user_id", json!(victim.id.0)),
            ("recovery_codes", "user_id", json!(victim.id.0)),
            ("social_identities", "user_id", json!(victim.id.0)),
        ];
        for (table, column, value) in crafted {
            let mut export: TenantExport = serde_json::from_str(&file).unwrap();
            let rows = &mut export
                .tables
                .iter_mut()
                .find(|t| t.table == table)
                .unwrap()
                .rows;
            let mut row = rows.first().cloned().unwrap_or_else(|| {
                // A table the tenant left empty gets a row shaped like the schema's.
                let mut row = serde_json::Map::new();
                row.insert("tenant_id".to_owned(), json!("x"));
                row.insert("network".to_owned(), json!("github"));
                row.insert("subject".to_owned(), json!("attacker"));
                row.insert("created_at".to_owned(), json!(0));
                row
            });
            row.insert(column.to_owned(), value);
            rows.push(row);
            let refused = import(&server, export, "twin", Some("twin.test"))
                .await
                .unwrap_err();
            assert!(
                refused.contains("names no row of the file"),
                "{table}: {refused}"
            );
        }
        // Nothing was written by any of them.
        assert!(server.app.services.tenant_named("twin").await.is_err());

        // The server's own host is the default tenant's.
        let export = exported(&server).await;
        let refused = import(&server, export, "twin", Some("Portcullis.TEST."))
            .await
            .unwrap_err();
        assert!(refused.contains("own host"), "{refused}");

        // The settings' domain is the one chosen, never the file's.
        let export = exported(&server).await;
        let imported = import(&server, export, "twin", Some("Twin.Test."))
            .await
            .unwrap();
        let twin = server.app.services.tenant_named("twin").await.unwrap();
        assert_eq!(twin.id, imported.tenant);
        assert_eq!(twin.settings.domain.as_deref(), Some("twin.test"));
        server.stop().await;
    }
}

/// Which ids are taken is asked in batches, more values than one query may carry, and a
/// tenant's name or domain is taken whatever its case.
#[tokio::test]
async fn taken_values_are_found_in_batches_and_names_without_regard_to_case() {
    use portcullis_core::store::TransferStore;
    for backend in backends() {
        let server = TestServer::start(&backend).await;
        let users = [
            server.create_user("first", "User").await,
            server.create_user("second", "User").await,
        ];
        let ids: Vec<Value> = (1..=1_200).map(Value::from).collect();
        let store = &server.app.store;
        let taken = store.values_taken("users", "id", &ids).await.unwrap();
        let expected: Vec<Value> = users.iter().map(|u| json!(u.id.0)).collect();
        assert_eq!(taken, expected, "[{}]", server.backend_name);
        let names = [json!("DEFAULT"), json!("nobody-here"), Value::Null];
        let taken = store.values_taken("tenants", "name", &names).await.unwrap();
        assert_eq!(taken, vec![json!("DEFAULT")], "[{}]", server.backend_name);
        server.stop().await;
    }
}

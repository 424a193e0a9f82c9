//! What a login leaves in the database: hashed secrets, sessions, activity, upgraded hashes.

use crate::harness::each_backend;
use portcullis_core::model::PasswordHash;
use portcullis_core::store::UserStore;
use sqlx::Row;
use time::Duration;

#[tokio::test]
async fn token_secrets_are_stored_only_as_hashes() {
    each_backend!(|server| {
        let token = server.signed_in("sec", "User").await;
        let (id, secret) = token.split_once('|').unwrap();
        let db = server.inspect().await;
        let row = sqlx::query("SELECT secret_hash FROM tokens WHERE id = $1")
            .bind(id.parse::<i64>().unwrap())
            .fetch_one(&db)
            .await
            .unwrap();
        let stored: String = row.get(0);
        assert_eq!(stored, portcullis_core::tokens::hash_secret(secret));
        assert!(!stored.contains(secret));
        db.close().await;
        if server.backend_name == "sqlite" {
            // Nothing in the files on disk holds the secret, WAL included.
            for entry in std::fs::read_dir(server.data_dir.path()).unwrap() {
                let bytes = std::fs::read(entry.unwrap().path()).unwrap();
                assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
            }
        }
    });
}

#[tokio::test]
async fn login_and_logout_write_sessions_and_activity() {
    each_backend!(|server| {
        server.create_user("audit", "User").await;
        let response = server
            .request(reqwest::Method::POST, "/api/login")
            .header("user-agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.90 Safari/537.36")
            .json(&serde_json::json!({ "username": "audit", "password": crate::harness::PASSWORD }))
            .send()
            .await
            .unwrap();
        let token = crate::harness::json(response).await.1["token"]
            .as_str()
            .unwrap()
            .to_owned();
        server
            .request(reqwest::Method::POST, "/api/logout")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();

        let db = server.inspect().await;
        let rows =
            sqlx::query("SELECT description, ip_address, user_agent FROM activities ORDER BY id")
                .fetch_all(&db)
                .await
                .unwrap();
        let described: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
        assert_eq!(described, ["Logged in.", "Logged out."]);
        assert_eq!(rows[0].get::<String, _>(1), "127.0.0.1");
        assert!(rows[0].get::<String, _>(2).contains("Chrome/60"));

        let session = sqlx::query("SELECT id, browser, platform, device, ended_at FROM sessions")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(session.get::<String, _>(0).len(), 40);
        assert_eq!(session.get::<String, _>(1), "Chrome");
        assert_eq!(session.get::<String, _>(2), "Mac OSX");
        assert_eq!(session.get::<String, _>(3), "Macintosh");
        assert!(
            session.get::<Option<i64>, _>(4).is_some(),
            "logout ends the session"
        );
        db.close().await;
    });
}

#[tokio::test]
async fn last_activity_is_written_at_most_once_a_minute() {
    each_backend!(|server| {
        let token = server.signed_in("busy", "User").await;
        let db = server.inspect().await;
        let last_activity = || async {
            sqlx::query("SELECT last_activity FROM sessions")
                .fetch_one(&db)
                .await
                .unwrap()
                .get::<i64, _>(0)
        };
        let at_login = last_activity().await;
        server.clock.advance(Duration::seconds(30));
        assert_eq!(server.get("/api/me", &token).await.0, 200);
        assert_eq!(
            last_activity().await,
            at_login,
            "written again within a minute"
        );
        server.clock.advance(Duration::seconds(31));
        assert_eq!(server.get("/api/me", &token).await.0, 200);
        let touched = last_activity().await;
        assert_eq!(
            touched - at_login,
            Duration::seconds(61).whole_nanoseconds() as i64
        );
        db.close().await;
    });
}

#[tokio::test]
async fn outdated_password_hashes_are_upgraded_on_login() {
    each_backend!(|server| {
        let user = server.create_user("legacy", "User").await;
        let old = bcrypt_hash_with_cost(5);
        let store = server.app.store.clone();
        store
            .replace_password_hash(user.id, &old, server.clock_now())
            .await
            .unwrap();
        server.login("legacy").await;
        let upgraded = store.password_credential(user.id).await.unwrap().unwrap();
        assert!(
            upgraded.hash.hash.starts_with("$2b$04$"),
            "{:?}",
            upgraded.hash
        );
        // The upgraded hash still verifies.
        server.login("legacy").await;
    });
}

fn bcrypt_hash_with_cost(cost: u32) -> PasswordHash {
    let policy = portcullis_core::password::Policy::Bcrypt { cost };
    // `$2y$` as PHP writes it, to show imported prefixes verify.
    let hash = policy.hash(crate::harness::PASSWORD).unwrap();
    PasswordHash {
        alg: hash.alg,
        hash: hash.hash.replacen("$2b$", "$2y$", 1),
    }
}

#[tokio::test]
async fn seeding_is_complete_and_idempotent_across_restarts() {
    each_backend!(|server| {
        // A second node (or a restart) on the same database migrates and seeds again.
        let config = server.same_database();
        let clock = std::sync::Arc::new(portcullis_core::SystemClock);
        let again = portcullis::App::build(&config, clock)
            .await
            .expect("second start");
        let tenant = again.services.default_tenant().await.unwrap();
        assert_eq!(tenant.id, server.tenant.id, "one default tenant");

        let db = server.inspect().await;
        let count = |sql: &'static str| {
            let db = db.clone();
            async move {
                sqlx::query(sql)
                    .fetch_one(&db)
                    .await
                    .unwrap()
                    .get::<i64, _>(0)
            }
        };
        assert_eq!(count("SELECT COUNT(*) FROM tenants").await, 1);
        assert_eq!(count("SELECT COUNT(*) FROM countries").await, 249);
        assert_eq!(count("SELECT COUNT(*) FROM roles").await, 2);
        assert_eq!(count("SELECT COUNT(*) FROM permissions").await, 7);
        db.close().await;

        use portcullis_core::store::RbacStore;
        let store = &again.store;
        let admin = store
            .role_by_name(&tenant.id, "Admin")
            .await
            .unwrap()
            .expect("Admin");
        let user = store
            .role_by_name(&tenant.id, "User")
            .await
            .unwrap()
            .expect("User");
        assert!(!admin.removable);
        let granted: Vec<String> = store
            .role_permissions(admin.id)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        let builtin: Vec<&str> = portcullis_core::rbac::BUILTIN_PERMISSIONS
            .iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(granted, builtin);
        assert!(store.role_permissions(user.id).await.unwrap().is_empty());
        again.store.close().await;
    });
}

/// A lost race on a unique field reads as the same conflict on both backends: the store names
/// the constraint, whether PostgreSQL gave its name or SQLite its columns.
#[tokio::test]
async fn unique_conflicts_name_their_constraint_on_every_backend() {
    use portcullis_core::model::{NewUser, Tenant};
    use portcullis_core::store::{RbacStore, TenantStore};
    use portcullis_core::{Constraint, StoreError, TenantId};
    fn conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> Constraint {
        match result {
            Err(StoreError::Conflict(constraint)) => constraint,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
    each_backend!(|server| {
        let store = &server.app.store;

        let mut first = Tenant {
            id: TenantId("conflictsfirst01".into()),
            name: "conflicts".into(),
            ..server.tenant.clone()
        };
        first.settings.domain = Some("conflicts.example.test".into());
        store.create_tenant(&first).await.unwrap();
        let mut same_name = Tenant {
            id: TenantId("conflictsnamed02".into()),
            ..first.clone()
        };
        same_name.settings.domain = None;
        let mut same_domain = Tenant {
            id: TenantId("conflictshost003".into()),
            name: "conflicts-too".into(),
            ..first.clone()
        };
        same_domain.settings.domain = first.settings.domain.clone();
        assert_eq!(
            conflict(store.create_tenant(&same_name).await),
            Constraint::TenantName
        );
        assert_eq!(
            conflict(store.create_tenant(&same_domain).await),
            Constraint::TenantDomain
        );

        let role = store
            .role_by_name(&server.tenant.id, "User")
            .await
            .unwrap()
            .unwrap();
        let now = server.clock_now();
        let user = |uid: &str, email: &str, username: &str| NewUser {
            uid: uid.into(),
            tenant_id: server.tenant.id.clone(),
            username: Some(username.into()),
            email: email.into(),
            first_name: None,
            last_name: None,
            role_id: role.id,
            email_verified_at: Some(now),
            created_at: now,
        };
        let hash = bcrypt_hash_with_cost(4);
        store
            .create_user(&user("uidconflict1", "race@example.test", "racer"), &hash)
            .await
            .unwrap();
        // Unique ignoring case, as logins are.
        let email_again = user("uidconflict2", "RACE@example.test", "other");
        let username_again = user("uidconflict3", "other@example.test", "RACER");
        assert_eq!(
            conflict(store.create_user(&email_again, &hash).await),
            Constraint::UserEmail
        );
        assert_eq!(
            conflict(store.create_user(&username_again, &hash).await),
            Constraint::UserUsername
        );
    });
}

#[tokio::test]
async fn a_release_older_than_the_schema_refuses_to_start_and_names_both_versions() {
    each_backend!(|server| {
        let db = server.inspect().await;
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from a newer release', TRUE, $1, 0)",
        )
        .bind(vec![0u8; 48])
        .execute(&db)
        .await
        .unwrap();
        let config = server.same_database();
        let clock = std::sync::Arc::new(portcullis_core::SystemClock);
        let refused = portcullis::App::build(&config, clock)
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(
            refused.contains("version 9999") && refused.contains("newer than this release"),
            "{refused}"
        );
        db.close().await;
    });
}

//! `GET /api/users?search=` over a million users on SQLite: the users are written straight
//! into the database in large batches (the search index's triggers still run), then searched
//! over HTTP with an administrator's token.

use crate::http::Http;
use crate::server::Server;
use crate::BoxError;
use portcullis_core::accounts::CreateUser;
use portcullis_core::Secret;
use std::time::{Duration, Instant};

const ADMIN: &str = "bench-admin";
const BATCH: i64 = 100_000;
const FIRST_NAMES: &[&str] = &[
    "Amara", "Bogdan", "Chen", "Dalia", "Emeka", "Freya", "Goran", "Hana", "Ivan", "Jelena",
    "Kofi", "Lucia", "Marko", "Nadia", "Oscar", "Petra", "Quinn", "Rosa", "Sven", "Tamar",
];
const LAST_NAMES: &[&str] = &[
    "Okafor",
    "Petrovic",
    "Nakamura",
    "Schmidt",
    "Haddad",
    "Silva",
    "Kowalski",
    "Jensen",
    "Moreau",
    "Novak",
    "Rossi",
    "Santos",
    "Ivanova",
    "Lindqvist",
    "Mensah",
    "Kaur",
    "Horvat",
];

pub struct SearchFigures {
    pub users: i64,
    pub seed: Duration,
    /// Searches for one person: part of a username or an email address.
    pub specific: Vec<Duration>,
    /// Searches that match tens of thousands of users (a common last name).
    pub broad: Vec<Duration>,
    /// The console's users page (`/admin/users`) as opened: the first pages.
    pub console: Vec<Duration>,
    /// The same, deep in the list (the last pages).
    pub console_deep: Vec<Duration>,
    /// The same, searching for one person.
    pub console_search: Vec<Duration>,
}

fn median(times: &mut [Duration]) -> f64 {
    times.sort_unstable();
    times
        .get(times.len() / 2)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

impl SearchFigures {
    pub fn report(mut self) {
        println!("users_search_users {}", self.users);
        println!("users_search_seed_s {:.1} s", self.seed.as_secs_f64());
        println!(
            "users_search_median_ms {:.2} ms",
            median(&mut self.specific)
        );
        println!(
            "users_search_broad_median_ms {:.2} ms",
            median(&mut self.broad)
        );
        println!("admin_users_page_ms {:.2} ms", median(&mut self.console));
        println!(
            "admin_users_deep_page_ms {:.2} ms",
            median(&mut self.console_deep)
        );
        println!(
            "admin_users_search_page_ms {:.2} ms",
            median(&mut self.console_search)
        );
    }
}

/// Seeds `users` users and times the searches.
pub async fn measure(users: i64) -> Result<SearchFigures, BoxError> {
    let server = Server::start(|_| {}).await?;
    let tenant = server.app.services.ensure_defaults().await?;
    server
        .app
        .services
        .create_user(
            &tenant,
            CreateUser {
                username: Some(ADMIN.into()),
                email: "bench-admin@example.com".into(),
                password: Secret::new(crate::server::PASSWORD),
                role: "Admin".into(),
                first_name: None,
                last_name: None,
            },
        )
        .await?;
    let started = Instant::now();
    seed(&server, tenant.id.as_str(), users).await?;
    let seed = started.elapsed();

    let http = Http::new(server.addr);
    let body = serde_json::json!({ "username": ADMIN, "password": crate::server::PASSWORD });
    let token = crate::login(&http, body.to_string().into()).await?;
    let mut specific = Vec::new();
    let mut broad = Vec::new();
    for round in 0..40i64 {
        let n = (round * 24_677 + 5_003) % users;
        let term = match round % 4 {
            0 => format!("user{n}"),
            1 => format!("user{n}@example"),
            2 => format!("{n}@exa"),
            _ => format!("USER{n}"),
        };
        specific.push(time_search(&http, &token, &term, true).await?);
    }
    for name in LAST_NAMES.iter().take(10) {
        broad.push(time_search(&http, &token, &name.to_lowercase(), false).await?);
    }
    let cookie = format!("portcullis_session={token}");
    let (mut console, mut console_deep, mut console_search) = (vec![], vec![], vec![]);
    for round in 0..30i64 {
        let (path, times) = match round % 3 {
            0 => (format!("/admin/users?page={}", round / 3 + 1), &mut console),
            1 => (
                format!("/admin/users?page={}", users / 25 - round),
                &mut console_deep,
            ),
            _ => (
                format!("/admin/users?search=user{}", (round * 31_337) % users),
                &mut console_search,
            ),
        };
        let started = Instant::now();
        let page = http.page(&path, &cookie).await?;
        times.push(started.elapsed());
        if !page.windows(13).any(|w| w == b"user(s) found") {
            return Err(format!("{path} is no users page").into());
        }
    }
    drop(http);
    server.stop().await;
    Ok(SearchFigures {
        users,
        seed,
        specific,
        broad,
        console,
        console_deep,
        console_search,
    })
}

async fn time_search(
    http: &Http,
    token: &str,
    term: &str,
    expect_some: bool,
) -> Result<Duration, BoxError> {
    let started = Instant::now();
    let answer = http
        .get(&format!("/api/users?search={term}"), Some(token))
        .await?;
    let elapsed = started.elapsed();
    let json: serde_json::Value = serde_json::from_slice(&answer)?;
    let total = json["meta"]["total"].as_i64().unwrap_or(0);
    if expect_some && total == 0 {
        return Err(format!("searching {term:?} found nobody: {json}").into());
    }
    Ok(elapsed)
}

/// Writes the users straight into the SQLite file, one statement per batch.
async fn seed(server: &Server, tenant: &str, users: i64) -> Result<(), BoxError> {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
    let url = server.config.database_url();
    let options: SqliteConnectOptions = url.parse()?;
    let pool = SqlitePool::connect_with(options.busy_timeout(Duration::from_secs(30))).await?;
    let role: i64 =
        sqlx::query_scalar("SELECT id FROM roles WHERE tenant_id = $1 AND name = 'User'")
            .bind(tenant)
            .fetch_one(&pool)
            .await?;
    let names = |list: &[&str]| {
        list.iter()
            .enumerate()
            .map(|(i, name)| format!("WHEN {i} THEN '{name}'"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n WHERE i < $2) \
         INSERT INTO users (uid, tenant_id, username, email, first_name, last_name, role_id, \
         email_verified_at, created_at, updated_at) \
         SELECT 'seed' || i, $3, 'user' || i, 'user' || i || '@example.com', \
         CASE i % {} {} END, CASE i % {} {} END, $4, $5, $5, $5 FROM n",
        FIRST_NAMES.len(),
        names(FIRST_NAMES),
        LAST_NAMES.len(),
        names(LAST_NAMES),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos() as i64;
    let mut from = 0;
    while from < users {
        let to = (from + BATCH).min(users) - 1;
        sqlx::query(&sql)
            .bind(from)
            .bind(to)
            .bind(tenant)
            .bind(role)
            .bind(now)
            .execute(&pool)
            .await?;
        from = to + 1;
    }
    sqlx::query("ANALYZE").execute(&pool).await?;
    pool.close().await;
    Ok(())
}

//! Measures Portcullis's throughput against two limits: the bare HTTP stack (a route that does
//! nothing, behind the same layers) and the password-hash pool (which bounds logins).
//!
//! `cargo run --release -p portcullis-bench`; `BENCH_SECONDS` (default 3) sets each figure's
//! window and `BENCH_CONCURRENCY` (default 32) the number of concurrent keep-alive clients.
//! Prints one `name value unit` line per figure. Also starts the server as its own process to
//! time its start (`ready_ms`) and weigh it idle (`idle_rss_mb`), and searches a million users
//! (`users_search_median_ms`, and the console's users page as `admin_users_page_ms`;
//! `BENCH_USERS` sets how many, 0 skips it). `introspect_rps` is
//! `POST /oauth2/introspect` as a resource server calls it: an API key asking about a live token.
//! `code_flow_rs256_rps` and `code_flow_eddsa_rps` are OpenID Connect's authorization code flow
//! as a relying party runs it for a signed-in browser, in flows per second (two requests each:
//! `GET /oauth2/authorize` with the session cookie, then `POST /oauth2/token` with the code and
//! PKCE verifier for an ID token), for an application signing with RS256 and one with EdDSA (see
//! `oidc.rs`). `discovery_rps` and `jwks_rps` fetch the provider's metadata and key set, each
//! also as a ratio to `me_rps` (`discovery_vs_me`, `jwks_vs_me`). `wal_bytes_per_flow` is the SQLite
//! write-ahead log one code flow writes (see `oidc.rs`). `client_credentials_rps` is
//! `POST /oauth2/token` with `grant_type=client_credentials` for an application whose JWT access
//! tokens are signed with EdDSA, `client_credentials_rs256_rps` for one signing with RS256. Last, `import_sha256_users_per_s` against `bcrypt_pool_rate` (see `import.rs`;
//! `BENCH_IMPORT_USERS`, default 10,000, 0 skips it; `BENCH_IMPORT_ONLY=1` runs only it).

mod http;
mod import;
mod load;
mod oidc;
mod process;
mod search;
mod server;

use bytes::Bytes;
use http::Http;
use load::{Outcome, Plan};
use portcullis_core::Secret;
use server::Server;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.split_first() {
        Some((flag, rest)) if flag == process::CHILD_FLAG => process::serve_child(rest).await,
        _ => bench().await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn bench() -> Result<(), BoxError> {
    let import_users = env_import_users()?;
    if env_value("BENCH_IMPORT_ONLY")?.is_some_and(|v| v == "1") {
        return import::measure(import_users).await;
    }
    let window = env_seconds()?;
    let plan = Plan {
        concurrency: env_concurrency()?,
        warmup: window.min(Duration::from_millis(500)),
        window,
    };
    let startup = process::measure_startup().await?;
    println!("ready_ms {:.1} ms", startup.ready.as_secs_f64() * 1000.0);
    println!(
        "idle_rss_mb {:.1} MiB",
        startup.idle_rss_kib as f64 / 1024.0
    );

    let server = Server::start(|_| {}).await?;
    let http = Http::new(server.addr);
    let login_body = Bytes::from(
        serde_json::json!({ "username": server::USERNAME, "password": server::PASSWORD })
            .to_string(),
    );
    let token = login(&http, login_body.clone()).await?;

    let ceiling = load::run("ceiling", plan, {
        let http = http.clone();
        move || {
            let http = http.clone();
            async move { http.get(server::CEILING_PATH, None).await.map(drop) }
        }
    })
    .await?;
    report_http("ceiling", &ceiling);

    let me = measure_me("me", plan, &http, token.clone()).await?;
    // The provider's published documents, as relying parties fetch them: per-tenant
    // constants that issue 30 wants within 0.8× of `/api/me`.
    let discovery = measure_document(
        "discovery",
        plan,
        &http,
        "/.well-known/openid-configuration",
    )
    .await?;
    let jwks = measure_document("jwks", plan, &http, "/oauth2/jwks").await?;
    let introspect = measure_introspect(plan, &server, &http, &token).await?;
    let flows = oidc::measure(plan, &server, &http, &token).await?;
    let machine_tokens =
        oidc::measure_client_credentials("client_credentials", "EdDSA", plan, &server, &http)
            .await?;
    let machine_tokens_rs256 =
        oidc::measure_client_credentials("client_credentials_rs256", "RS256", plan, &server, &http)
            .await?;

    let logins = load::run("login", plan, {
        let http = http.clone();
        let login_body = login_body.clone();
        move || {
            let (http, body) = (http.clone(), login_body.clone());
            async move { http.post_json("/api/login", body).await.map(drop) }
        }
    })
    .await?;
    report_http("login", &logins);

    let hasher = server.app.services.hasher().clone();
    let hash_plan = Plan {
        concurrency: hasher.workers() * 4,
        ..plan
    };
    let hashes = load::run("hash", hash_plan, move || {
        let hasher = hasher.clone();
        async move {
            let secret = Secret::new("bench-hash-password");
            hasher
                .hash(&secret)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    })
    .await?;
    println!("hash_rate {:.1} hash/s", hashes.rate());
    println!("hash_errors {}", hashes.errors);

    // The same endpoint with the per-node token-lookup cache off: every request reads the
    // database.
    let uncached = measure_me_on("me_uncached", plan, &login_body, |config| {
        config.auth_cache_seconds = Some(0);
    })
    .await?;
    // And with metrics off, so the metrics layer's cost shows against `me_rps`.
    let unmetered = measure_me_on("me_no_metrics", plan, &login_body, |config| {
        config.metrics = false;
    })
    .await?;

    println!(
        "me_uncached_vs_ceiling {:.3}",
        uncached.rate() / ceiling.rate()
    );
    println!("me_vs_ceiling {:.3}", me.rate() / ceiling.rate());
    println!("discovery_vs_me {:.3}", discovery.rate() / me.rate());
    println!("jwks_vs_me {:.3}", jwks.rate() / me.rate());
    println!(
        "discovery_vs_ceiling {:.3}",
        discovery.rate() / ceiling.rate()
    );
    println!("jwks_vs_ceiling {:.3}", jwks.rate() / ceiling.rate());
    println!(
        "introspect_vs_ceiling {:.3}",
        introspect.rate() / ceiling.rate()
    );
    // A flow is two requests against the ceiling's one.
    println!(
        "code_flow_rs256_vs_ceiling {:.3}",
        flows.rs256.rate() / ceiling.rate()
    );
    println!(
        "code_flow_eddsa_vs_ceiling {:.3}",
        flows.eddsa.rate() / ceiling.rate()
    );
    println!(
        "metrics_cost {:.3} (1 - me_rps / me_no_metrics_rps)",
        1.0 - me.rate() / unmetered.rate()
    );
    println!(
        "client_credentials_vs_ceiling {:.3}",
        machine_tokens.rate() / ceiling.rate()
    );
    println!(
        "client_credentials_rs256_vs_ceiling {:.3}",
        machine_tokens_rs256.rate() / ceiling.rate()
    );
    println!(
        "wal_bytes_per_flow {:.0} B ({:.3} of the 135 KB measured before issue 30)",
        flows.wal_bytes_per_flow,
        flows.wal_bytes_per_flow / 135_000.0
    );
    println!("login_vs_hash_limit {:.3}", logins.rate() / hashes.rate());

    drop(http);
    server.stop().await;

    let users = env_users()?;
    if users > 0 {
        search::measure(users).await?.report();
    }
    if import_users > 0 {
        import::measure(import_users).await?;
    }
    Ok(())
}

/// `BENCH_IMPORT_USERS`: how many `sha256` users the import figure imports.
fn env_import_users() -> Result<usize, BoxError> {
    match env_value("BENCH_IMPORT_USERS")? {
        None => Ok(10_000),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 10_000_000)
            .ok_or_else(|| format!("BENCH_IMPORT_USERS must be 0 to 10000000, not {s:?}").into()),
    }
}

/// Loads `GET /api/me` with one token and reports it under `name`.
async fn measure_me(
    name: &str,
    plan: Plan,
    http: &Http,
    token: String,
) -> Result<Outcome, BoxError> {
    let token: Arc<str> = token.into();
    let outcome = load::run(name, plan, {
        let http = http.clone();
        move || {
            let (http, token) = (http.clone(), token.clone());
            async move { http.get("/api/me", Some(&token)).await.map(drop) }
        }
    })
    .await?;
    report_http(name, &outcome);
    Ok(outcome)
}

/// Loads `POST /oauth2/introspect` with one API key asking about one live `token`; an answer
/// that calls the token inactive counts as a failure.
async fn measure_introspect(
    plan: Plan,
    server: &Server,
    http: &Http,
    token: &str,
) -> Result<Outcome, BoxError> {
    let key = server.app.services.create_api_key("bench", None).await?;
    let key: Arc<str> = key.value.expose().into();
    // The bearer is `<id>|<alphanumeric secret>`: only the `|` needs escaping in a form.
    let form = Bytes::from(format!("token={}", token.replace('|', "%7C")));
    let outcome = load::run("introspect", plan, {
        let http = http.clone();
        move || {
            let (http, key, form) = (http.clone(), key.clone(), form.clone());
            async move {
                let answer = http.post_form("/oauth2/introspect", &key, form).await?;
                if answer.starts_with(br#"{"active":true"#) {
                    Ok(())
                } else {
                    Err(format!("not active: {}", String::from_utf8_lossy(&answer)))
                }
            }
        }
    })
    .await?;
    report_http("introspect", &outcome);
    Ok(outcome)
}

/// Starts another server configured by `configure`, and loads its `GET /api/me`.
async fn measure_me_on(
    name: &str,
    plan: Plan,
    login_body: &Bytes,
    configure: impl FnOnce(&mut portcullis::Config),
) -> Result<Outcome, BoxError> {
    let server = Server::start(configure).await?;
    let http = Http::new(server.addr);
    let token = login(&http, login_body.clone()).await?;
    let outcome = measure_me(name, plan, &http, token).await?;
    drop(http);
    server.stop().await;
    Ok(outcome)
}

/// Logs in once and returns the bearer token.
async fn login(http: &Http, body: Bytes) -> Result<String, BoxError> {
    let answer = http
        .post_json("/api/login", body)
        .await
        .map_err(|e| format!("first login failed: {e}"))?;
    let json: serde_json::Value = serde_json::from_slice(&answer)?;
    let token = json["token"]
        .as_str()
        .ok_or_else(|| format!("login answer has no token: {json}"))?;
    Ok(token.to_owned())
}

fn report_http(name: &str, outcome: &Outcome) {
    report(name, outcome, "req/s");
}

/// `GET path` with no credentials, as fast as the clients go; reported as `<name>_rps`.
async fn measure_document(
    name: &'static str,
    plan: Plan,
    http: &Http,
    path: &'static str,
) -> Result<Outcome, BoxError> {
    let outcome = load::run(name, plan, {
        let http = http.clone();
        move || {
            let http = http.clone();
            async move { http.get(path, None).await.map(drop) }
        }
    })
    .await?;
    report_http(name, &outcome);
    Ok(outcome)
}

/// Prints `<name>_rps` (in `unit`), the latency quantiles and the error count.
fn report(name: &str, outcome: &Outcome, unit: &str) {
    println!("{name}_rps {:.1} {unit}", outcome.rate());
    println!("{name}_p50 {:.2} ms", outcome.quantile_ms(0.50));
    println!("{name}_p99 {:.2} ms", outcome.quantile_ms(0.99));
    println!("{name}_errors {}", outcome.errors);
}

/// `BENCH_USERS`: how many users the search figure seeds.
fn env_users() -> Result<i64, BoxError> {
    match env_value("BENCH_USERS")? {
        None => Ok(1_000_000),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=100_000_000).contains(n))
            .ok_or_else(|| format!("BENCH_USERS must be 0 to 100000000, not {s:?}").into()),
    }
}

/// `BENCH_SECONDS`: each figure's measured window.
fn env_seconds() -> Result<Duration, BoxError> {
    match env_value("BENCH_SECONDS")? {
        None => Ok(Duration::from_secs(3)),
        Some(s) => s
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n > 0.0 && *n <= 3600.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| format!("BENCH_SECONDS must be seconds in (0, 3600], not {s:?}").into()),
    }
}

/// `BENCH_CONCURRENCY`: concurrent HTTP clients.
fn env_concurrency() -> Result<usize, BoxError> {
    match env_value("BENCH_CONCURRENCY")? {
        None => Ok(32),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| format!("BENCH_CONCURRENCY must be 1 to 10000, not {s:?}").into()),
    }
}

fn env_value(name: &str) -> Result<Option<String>, BoxError> {
    match std::env::var(name) {
        Ok(s) => Ok(Some(s.trim().to_owned())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(e) => Err(format!("{name}: {e}").into()),
    }
}

//! OpenID Connect's authorization code flow as a relying party runs it for a signed-in browser:
//! `GET /oauth2/authorize` with the session cookie, answered by a redirect carrying a code, then
//! `POST /oauth2/token` with that code and the PKCE verifier, answered with an ID token. One
//! application signs ID tokens with RS256 (the default), another with EdDSA.

use crate::http::Http;
use crate::load::{self, Outcome, Plan};
use crate::server::Server;
use crate::BoxError;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use bytes::Bytes;
use portcullis_core::applications::ApplicationInput;
use portcullis_core::oidc::access_tokens::ACCESS_TOKEN_ALG_KEY;
use portcullis_core::oidc::clients::ID_TOKEN_ALG_KEY;
use sha2::{Digest, Sha256};
use std::sync::Arc;

const REDIRECT_URI: &str = "http://localhost/cb";
/// One PKCE verifier (43 to 128 unreserved characters) for every flow: each code still carries
/// its challenge, and the token endpoint still checks it.
const VERIFIER: &str = "bench-pkce-verifier-0123456789abcdefghijklmnopqrstuvwxyz";

/// Code flows per second for each signing algorithm, and the SQLite WAL one flow writes.
pub struct Flows {
    pub rs256: Outcome,
    pub eddsa: Outcome,
    pub wal_bytes_per_flow: f64,
}

/// Flows whose WAL is weighed: enough that one transaction's rounding does not show.
const WAL_FLOWS: usize = 2_000;

/// One application, as the relying party's load tasks share it.
struct Client {
    authorize_path: String,
    /// `Basic base64(client_id:secret)`.
    authorization: String,
    /// `portcullis_session=<login token>`.
    cookie: String,
}

/// Creates an RS256 and an EdDSA application, checks one flow of each, and loads each with code
/// flows as the user signed in with `session` (a login token).
pub async fn measure(
    plan: Plan,
    server: &Server,
    http: &Http,
    session: &str,
) -> Result<Flows, BoxError> {
    let rs256 = measure_one("code_flow_rs256", "RS256", plan, server, http, session).await?;
    let eddsa = measure_one("code_flow_eddsa", "EdDSA", plan, server, http, session).await?;
    let client = Arc::new(create_client(server, "EdDSA", session).await?);
    let wal_bytes_per_flow = wal_per_flow(server, http, &client, plan.concurrency).await?;
    println!("wal_bytes_per_flow {wal_bytes_per_flow:.0} B");
    Ok(Flows {
        rs256,
        eddsa,
        wal_bytes_per_flow,
    })
}

/// The SQLite write-ahead log one code flow writes, in bytes: the log is emptied, a read
/// transaction held open keeps every later frame in it (no checkpoint can pass a reader's
/// snapshot, so the log only grows), and its size after [`WAL_FLOWS`] flows (`concurrency` at
/// a time, as the flow figures' clients run them) is divided among them.
async fn wal_per_flow(
    server: &Server,
    http: &Http,
    client: &Arc<Client>,
    concurrency: usize,
) -> Result<f64, BoxError> {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    let database = server.config.data_dir.join("portcullis.db");
    let mut wal_name = database.clone().into_os_string();
    wal_name.push("-wal");
    let mut pin = SqliteConnectOptions::new()
        .filename(&database)
        .connect()
        .await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut pin)
        .await?;
    let mut reading = pin.begin().await?;
    sqlx::query("SELECT count(*) FROM tenants")
        .execute(&mut *reading)
        .await?;
    let before = std::fs::metadata(&wal_name)?.len();
    let mut left = WAL_FLOWS;
    while left > 0 {
        let batch = left.min(concurrency);
        let tasks: Vec<_> = (0..batch)
            .map(|_| {
                let (http, client) = (http.clone(), client.clone());
                tokio::spawn(async move { flow(&http, &client).await.map(drop) })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        left -= batch;
    }
    let after = std::fs::metadata(&wal_name)?.len();
    reading.rollback().await?;
    // The log grew unchecked while pinned: empty it, so the figures measured next do not pay
    // for this one's checkpoint.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut pin)
        .await?;
    Ok(after.saturating_sub(before) as f64 / WAL_FLOWS as f64)
}

async fn measure_one(
    name: &str,
    alg: &str,
    plan: Plan,
    server: &Server,
    http: &Http,
    session: &str,
) -> Result<Outcome, BoxError> {
    let client = Arc::new(create_client(server, alg, session).await?);
    let first = flow(http, &client).await?;
    let signed_with = id_token_alg(&first)?;
    if signed_with != alg {
        return Err(format!("{name}: the ID token is signed with {signed_with}, not {alg}").into());
    }
    let outcome = load::run(name, plan, {
        let http = http.clone();
        move || {
            let (http, client) = (http.clone(), client.clone());
            async move { flow(&http, &client).await.map(drop) }
        }
    })
    .await?;
    crate::report(name, &outcome, "flows/s");
    Ok(outcome)
}

/// An application of the default tenant whose ID tokens are signed with `alg`.
async fn create_client(server: &Server, alg: &str, session: &str) -> Result<Client, BoxError> {
    let services = &server.app.services;
    let input = ApplicationInput {
        name: format!("bench {alg}"),
        redirect_urls: vec![REDIRECT_URI.to_owned()],
        metadata: [(ID_TOKEN_ALG_KEY.to_owned(), alg.to_owned())].into(),
        ..ApplicationInput::default()
    };
    let app = services.create_application(&server.tenant, input).await?;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &app.id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid email")
        .append_pair("state", "bench")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    let credentials = format!("{}:{}", app.id, app.secret.expose());
    Ok(Client {
        authorize_path: format!("/oauth2/authorize?{query}"),
        authorization: format!("Basic {}", STANDARD.encode(credentials)),
        cookie: format!("portcullis_session={session}"),
    })
}

/// One code flow; returns the ID token.
async fn flow(http: &Http, client: &Client) -> Result<String, String> {
    let location = http
        .redirect(&client.authorize_path, &client.cookie)
        .await?;
    let code = url::Url::parse(&location)
        .ok()
        .and_then(|url| {
            url.query_pairs()
                .find(|(name, _)| name == "code")
                .map(|(_, code)| code.into_owned())
        })
        .ok_or_else(|| format!("no code in the redirect to {location}"))?;
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("code_verifier", VERIFIER)
        .finish();
    let answer = http
        .post_form_as("/oauth2/token", &client.authorization, Bytes::from(form))
        .await?;
    let json: serde_json::Value =
        serde_json::from_slice(&answer).map_err(|e| format!("token answer: {e}"))?;
    match json["id_token"].as_str() {
        Some(id_token) => Ok(id_token.to_owned()),
        None => Err(format!("no id_token in {json}")),
    }
}

/// `POST /oauth2/token` with `grant_type=client_credentials` as a confidential application (HTTP
/// Basic): the token an application gets for itself, a JWT signed with `alg`, reported as
/// `name`.
pub async fn measure_client_credentials(
    name: &'static str,
    alg: &str,
    plan: Plan,
    server: &Server,
    http: &Http,
) -> Result<Outcome, BoxError> {
    // Self-contained (JWT) access tokens signed with Ed25519: an RSA signature alone costs
    // more than the rest of the request (`client_credentials_rs256` shows by how much).
    let input = ApplicationInput {
        name: "bench machine".to_owned(),
        redirect_urls: vec![REDIRECT_URI.to_owned()],
        metadata: [(ACCESS_TOKEN_ALG_KEY.to_owned(), alg.to_owned())].into(),
        ..ApplicationInput::default()
    };
    let app = server
        .app
        .services
        .create_application(&server.tenant, input)
        .await?;
    let authorization: Arc<str> = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", app.id, app.secret.expose()))
    )
    .into();
    let body = Bytes::from_static(b"grant_type=client_credentials");
    let issue = |http: Http, authorization: Arc<str>, body: Bytes| async move {
        let answer = http
            .post_form_as("/oauth2/token", &authorization, body)
            .await?;
        let json: serde_json::Value =
            serde_json::from_slice(&answer).map_err(|e| format!("token answer: {e}"))?;
        match json["access_token"].as_str() {
            Some(token) if token.starts_with("eyJ") => Ok(()),
            _ => Err(format!("no JWT access_token in {json}")),
        }
    };
    issue(http.clone(), authorization.clone(), body.clone()).await?;
    let outcome = load::run(name, plan, {
        let http = http.clone();
        move || issue(http.clone(), authorization.clone(), body.clone())
    })
    .await?;
    crate::report(name, &outcome, "tokens/s");
    Ok(outcome)
}

/// The `alg` of a JWT's header.
fn id_token_alg(jwt: &str) -> Result<String, BoxError> {
    let header = jwt.split('.').next().unwrap_or_default();
    let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header)?)?;
    match header["alg"].as_str() {
        Some(alg) => Ok(alg.to_owned()),
        None => Err(format!("the ID token's header has no alg: {header}").into()),
    }
}

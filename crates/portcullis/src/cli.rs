//! The command line: `serve`, `migrate`, `user create`, `api-key`, `social`, `import users`,
//! `tenant create`, `tenant registration-token`, `keys rotate`, `backup`, `restore`.

use crate::{App, Config, StartError};
use clap::{Args, Parser, Subcommand};
use portcullis_core::accounts::CreateUser;
use portcullis_core::field::label;
use portcullis_core::model::SocialNetwork;
use portcullis_core::{FieldError, Rule, Secret, SystemClock};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(name = "portcullis", version, about = "A self-hosted identity server")]
pub struct Cli {
    /// TOML configuration file; `PORTCULLIS_*` environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrating the database first).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Apply database migrations and exit.
    Migrate {
        /// Only say which migrations would run; change nothing.
        #[arg(long)]
        check: bool,
    },
    /// Write a consistent copy of the SQLite database to FILE while the server runs (for
    /// PostgreSQL, says how with pg_dump).
    Backup {
        /// Where the copy goes; must not exist.
        file: PathBuf,
    },
    /// Put a backup in place of the SQLite database; refused while any Portcullis uses it.
    Restore {
        /// A file `portcullis backup` wrote.
        file: PathBuf,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage the social networks users may log in with.
    Social {
        #[command(subcommand)]
        command: SocialCommand,
    },
    /// Manage the API keys services authenticate with (token introspection).
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Import data from another system.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage the keys ID tokens are signed with.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make new signing keys (RS256 and EdDSA) active and retire the current ones, which stay
    /// published in the JWKS for a day so the tokens they signed still verify. Prints the new
    /// key ids.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import users from a JSON Lines file: one management-API user per line
    /// (`{"profile": {"email", ...}, "metadata": {...}, "password": {"alg", "hash"}}`).
    /// Users whose email the tenant already has are skipped, so a run can be repeated to
    /// resume; bad lines are reported (line number and reason) and skipped.
    Users {
        file: PathBuf,
        /// Tenant id or name (default: the default tenant).
        #[arg(long, default_value = portcullis_core::model::DEFAULT_TENANT)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant with default settings and print its id.
    Create {
        #[arg(long)]
        name: String,
        /// Host name whose requests go to this tenant (the `Host` header, without a port).
        #[arg(long)]
        domain: Option<String>,
    },
    /// Accept passkeys of these authenticator models only (AAGUIDs; none: any model). The
    /// model is the authenticator's own word, since attestation is `none`.
    PasskeyModels {
        #[arg(long, default_value = portcullis_core::model::DEFAULT_TENANT)]
        tenant: String,
        /// An AAGUID (a UUID); repeat for several, leave out to accept any model.
        #[arg(long = "aaguid", value_name = "UUID")]
        aaguids: Vec<String>,
    },
    /// Write a tenant (settings, roles, permissions, scopes, applications, users with their
    /// credentials' hashes, second factors, passkeys, metadata; never tokens or sessions) to
    /// stdout as JSON, for `tenant import` on another server. The file holds secrets.
    Export {
        /// Tenant id or name.
        tenant: String,
    },
    /// Recreate a tenant from a `tenant export` file, keeping every id that is free here.
    Import {
        file: PathBuf,
        /// Import under this name instead of the file's (which must be free here).
        #[arg(long)]
        name: Option<String>,
        /// Import with this host name instead of the file's.
        #[arg(long, conflicts_with = "no_domain")]
        domain: Option<String>,
        /// Import without a host name (when the file's is another tenant's here).
        #[arg(long)]
        no_domain: bool,
    },
    /// Manage the tokens that let their holder register applications in a tenant (OAuth
    /// dynamic client registration, `POST /oauth2/register`).
    RegistrationToken {
        #[command(subcommand)]
        command: RegistrationTokenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegistrationTokenCommand {
    /// Create a token and print it; it cannot be shown again.
    Create {
        /// Tenant id or name the token registers applications in.
        #[arg(long)]
        tenant: String,
        /// How long the token lasts: seconds, or a number with s, m, h or d (`7d`); without
        /// it, until revoked.
        #[arg(long, value_name = "DURATION", value_parser = parse_lifetime)]
        expires_in: Option<time::Duration>,
    },
    /// Print the tokens (never the secret), one per line: id, tenant, created, expires, state.
    List {
        /// Only this tenant's (id or name).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a token by its id (the part after `pcrt_` and before the next `_`). The
    /// applications it registered stay.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print it; it cannot be shown again.
    Create {
        #[arg(long)]
        name: String,
        /// Tenant id or name the key is bound to; without it the key reaches every tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Print every key (never the secret), one per line: id, tenant, name, created, state.
    List,
    /// Revoke a key by its id (the part after `pcsk_` and before the next `_`).
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum SocialCommand {
    /// Accept (or reconfigure) a network; `facebook`, `google` and `github` need only a name.
    Set(Box<SocialArgs>),
    /// Stop accepting a network.
    Remove {
        #[arg(long)]
        network: String,
        #[arg(long, default_value = portcullis_core::model::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Print the networks a tenant accepts, as JSON.
    List {
        #[arg(long, default_value = portcullis_core::model::DEFAULT_TENANT)]
        tenant: String,
    },
}

#[derive(Debug, Args)]
pub struct SocialArgs {
    #[arg(long)]
    pub network: String,
    /// Asked with `Authorization: Bearer <social_token>`; must answer a JSON object.
    #[arg(long)]
    pub userinfo_url: Option<String>,
    /// Dotted path of the user's id in the answer (default: the preset's, else `id`).
    #[arg(long)]
    pub id_field: Option<String>,
    #[arg(long)]
    pub email_field: Option<String>,
    #[arg(long)]
    pub name_field: Option<String>,
    /// A boolean field saying whether the email is verified.
    #[arg(long)]
    pub email_verified_field: Option<String>,
    /// The network only gives out verified addresses (they may link to existing accounts).
    #[arg(long)]
    pub emails_verified: bool,
    /// The client this tenant registered with the network, for "Continue with …" on the
    /// login page (whose callback to register is printed).
    #[arg(long, requires = "client_secret")]
    pub client_id: Option<String>,
    /// That client's secret (better given in the environment than on the command line).
    #[arg(long, env = "PORTCULLIS_SOCIAL_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Where browsers sign in (default: the preset's).
    #[arg(long)]
    pub authorize_url: Option<String>,
    /// Where codes are exchanged for access tokens (default: the preset's).
    #[arg(long)]
    pub token_url: Option<String>,
    /// The scopes asked for, space-separated (default: the preset's).
    #[arg(long)]
    pub scope: Option<String>,
    /// How the network says which client an access token was issued to, for API logins
    /// with a raw token (default: the preset's): `token_info`, `debug_token` or
    /// `client_token_check`. A network without one takes sign-ins on the login page only.
    #[arg(long, value_parser = parse_audience_check)]
    pub audience_check: Option<portcullis_core::model::AudienceCheck>,
    /// Where that check is asked (default: the preset's); `{client_id}` is replaced.
    #[arg(long)]
    pub audience_url: Option<String>,
    #[arg(long, default_value = portcullis_core::model::DEFAULT_TENANT)]
    pub tenant: String,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an active, verified user and print its id.
    Create(CreateUserArgs),
}

#[derive(Debug, Args)]
pub struct CreateUserArgs {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub password: String,
    /// Role name, e.g. Admin or User.
    #[arg(long, default_value = "User")]
    pub role: String,
    /// Tenant name; created with default settings if it does not exist yet.
    #[arg(long, default_value = portcullis_core::model::DEFAULT_TENANT)]
    pub tenant: String,
}

/// Runs a parsed command with its configuration; what `main` calls.
pub async fn run(command: Command, mut config: Config) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            let listener = bind(config.listen).await?;
            let metrics_listener = match config.metrics_listen {
                Some(addr) => Some(bind(addr).await?),
                None => None,
            };
            let addr = listener.local_addr().unwrap_or(config.listen);
            let metrics_addr = metrics_listener
                .as_ref()
                .and_then(|l| l.local_addr().ok())
                .map(|addr| addr.to_string());
            tracing::info!(
                %addr,
                metrics = metrics_addr.as_deref().unwrap_or("same listener"),
                backend = ?app.store.backend(),
                "portcullis listening",
            );
            app.serve(listener, metrics_listener, shutdown_signal())
                .await
                .map_err(StartError::Serve)?;
            tracing::info!("stopped");
        }
        Command::Migrate { check: true } => {
            // As a start would: a new SQLite database is created empty, and all is pending.
            let _ = std::fs::create_dir_all(&config.data_dir);
            let _in_use = crate::backup::InUse::of(&config)?;
            let store = portcullis_store::SqlStore::connect(&portcullis_store::ConnectOptions {
                url: config.database_url(),
                max_connections: 1,
            })
            .await?;
            let pending = store.pending_migrations().await;
            store.close().await;
            let pending = pending?;
            if pending.is_empty() {
                println!("nothing to migrate");
            }
            for (version, description) in pending {
                println!("would apply {version:04} {description}");
            }
        }
        Command::Backup { file } => {
            println!("{}", crate::backup::backup(&config, &file).await?);
        }
        Command::Restore { file } => {
            println!("{}", crate::backup::restore(&config, &file).await?);
        }
        Command::Migrate { check: false } => {
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            app.store.close().await;
            println!("migrations applied");
        }
        Command::User {
            command: UserCommand::Create(args),
        } => {
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            let tenant = app
                .services
                .tenant_named(&args.tenant)
                .await
                .map_err(describe)?;
            let user = app
                .services
                .create_user(
                    &tenant,
                    CreateUser {
                        username: Some(args.username),
                        email: args.email,
                        password: Secret::new(args.password),
                        role: args.role,
                        first_name: None,
                        last_name: None,
                    },
                )
                .await
                .map_err(describe_account)?;
            app.store.close().await;
            println!("{}", user.id);
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            let result = app.services.rotate_signing_keys().await;
            app.store.close().await;
            for key in result? {
                println!("{} {}", key.algorithm.as_str(), key.id);
            }
        }
        Command::ApiKey { command } => {
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            let result = api_key(&app, command).await;
            app.store.close().await;
            result?;
        }
        Command::Import {
            command: ImportCommand::Users { file, tenant },
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            let result = import_users(&app, &tenant, &text).await;
            app.store.close().await;
            result?;
        }
        Command::Tenant {
            command: TenantCommand::Create { name, domain },
        } => {
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            let result = create_tenant(&app, name, domain).await;
            app.store.close().await;
            result?;
        }
        Command::Tenant {
            command: TenantCommand::PasskeyModels { tenant, aaguids },
        } => {
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            let result = passkey_models(&app, &tenant, aaguids).await;
            app.store.close().await;
            result?;
        }
        Command::Tenant {
            command: TenantCommand::Export { tenant },
        } => {
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            let result = export_tenant(&app, &tenant).await;
            app.store.close().await;
            result?;
        }
        Command::Tenant {
            command:
                TenantCommand::Import {
                    file,
                    name,
                    domain,
                    no_domain,
                },
        } => {
            let import_as = portcullis_core::tenant_transfer::ImportAs {
                name,
                domain: if no_domain {
                    Some(None)
                } else {
                    domain.map(Some)
                },
            };
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            let result = import_tenant(&app, &file, import_as).await;
            app.store.close().await;
            result?;
        }
        Command::Tenant {
            command: TenantCommand::RegistrationToken { command },
        } => {
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            let result = registration_token(&app, command).await;
            app.store.close().await;
            result?;
        }
        Command::Social { command } => {
            let app = App::build(&config, Arc::new(SystemClock)).await?;
            let result = social(&app, command).await;
            app.store.close().await;
            result?;
        }
    }
    Ok(())
}

async fn export_tenant(app: &App, tenant: &str) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    let tenant = app.services.tenant_named(tenant).await.map_err(describe)?;
    let export = app.services.export_tenant(&tenant).await?;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &export)?;
    writeln!(out)?;
    out.flush()?;
    eprintln!(
        "exported tenant {} ({} rows). The file holds password hashes and secrets in clear \
         (application secrets, authenticator seeds): keep it as private as the database.",
        tenant.name,
        export.row_count()
    );
    Ok(())
}

async fn import_tenant(
    app: &App,
    file: &std::path::Path,
    import_as: portcullis_core::tenant_transfer::ImportAs,
) -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let export: portcullis_core::tenant_transfer::TenantExport = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a tenant export: {e}", file.display()))?;
    let progress = crate::import::progress_bar(export.row_count(), "rows");
    let inserted = {
        let progress = progress.clone();
        move || progress.inc(1)
    };
    let imported = app
        .services
        .import_tenant(export, import_as, &inserted)
        .await;
    progress.finish_and_clear();
    let imported = imported?;
    println!("{}", imported.tenant);
    eprintln!(
        "imported tenant {} as {} ({} rows)",
        imported.name, imported.tenant, imported.rows
    );
    if imported.changed.is_empty() {
        eprintln!("every id was kept");
    }
    for change in &imported.changed {
        eprintln!("taken here, so changed: {change}");
    }
    for switch in &imported.loosened {
        eprintln!("on, as in the file: {switch}");
    }
    Ok(())
}

async fn passkey_models(
    app: &App,
    tenant: &str,
    aaguids: Vec<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let tenant = app.services.tenant_named(tenant).await.map_err(describe)?;
    let aaguids = aaguids
        .iter()
        .map(|text| {
            uuid::Uuid::parse_str(text.trim())
                .map(|uuid| uuid.to_string())
                .map_err(|_| format!("--aaguid {text:?} is not a UUID"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut fields = serde_json::Map::new();
    fields.insert(
        "allowed_aaguids".to_owned(),
        serde_json::to_value(&aaguids)?,
    );
    app.services.merge_settings(&tenant, fields).await?;
    match aaguids.is_empty() {
        true => println!("passkeys of any model are accepted"),
        false => println!("passkeys of {} model(s) only are accepted", aaguids.len()),
    }
    Ok(())
}

async fn social(app: &App, command: SocialCommand) -> Result<(), Box<dyn std::error::Error>> {
    let tenant_name = match &command {
        SocialCommand::Set(args) => &args.tenant,
        SocialCommand::Remove { tenant, .. } | SocialCommand::List { tenant } => tenant,
    };
    // A mistyped name must not create a tenant (`tenant create` does that).
    let tenant = app
        .services
        .tenant_named(tenant_name)
        .await
        .map_err(describe)?;
    let mut networks = tenant.settings.social_networks.clone();
    match command {
        SocialCommand::List { .. } => {
            // Client secrets are written, never shown.
            let shown: Vec<SocialNetwork> = networks
                .into_iter()
                .map(|mut network| {
                    network.client_secret = network.client_secret.map(|_| "(set)".to_owned());
                    network
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&shown)?);
            return Ok(());
        }
        SocialCommand::Remove { network, .. } => {
            let before = networks.len();
            networks.retain(|n| n.network != network);
            if networks.len() == before {
                return Err(format!("no network {network:?} is configured").into());
            }
        }
        SocialCommand::Set(args) => {
            let network = SocialNetwork {
                network: args.network.clone(),
                userinfo_url: args.userinfo_url,
                id_field: args.id_field,
                email_field: args.email_field,
                name_field: args.name_field,
                email_verified_field: args.email_verified_field,
                emails_verified: args.emails_verified.then_some(true),
                client_id: args.client_id,
                // Kept sealed (see portcullis_core::sealing); only its use opens it.
                client_secret: args
                    .client_secret
                    .map(|plain| {
                        app.services
                            .seal_social_secret(&tenant, &args.network, &plain)
                    })
                    .transpose()
                    .map_err(describe)?,
                authorize_url: args.authorize_url,
                token_url: args.token_url,
                scope: args.scope,
                audience_check: args.audience_check,
                audience_url: args.audience_url,
            };
            let Some(resolved) = network.resolve() else {
                return Err(format!(
                    "network {:?} has no preset: give --userinfo-url",
                    args.network
                )
                .into());
            };
            let web = |url: &str| url.starts_with("https://") || url.starts_with("http://");
            if !web(&resolved.userinfo_url) {
                return Err("--userinfo-url must be an http:// or https:// URL".into());
            }
            // What this server will call on the tenant's behalf goes through the egress policy
            // (the authorization URL is the browser's to follow, not ours).
            let dev = tenant.settings.developer_mode;
            let mut outbound = vec![("--userinfo-url", resolved.userinfo_url.clone())];
            if let Some(browser) = &resolved.browser {
                outbound.push(("--token-url", browser.token_url.clone()));
            }
            if let Some(audience) = &resolved.audience {
                outbound.push(("--audience-url", audience.url.clone()));
            }
            for (flag, url) in outbound {
                app.services
                    .check_outbound_url(flag, &url, dev)
                    .map_err(|_| format!("{flag} {url}: refused by the egress policy (an https URL of a public address, or one `egress_allow` names)"))?;
            }
            match (&network.client_id, &resolved.browser) {
                (Some(_), None) => {
                    return Err(format!(
                        "network {:?} has no preset sign-in endpoints: give --authorize-url and \
                         --token-url",
                        args.network
                    )
                    .into())
                }
                (_, Some(browser)) if !(web(&browser.authorize_url) && web(&browser.token_url)) => {
                    return Err(
                        "--authorize-url and --token-url must be http:// or https:// URLs".into(),
                    )
                }
                (_, Some(_)) => {
                    let callback = app.services.social_redirect_uri(&tenant, &args.network);
                    println!("register this callback with {}: {callback}", args.network);
                }
                (None, None) => {}
            }
            if resolved.audience.is_none() {
                println!(
                    "{} takes no access tokens on POST /api/login/social: give --client-id \
                     (and --audience-check and --audience-url where there is no preset)",
                    args.network
                );
            } else if let Some(audience) = &resolved.audience {
                if !web(&audience.url) {
                    return Err("--audience-url must be an http:// or https:// URL".into());
                }
            }
            networks.retain(|n| n.network != args.network);
            networks.push(network);
        }
    }
    // Only the networks are written: settings changed meanwhile elsewhere stay.
    let mut fields = serde_json::Map::new();
    fields.insert(
        "social_networks".to_owned(),
        serde_json::to_value(&networks)?,
    );
    app.services.merge_settings(&tenant, fields).await?;
    println!("saved");
    Ok(())
}

async fn api_key(app: &App, command: ApiKeyCommand) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        ApiKeyCommand::Create { name, tenant } => {
            let created = app
                .services
                .create_api_key(&name, tenant.as_deref())
                .await
                .map_err(describe)?;
            println!("{}", created.value.expose());
        }
        ApiKeyCommand::List => {
            for key in app.services.api_keys().await? {
                let tenant = key.tenant_id.as_ref().map_or("*", |t| t.as_str());
                let state = if key.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let created = key
                    .created_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
                println!("{}\t{tenant}\t{}\t{created}\t{state}", key.id, key.name);
            }
        }
        ApiKeyCommand::Revoke { id } => {
            app.services
                .revoke_api_key(&id)
                .await
                .map_err(|error| match error {
                    portcullis_core::Error::NotFound => {
                        format!("no active API key has the id {id:?}").into()
                    }
                    other => describe(other),
                })?;
            println!("revoked");
        }
    }
    Ok(())
}

async fn registration_token(
    app: &App,
    command: RegistrationTokenCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    let rfc3339 = |at: time::OffsetDateTime| {
        at.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    match command {
        RegistrationTokenCommand::Create { tenant, expires_in } => {
            let created = app
                .services
                .create_registration_token(&tenant, expires_in)
                .await
                .map_err(describe)?;
            println!("{}", created.value.expose());
        }
        RegistrationTokenCommand::List { tenant } => {
            let now = app.services.now();
            for token in app
                .services
                .registration_tokens(tenant.as_deref())
                .await
                .map_err(describe)?
            {
                let state = match (token.revoked_at, token.is_live(now)) {
                    (Some(_), _) => "revoked",
                    (None, false) => "expired",
                    (None, true) => "active",
                };
                let expires = token.expires_at.map_or_else(|| "never".to_owned(), rfc3339);
                println!(
                    "{}\t{}\t{}\t{expires}\t{state}",
                    token.id,
                    token.tenant_id.as_str(),
                    rfc3339(token.created_at)
                );
            }
        }
        RegistrationTokenCommand::Revoke { id } => {
            app.services
                .revoke_registration_token(&id)
                .await
                .map_err(|error| match error {
                    portcullis_core::Error::NotFound => {
                        format!("no active registration token has the id {id:?}").into()
                    }
                    other => describe(other),
                })?;
            println!("revoked");
        }
    }
    Ok(())
}

/// `3600`, `3600s`, `60m`, `12h`, `7d`.
fn parse_lifetime(text: &str) -> Result<time::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => return Err("expected a number of seconds, or a number with s, m, h or d".into()),
    };
    let number: i64 = number
        .parse()
        .map_err(|_| "expected a number such as 3600, 60m, 12h or 7d".to_owned())?;
    match number.checked_mul(seconds_per) {
        Some(seconds) if seconds > 0 => Ok(time::Duration::seconds(seconds)),
        _ => Err("must be more than nothing, and less than forever".into()),
    }
}

async fn import_users(
    app: &App,
    tenant: &str,
    text: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let tenant = app.services.tenant_named(tenant).await.map_err(describe)?;
    let progress = crate::import::progress_bar(text.lines().count() as u64, "lines");
    // Twice the pool's width keeps every hash worker busy while others wait on the database.
    let concurrency = app.services.hasher().workers() * 2;
    let summary = crate::import::import_users(
        &app.services,
        &tenant,
        text,
        concurrency,
        &progress,
        |line, reason| progress.suspend(|| eprintln!("line {line}: {reason}")),
    )
    .await;
    progress.finish_and_clear();
    println!("{summary}");
    if summary.failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} lines were not imported", summary.failed.len()).into())
    }
}

async fn create_tenant(
    app: &App,
    name: String,
    domain: Option<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    use portcullis_core::model::TenantSettings;
    use portcullis_core::tenants::{ManagedSettings, TenantInput};
    let settings = ManagedSettings {
        domain: domain.unwrap_or_default(),
        company_name: name.clone(),
        ..ManagedSettings::of(&TenantSettings::default())
    };
    let tenant = app
        .services
        .create_tenant(TenantInput {
            name,
            settings,
            metadata: Default::default(),
        })
        .await
        .map_err(describe)?;
    println!("{}", tenant.id.as_str());
    Ok(())
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })
}

fn parse_audience_check(text: &str) -> Result<portcullis_core::model::AudienceCheck, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| "expected token_info, debug_token or client_token_check".to_owned())
}

/// Spells out validation problems for a terminal, one field a line.
fn describe(error: portcullis_core::Error) -> Box<dyn std::error::Error> {
    describe_in(error, operator_words)
}

/// [`describe`] for a user's fields, which the account API's rules check: in its words.
fn describe_account(error: portcullis_core::Error) -> Box<dyn std::error::Error> {
    describe_in(error, portcullis_http::field_message)
}

fn describe_in(
    error: portcullis_core::Error,
    words: fn(&FieldError) -> String,
) -> Box<dyn std::error::Error> {
    match error {
        portcullis_core::Error::Invalid(problems) => problems
            .iter()
            .map(|problem| format!("{}: {}", problem.field, words(problem)))
            .collect::<Vec<_>>()
            .join("\n")
            .into(),
        other => Box::new(other),
    }
}

/// A field error about the operator's objects (tenants, API keys) in the management API's
/// words; an API key's name is the one field a command leaves blank.
fn operator_words(error: &FieldError) -> String {
    match error.rule {
        Rule::Required => format!("The {} must not be empty.", label(&error.field)),
        _ => portcullis_http::mgmt::field_message(error),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: no new connections; finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_take_a_unit() {
        assert_eq!(parse_lifetime("90"), Ok(time::Duration::seconds(90)));
        assert_eq!(parse_lifetime("15m"), Ok(time::Duration::minutes(15)));
        assert_eq!(parse_lifetime("7d"), Ok(time::Duration::days(7)));
        for bad in ["", "0", "5w", "-1h", "h"] {
            assert!(parse_lifetime(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_terminal_says_each_problem_in_its_objects_words() {
        let invalid = |field: &str, rule| portcullis_core::Error::invalid(field, rule);
        assert_eq!(
            describe(invalid("name", Rule::Required)).to_string(),
            "name: The name must not be empty."
        );
        assert_eq!(
            describe(invalid("name", Rule::Taken)).to_string(),
            "name: Another tenant already has this name."
        );
        assert_eq!(
            describe_account(invalid("email", Rule::Taken)).to_string(),
            "email: The email has already been taken."
        );
        let both = portcullis_core::Error::Invalid(vec![
            FieldError::new("email", Rule::Email),
            FieldError::new("password", Rule::TooShort { min: 8 }),
        ]);
        assert_eq!(
            describe_account(both).to_string(),
            "email: The email must be a valid email address.\n\
             password: The password must be at least 8 characters."
        );
    }
}

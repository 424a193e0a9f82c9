//! `portcullis import users FILE.jsonl`: one JSON user per line, as the management API writes
//! them, plus an optional `password: {alg, hash}` imported as document 003 describes.
//!
//! Resumable by email: a line whose email already belongs to a user of the tenant is skipped
//! (before any hashing), so running the same file again after an interruption imports only
//! what is missing. Bad lines are reported with their number and the reason, and the import
//! goes on.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use portcullis_core::managed_users::{ImportedPassword, ManagedUser};
use portcullis_core::model::{Metadata, Tenant};
use portcullis_core::{Error, Secret, Services};
use serde::Deserialize;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// One line of the file.
#[derive(Debug, Deserialize)]
struct Line {
    #[serde(default)]
    profile: Profile,
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    disabled: bool,
    password: Option<Password>,
}

#[derive(Debug, Default, Deserialize)]
struct Profile {
    email: Option<String>,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    #[serde(default)]
    email_verified: bool,
}

#[derive(Debug, Deserialize)]
struct Password {
    alg: String,
    hash: String,
}

/// What became of one line.
#[derive(Debug)]
enum Outcome {
    Imported,
    /// Its email is already a user of the tenant (an earlier run imported it).
    Skipped,
    Failed(String),
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Summary {
    pub imported: u64,
    pub skipped: u64,
    /// Line numbers (from 1) and reasons, in line order.
    pub failed: Vec<(usize, String)>,
    pub elapsed: Duration,
}

impl Summary {
    pub fn per_second(&self) -> f64 {
        self.imported as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {}, skipped {} (email already in the tenant), failed {} in {:.1} s ({:.1} users/s)",
            self.imported,
            self.skipped,
            self.failed.len(),
            self.elapsed.as_secs_f64(),
            self.per_second()
        )
    }
}

/// A progress bar on stderr when both stdout and stderr are terminals; hidden otherwise.
pub fn progress_bar(length: u64, unit: &str) -> ProgressBar {
    let on_terminal = std::io::stderr().is_terminal() && std::io::stdout().is_terminal();
    let bar = ProgressBar::with_draw_target(
        Some(length),
        if on_terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{bar:40}} {{pos}}/{{len}} {unit}, {{per_sec}}, {{eta}} left {{msg}}"
    )) {
        bar.set_style(style);
    }
    bar
}

/// A progress bar that draws nothing, for callers without a terminal.
pub fn hidden_progress() -> ProgressBar {
    ProgressBar::hidden()
}

/// Imports every non-blank line of `text` into `tenant`, `concurrency` users at a time (the
/// hash pool bounds the hashing itself), reporting each bad line through `report` as it is
/// found.
pub async fn import_users(
    services: &Services,
    tenant: &Tenant,
    text: &str,
    concurrency: usize,
    progress: &ProgressBar,
    mut report: impl FnMut(usize, &str),
) -> Summary {
    let started = Instant::now();
    let tenant = Arc::new(tenant.clone());
    let mut summary = Summary::default();
    let mut running = JoinSet::new();
    let mut record = |summary: &mut Summary, number: usize, outcome: Outcome| {
        match outcome {
            Outcome::Imported => summary.imported += 1,
            Outcome::Skipped => summary.skipped += 1,
            Outcome::Failed(reason) => {
                report(number, &reason);
                summary.failed.push((number, reason));
            }
        }
        progress.inc(1);
    };
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            progress.inc(1);
            continue;
        }
        while running.len() >= concurrency.max(1) {
            if let Some(Ok((number, outcome))) = running.join_next().await {
                record(&mut summary, number, outcome);
            }
        }
        let (services, tenant, line) = (services.clone(), Arc::clone(&tenant), line.to_owned());
        running.spawn(async move { (number, import_line(&services, &tenant, &line).await) });
    }
    while let Some(joined) = running.join_next().await {
        if let Ok((number, outcome)) = joined {
            record(&mut summary, number, outcome);
        }
    }
    summary.failed.sort_by_key(|(number, _)| *number);
    summary.elapsed = started.elapsed();
    summary
}

async fn import_line(services: &Services, tenant: &Tenant, line: &str) -> Outcome {
    let parsed: Line = match serde_json::from_str(line) {
        Ok(parsed) => parsed,
        Err(e) => return Outcome::Failed(format!("not a JSON user: {e}")),
    };
    let user = ManagedUser {
        email: parsed.profile.email.unwrap_or_default(),
        name: parsed.profile.name,
        given_name: parsed.profile.given_name,
        family_name: parsed.profile.family_name,
        email_verified: parsed.profile.email_verified,
        disabled: parsed.disabled,
        metadata: parsed.metadata,
    };
    let password = parsed.password.map(|p| ImportedPassword {
        alg: p.alg,
        hash: Secret::new(p.hash),
    });
    match services
        .create_managed_user(tenant, user, password, "import")
        .await
    {
        Ok(_) => Outcome::Imported,
        Err(Error::Conflict(_)) => Outcome::Skipped,
        Err(Error::Invalid(problems)) => Outcome::Failed(
            problems
                .iter()
                .map(|problem| {
                    let message = portcullis_http::mgmt::field_message(problem);
                    format!("{}: {message}", problem.field)
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(other) => Outcome::Failed(other.to_string()),
    }
}

//! `import_sha256_users_per_s`: `portcullis import users` of users with `sha256` hashes, each
//! wrapped in bcrypt at the production cost, against `bcrypt_pool_rate`, the same hash pool
//! making plain bcrypt hashes as fast as it can. The wrapping is the bound, so the ratio says
//! how much the rest of an import (parsing, checks, writes) costs.

use crate::server::Server;
use crate::BoxError;
use portcullis_core::Secret;
use std::time::Instant;
use tokio::task::JoinSet;

pub async fn measure(users: usize) -> Result<(), BoxError> {
    let server = Server::start(|_| {}).await?;
    let services = server.app.services.clone();
    let tenant = services.default_tenant().await?;
    let workers = services.hasher().workers();
    let text: String = (0..users)
        .map(|i| {
            let digest = portcullis_core::password::Digest::Sha256.hex(&format!("password-{i}"));
            serde_json::json!({
                "profile": { "email": format!("imported{i}@example.test"), "given_name": "Imported" },
                "metadata": { "legacy_id": i.to_string() },
                "password": { "alg": "sha256", "hash": digest },
            })
            .to_string()
                + "\n"
        })
        .collect();

    // The pool's own rate, before and after (other load on the machine moves both).
    let sample = (workers * 40).max(40);
    let before = pool_rate(&services, sample, workers * 2).await?;
    let summary = portcullis::import::import_users(
        &services,
        &tenant,
        &text,
        workers * 2,
        &portcullis::import::hidden_progress(),
        |line, reason| eprintln!("import line {line}: {reason}"),
    )
    .await;
    let after = pool_rate(&services, sample, workers * 2).await?;
    let pool = (before + after) / 2.0;
    if !summary.failed.is_empty() {
        return Err(format!("{} imported lines failed", summary.failed.len()).into());
    }
    println!("bcrypt_pool_rate {pool:.1} hash/s (before {before:.1}, after {after:.1})");
    println!(
        "import_sha256_users_per_s {:.1} users/s ({} users in {:.1} s)",
        summary.per_second(),
        summary.imported,
        summary.elapsed.as_secs_f64()
    );
    println!("import_vs_bcrypt_pool {:.3}", summary.per_second() / pool);
    server.stop().await;
    Ok(())
}

/// Hashes per second of `count` plain bcrypt hashes, `concurrency` at a time.
async fn pool_rate(
    services: &portcullis_core::Services,
    count: usize,
    concurrency: usize,
) -> Result<f64, BoxError> {
    let started = Instant::now();
    let mut running = JoinSet::new();
    for i in 0..count {
        while running.len() >= concurrency {
            running.join_next().await.ok_or("no job")???;
        }
        let hasher = services.hasher().clone();
        running.spawn(async move { hasher.hash(&Secret::new(format!("pool-{i}"))).await });
    }
    while let Some(done) = running.join_next().await {
        done??;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

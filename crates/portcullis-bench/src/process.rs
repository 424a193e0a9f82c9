//! The server as an operator starts it: a fresh process on an empty SQLite data directory,
//! timed from spawn to a ready answer, and its memory when idle.
//!
//! The bench re-executes itself with [`CHILD_FLAG`] to be that process, running the same
//! `portcullis::cli::run` as the `portcullis` binary (cargo does not build a dependency's
//! binaries, so the bench cannot rely on that one being there).

use crate::http::Http;
use crate::BoxError;
use portcullis::cli::Command as CliCommand;
use portcullis::Config;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CHILD_FLAG: &str = "--serve-child";

pub struct Startup {
    pub ready: Duration,
    pub idle_rss_kib: u64,
}

/// The child's side: `--serve-child <data dir> <listen address>`.
pub async fn serve_child(args: &[String]) -> Result<(), BoxError> {
    let [dir, listen] = args else {
        return Err(format!("usage: {CHILD_FLAG} <data dir> <listen address>").into());
    };
    let config = Config {
        data_dir: dir.into(),
        log: "warn".to_owned(),
        ..Config::default()
    };
    portcullis::logging::init(&config);
    let listen = Some(listen.parse()?);
    portcullis::cli::run(CliCommand::Serve { listen }, config)
        .await
        .map_err(|e| e.to_string().into())
}

/// Starts a server process, waits for `/health/ready`, lets it idle, reads its RSS, stops it.
pub async fn measure_startup() -> Result<Startup, BoxError> {
    let dir = tempfile::tempdir()?;
    let addr = free_port()?;
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe()?)
        .arg(CHILD_FLAG)
        .arg(dir.path())
        .arg(addr.to_string())
        .stdin(Stdio::null())
        .spawn()?;
    let result = wait_ready(&mut child, addr, started).await;
    let measured = match result {
        Ok(ready) => {
            tokio::time::sleep(Duration::from_millis(500)).await;
            rss_kib(child.id()).map(|idle_rss_kib| Startup {
                ready,
                idle_rss_kib,
            })
        }
        Err(e) => Err(e),
    };
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait()?;
    let measured = measured?;
    if !status.success() {
        return Err(format!("the server process exited with {status} after SIGTERM").into());
    }
    Ok(measured)
}

async fn wait_ready(
    child: &mut Child,
    addr: SocketAddr,
    started: Instant,
) -> Result<Duration, BoxError> {
    let http = Http::new(addr);
    loop {
        if http.get("/health/ready", None).await.is_ok() {
            return Ok(started.elapsed());
        }
        if let Some(status) = child.try_wait()? {
            return Err(format!("the server process exited early with {status}").into());
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the server was not ready within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A port that was free a moment ago.
fn free_port() -> Result<SocketAddr, BoxError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// Resident memory of a process, from `/proc` (Linux).
fn rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc status".into())
}

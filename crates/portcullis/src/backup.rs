//! `portcullis backup` and `portcullis restore`: a consistent copy of a live SQLite database,
//! and putting one back where no Portcullis is using it. PostgreSQL is backed up with its own
//! tools; both commands say how.

use crate::Config;
use portcullis_store::{ConnectOptions, SqlStore};
use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] portcullis_core::StoreError),
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::File {
        path: path.display().to_string(),
        source,
    }
}

/// What a PostgreSQL operator does instead, and the secret that must go with any backup.
fn postgres_instructions(restoring: bool) -> String {
    let secret = "Keep the signing-key secret with the dump: the ID-token signing keys in it are \
                  sealed with `signing_key_secret` (PORTCULLIS_SIGNING_KEY_SECRET), and a server \
                  with another secret cannot open them.";
    if restoring {
        format!(
            "Portcullis restores SQLite databases only. For PostgreSQL, stop every node, then: \
             pg_restore --clean --if-exists --no-owner --dbname \"$DATABASE_URL\" FILE \
             (into an empty database: drop --clean). Start the nodes with the same \
             signing_key_secret as before. {secret}"
        )
    } else {
        format!(
            "Portcullis backs up SQLite databases only. For PostgreSQL, while the nodes run: \
             pg_dump --format=custom --file FILE \"$DATABASE_URL\" (one consistent snapshot). \
             {secret}"
        )
    }
}

/// Where the signing-key secret of a SQLite deployment lives, to name it in messages.
fn secret_source(config: &Config) -> String {
    if config.signing_key_secret.is_some() {
        "the configured signing_key_secret".to_owned()
    } else {
        config.signing_key_file().display().to_string()
    }
}

/// Writes a consistent copy of the configured SQLite database to `target` while servers keep
/// running; says what else must be kept with it.
pub async fn backup(config: &Config, target: &Path) -> Result<String, BackupError> {
    let url = config.database_url();
    let Some(database) = portcullis_store::sqlite_file(&url) else {
        return Err(BackupError::Refused(postgres_instructions(false)));
    };
    if !database.exists() {
        return Err(BackupError::Refused(format!(
            "there is no database at {} to back up",
            database.display()
        )));
    }
    // A backup has the database open too: no restore may replace it meanwhile.
    let _in_use = InUse::shared(&database)?;
    // Made here first, readable by this user only: it holds password hashes and sealed
    // secrets. `VACUUM INTO` writes into an empty file.
    private_file(target).map(drop)?;
    let copied = async {
        let store = one_connection(url).await?;
        let copied = store.back_up_into(target).await;
        store.close().await;
        copied
    }
    .await;
    if let Err(e) = copied {
        // A half-written copy would only block the next attempt.
        let _ = std::fs::remove_file(target);
        return Err(e.into());
    }
    File::open(target)
        .and_then(|file| file.sync_all())
        .map_err(file_error(target))?;
    let bytes = std::fs::metadata(target).map_err(file_error(target))?.len();
    Ok(format!(
        "backed up {} to {} ({bytes} bytes). Keep {} with it: the ID-token signing keys in the \
         backup are sealed with it, and a server with another secret cannot open them.",
        database.display(),
        target.display(),
        secret_source(config),
    ))
}

/// Held by every process that opens a SQLite database (shared), and by a restore (exclusive),
/// so a restore never replaces a database in use. It is a lock on a file beside the database,
/// not on the database itself, so it outlives the database file's replacement.
#[derive(Debug)]
pub struct InUse(#[allow(dead_code)] File);

/// The lock file, opened read-only when it exists (a lock needs no more, and a file made by
/// another user, root running a restore say, must not stop the server from starting).
fn lock_file(database: &Path) -> Result<File, BackupError> {
    let path = with_suffix(database, ".lock");
    match File::open(&path) {
        Ok(file) => Ok(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(file_error(&path)),
        Err(e) => Err(file_error(&path)(e)),
    }
}

/// Creates `path`, which must not exist, readable and writable by this user only.
fn private_file(path: &Path) -> Result<File, BackupError> {
    crate::create_private(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::Refused(format!(
                "{} exists already; a backup never overwrites a file",
                path.display()
            ))
        } else {
            file_error(path)(e)
        }
    })
}

impl InUse {
    /// Marks the configured database as in use, when it is a SQLite file.
    pub fn of(config: &Config) -> Result<Option<Self>, BackupError> {
        portcullis_store::sqlite_file(&config.database_url())
            .map(|database| Self::shared(&database))
            .transpose()
    }

    /// Marks the database at `database` as in use by this process, for as long as this lives;
    /// refused while a restore replaces it.
    pub fn shared(database: &Path) -> Result<Self, BackupError> {
        let file = lock_file(database)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(Self(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::Refused(format!(
                "{} is being restored; start again when the restore is done",
                database.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(file_error(database)(e)),
        }
    }

    fn exclusive(database: &Path) -> Result<Self, BackupError> {
        let file = lock_file(database)?;
        match file.try_lock() {
            Ok(()) => Ok(Self(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::Refused(format!(
                "{} is in use by a running Portcullis (a server or another command); stop it, \
                 then restore",
                database.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(file_error(database)(e)),
        }
    }
}

/// Puts the backup `source` in place of the configured SQLite database, which no process may be
/// using. The copy is checked whole and not newer than this release before anything is
/// replaced; the database it replaces is kept beside it, renamed.
pub async fn restore(config: &Config, source: &Path) -> Result<String, BackupError> {
    let Some(database) = portcullis_store::sqlite_file(&config.database_url()) else {
        return Err(BackupError::Refused(postgres_instructions(true)));
    };
    if config.signing_key_secret.is_none() && !config.signing_key_file().exists() {
        return Err(BackupError::Refused(format!(
            "copy the signing.key kept with the backup into {} first (or set signing_key_secret): \
             the signing keys in the backup open with it only",
            config.data_dir.display()
        )));
    }
    if !source.is_file() {
        return Err(BackupError::Refused(format!(
            "{} is not a file",
            source.display()
        )));
    }
    if let Some(parent) = database.parent() {
        std::fs::create_dir_all(parent).map_err(file_error(parent))?;
    }
    let _restoring = InUse::exclusive(&database)?;

    let incoming = with_suffix(&database, ".restoring");
    remove_with_journal(&incoming)?;
    let mut to = private_file(&incoming)?;
    let copied = File::open(source)
        .and_then(|mut from| {
            std::io::copy(&mut from, &mut to)?;
            to.sync_all()
        })
        .map_err(file_error(&incoming));
    drop(to);
    let checked = match copied {
        Ok(()) => check(&incoming).await,
        Err(e) => Err(e),
    };
    if checked.is_err() {
        let _ = remove_with_journal(&incoming);
    }
    let version = checked?;

    let kept = if database.exists() {
        // Fold the old database's log into it, so the copy kept below is whole by itself,
        // and no log is left to be read with the restored file.
        fold_log(&database).await?;
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        let kept = with_suffix(&database, &format!(".before-restore-{stamp}"));
        // A second name for the old file: the database's path is never empty.
        std::fs::hard_link(&database, &kept).map_err(file_error(&kept))?;
        Some(kept)
    } else {
        None
    };
    // Whatever log is left at the path (of a database removed by hand, say) is not the
    // restored file's.
    for journal in ["-wal", "-shm"] {
        let stale = with_suffix(&database, journal);
        if stale.exists() {
            let aside = with_suffix(&stale, ".stale");
            std::fs::rename(&stale, &aside).map_err(file_error(&stale))?;
        }
    }
    std::fs::rename(&incoming, &database).map_err(file_error(&incoming))?;
    let directory = match database.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The rename is durable once the directory is.
    File::open(&directory)
        .and_then(|dir| dir.sync_all())
        .map_err(file_error(&directory))?;
    let mut said = format!(
        "restored {} into {} (schema version {version})",
        source.display(),
        database.display()
    );
    if let Some(kept) = kept {
        said.push_str(&format!(
            "; the database it replaced is kept as {}",
            kept.display()
        ));
    }
    Ok(said)
}

/// Opens and closes the database, which folds its write-ahead log into the file.
async fn fold_log(database: &Path) -> Result<(), BackupError> {
    one_connection(sqlite_url(database)).await?.close().await;
    Ok(())
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// The database at `url`, with the one connection a command needs, not migrated.
async fn one_connection(url: String) -> Result<SqlStore, portcullis_core::StoreError> {
    SqlStore::connect(&ConnectOptions {
        url,
        max_connections: 1,
    })
    .await
}

/// The backup's schema version, once it is known to be a whole database this release can run.
async fn check(incoming: &Path) -> Result<i64, BackupError> {
    let store = one_connection(sqlite_url(incoming)).await?;
    let checked = async {
        let problems = store.integrity_problems().await?;
        if !problems.is_empty() {
            return Err(BackupError::Refused(format!(
                "the backup is damaged: {}",
                problems.join("; ")
            )));
        }
        let version = store.schema_version().await?;
        version.ok_or_else(|| {
            BackupError::Refused("the backup holds no Portcullis database".to_owned())
        })
    }
    .await;
    // Closing the last connection folds the write-ahead log back into the file.
    store.close().await;
    checked
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

fn remove_with_journal(path: &Path) -> Result<(), BackupError> {
    for journal in ["", "-wal", "-shm"] {
        let file = with_suffix(path, journal);
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(file_error(&file)(e));
            }
            _ => {}
        }
    }
    Ok(())
}

use portcullis_core::StoreError;

/// Maps a driver error into the domain's store error; unique violations become conflicts
/// naming the index, so services can tell which field was taken.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(
            db.constraint()
                .map_or_else(|| db.message().to_owned(), str::to_owned),
        ),
        // 22021: a NUL byte in text (character_not_in_repertoire); 22P05: untranslatable.
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("22021" | "22P05")) => {
            StoreError::UnstorableText(db.message().to_owned())
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Other(error.to_string()),
    }
}

pub(crate) type Result<T> = std::result::Result<T, StoreError>;

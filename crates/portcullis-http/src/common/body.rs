//! Reading a request's body within the limit, alike on every surface; each surface words a
//! [`BodyError`] in its own shape.

use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;

/// Why a body could not be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Over the limit (413).
    TooLarge,
    /// Neither JSON nor a form (415).
    UnsupportedType,
    /// Not what its type says, or cut off (400), with the words for the caller.
    Malformed(&'static str),
}

/// Reads the body of a request of at most `limit` bytes: refused before reading anything when
/// its `Content-Length` says more, or as soon as more arrives.
pub async fn read_limited(req: Request, limit: usize) -> Result<bytes::Bytes, BodyError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    read_body(req.into_body(), limit).await
}

/// Reads a whole request body of at most `limit` bytes.
pub async fn read_body(body: axum::body::Body, limit: usize) -> Result<bytes::Bytes, BodyError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|inner| inner.is::<http_body_util::LengthLimitError>());
        if too_large {
            BodyError::TooLarge
        } else {
            BodyError::Malformed("The request body could not be read.")
        }
    })
}

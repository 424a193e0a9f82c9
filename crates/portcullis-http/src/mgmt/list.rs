//! Document 003's list envelope and timestamps.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `{"type": "List", "total", "count", "limit", "data"}`.
#[derive(Serialize)]
pub struct ListJson<T> {
    #[serde(rename = "type")]
    kind: &'static str,
    total: i64,
    count: usize,
    limit: i64,
    data: Vec<T>,
}

impl<T> ListJson<T> {
    pub fn new(data: Vec<T>, total: i64, limit: i64) -> Self {
        Self {
            kind: "List",
            total,
            count: data.len(),
            limit,
            data,
        }
    }
}

/// RFC 3339 in UTC with nanoseconds, as document 003 prints them.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

//! Mail waiting to be sent.

use time::OffsetDateTime;

/// A message ready to send: plain text and HTML of the same content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A queued message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub mail: Mail,
    pub attempts: i64,
    pub next_attempt_at: OffsetDateTime,
}

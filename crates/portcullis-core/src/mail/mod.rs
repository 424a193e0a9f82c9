//! Mail: what the domain sends, and how it gets out without blocking a request or getting lost.
//!
//! Services never send directly. They put a message in the database queue, in the same
//! transaction as whatever the message is about (a new user's verification token, say), and
//! wake the [`MailWorker`], which delivers through the configured [`Mailer`] transport and
//! retries failures with growing delays. Nothing is lost on a crash or a restart; several nodes
//! on one database never send the same message twice, because each claims a message before
//! sending it.

use crate::model::Mail;

mod worker;

pub use worker::{MailWorker, RETRY_DELAYS};

use async_trait::async_trait;

/// A way out for mail: SMTP, or `.eml` files in an outbox directory (the development default).
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Delivers one message; an error is retried later by the worker.
    async fn send(&self, from: &str, mail: &Mail) -> Result<(), String>;
}

/// A way out for text messages (2FA codes): an SMS gateway, or files in the outbox.
#[async_trait]
pub trait Texter: Send + Sync + 'static {
    /// Sends `text` to the phone number `to` (`+<country code><number>`).
    async fn send(&self, to: &str, text: &str) -> Result<(), String>;
}

/// Escapes text for an HTML body.
pub fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A message with one call to action: a greeting, a paragraph, and a link, in both forms.
pub fn with_link(to: &str, app_name: &str, subject: &str, paragraph: &str, link: &str) -> Mail {
    let text = format!("Hello,\n\n{paragraph}\n\n{link}\n\n{app_name}\n");
    let html = format!(
        "<!doctype html><html><body>\
         <p>Hello,</p><p>{}</p><p><a href=\"{}\">{}</a></p><p>{}</p>\
         </body></html>",
        html_escape(paragraph),
        html_escape(link),
        html_escape(link),
        html_escape(app_name),
    );
    Mail {
        to: to.to_owned(),
        subject: format!("{app_name}: {subject}"),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_parts_are_escaped() {
        let mail = with_link(
            "a@example.com",
            "<Acme & Co>",
            "Confirm",
            "Click \"here\"",
            "https://x.test/?a=1&b=2",
        );
        assert!(mail.html.contains("&lt;Acme &amp; Co&gt;"));
        assert!(mail.html.contains("href=\"https://x.test/?a=1&amp;b=2\""));
        assert!(mail.text.contains("https://x.test/?a=1&b=2"));
        assert_eq!(mail.subject, "<Acme & Co>: Confirm");
    }
}

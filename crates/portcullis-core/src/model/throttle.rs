//! What the throttles count.

/// What ran out of attempts, so each surface can say so in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Login attempts (and the captchas that go with them).
    Logins,
    /// Requests that make the server send mail to an address the caller names: sign-ups and
    /// password resets.
    Mails,
    /// Second-factor codes for one account.
    SecondFactor,
}

//! The cookies of the login pages: the second-factor challenge between the password and the code,
//! and a remembered browser's secret.

use crate::common::web_session::browser_cookie;
use axum::http::HeaderValue;
use cookie::SameSite;
use portcullis_core::model::Method;
use portcullis_core::two_factor::CHALLENGE_LIFETIME;
use portcullis_core::Secret;

/// The cookie holding `<method>.<challenge>` between the password and the code.
pub const CHALLENGE_COOKIE: &str = "portcullis_challenge";

/// The cookie holding a remembered browser's secret.
pub const DEVICE_COOKIE: &str = "portcullis_device";

/// `Set-Cookie` for a new challenge, kept as long as the challenge is good.
pub fn challenge_cookie(method: Method, challenge: &Secret) -> HeaderValue {
    login_cookie(
        CHALLENGE_COOKIE,
        format!("{}.{}", method.as_str(), challenge.expose()),
        CHALLENGE_LIFETIME.whole_seconds(),
    )
}

/// A cookie of the login pages. `Lax`, not `Strict`: a sign-in that comes back from a social
/// network arrives by a cross-site navigation, and must still find the remembered browser and,
/// one redirect later, its second-factor challenge. Cross-site posts never carry them, and
/// every form is CSRF-checked besides.
pub fn login_cookie(name: &str, value: String, max_age: i64) -> HeaderValue {
    browser_cookie((name, value), "/login", SameSite::Lax, max_age)
}

/// The cookie naming the tenant an operator manages from the console, and the browser session
/// that chose it (`<tenant>.<session>`). Only a choice: the server decides on every request
/// whether the session may act there (see `portcullis_core::Services::acting_in`), and a
/// choice made in another session counts for nothing. `Strict`; on `/`, so that over HTTPS it
/// is a `__Host-` cookie no sibling host can set.
pub const CONSOLE_TENANT_COOKIE: &str = "portcullis_console_tenant";

/// `Set-Cookie` choosing `tenant` in the console for `session`, or forgetting the choice when
/// `None`.
pub fn console_tenant_cookie(choice: Option<(&str, &str)>) -> HeaderValue {
    let value = choice.map_or(String::new(), |(tenant, session)| {
        format!("{tenant}.{session}")
    });
    let max_age = if choice.is_some() { 8 * 3600 } else { 0 };
    browser_cookie(
        (CONSOLE_TENANT_COOKIE, value),
        "/",
        SameSite::Strict,
        max_age,
    )
}

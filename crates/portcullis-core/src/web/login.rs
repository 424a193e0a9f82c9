//! Logging in on the hosted pages: the one password check, a second factor unless the browser
//! is remembered, and where to go afterwards.

use crate::auth::LoginOutcome;
use crate::error::{Error, Result};
use crate::field::Rule;
use crate::ids::Secret;
use crate::model::{amr, ClientInfo, SessionClient, Tenant};
use crate::services::Services;
use crate::throttle::Throttling;

/// Where a signed-in browser goes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterLogin {
    GoTo(String),
    /// The application the login was for does not let this user in (`allowed_roles`).
    NoAccess {
        application: String,
    },
}

/// A page sign-in that owed a captcha and sent none.
fn picture_missing() -> Error {
    Error::invalid(
        "captcha",
        Rule::Other("Type the characters in the picture.".into()),
    )
}

/// Where a login with nowhere else to go ends.
pub const ACCOUNT_PAGE: &str = "/account";

/// `return_to` when it is a path on this server, so a login can never send a browser
/// elsewhere (no open redirect): it must start with one `/` (not `//`, which browsers read as
/// another host), and hold no backslash (which some browsers read as `/`), control character
/// or non-ASCII character (a `Location` header cannot carry one unencoded).
pub fn return_path(return_to: &str) -> Option<&str> {
    let local = return_to.starts_with('/')
        && !return_to.starts_with("//")
        && !return_to.contains('\\')
        && return_to.bytes().all(|b| (b' '..=b'~').contains(&b));
    local.then_some(return_to)
}

impl Services {
    /// A password login from the hosted pages: every rule of [`Services::login`] (throttles,
    /// bans, `allow_passwords`, unconfirmed addresses), a browser's session lasting
    /// `remember_login_seconds`, and the second factor unless `remembered_device` is a browser
    /// secret this user remembered (see [`Services::remember_device`]). Once the address has
    /// failed often (see [`Services::login_needs_captcha`]), the image captcha `(key,
    /// answer)` must be solved first (a 422 on `captcha` otherwise), and is spent: one picture,
    /// one password checked.
    pub async fn web_login(
        &self,
        tenant: &Tenant,
        login: &str,
        password: &Secret,
        client: &ClientInfo,
        remembered_device: Option<&str>,
        captcha: Option<(&str, &str)>,
    ) -> Result<LoginOutcome> {
        let ip = client.ip.as_deref();
        // Passwords off: refused by the check at once, with nothing counted.
        let reserved = match tenant.settings.allow_passwords {
            true => {
                // Without a picture where one is due already, nothing is counted at all.
                if captcha.is_none() && self.login_needs_captcha(tenant, ip).await? {
                    return Err(picture_missing());
                }
                let reserved = self.reserve_attempt(tenant, ip, login).await;
                Some(self.counters.count_failed_check(reserved)?)
            }
            false => None,
        };
        let throttling = match &reserved {
            Some(attempt) => {
                if attempt.captcha_due(&tenant.settings) {
                    let solved = match captcha {
                        Some((key, answer)) => self.spend_captcha(tenant, key, answer).await,
                        None => Err(picture_missing()),
                    };
                    if let Err(refusal) = solved {
                        // No password was looked at: nothing was guessed.
                        self.attempt_unchecked(attempt).await?;
                        return Err(refusal);
                    }
                }
                Throttling::FailuresReserved(attempt)
            }
            None => Throttling::CountFailures,
        };
        let checked = self
            .check_password(tenant, login, password, client, throttling)
            .await;
        let user = self.counters.count_failed_check(checked)?;
        self.web_sign_in(tenant, user, client, remembered_device, amr(&["pwd"]))
            .await
    }

    /// Signs `user` in on the pages once they proved who they are (a password, a social
    /// network): the second factor unless the browser is remembered, then a browser's
    /// session.
    pub(crate) async fn web_sign_in(
        &self,
        tenant: &Tenant,
        user: crate::model::User,
        client: &ClientInfo,
        remembered_device: Option<&str>,
        amr: Vec<String>,
    ) -> Result<LoginOutcome> {
        let second = crate::auth::SecondStep::UnlessRemembered(remembered_device);
        self.sign_in(tenant, user, client, SessionClient::Browser, second, amr)
            .await
    }

    /// Where a browser signed in as `user` goes: `return_to` when it is a local path (see
    /// [`return_path`]; an authorization request there applies the application's rules
    /// itself), else the `login_url` of the tenant's application `client_id` when its
    /// `allowed_roles` let the user in ([`AfterLogin::NoAccess`] when they do not), else the
    /// account page.
    pub async fn after_login(
        &self,
        tenant: &Tenant,
        user: &crate::model::User,
        return_to: &str,
        client_id: &str,
    ) -> Result<AfterLogin> {
        if let Some(path) = return_path(return_to) {
            return Ok(AfterLogin::GoTo(path.to_owned()));
        }
        let client_id = client_id.trim();
        let application = match client_id.is_empty() {
            true => None,
            false => self.store.application(&tenant.id, client_id).await?,
        };
        let Some(application) = application else {
            return Ok(AfterLogin::GoTo(ACCOUNT_PAGE.to_owned()));
        };
        if !self.may_use_application(&application, user).await? {
            return Ok(AfterLogin::NoAccess {
                application: application.name,
            });
        }
        Ok(AfterLogin::GoTo(
            Some(application.login_url)
                .filter(|url| !url.is_empty())
                .unwrap_or_else(|| ACCOUNT_PAGE.to_owned()),
        ))
    }

    /// Whether a browser already signed in as `principal` may skip the login form on its way
    /// to `return_to`. Not when it goes back to an authorization request that asks for a
    /// sign-in newer than this session (`prompt=login`, `max_age`): sending it straight back
    /// would bounce between the two forever.
    pub fn signed_in_for(&self, principal: &crate::model::Principal, return_to: &str) -> bool {
        use crate::oidc::authorize::{login_after, signed_in_after};
        let wish = return_path(return_to).and_then(login_after);
        // A session-less principal never signed in at all: as long ago as can be.
        let at = principal
            .authenticated_at
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        signed_in_after(at, wish, self.now())
    }

    /// The origins a login form for application `client_id` may end up at after its
    /// redirects (the application's `login_url` and `redirect_urls`), for the page's
    /// `form-action` policy. Empty for an unknown application.
    pub async fn application_origins(
        &self,
        tenant: &Tenant,
        client_id: &str,
    ) -> Result<Vec<String>> {
        let client_id = client_id.trim();
        if client_id.is_empty() {
            return Ok(Vec::new());
        }
        let Some(app) = self.store.application(&tenant.id, client_id).await? else {
            return Ok(Vec::new());
        };
        let mut origins: Vec<String> = Vec::new();
        for url in std::iter::once(&app.login_url).chain(&app.redirect_urls) {
            let Ok(parsed) = url::Url::parse(url) else {
                continue;
            };
            let origin = parsed.origin().ascii_serialization();
            if origin != "null" && !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        Ok(origins)
    }
}

#[cfg(test)]
mod tests {
    use super::return_path;

    #[test]
    fn only_local_paths_are_returned_to() {
        for good in ["/", "/account", "/oauth2/authorize?client_id=a&state=b"] {
            assert_eq!(return_path(good), Some(good));
        }
        for bad in [
            "",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "evil.example/x",
            "javascript:alert(1)",
            "/a\nb",
            "/caf\u{e9}",
            "/a\u{7f}",
        ] {
            assert_eq!(return_path(bad), None, "{bad:?}");
        }
    }
}

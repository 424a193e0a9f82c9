//! Applications: a tenant's OIDC clients (document 003). The id is the client id; the secret is
//! generated here and kept so that the management API can show it, as the document does.

use crate::error::{Error, Result};
use crate::field::{FieldError, Rule};
use crate::ids::Secret;
pub use crate::model::ApplicationInput;
use crate::model::{Application, Metadata, Principal, Tenant};
pub use crate::oidc::urls::{url_problem, MAX_URL_CHARS};
use crate::services::Services;

pub const ID_LEN: usize = 12;
pub const SECRET_LEN: usize = 24;
/// URLs per list (`logout_urls`, `redirect_urls`).
pub const MAX_URLS: usize = 50;
const MAX_NAME_CHARS: usize = 255;

impl ApplicationInput {
    fn checked(self, developer_mode: bool) -> Result<Self> {
        crate::metadata::check(&self.metadata)?;
        let mut problems = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            problems.push(FieldError::new(
                "name",
                Rule::Length {
                    max: MAX_NAME_CHARS,
                },
            ));
        } else if name.chars().any(misleads) {
            problems.push(FieldError::other(
                "name",
                "Must not hold control or text-direction characters.",
            ));
        }
        let login_url = self.login_url.trim().to_owned();
        if !login_url.is_empty() {
            if let Some(problem) = url_problem(&login_url, developer_mode) {
                problems.push(FieldError::other("login_url", problem));
            }
        }
        let mut lists = [
            ("logout_urls", self.logout_urls),
            ("redirect_urls", self.redirect_urls),
        ];
        for (field, urls) in &mut lists {
            if urls.len() > MAX_URLS {
                problems.push(FieldError::new(*field, Rule::TooMany { max: MAX_URLS }));
            }
            for (i, url) in urls.iter_mut().enumerate() {
                *url = url.trim().to_owned();
                if let Some(problem) = url_problem(url, developer_mode) {
                    problems.push(FieldError::other(format!("{field}[{i}]"), problem));
                }
            }
        }
        problems.extend(backchannel_problems(&self.metadata, developer_mode));
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let [(_, logout_urls), (_, redirect_urls)] = lists;
        Ok(Self {
            name,
            login_url,
            logout_urls,
            redirect_urls,
            metadata: self.metadata,
        })
    }
}

/// Characters that would let a name (shown to people on the consent screen) pass for another:
/// controls, and those that reorder or hide text.
fn misleads(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// What is wrong with the back-channel logout metadata: the URI is told of ended sessions, so
/// it must be a URL an application may use; the flag is a boolean.
fn backchannel_problems(metadata: &Metadata, developer_mode: bool) -> Vec<FieldError> {
    use crate::oidc::clients::{
        BACKCHANNEL_LOGOUT_SESSION_REQUIRED_KEY, BACKCHANNEL_LOGOUT_URI_KEY,
    };
    let mut problems = Vec::new();
    if let Some(uri) = metadata.get(BACKCHANNEL_LOGOUT_URI_KEY) {
        if let Some(problem) = url_problem(uri, developer_mode) {
            problems.push(FieldError::other(
                format!("metadata.{BACKCHANNEL_LOGOUT_URI_KEY}"),
                problem,
            ));
        }
    }
    if let Some(flag) = metadata.get(BACKCHANNEL_LOGOUT_SESSION_REQUIRED_KEY) {
        if flag != "true" && flag != "false" {
            problems.push(FieldError::other(
                format!("metadata.{BACKCHANNEL_LOGOUT_SESSION_REQUIRED_KEY}"),
                "Must be true or false.",
            ));
        }
    }
    problems
}

/// What an application's sealed secret belongs to.
fn sealed_for(application: &Application) -> crate::sealing::SealedFor<'_> {
    crate::sealing::SealedFor::Application {
        tenant: application.tenant_id.as_str(),
        id: &application.id,
    }
}

/// The services below take a tenant their caller may act on: the management API hands them
/// only a tenant its key reaches (see [`Services::tenant_for_key`]).
impl Services {
    /// A page of the tenant's applications, oldest first, with how many there are.
    pub async fn applications(
        &self,
        tenant: &Tenant,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Application>, i64)> {
        let (page, total) = self.store.applications(&tenant.id, offset, limit).await?;
        let page = page
            .into_iter()
            .map(|app| self.opened(app))
            .collect::<Result<_>>()?;
        Ok((page, total))
    }

    /// The application with its secret opened (it is stored sealed, see [`crate::sealing`]).
    pub(crate) fn opened(&self, mut application: Application) -> Result<Application> {
        let secret = self.unseal(sealed_for(&application), application.secret.expose())?;
        application.secret = Secret::new(secret);
        Ok(application)
    }

    /// The application as it is stored: its secret sealed.
    pub(crate) fn sealed(&self, application: &Application) -> Result<Application> {
        let sealed = self.seal(sealed_for(application), application.secret.expose())?;
        Ok(Application {
            secret: Secret::new(sealed),
            ..application.clone()
        })
    }

    /// One application of the tenant; [`Error::NotFound`] otherwise.
    pub async fn application(&self, tenant: &Tenant, id: &str) -> Result<Application> {
        let application = self.store.application(&tenant.id, id).await?;
        self.opened(application.ok_or(Error::NotFound)?)
    }

    /// Creates an application with a new id and secret.
    pub async fn create_application(
        &self,
        tenant: &Tenant,
        input: ApplicationInput,
    ) -> Result<Application> {
        let input = input.checked(tenant.settings.developer_mode)?;
        let now = self.now();
        let application = Application {
            id: crate::random::base62(ID_LEN),
            tenant_id: tenant.id.clone(),
            name: input.name,
            secret: Secret::new(crate::random::base62(SECRET_LEN)),
            login_url: input.login_url,
            logout_urls: input.logout_urls,
            redirect_urls: input.redirect_urls,
            metadata: input.metadata,
            created_at: now,
            updated_at: now,
        };
        self.store
            .create_application(&self.sealed(&application)?)
            .await?;
        Ok(application)
    }

    /// Replaces everything of the application but its id, secret and creation time.
    pub async fn update_application(
        &self,
        tenant: &Tenant,
        id: &str,
        input: ApplicationInput,
    ) -> Result<Application> {
        let current = self
            .store
            .application(&tenant.id, id)
            .await?
            .ok_or(Error::NotFound)?;
        let current = self.opened(current)?;
        let input = input.checked(tenant.settings.developer_mode)?;
        let application = Application {
            name: input.name,
            login_url: input.login_url,
            logout_urls: input.logout_urls,
            redirect_urls: input.redirect_urls,
            metadata: input.metadata,
            updated_at: self.now(),
            ..current
        };
        // The store leaves the (sealed) secret as it is.
        let updated = self.store.update_application(&application).await?;
        self.principals.forget_clients();
        if !updated {
            return Err(Error::NotFound);
        }
        Ok(application)
    }

    /// Deletes the application, and with it every grant and OIDC token it was given, and
    /// returns its last version.
    pub async fn delete_application(&self, tenant: &Tenant, id: &str) -> Result<Application> {
        let deleted = self
            .store
            .delete_application(&tenant.id, id)
            .await?
            .ok_or(Error::NotFound)?;
        // Its grants, and the access tokens they issued, went with it (whose users are not
        // known here): no token lookup may outlive them.
        self.principals.forget_all();
        self.opened(deleted)
    }
}

impl Services {
    /// The tenant whose applications `principal` manages in the console: their own, when they
    /// are the operator or their role holds `settings.auth`; [`Error::Forbidden`] otherwise.
    /// The services above then reach only that tenant's applications.
    pub async fn applications_tenant(&self, principal: &Principal) -> Result<Tenant> {
        let allowed = self.is_operator(principal).await?
            || self
                .holds(principal, crate::rbac::permissions::SETTINGS_AUTH)
                .await?;
        if !allowed {
            return Err(Error::Forbidden);
        }
        self.console_tenant(principal).await
    }

    /// Gives the application a new secret (the old one stops working at once) and returns it
    /// with the new secret. Tokens already issued stay valid: a leaked secret is replaced, a
    /// compromised application is deleted.
    pub async fn rotate_application_secret(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<Application> {
        let stored = self
            .store
            .application(&tenant.id, id)
            .await?
            .ok_or(Error::NotFound)?;
        let rotated = Application {
            secret: Secret::new(crate::random::base62(SECRET_LEN)),
            ..self.opened(stored.clone())?
        };
        let sealed = self.sealed(&rotated)?;
        // Compared with the sealed secret read above: of two rotations at once, one wins and
        // the other is told, rather than showing a secret that no longer works.
        let replaced = self
            .store
            .replace_application_secret(
                &tenant.id,
                id,
                stored.secret.expose(),
                sealed.secret.expose(),
            )
            .await?;
        // Nodes remember clients: none may take the old secret once this returns.
        self.principals.forget_clients();
        if !replaced {
            return Err(Error::Conflict(
                "The secret changed meanwhile; look at the application again.",
            ));
        }
        Ok(rotated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_absolute_https_or_local_http() {
        for good in [
            "https://example.test/auth/callback",
            "https://example.test:8443/cb?x=1",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
        ] {
            assert_eq!(url_problem(good, false), None, "{good}");
        }
        for bad in [
            "/auth/callback",
            "example.test/cb",
            "http://example.test/cb",
            "ftp://example.test/cb",
            "javascript:alert(1)",
            "https://user:pw@example.test/cb",
            "https://example.test/cb#frag",
            "http://localhost.example.test/cb",
            "",
        ] {
            assert!(url_problem(bad, false).is_some(), "{bad}");
        }
        assert_eq!(url_problem("http://example.test/cb", true), None);
        assert!(url_problem("ftp://example.test/cb", true).is_some());
    }

    #[test]
    fn a_name_may_not_reorder_or_hide_text() {
        for name in ["Bank\u{202E}tnuocca", "Pay\u{200B}Pal", "Tab\there"] {
            let input = ApplicationInput {
                name: name.into(),
                ..ApplicationInput::default()
            };
            assert!(input.checked(false).is_err(), "{name:?}");
        }
        let fine = ApplicationInput {
            name: "Photo printer (Zürich)".into(),
            ..ApplicationInput::default()
        };
        assert!(fine.checked(false).is_ok());
    }

    #[test]
    fn input_problems_name_the_field_and_index() {
        let input = ApplicationInput {
            name: "App".into(),
            login_url: "http://example.test/login".into(),
            redirect_urls: vec!["https://ok.test/cb".into(), "nope".into()],
            ..Default::default()
        };
        let Err(Error::Invalid(problems)) = input.clone().checked(false) else {
            panic!("invalid");
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["login_url", "redirect_urls[1]"]);
        let Err(Error::Invalid(problems)) = input.checked(true) else {
            panic!("still invalid");
        };
        assert_eq!(problems.len(), 1);
        let empty = ApplicationInput::default().checked(false);
        assert!(matches!(empty, Err(Error::Invalid(p)) if p[0].field == "name"));
    }
}

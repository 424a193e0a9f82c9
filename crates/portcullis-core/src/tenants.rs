//! Tenants as the management API (document 003) sees them: reached through an API key bound
//! to one tenant or to all.

use crate::error::{Constraint, Error, Result};
use crate::field::{FieldError, Rule};
use crate::ids::TenantId;
use crate::model::{ApiKey, Metadata, Tenant, TenantSettings, DEFAULT_TENANT};
use crate::services::Services;

impl Services {
    /// The tenants the key reaches, a page at a time, with how many there are.
    pub async fn tenants_for_key(
        &self,
        key: &ApiKey,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Tenant>, i64)> {
        match &key.tenant_id {
            None => Ok(self.store.tenants(offset, limit).await?),
            Some(id) => {
                let tenant = self.store.tenant_by_id(id).await?;
                let total = i64::from(tenant.is_some());
                let page = tenant
                    .into_iter()
                    .skip(offset as usize)
                    .take(limit as usize);
                Ok((page.collect(), total))
            }
        }
    }

    /// The tenant `id` names, when the key reaches it; [`Error::NotFound`] otherwise, so a key
    /// learns nothing about other tenants.
    pub async fn tenant_for_key(&self, key: &ApiKey, id: &str) -> Result<Tenant> {
        let id = TenantId(id.to_owned());
        if !key.reaches(&id) {
            return Err(Error::NotFound);
        }
        self.store.tenant_by_id(&id).await?.ok_or(Error::NotFound)
    }
}

/// The management API's view of a tenant's settings (document 003). The settings record
/// keeps more (throttles, captcha, ...); those are left as they are when this view is written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManagedSettings {
    /// Empty: no host name picks the tenant.
    pub domain: String,
    pub company_name: String,
    pub logo_image_text: String,
    pub support_email: String,
    pub allow_social: bool,
    pub allow_hardware: bool,
    pub allow_passwords: bool,
    pub allow_totp_app: bool,
    pub allow_totp_email: bool,
    pub allow_unverified: bool,
    pub remember_device: bool,
    pub remember_device_seconds: i64,
    pub remember_login_seconds: i64,
    pub allow_signups: bool,
    pub developer_mode: bool,
    /// Anyone may register an application at `/oauth2/register`, without a token.
    pub allow_client_registration: bool,
}

/// A tenant as a management request writes it: the whole object, zero values for what the
/// caller left out.
#[derive(Debug, Clone, Default)]
pub struct TenantInput {
    pub name: String,
    pub settings: ManagedSettings,
    pub metadata: Metadata,
}

use crate::settings::MAX_REMEMBER_SECONDS;
const MAX_TEXT_CHARS: usize = 255;

impl ManagedSettings {
    pub fn of(settings: &TenantSettings) -> Self {
        Self {
            domain: settings.domain.clone().unwrap_or_default(),
            company_name: settings.company_name.clone(),
            logo_image_text: settings.logo_image_text.clone(),
            support_email: settings.support_email.clone(),
            allow_social: settings.allow_social,
            allow_hardware: settings.allow_hardware,
            allow_passwords: settings.allow_passwords,
            allow_totp_app: settings.allow_totp_app,
            allow_totp_email: settings.allow_totp_email,
            allow_unverified: settings.allow_unverified,
            remember_device: settings.remember_device,
            remember_device_seconds: settings.remember_device_seconds,
            remember_login_seconds: settings.remember_login_seconds,
            allow_signups: settings.allow_signups,
            developer_mode: settings.developer_mode,
            allow_client_registration: settings.allow_client_registration,
        }
    }

    /// Checks the fields and normalizes the domain (lowercase, empty means none).
    fn checked(mut self, problems: &mut Vec<FieldError>) -> Self {
        match normalize_domain(&self.domain) {
            Ok(domain) => self.domain = domain,
            Err(message) => problems.push(FieldError::other("settings.domain", message)),
        }
        for (field, text) in [
            ("company_name", &self.company_name),
            ("logo_image_text", &self.logo_image_text),
        ] {
            if text.chars().count() > MAX_TEXT_CHARS {
                problems.push(FieldError::new(
                    format!("settings.{field}"),
                    Rule::TooLong {
                        max: MAX_TEXT_CHARS,
                    },
                ));
            }
        }
        self.support_email = self.support_email.trim().to_owned();
        if !self.support_email.is_empty() && !crate::accounts::looks_like_email(&self.support_email)
        {
            problems.push(FieldError::new("settings.support_email", Rule::Email));
        }
        for (field, seconds) in [
            ("remember_device_seconds", self.remember_device_seconds),
            ("remember_login_seconds", self.remember_login_seconds),
        ] {
            if !(0..=MAX_REMEMBER_SECONDS).contains(&seconds) {
                problems.push(FieldError::new(
                    format!("settings.{field}"),
                    Rule::Between {
                        min: 0,
                        max: MAX_REMEMBER_SECONDS,
                    },
                ));
            }
        }
        self
    }

    /// The record's fields this view writes, by their names in the settings record; the
    /// record's other fields are not this view's to write.
    fn fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let domain = Some(self.domain.as_str()).filter(|d| !d.is_empty());
        let serde_json::Value::Object(fields) = serde_json::json!({
            "domain": domain,
            "company_name": self.company_name,
            "logo_image_text": self.logo_image_text,
            "support_email": self.support_email,
            "allow_social": self.allow_social,
            "allow_hardware": self.allow_hardware,
            "allow_passwords": self.allow_passwords,
            "allow_totp_app": self.allow_totp_app,
            "allow_totp_email": self.allow_totp_email,
            "allow_unverified": self.allow_unverified,
            "remember_device": self.remember_device,
            "remember_device_seconds": self.remember_device_seconds,
            "remember_login_seconds": self.remember_login_seconds,
            "allow_signups": self.allow_signups,
            "developer_mode": self.developer_mode,
            "allow_client_registration": self.allow_client_registration,
        }) else {
            unreachable!("a JSON object literal")
        };
        fields
    }

    /// Writes this view into the record; fields the view does not have stay.
    fn apply(&self, settings: &mut TenantSettings) {
        *settings = crate::settings::merged(settings, &self.fields());
    }
}

/// A host name as requests' `Host` headers carry it (without a port), lowercased; `""` for
/// none.
pub fn normalize_domain(domain: &str) -> std::result::Result<String, &'static str> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if domain.is_empty() || (domain.len() <= 253 && domain.split('.').all(label_ok)) {
        Ok(domain)
    } else {
        Err("A host name such as auth.example.com (letters, digits, hyphens and dots; no port).")
    }
}

impl TenantInput {
    /// The input, checked (with the problems found) and normalized.
    fn checked(self) -> Result<Self> {
        let mut problems = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > MAX_TEXT_CHARS {
            problems.push(FieldError::new(
                "name",
                Rule::Length {
                    max: MAX_TEXT_CHARS,
                },
            ));
        }
        let settings = self.settings.checked(&mut problems);
        crate::metadata::check(&self.metadata)?;
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        Ok(Self {
            name,
            settings,
            metadata: self.metadata,
        })
    }
}

/// Which host picks a tenant decides whose users, tokens, login pages and discovery that host
/// serves, and developer mode lets its applications use plain HTTP: only the operator (an
/// all-tenants key, the command line) sets them.
/// Why a tenant with passkeys keeps its domain unless told otherwise.
pub const PASSKEYS_STAY: &str = "Passkeys are bound to the tenant's host: with a new domain, \
    every passkey of this tenant stops working. Send force=true to change it anyway.";
pub const OPERATOR_DOMAIN: &str = "Only the operator may change settings.domain.";
pub const OPERATOR_DEVELOPER_MODE: &str = "Only the operator may change settings.developer_mode.";

/// The host of a URL, lowercased.
fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .host_str()
        .map(|host| host.trim_end_matches('.').to_ascii_lowercase())
}

fn name_taken(error: crate::error::StoreError) -> Error {
    match error {
        crate::error::StoreError::Conflict(Constraint::TenantDomain) => {
            Error::invalid("settings.domain", Rule::Taken)
        }
        crate::error::StoreError::Conflict(Constraint::TenantName) => {
            Error::invalid("name", Rule::Taken)
        }
        other => other.into(),
    }
}

impl Services {
    /// Creates a tenant with the built-in roles and permissions; the settings the management
    /// view does not have take their defaults.
    pub async fn create_tenant(&self, input: TenantInput) -> Result<Tenant> {
        let input = input.checked()?;
        self.check_host_is_free(&input.name, &input.settings.domain)?;
        let now = self.now();
        let mut settings = TenantSettings::default();
        input.settings.apply(&mut settings);
        let tenant = Tenant {
            id: TenantId(crate::random::base62(16)),
            name: input.name,
            settings,
            metadata: input.metadata,
            created_at: now,
            updated_at: now,
        };
        self.store
            .create_tenant(&tenant)
            .await
            .map_err(name_taken)?;
        self.store
            .ensure_rbac(
                &tenant.id,
                crate::rbac::BUILTIN_ROLES,
                crate::rbac::BUILTIN_PERMISSIONS,
                crate::rbac::ADMIN_ROLE,
                now,
            )
            .await?;
        // Its domain now picks it: remembered host owners are stale.
        self.principals.forget_all();
        Ok(tenant)
    }

    /// The host of `public_url` is the default tenant's: another tenant claiming it would
    /// take over the server's own login pages, discovery and API.
    pub(crate) fn check_host_is_free(&self, tenant_name: &str, domain: &str) -> Result<()> {
        if tenant_name != DEFAULT_TENANT
            && !domain.is_empty()
            && host_of(&self.public_url).as_deref() == Some(domain)
        {
            return Err(Error::invalid(
                "settings.domain",
                Rule::Other(
                    "This host is the server's own (public_url); it belongs to the default tenant."
                        .into(),
                ),
            ));
        }
        Ok(())
    }

    /// `POST /v1/tenants`: only a key that reaches every tenant may create one.
    pub async fn create_tenant_for_key(&self, key: &ApiKey, input: TenantInput) -> Result<Tenant> {
        if key.tenant_id.is_some() {
            return Err(Error::Forbidden);
        }
        self.create_tenant(input).await
    }

    /// Replaces the tenant's name, management settings and metadata (document 003's
    /// full-object update) for `key`, which reaches `tenant` (see [`Services::tenant_for_key`]);
    /// only an all-tenants key changes the operator's fields. Every remembered token lookup is
    /// dropped, since each carries its tenant's settings.
    /// A new domain moves the tenant's WebAuthn relying party, and every passkey its users
    /// registered stops working: refused ([`Error::Conflict`]) unless `force`.
    pub async fn update_tenant_for_key(
        &self,
        key: &ApiKey,
        tenant: Tenant,
        input: TenantInput,
        force: bool,
    ) -> Result<Tenant> {
        self.update_tenant(tenant, input, force, key.tenant_id.is_none())
            .await
    }

    /// [`Self::update_tenant_for_key`] for a caller who is the operator (`operator`: an
    /// all-tenants key, an operator in the console) or not.
    pub(crate) async fn update_tenant(
        &self,
        tenant: Tenant,
        input: TenantInput,
        force: bool,
        operator: bool,
    ) -> Result<Tenant> {
        let input = input.checked()?;
        // Surfaces find the default tenant by its name.
        if tenant.name == DEFAULT_TENANT && input.name != DEFAULT_TENANT {
            return Err(Error::invalid(
                "name",
                Rule::Other(
                    format!("The default tenant keeps its name, {DEFAULT_TENANT:?}.").into(),
                ),
            ));
        }
        if !operator {
            // Full-object POST: sending back the value it has is fine.
            if input.settings.domain != tenant.settings.domain.clone().unwrap_or_default() {
                return Err(Error::Refused(OPERATOR_DOMAIN));
            }
            if input.settings.developer_mode != tenant.settings.developer_mode {
                return Err(Error::Refused(OPERATOR_DEVELOPER_MODE));
            }
        }
        self.check_host_is_free(&tenant.name, &input.settings.domain)?;
        // The origin moves with the domain, and with developer mode's scheme where a domain is set.
        let domain = tenant.settings.domain.clone().unwrap_or_default();
        let moves = input.settings.domain != domain
            || (!domain.is_empty()
                && input.settings.developer_mode != tenant.settings.developer_mode);
        if moves && !force && self.store.tenant_has_passkeys(&tenant.id).await? {
            return Err(Error::Conflict(PASSKEYS_STAY));
        }
        // Only the view's fields are written, over what the database holds now: a change of
        // the record's other fields made meanwhile (PATCH /api/settings) stays.
        let updated = self
            .store
            .update_tenant(
                &tenant.id,
                &input.name,
                &input.metadata,
                &input.settings.fields(),
                self.now(),
            )
            .await
            .map_err(name_taken)?;
        self.principals.forget_all();
        if !updated {
            return Err(Error::NotFound);
        }
        self.store
            .tenant_by_id(&tenant.id)
            .await?
            .ok_or(Error::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_host_names() {
        assert_eq!(
            normalize_domain(" Auth.Example.COM. "),
            Ok("auth.example.com".into())
        );
        assert_eq!(normalize_domain(""), Ok(String::new()));
        assert_eq!(normalize_domain("localhost"), Ok("localhost".into()));
        for bad in [
            "auth.example.com:8080",
            "-a.example",
            "a..b",
            "a b",
            "https://x.test",
            "é.test",
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_view_round_trips_and_keeps_other_settings() {
        let mut settings = TenantSettings {
            throttle_attempts: 3,
            ..TenantSettings::default()
        };
        let mut view = ManagedSettings::of(&settings);
        view.allow_passwords = false;
        view.allow_client_registration = true;
        view.domain = String::new();
        view.clone().apply(&mut settings);
        assert_eq!(ManagedSettings::of(&settings), view);
        assert_eq!(settings.domain, None);
        assert_eq!(settings.throttle_attempts, 3);
        assert!(settings.allow_client_registration);
    }

    #[test]
    fn input_is_checked() {
        let input = TenantInput {
            name: " ".into(),
            settings: ManagedSettings {
                domain: "bad host".into(),
                support_email: "nope".into(),
                remember_login_seconds: -1,
                ..ManagedSettings::default()
            },
            metadata: Metadata::new(),
        };
        let Err(Error::Invalid(problems)) = input.checked() else {
            panic!("invalid");
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "settings.domain",
                "settings.support_email",
                "settings.remember_login_seconds"
            ]
        );
    }
}

//! `/v1/tenants/{tenant_id}/users/{user_id}/credentials`: the user's password credential (id
//! `password`, one at a time), with document 003's hash import, and the passkeys they
//! registered (`WebAuthnCredential`, ids `webauthn_<n>`), which may be disabled, annotated and
//! deleted here but only created by their owner.

use super::error::{ErrorJson, MgmtError};
use super::extract::{Body, CredentialPath, KeyTenant, Paging, Params, UserPath};
use super::list::{rfc3339, ListJson};
use super::users::actor;
use crate::common::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use portcullis_core::managed_credentials::{
    passkey_credential_id, passkey_of_credential_id, ManagedCredential, PasskeyChange,
};
use portcullis_core::managed_users::{CredentialInput, ImportedPassword, PASSWORD_CREDENTIAL_ID};
use portcullis_core::model::{Metadata, Passkey, PasswordCredential};
use portcullis_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

const KIND: &str = "PasswordCredential";
const WEBAUTHN_KIND: &str = "WebAuthnCredential";

/// A password credential as document 003 shows it: `password.alg` is what the hash is now
/// (`sha256|bcrypt` until the first login, `bcrypt` after it).
#[derive(Serialize, ToSchema)]
#[schema(as = PasswordCredential)]
pub struct CredentialJson {
    #[serde(rename = "type")]
    #[schema(example = "PasswordCredential")]
    kind: &'static str,
    #[schema(example = "password")]
    id: &'static str,
    #[schema(example = "2023-08-22T17:48:47.26937881Z")]
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    metadata: Metadata,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disabled: bool,
    password: PasswordJson,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PasswordHash)]
pub struct PasswordJson {
    #[schema(example = "sha256|bcrypt")]
    alg: String,
    #[schema(example = "$2a$10$j00eE6DTimtrqB9JlI.8AOW2f5RnCL/6D4y3OmCED4sIZiF6Y8U3S")]
    hash: String,
}

impl From<PasswordCredential> for CredentialJson {
    fn from(credential: PasswordCredential) -> Self {
        Self {
            kind: KIND,
            id: PASSWORD_CREDENTIAL_ID,
            created_at: rfc3339(credential.created_at),
            updated_at: rfc3339(credential.updated_at),
            metadata: credential.metadata,
            disabled: credential.disabled,
            password: PasswordJson {
                alg: credential.hash.alg,
                hash: credential.hash.hash,
            },
        }
    }
}

/// A passkey as document 003's credentials list shows it: never its key material.
#[derive(Serialize, ToSchema)]
#[schema(as = WebAuthnCredential)]
pub struct WebAuthnCredentialJson {
    #[serde(rename = "type")]
    #[schema(example = "WebAuthnCredential")]
    kind: &'static str,
    #[schema(example = "webauthn_7")]
    id: String,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    metadata: Metadata,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disabled: bool,
    webauthn: WebAuthnJson,
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebAuthnDetails)]
pub struct WebAuthnJson {
    name: String,
    /// The authenticator model (all zeros when it does not say).
    aaguid: String,
    last_used_at: Option<String>,
    backup_eligible: bool,
    backed_up: bool,
}

impl From<Passkey> for WebAuthnCredentialJson {
    fn from(passkey: Passkey) -> Self {
        Self {
            kind: WEBAUTHN_KIND,
            id: passkey_credential_id(passkey.id),
            created_at: rfc3339(passkey.created_at),
            updated_at: rfc3339(passkey.updated_at),
            metadata: passkey.metadata,
            disabled: passkey.disabled,
            webauthn: WebAuthnJson {
                name: passkey.name,
                aaguid: passkey.aaguid,
                last_used_at: passkey.last_used_at.map(rfc3339),
                backup_eligible: passkey.backup_eligible,
                backed_up: passkey.backed_up,
            },
        }
    }
}

/// Either kind of credential.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum AnyCredentialJson {
    Password(CredentialJson),
    WebAuthn(WebAuthnCredentialJson),
}

impl From<ManagedCredential> for AnyCredentialJson {
    fn from(credential: ManagedCredential) -> Self {
        match credential {
            ManagedCredential::Password(password) => Self::Password(password.into()),
            ManagedCredential::Passkey(passkey) => Self::WebAuthn(passkey.into()),
        }
    }
}

/// A written credential: the whole object; `password` is required.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = PasswordCredentialInput)]
pub struct CredentialBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    password: Option<PasswordBody>,
    disabled: Option<bool>,
    #[schema(value_type = Option<super::json::MetadataBody>)]
    metadata: Option<Value>,
}

#[derive(Deserialize, Default, ToSchema)]
#[schema(as = PasswordHashInput)]
pub struct PasswordBody {
    /// `plain`, `bcrypt`, `md5`, `sha1`, `sha256` or `sha512`.
    alg: Option<String>,
    hash: Option<String>,
}

impl CredentialBody {
    fn into_input(self) -> Result<CredentialInput, MgmtError> {
        match self.kind.as_deref() {
            None | Some(KIND) => {}
            Some(WEBAUTHN_KIND) => {
                return Err(MgmtError::bad_request(
                    "type: WebAuthnCredential credentials are registered by their owner with \
                     a passkey; only PasswordCredential credentials are created here.",
                ))
            }
            Some(_) => {
                return Err(MgmtError::bad_request(
                    "type: only PasswordCredential and WebAuthnCredential credentials exist.",
                ))
            }
        }
        let password = self.password.unwrap_or_default();
        let (Some(alg), Some(hash)) = (password.alg, password.hash) else {
            return Err(MgmtError::bad_request(
                "password: alg and hash are required.",
            ));
        };
        Ok(CredentialInput {
            password: ImportedPassword {
                alg,
                hash: Secret::new(hash),
            },
            disabled: self.disabled.unwrap_or(false),
            metadata: super::json::metadata(self.metadata)?,
        })
    }

    /// What a passkey's object POST may change: `disabled` and `metadata`; no `password`.
    fn into_passkey_change(self) -> Result<PasskeyChange, MgmtError> {
        if self
            .kind
            .as_deref()
            .is_some_and(|kind| kind != WEBAUTHN_KIND)
        {
            return Err(MgmtError::bad_request(
                "type: this credential is a WebAuthnCredential.",
            ));
        }
        if self.password.is_some() {
            return Err(MgmtError::bad_request(
                "password: a WebAuthnCredential has no password.",
            ));
        }
        Ok(PasskeyChange {
            disabled: self.disabled.unwrap_or(false),
            metadata: super::json::metadata(self.metadata)?,
        })
    }
}

/// The user's credentials: their password, if they have one, then their passkeys.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/users/{user_id}/credentials",
    operation_id = "mgmt_list_credentials",
    tag = "credentials",
    params(UserPath, Paging),
    responses(
        (status = 200, description = "A `List` of credentials", body = inline(Object)),
        (status = 400, description = "`invalid_request`: a malformed query string", body = ErrorJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    KeyTenant { tenant, .. }: KeyTenant,
    Path(UserPath { user_id, .. }): Path<UserPath>,
    Params(paging): Params<Paging>,
) -> Result<Json<ListJson<AnyCredentialJson>>, MgmtError> {
    let (limit, offset) = paging.window();
    let all = state
        .services
        .managed_credentials(&tenant, &user_id)
        .await?;
    let total = all.len() as i64;
    let data = all
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(AnyCredentialJson::from)
        .collect();
    Ok(Json(ListJson::new(data, total, limit)))
}

/// Sets the user's password, replacing any earlier one. `alg` `plain` is hashed on arrival,
/// `bcrypt` (cost 8 to 12) is kept, and `md5`, `sha1`, `sha256`, `sha512` hex digests are
/// stored as `ALG|bcrypt` until the user's first login.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant_id}/users/{user_id}/credentials",
    operation_id = "mgmt_create_credential",
    tag = "credentials",
    params(UserPath),
    request_body = CredentialBody,
    responses(
        (status = 200, description = "The credential", body = CredentialJson),
        (status = 400, description = "`invalid_request` or `invalid_metadata`", body = ErrorJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    owner: KeyTenant,
    Path(UserPath { user_id, .. }): Path<UserPath>,
    Body(body): Body<CredentialBody>,
) -> Result<Json<CredentialJson>, MgmtError> {
    put(state, owner, user_id, PASSWORD_CREDENTIAL_ID, body, true).await
}

/// One credential: `password`, or a passkey's `webauthn_<n>`.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/users/{user_id}/credentials/{credential_id}",
    operation_id = "mgmt_show_credential",
    tag = "credentials",
    params(CredentialPath),
    responses(
        (status = 200, description = "The credential", body = AnyCredentialJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ),
)]
pub async fn show(
    State(state): State<AppState>,
    KeyTenant { tenant, .. }: KeyTenant,
    Path(CredentialPath {
        user_id,
        credential_id,
        ..
    }): Path<CredentialPath>,
) -> Result<Json<AnyCredentialJson>, MgmtError> {
    let credential = state
        .services
        .managed_credential(&tenant, &user_id, &credential_id)
        .await?;
    Ok(Json(credential.into()))
}

/// Changes the credential, e.g. `disabled: true` to refuse logins with it. A `password` equal
/// to the stored one is kept as it is; another is imported as on create. A passkey takes
/// `disabled` and `metadata` only.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant_id}/users/{user_id}/credentials/{credential_id}",
    operation_id = "mgmt_update_credential",
    tag = "credentials",
    params(CredentialPath),
    request_body = CredentialBody,
    responses(
        (status = 200, description = "The credential", body = AnyCredentialJson),
        (status = 400, description = "`invalid_request` or `invalid_metadata`", body = ErrorJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    owner: KeyTenant,
    Path(CredentialPath {
        user_id,
        credential_id,
        ..
    }): Path<CredentialPath>,
    Body(body): Body<CredentialBody>,
) -> Result<Json<AnyCredentialJson>, MgmtError> {
    if passkey_of_credential_id(&credential_id).is_none() {
        let Json(password) = put(state, owner, user_id, &credential_id, body, false).await?;
        return Ok(Json(AnyCredentialJson::Password(password)));
    }
    let KeyTenant { key, tenant } = owner;
    let passkey = state
        .services
        .update_managed_passkey(
            &tenant,
            &user_id,
            &credential_id,
            body.into_passkey_change()?,
            &actor(&key),
        )
        .await?;
    Ok(Json(AnyCredentialJson::WebAuthn(passkey.into())))
}

async fn put(
    state: AppState,
    KeyTenant { key, tenant }: KeyTenant,
    user_id: String,
    credential_id: &str,
    body: CredentialBody,
    replace: bool,
) -> Result<Json<CredentialJson>, MgmtError> {
    let credential = state
        .services
        .put_managed_credential(
            &tenant,
            &user_id,
            credential_id,
            body.into_input()?,
            replace,
            &actor(&key),
        )
        .await?;
    Ok(Json(credential.into()))
}

/// Removes the credential; returns its last version. Without a password the user can still
/// reset one.
#[utoipa::path(
    delete,
    path = "/v1/tenants/{tenant_id}/users/{user_id}/credentials/{credential_id}",
    operation_id = "mgmt_delete_credential",
    tag = "credentials",
    params(CredentialPath),
    responses(
        (status = 200, description = "The deleted credential", body = AnyCredentialJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    KeyTenant { key, tenant }: KeyTenant,
    Path(CredentialPath {
        user_id,
        credential_id,
        ..
    }): Path<CredentialPath>,
) -> Result<Json<AnyCredentialJson>, MgmtError> {
    let credential = state
        .services
        .delete_managed_credential(&tenant, &user_id, &credential_id, &actor(&key))
        .await?;
    Ok(Json(credential.into()))
}

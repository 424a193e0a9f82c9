//! Every `/api` route with its rules: the scope its token must carry and the permission its
//! user's role must hold. The `Auth` extractor checks both before the handler runs (scope
//! first: 403 with `missing_scope`; then the permission: 403), and the OpenAPI `security` of
//! each operation is written from here.

use super::{
    admin, auth, avatar, device, me, passkeys, password, profile, registration, roles, scopes,
    sessions, tokens, two_factor, user_account, users, BEARER,
};
use crate::common::route_table::{route_table, Needs, Permission::*};
use portcullis_core::authz::Action::*;
use portcullis_core::rbac::scopes::*;

/// Anyone may call it.
const PUBLIC: Needs = Needs::Nothing;
/// Any valid token, whatever its scopes: logging out, asking about the token itself.
const ANY_TOKEN: Needs = Needs::Credential(BEARER);

/// A token carrying `scope` (one of the built-in scopes).
const fn scope(scope: &'static str) -> Needs {
    Needs::Scope(BEARER, scope)
}

route_table! {
    POST   "/api/login"                             auth::login                      => PUBLIC, Unneeded;
    POST   "/api/login/2fa"                         auth::second_factor              => PUBLIC, Unneeded;
    POST   "/api/login/social"                      auth::social                     => PUBLIC, Unneeded;
    POST   "/api/login/passkey/options"             passkeys::login_options          => PUBLIC, Unneeded;
    POST   "/api/login/2fa/passkey/options"         passkeys::second_factor_options  => PUBLIC, Unneeded;
    POST   "/api/login/passkey"                     passkeys::login                  => PUBLIC, Unneeded;
    POST   "/api/logout"                            auth::logout                     => ANY_TOKEN, Unneeded;
    POST   "/api/sanctum/token"                     device::token                    => PUBLIC, Unneeded;
    POST   "/api/register"                          registration::register           => PUBLIC, Unneeded;
    POST   "/api/registration/verify-email/{token}" registration::verify_email       => PUBLIC, Unneeded;
    POST   "/api/password/remind"                   password::remind                 => PUBLIC, Unneeded;
    POST   "/api/password/reset"                    password::reset                  => PUBLIC, Unneeded;
    GET    "/api/avatars/{name}"                    avatar::serve                    => PUBLIC, Unneeded;

    GET    "/api/me"                                me::show                         => scope(VIEW_PROFILE), Of(ViewProfile);
    GET    "/api/countries"                         me::countries                    => scope(VIEW_PROFILE), Of(ViewCountries);
    PATCH  "/api/me/details"                        profile::update_details          => scope(UPDATE_PROFILE), Of(UpdateProfile);
    PATCH  "/api/me/details/auth"                   profile::update_credentials      => scope(UPDATE_PROFILE), Of(UpdateProfile);
    PUT    "/api/me/avatar"                         avatar::upload                   => scope(UPDATE_PROFILE), Of(UpdateProfile);
    PUT    "/api/me/avatar/external"                avatar::external                 => scope(UPDATE_PROFILE), Of(UpdateProfile);
    PUT    "/api/me/2fa"                            two_factor::enable               => scope(UPDATE_PROFILE), Of(UpdateProfile);
    DELETE "/api/me/2fa"                            two_factor::disable              => scope(UPDATE_PROFILE), Of(UpdateProfile);
    POST   "/api/me/2fa/verify"                     two_factor::verify               => scope(UPDATE_PROFILE), Of(UpdateProfile);
    POST   "/api/me/2fa/recovery-codes"             two_factor::recovery_codes       => scope(UPDATE_PROFILE), Of(UpdateProfile);
    GET    "/api/me/passkeys"                       passkeys::list                   => scope(VIEW_PROFILE), Of(ViewProfile);
    POST   "/api/me/passkeys/register/options"      passkeys::register_options       => scope(UPDATE_PROFILE), Of(UpdateProfile);
    POST   "/api/me/passkeys"                       passkeys::register               => scope(UPDATE_PROFILE), Of(UpdateProfile);
    PATCH  "/api/me/passkeys/{id}"                  passkeys::rename                 => scope(UPDATE_PROFILE), Of(UpdateProfile);
    DELETE "/api/me/passkeys/{id}"                  passkeys::remove                 => scope(UPDATE_PROFILE), Of(UpdateProfile);

    GET    "/api/me/token"                          tokens::current                  => ANY_TOKEN, Unneeded;
    GET    "/api/me/tokens"                         tokens::list                     => scope(MANAGE_TOKENS), Of(ManageTokens);
    POST   "/api/me/tokens"                         tokens::create                   => scope(MANAGE_TOKENS), Of(ManageTokens);
    DELETE "/api/me/tokens/{id}"                    tokens::revoke                   => scope(MANAGE_TOKENS), Of(ManageTokens);
    POST   "/api/me/tokens/{id}/rotate"             tokens::rotate                   => scope(MANAGE_TOKENS), Of(ManageTokens);
    GET    "/api/scopes"                            scopes::list                     => scope(MANAGE_SCOPES), Of(ManageScopes);
    POST   "/api/scopes"                            scopes::create                   => scope(MANAGE_SCOPES), Of(ManageScopes);
    DELETE "/api/scopes/{name}"                     scopes::delete                   => scope(MANAGE_SCOPES), Of(ManageScopes);

    GET    "/api/me/sessions"                       sessions::mine                   => scope(VIEW_SESSIONS), Of(ViewOwnSessions);
    GET    "/api/users/{id}/sessions"               sessions::of_user                => scope(VIEW_SESSIONS), OwnOrOther(ViewOwnSessions, ViewUserSessions);
    GET    "/api/sessions/{id}"                     sessions::show                   => scope(VIEW_SESSIONS), OwnOrOther(ViewOwnSessions, ViewUserSessions);
    DELETE "/api/sessions/{id}"                     sessions::end                    => scope(REVOKE_SESSIONS), OwnOrOther(EndOwnSession, EndUserSession);
    GET    "/api/activity"                          sessions::log                    => scope(VIEW_ACTIVITY), Of(ViewActivity);
    GET    "/api/users/{id}/activity"               sessions::user_log               => scope(VIEW_ACTIVITY), Of(ViewActivity);
    // Anyone may ask; what the figures show depends on `users.manage`.
    GET    "/api/stats"                             admin::stats                     => scope(VIEW_ACTIVITY), Of(ViewStats);

    GET    "/api/users"                             users::list                      => scope(VIEW_USERS), Of(ViewUsers);
    POST   "/api/users"                             users::create                    => scope(CREATE_USERS), Of(CreateUsers);
    GET    "/api/users/{id}"                        users::show                      => scope(VIEW_USERS), Of(ViewUsers);
    PUT    "/api/users/{id}"                        users::update                    => scope(UPDATE_USERS), Of(UpdateUsers);
    DELETE "/api/users/{id}"                        users::delete                    => scope(DELETE_USERS), Of(DeleteUsers);
    PUT    "/api/users/{id}/avatar"                 user_account::upload_avatar      => scope(UPDATE_USERS), Of(UpdateUsers);
    DELETE "/api/users/{id}/avatar"                 user_account::remove_avatar      => scope(UPDATE_USERS), Of(UpdateUsers);
    PUT    "/api/users/{id}/avatar/external"        user_account::external_avatar    => scope(UPDATE_USERS), Of(UpdateUsers);
    PUT    "/api/users/{id}/2fa"                    user_account::enable_two_factor  => scope(UPDATE_USERS), Of(UpdateUsers);
    DELETE "/api/users/{id}/2fa"                    user_account::disable_two_factor => scope(UPDATE_USERS), Of(UpdateUsers);

    GET    "/api/settings"                          admin::show_settings             => scope(VIEW_SETTINGS), Of(GeneralSettings);
    // Login, registration, throttling and 2FA fields also need `settings.auth`, and
    // `notifications_signup_email` `settings.notifications`: the service checks those by
    // the fields sent.
    PATCH  "/api/settings"                          admin::update_settings           => scope(UPDATE_SETTINGS), Of(GeneralSettings);

    GET    "/api/roles"                             roles::list_roles                => scope(MANAGE_ROLES), Of(ManageRoles);
    POST   "/api/roles"                             roles::create_role               => scope(MANAGE_ROLES), Of(ManageRoles);
    GET    "/api/roles/{id}"                        roles::show_role                 => scope(MANAGE_ROLES), Of(ManageRoles);
    PATCH  "/api/roles/{id}"                        roles::update_role               => scope(MANAGE_ROLES), Of(ManageRoles);
    DELETE "/api/roles/{id}"                        roles::delete_role               => scope(MANAGE_ROLES), Of(ManageRoles);
    GET    "/api/roles/{id}/permissions"            roles::role_permissions          => scope(MANAGE_ROLES), Of(ManageRoles);
    PUT    "/api/roles/{id}/permissions"            roles::sync_role_permissions     => scope(MANAGE_ROLES), Of(ManageRoles);
    GET    "/api/permissions"                       roles::list_permissions          => scope(MANAGE_PERMISSIONS), Of(ManagePermissions);
    POST   "/api/permissions"                       roles::create_permission         => scope(MANAGE_PERMISSIONS), Of(ManagePermissions);
    GET    "/api/permissions/{id}"                  roles::show_permission           => scope(MANAGE_PERMISSIONS), Of(ManagePermissions);
    PATCH  "/api/permissions/{id}"                  roles::update_permission         => scope(MANAGE_PERMISSIONS), Of(ManagePermissions);
    DELETE "/api/permissions/{id}"                  roles::delete_permission         => scope(MANAGE_PERMISSIONS), Of(ManagePermissions);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_credential_is_a_bearer_token_and_every_scope_a_builtin_one() {
        for route in ROUTES {
            let (method, path) = (&route.method, route.path);
            match route.needs {
                Needs::Nothing => {}
                Needs::Credential(scheme) => assert_eq!(scheme, BEARER, "{method} {path}"),
                Needs::Scope(scheme, scope) => {
                    assert_eq!(scheme, BEARER, "{method} {path}");
                    assert!(
                        portcullis_core::rbac::builtin_scope(scope).is_some(),
                        "{method} {path} needs the unknown scope {scope}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_scoped_route_names_its_action_and_a_public_one_none() {
        for route in ROUTES {
            match route.needs {
                Needs::Scope(..) => assert_ne!(route.permission, Unneeded, "{}", route.path),
                Needs::Nothing => assert_eq!(route.permission, Unneeded, "{}", route.path),
                Needs::Credential(_) => {}
            }
        }
    }
}

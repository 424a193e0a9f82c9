//! The hosted pages a person sees: login (with a second factor), sign-up, email confirmation,
//! forgotten and reset passwords, the account page (sessions and API tokens), and the page
//! where a person approves a device's sign-in (RFC 8628).
//!
//! Server-rendered HTML that works without JavaScript, one small stylesheet of our own, and
//! every form protected against cross-site requests ([`crate::common::csrf`]). Each page is a
//! thin handler: it reads the form, calls one service on [`portcullis_core::Services`], and
//! renders a template; the rules (throttles, bans, what a token may carry) are the services'.
//!
//! Every response of these routes carries the security headers of
//! [`crate::common::html::security_headers`].

mod account;
mod account_activity;
mod account_data;
mod account_linked;
mod account_profile;
mod account_second_factor;
mod account_sign_in;
mod admin;
mod admin_applications;
mod admin_operators;
mod admin_roles;
mod admin_settings;
mod admin_user;
mod context;
mod cookies;
mod device;
mod form;
mod login;
mod passkeys;
mod password;
mod second_factor;
mod signup;
mod social;
mod verify;
pub(crate) mod view;

use crate::common::state::AppState;
use axum::routing::{get, post};
use axum::{middleware, Router};

pub use crate::common::csrf::{CSRF_COOKIE, CSRF_FIELD};
pub use cookies::{CHALLENGE_COOKIE, DEVICE_COOKIE};

/// The first segments of the pages' paths: what the router answers under them (an unknown
/// path, a timeout, a panic) is an HTML page too.
pub(crate) const SECTIONS: &[&str] = &[
    "/login",
    "/signup",
    "/verify-email",
    "/forgot-password",
    "/reset-password",
    "/account",
    "/device",
    "/admin",
    "/logout",
    "/assets",
];

/// Every path the pages serve: HTML, so in no OpenAPI document (the OpenAPI test leaves
/// exactly these out, and checks that they are served).
pub const PATHS: &[&str] = &[
    "/login",
    "/login/second-factor",
    "/login/second-factor/passkey/options",
    "/login/social/{network}",
    "/login/social/{network}/callback",
    "/signup",
    "/verify-email",
    "/verify-email/passkey/options",
    "/forgot-password",
    "/reset-password",
    "/account",
    "/account/profile",
    "/account/profile/avatar",
    "/account/profile/avatar/remove",
    "/account/second-factor",
    "/account/second-factor/app",
    "/account/second-factor/confirm",
    "/account/second-factor/mail",
    "/account/second-factor/phone",
    "/account/second-factor/recovery-codes",
    "/account/second-factor/off",
    "/account/sign-in",
    "/account/sign-in/password",
    "/account/sign-in/email",
    "/account/tokens",
    "/account/tokens/revoke",
    "/account/sessions/end",
    "/account/devices/forget",
    "/account/applications/withdraw",
    "/account/passkeys",
    "/account/passkeys/options",
    "/account/passkeys/rename",
    "/account/passkeys/remove",
    "/account/activity",
    "/account/data",
    "/account/data/export",
    "/account/data/delete",
    "/account/linked",
    "/account/linked/unlink",
    "/account/linked/link",
    "/login/passkey",
    "/login/passkey/options",
    "/device",
    "/admin",
    "/admin/users",
    "/admin/users/{id}",
    "/admin/users/{id}/status",
    "/admin/users/new",
    "/admin/users/{id}/role",
    "/admin/users/{id}/reset-mail",
    "/admin/users/{id}/two-factor/off",
    "/admin/users/{id}/sessions/end",
    "/admin/users/{id}/delete",
    "/admin/users/{id}/verified",
    "/admin/users/{id}/password",
    "/admin/users/{id}/two-factor/recovery-codes",
    "/admin/users/{id}/passkeys",
    "/admin/users/{id}/tokens/revoke",
    "/admin/users/{id}/metadata",
    "/admin/activity",
    "/admin/activity/export",
    "/admin/roles",
    "/admin/roles/{id}",
    "/admin/roles/{id}/delete",
    "/admin/roles/{id}/permissions",
    "/admin/permissions",
    "/admin/settings",
    "/admin/settings/{group}",
    "/admin/settings/social/{network}",
    "/admin/applications",
    "/admin/applications/{id}",
    "/admin/applications/{id}/secret",
    "/admin/applications/{id}/rotate",
    "/admin/applications/{id}/delete",
    "/admin/tenants",
    "/admin/tenants/{id}",
    "/admin/tenants/{id}/manage",
    "/admin/manage/return",
    "/admin/api-keys",
    "/admin/api-keys/revoke",
    "/admin/signing-keys",
    "/admin/signing-keys/rotate",
    "/logout",
    "/assets/pages.css",
    "/assets/passkeys.js",
];

/// The pages' routes; they are not part of any OpenAPI document (they answer HTML).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login::show).post(login::submit))
        .route(
            "/login/second-factor",
            get(second_factor::show).post(second_factor::submit),
        )
        .route(
            "/login/second-factor/passkey/options",
            post(second_factor::passkey_options),
        )
        .route("/login/social/{network}", get(social::start))
        .route(
            "/login/social/{network}/callback",
            // It spends the network's single-use code before it writes anything here.
            get(social::callback).layer(axum::middleware::map_response(crate::runs_once)),
        )
        .route("/signup", get(signup::show).post(signup::submit))
        .route("/verify-email", get(verify::show).post(verify::submit))
        .route(
            "/verify-email/passkey/options",
            post(verify::passkey_options),
        )
        .route(
            "/forgot-password",
            get(password::forgot_form).post(password::forgot),
        )
        .route(
            "/reset-password",
            get(password::reset_form).post(password::reset),
        )
        .route("/account", get(account::show))
        .route(
            "/account/profile",
            get(account_profile::show).post(account_profile::save),
        )
        .route(
            "/account/profile/avatar",
            post(account_profile::upload_avatar),
        )
        .route(
            "/account/profile/avatar/remove",
            post(account_profile::remove_avatar),
        )
        .route("/account/second-factor", get(account_second_factor::show))
        .route(
            "/account/second-factor/app",
            post(account_second_factor::set_up_app),
        )
        .route(
            "/account/second-factor/confirm",
            post(account_second_factor::confirm),
        )
        .route(
            "/account/second-factor/mail",
            post(account_second_factor::use_mail),
        )
        .route(
            "/account/second-factor/phone",
            post(account_second_factor::use_phone),
        )
        .route(
            "/account/second-factor/recovery-codes",
            post(account_second_factor::recovery_codes),
        )
        .route(
            "/account/second-factor/off",
            post(account_second_factor::turn_off),
        )
        .route("/account/sign-in", get(account_sign_in::show))
        .route(
            "/account/sign-in/password",
            post(account_sign_in::change_password),
        )
        .route(
            "/account/sign-in/email",
            post(account_sign_in::change_email),
        )
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/revoke", post(account::revoke_token))
        .route("/account/sessions/end", post(account::end_session))
        .route("/account/devices/forget", post(account::forget_devices))
        .route(
            "/account/applications/withdraw",
            post(account::withdraw_application),
        )
        .route("/account/passkeys", post(passkeys::register))
        .route(
            "/account/passkeys/options",
            post(passkeys::register_options),
        )
        .route("/account/passkeys/rename", post(passkeys::rename))
        .route("/account/passkeys/remove", post(passkeys::remove))
        .route("/account/activity", get(account_activity::show))
        .route("/account/data", get(account_data::show))
        .route("/account/data/export", post(account_data::export))
        .route("/account/data/delete", post(account_data::delete))
        .route("/account/linked", get(account_linked::show))
        .route("/account/linked/unlink", post(account_linked::unlink))
        .route("/account/linked/link", post(account_linked::link))
        .route("/login/passkey", post(passkeys::sign_in))
        .route("/login/passkey/options", post(passkeys::sign_in_options))
        .route("/device", get(device::show).post(device::submit))
        .route("/admin", get(admin::overview))
        .route("/admin/users", get(admin::users).post(admin::invite))
        .route("/admin/users/new", get(admin::invite_form))
        .route("/admin/users/{id}", get(admin_user::user))
        .route("/admin/users/{id}/status", post(admin_user::set_status))
        .route("/admin/users/{id}/role", post(admin_user::set_role))
        .route("/admin/users/{id}/reset-mail", post(admin_user::reset_mail))
        .route(
            "/admin/users/{id}/two-factor/off",
            post(admin_user::two_factor_off),
        )
        .route(
            "/admin/users/{id}/sessions/end",
            post(admin_user::end_sessions),
        )
        .route("/admin/users/{id}/delete", post(admin_user::delete_user))
        .route("/admin/users/{id}/verified", post(admin_user::set_verified))
        .route(
            "/admin/users/{id}/password",
            post(admin_user::set_password_disabled),
        )
        .route(
            "/admin/users/{id}/two-factor/recovery-codes",
            post(admin_user::recovery_codes),
        )
        .route("/admin/users/{id}/passkeys", post(admin_user::passkey))
        .route(
            "/admin/users/{id}/tokens/revoke",
            post(admin_user::revoke_token),
        )
        .route("/admin/users/{id}/metadata", post(admin_user::set_metadata))
        .route("/admin/activity", get(admin::activity))
        .route("/admin/activity/export", get(admin::export_activity))
        .route(
            "/admin/roles",
            get(admin_roles::roles).post(admin_roles::create),
        )
        .route("/admin/roles/{id}", post(admin_roles::rename))
        .route("/admin/roles/{id}/delete", post(admin_roles::delete))
        .route("/admin/roles/{id}/permissions", post(admin_roles::save_row))
        .route("/admin/permissions", get(admin_roles::matrix))
        .route("/admin/settings", get(admin_settings::show))
        .route("/admin/settings/{group}", post(admin_settings::save))
        .route(
            "/admin/settings/social/{network}",
            post(admin_settings::save_social_client),
        )
        .route(
            "/admin/applications",
            get(admin_applications::list).post(admin_applications::create),
        )
        .route("/admin/applications/{id}", get(admin_applications::show))
        .route(
            "/admin/applications/{id}/secret",
            post(admin_applications::reveal_secret),
        )
        .route(
            "/admin/applications/{id}/rotate",
            post(admin_applications::rotate_secret),
        )
        .route(
            "/admin/applications/{id}/delete",
            get(admin_applications::confirm_delete).post(admin_applications::delete),
        )
        .route(
            "/admin/tenants",
            get(admin_operators::tenants).post(admin_operators::create_tenant),
        )
        .route(
            "/admin/tenants/{id}",
            get(admin_operators::tenant).post(admin_operators::update_tenant),
        )
        .route(
            "/admin/tenants/{id}/manage",
            post(admin_operators::manage_tenant),
        )
        .route("/admin/manage/return", post(admin_operators::stop_managing))
        .route(
            "/admin/api-keys",
            get(admin_operators::api_keys).post(admin_operators::create_api_key),
        )
        .route(
            "/admin/api-keys/revoke",
            post(admin_operators::revoke_api_key),
        )
        .route("/admin/signing-keys", get(admin_operators::signing_keys))
        .route(
            "/admin/signing-keys/rotate",
            post(admin_operators::rotate_signing_keys),
        )
        .route("/logout", post(account::logout))
        .route("/assets/pages.css", get(view::stylesheet))
        .route("/assets/passkeys.js", get(passkeys::script))
        .layer(middleware::map_response(
            crate::common::html::security_headers,
        ))
}

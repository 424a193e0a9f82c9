//! Every `/oauth2` route (and the discovery document) with its rules. The browser-facing
//! endpoints and the token endpoint are public (the token endpoint authenticates the client
//! itself); resource servers present an API key; userinfo takes an access token. None asks
//! for a role permission.

use super::{
    authorize, device, discovery, introspect, logout, registration, token, userinfo, ACCESS_TOKEN,
    API_KEY, REGISTRATION_TOKEN,
};
use crate::common::route_table::{route_table, Needs, Permission::Unneeded};

const PUBLIC: Needs = Needs::Nothing;
/// An API key (or, as OAuth client libraries send it, an application's client credentials).
const KEY: Needs = Needs::Credential(API_KEY);
/// An access token from `/oauth2/token`.
const ACCESS: Needs = Needs::Credential(ACCESS_TOKEN);
/// A registered client's registration access token (RFC 7592). Registering itself takes an
/// initial access token only when the tenant asks for one, so that route is public.
const REGISTERED: Needs = Needs::Credential(REGISTRATION_TOKEN);

route_table! {
    // Before the token endpoint: both name their form `TokenForm`, and the document keeps the
    // schema registered last (the token endpoint's), as it always has.
    POST "/oauth2/introspect"                introspect::introspect          => KEY, Unneeded;
    POST "/oauth2/revoke"                    introspect::revoke              => KEY, Unneeded;
    GET  "/.well-known/openid-configuration" discovery::openid_configuration => PUBLIC, Unneeded;
    GET  "/oauth2/jwks"                      discovery::jwks                 => PUBLIC, Unneeded;
    GET  "/oauth2/authorize"                 authorize::authorize            => PUBLIC, Unneeded;
    POST "/oauth2/authorize"                 authorize::authorize_post       => PUBLIC, Unneeded;
    POST "/oauth2/device_authorization"      device::device_authorization    => PUBLIC, Unneeded;
    POST "/oauth2/token"                     token::token                    => PUBLIC, Unneeded;
    GET  "/oauth2/userinfo"                  userinfo::userinfo              => ACCESS, Unneeded;
    POST "/oauth2/userinfo"                  userinfo::userinfo_post         => ACCESS, Unneeded;
    GET  "/oauth2/logout"                    logout::logout                  => PUBLIC, Unneeded;
    POST "/oauth2/logout"                    logout::logout_post             => PUBLIC, Unneeded;
    POST "/oauth2/register"                  registration::register          => PUBLIC, Unneeded;
    GET  "/oauth2/register/{client_id}"      registration::read              => REGISTERED, Unneeded;
    PUT  "/oauth2/register/{client_id}"      registration::update            => REGISTERED, Unneeded;
    DELETE "/oauth2/register/{client_id}"    registration::delete            => REGISTERED, Unneeded;
}

//! Every `/v1` route with its rules: each takes an API key (the `Key` extractor refuses a
//! route whose row does not ask for one), and no role permission: which tenants a key
//! reaches is decided once per request by the `KeyTenant` extractor (core's
//! `tenant_for_key`), and whether it may create tenants or change operator-owned settings by
//! the tenant services.

use super::{applications, credentials, tenants, users, API_KEY};
use crate::common::route_table::{route_table, Needs, Permission::Unneeded};

/// An API key, tenant-bound or all-tenants.
const KEY: Needs = Needs::Credential(API_KEY);

route_table! {
    GET    "/v1/tenants"                                                         tenants::list        => KEY, Unneeded;
    POST   "/v1/tenants"                                                         tenants::create      => KEY, Unneeded;
    GET    "/v1/tenants/{tenant_id}"                                             tenants::show        => KEY, Unneeded;
    POST   "/v1/tenants/{tenant_id}"                                             tenants::update      => KEY, Unneeded;
    GET    "/v1/tenants/{tenant_id}/applications"                                applications::list   => KEY, Unneeded;
    POST   "/v1/tenants/{tenant_id}/applications"                                applications::create => KEY, Unneeded;
    GET    "/v1/tenants/{tenant_id}/applications/{application_id}"               applications::show   => KEY, Unneeded;
    POST   "/v1/tenants/{tenant_id}/applications/{application_id}"               applications::update => KEY, Unneeded;
    DELETE "/v1/tenants/{tenant_id}/applications/{application_id}"               applications::delete => KEY, Unneeded;
    GET    "/v1/tenants/{tenant_id}/users"                                       users::list          => KEY, Unneeded;
    POST   "/v1/tenants/{tenant_id}/users"                                       users::create        => KEY, Unneeded;
    GET    "/v1/tenants/{tenant_id}/users/{user_id}"                             users::show          => KEY, Unneeded;
    POST   "/v1/tenants/{tenant_id}/users/{user_id}"                             users::update        => KEY, Unneeded;
    DELETE "/v1/tenants/{tenant_id}/users/{user_id}"                             users::delete        => KEY, Unneeded;
    GET    "/v1/tenants/{tenant_id}/users/{user_id}/credentials"                 credentials::list    => KEY, Unneeded;
    POST   "/v1/tenants/{tenant_id}/users/{user_id}/credentials"                 credentials::create  => KEY, Unneeded;
    GET    "/v1/tenants/{tenant_id}/users/{user_id}/credentials/{credential_id}" credentials::show    => KEY, Unneeded;
    POST   "/v1/tenants/{tenant_id}/users/{user_id}/credentials/{credential_id}" credentials::update  => KEY, Unneeded;
    DELETE "/v1/tenants/{tenant_id}/users/{user_id}/credentials/{credential_id}" credentials::delete  => KEY, Unneeded;
}

//! Every `/api/v1` route with its rules: both are public (the token endpoint is where a
//! login and password are exchanged for a token).

use super::{captcha, token};
use crate::common::route_table::{route_table, Needs::Nothing, Permission::Unneeded};

route_table! {
    GET  "/api/v1/captcha" captcha::captcha => Nothing, Unneeded;
    POST "/api/v1/token"   token::token     => Nothing, Unneeded;
}

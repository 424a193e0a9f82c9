//! What every surface shares and none owns: the request's client (address, host, transport,
//! bearer), cookies and the browser session, and the HTML frame with its CSRF check and error
//! page. Surfaces import this, never each other.

pub mod body;
pub mod client;
pub mod csrf;
pub mod html;
pub mod laravel;
pub mod page_error;
pub mod response;
pub mod route_table;
pub mod state;
pub mod web_session;

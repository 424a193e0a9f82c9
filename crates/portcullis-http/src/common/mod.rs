//! What every surface shares and none owns: the request's client (address, host, transport,
//! bearer), cookies and the browser session, and the HTML frame with its CSRF check and error
//! page. Surfaces import this, never each other.

pub mod client;
pub mod csrf;
pub mod html;
pub mod page_error;
pub mod route_table;
pub mod web_session;

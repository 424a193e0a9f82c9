//! The hosted pages over real HTTP, as a browser without JavaScript uses them: cookies kept by
//! hand, redirects not followed, every form posted with the CSRF token of its cookie.

use crate::harness::{each_backend, token_after, TestServer, PASSWORD};
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;

/// A page's answer.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `Set-Cookie` line for `name`, if the answer sets it.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

/// One browser: its cookies, sent by hand on every request.
pub(crate) struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new(server: &TestServer) -> Self {
        Self {
            base: server.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.get(name).cloned()
    }

    /// Plants a cookie, as another page or a copied header would.
    pub fn plant_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    /// `request` with this browser's cookies.
    fn with_cookies(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let header = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if header.is_empty() {
            request
        } else {
            request.header(COOKIE, header)
        }
    }

    /// A post of a form with this browser's cookies and CSRF token, to send later (several at
    /// once, say); what it answers is not kept.
    pub fn form_post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let csrf = self.cookie("portcullis_csrf").unwrap_or_default();
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &csrf));
        self.with_cookies(self.http.post(format!("{}{path}", self.base)).form(&fields))
    }

    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let response = self.with_cookies(request).send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for line in headers.get_all(SET_COOKIE).iter() {
            let line = line.to_str().unwrap();
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.text().await.expect("body");
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// Posts a form with this browser's CSRF token (as the page's hidden field holds it).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.cookie("portcullis_csrf").unwrap_or_default();
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &csrf));
        self.post_raw(path, &fields).await
    }

    async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let request = self.http.post(format!("{}{path}", self.base)).form(fields);
        self.send(request).await
    }

    /// Opens the login page and signs in; the answer to the form.
    pub(crate) async fn sign_in(&mut self, login: &str, password: &str) -> Answer {
        self.sign_in_to("/login", login, password, "").await
    }

    pub(crate) async fn sign_in_to(
        &mut self,
        page: &str,
        login: &str,
        password: &str,
        return_to: &str,
    ) -> Answer {
        let form = self.get(page).await;
        assert_eq!(form.status, 200, "{}", form.body);
        self.post(
            "/login",
            &[
                ("login", login),
                ("password", password),
                ("return_to", return_to),
            ],
        )
        .await
    }
}

pub(crate) fn assert_security_headers(answer: &Answer) {
    let header = |name: &str| {
        answer
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = header("content-security-policy");
    for part in [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("cache-control"), "no-store");
}

/// The value of the input named `name` on a page.
fn input_value(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {body}"));
    let tag_start = body[..at].rfind('<').unwrap();
    let tag_end = at + body[at..].find('>').unwrap();
    let tag = &body[tag_start..tag_end];
    let value = tag.split("value=\"").nth(1).unwrap_or("");
    value[..value.find('"').unwrap_or(0)]
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

mod account;
mod account_data;
mod account_profile;
mod account_second_factor;
mod account_sign_in;
mod admin;
mod admin_applications;
mod admin_operators;
mod admin_roles;
mod admin_settings;
mod admin_user;
mod second_factor;
mod sign_in;
mod sign_up;

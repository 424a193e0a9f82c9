//! A keep-alive HTTP/1.1 client for the server under test, shared by every load task.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION};
use hyper::{Method, Request};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;

#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

impl Http {
    pub fn new(addr: SocketAddr) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            base: format!("http://{addr}"),
        }
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> Result<Bytes, String> {
        let mut request = Request::builder()
            .method(Method::GET)
            .uri(format!("{}{path}", self.base));
        if let Some(token) = bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Full::default())).await
    }

    /// A `GET` as a browser with this `Cookie` value (a hosted page): the body.
    pub async fn page(&self, path: &str, cookie: &str) -> Result<Bytes, String> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(format!("{}{path}", self.base))
            .header(COOKIE, cookie);
        self.send(request.body(Full::default())).await
    }

    pub async fn post_json(&self, path: &str, body: Bytes) -> Result<Bytes, String> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(body));
        self.send(request).await
    }

    /// A form `POST`, authenticated like a resource server with an API key.
    pub async fn post_form(&self, path: &str, bearer: &str, body: Bytes) -> Result<Bytes, String> {
        self.post_form_as(path, &format!("Bearer {bearer}"), body)
            .await
    }

    /// A form `POST` with this whole `Authorization` value (`Basic …` for an OIDC client).
    pub async fn post_form_as(
        &self,
        path: &str,
        authorization: &str,
        body: Bytes,
    ) -> Result<Bytes, String> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("{}{path}", self.base))
            .header(AUTHORIZATION, authorization)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(body));
        self.send(request).await
    }

    /// A `GET` as a browser with this `Cookie` value, answered by a redirect: its `Location`.
    pub async fn redirect(&self, path: &str, cookie: &str) -> Result<String, String> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(format!("{}{path}", self.base))
            .header(COOKIE, cookie)
            .body(Full::default())
            .map_err(|e| format!("bad request: {e}"))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("transport: {e}"))?;
        let (parts, body) = response.into_parts();
        // Read the body so the connection can be reused.
        body.collect()
            .await
            .map_err(|e| format!("reading body: {e}"))?;
        let location = parts.headers.get(LOCATION).and_then(|v| v.to_str().ok());
        match location {
            Some(location) if parts.status.is_redirection() => Ok(location.to_owned()),
            _ => Err(format!("status {}, not a redirect", parts.status)),
        }
    }

    /// Sends and reads the whole body; a status other than 2xx is a failure.
    async fn send(
        &self,
        request: hyper::http::Result<Request<Full<Bytes>>>,
    ) -> Result<Bytes, String> {
        let request = request.map_err(|e| format!("bad request: {e}"))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("transport: {e}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading body: {e}"))?
            .to_bytes();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            return Err(format!("status {status}: {text}"));
        }
        Ok(body)
    }
}

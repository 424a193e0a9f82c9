//! The one way out for requests made on someone else's say-so (a tenant's social network, later
//! back-channel logout URIs and webhooks): every address a name resolves to is checked against
//! the [`EgressPolicy`] and the connection goes only to checked addresses (a DNS answer cannot
//! change between the check and the connection); URLs with a literal address are checked before
//! anything is sent; redirects are not followed; answers are cut off at [`MAX_ANSWER_BYTES`];
//! no cookies, no proxy from the environment, one `User-Agent`.

use portcullis_core::egress::{EgressPolicy, OutboundError, Refusal};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The most an answer may hold.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Sends `request`: a connection the resolver refused is [`OutboundError::Refused`] (nothing
/// was sent); other failures name `what` (never the URL, which may carry a token).
pub async fn send(
    what: &str,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, OutboundError> {
    request
        .send()
        .await
        .map_err(|error| match refusal_of(&error) {
            Some(refusal) => OutboundError::Refused(refusal),
            None => OutboundError::Failed(format!("{what}: {}", error.without_url())),
        })
}

/// The egress policy's refusal behind a failed send, if that is what it was.
fn refusal_of(error: &reqwest::Error) -> Option<Refusal> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(refusal) = cause.downcast_ref::<Refusal>() {
            return Some(*refusal);
        }
        source = cause.source();
    }
    None
}

/// Resolves names, keeping only addresses the policy allows: a name with any refused address
/// is refused whole, so a mixed answer cannot slip one through.
struct GuardedResolver {
    policy: EgressPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for address in &addresses {
                if let Err(refusal) = policy.check_ip(address.ip()) {
                    tracing::warn!(%host, ip = %address.ip(), reason = refusal.reason(), "refused an outbound request");
                    let refused: Box<dyn std::error::Error + Send + Sync> = Box::new(refusal);
                    return Err(refused);
                }
            }
            let addrs: Addrs = Box::new(addresses.into_iter());
            Ok(addrs)
        })
    }
}

/// The guarded HTTP client.
#[derive(Clone)]
pub struct EgressClient {
    client: reqwest::Client,
    policy: EgressPolicy,
}

impl EgressClient {
    pub fn new(timeout: Duration, policy: EgressPolicy) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("Portcullis/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
            }))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client, policy })
    }

    /// A request to `url` (checked first: its scheme, and its address when it is a literal one;
    /// a plain-`http` name must resolve only to addresses the operator named, unless
    /// `plain_http` allows it: a tenant in `developer_mode`).
    pub async fn request(
        &self,
        method: reqwest::Method,
        url: &str,
        plain_http: bool,
    ) -> Result<reqwest::RequestBuilder, OutboundError> {
        match self.policy.check_url(url, plain_http) {
            Ok(()) => {}
            Err(Refusal::Scheme) if url.starts_with("http://") => self.vouched_http(url).await?,
            Err(refusal) => {
                tracing::warn!(reason = refusal.reason(), "refused an outbound request");
                return Err(OutboundError::Refused(refusal));
            }
        }
        Ok(self.client.request(method, url))
    }

    /// Plain `http` goes only where the operator vouched for every address of the name.
    async fn vouched_http(&self, url: &str) -> Result<(), OutboundError> {
        let scheme = OutboundError::Refused(Refusal::Scheme);
        let parsed = reqwest::Url::parse(url).map_err(|_| scheme.clone())?;
        let host = parsed.host_str().ok_or_else(|| scheme.clone())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = parsed.port_or_known_default().unwrap_or(80);
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| OutboundError::Failed(format!("{host}: {e}")))?
            .collect();
        if addresses.is_empty()
            || !addresses
                .iter()
                .all(|address| self.policy.allows_explicitly(address.ip()))
        {
            tracing::warn!(%host, reason = "scheme", "refused an outbound request");
            return Err(scheme);
        }
        Ok(())
    }
}

/// An answer's body, at most [`MAX_ANSWER_BYTES`]; a redirect is an error, not followed.
pub async fn body(what: &str, mut response: reqwest::Response) -> Result<Vec<u8>, OutboundError> {
    if response.status().is_redirection() {
        let why = format!("{what} answered a redirect, which is not followed");
        return Err(OutboundError::Failed(why));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| OutboundError::Failed(format!("{what}: {}", e.without_url())))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            let why = format!("{what} answered more than {MAX_ANSWER_BYTES} bytes");
            return Err(OutboundError::Failed(why));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A loopback server answering each connection with `answer` (after `delay`), counting
    /// the connections it got.
    async fn serve(answer: Vec<u8>, delay: Duration) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = stream.read(&mut request).await;
                    tokio::time::sleep(delay).await;
                    let _ = stream.write_all(&answer).await;
                });
            }
        });
        (port, seen)
    }

    fn loopback_allowed() -> EgressPolicy {
        EgressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()])
    }

    async fn get(client: &EgressClient, url: &str) -> Result<Vec<u8>, String> {
        let request = client
            .request(reqwest::Method::GET, url, false)
            .await
            .map_err(|e| e.to_string())?;
        let response = request.send().await.map_err(|e| match e.is_timeout() {
            true => "timed out".to_owned(),
            false => refusal_of(&e).map_or_else(|| e.to_string(), |r| r.to_string()),
        })?;
        body(url, response).await.map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn internal_addresses_are_refused_before_anything_is_sent() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec();
        let (port, seen) = serve(ok, Duration::ZERO).await;
        let client = EgressClient::new(Duration::from_secs(5), EgressPolicy::default()).unwrap();
        for url in [
            format!("http://127.0.0.1:{port}/"),
            format!("https://127.0.0.1:{port}/"),
            format!("https://[::ffff:127.0.0.1]:{port}/"),
            format!("https://localhost:{port}/"),
            "https://169.254.169.254/latest/meta-data".to_owned(),
            "https://10.0.0.1/".to_owned(),
            "https://[::1]/".to_owned(),
        ] {
            let refused = get(&client, &url).await.unwrap_err();
            assert!(refused.contains("egress policy"), "{url}: {refused}");
        }
        // A name is checked on what it resolves to (here /etc/hosts' loopback names).
        for name in ["ip6-localhost", "localhost.localdomain"] {
            if tokio::net::lookup_host((name, 443)).await.is_ok() {
                let refused = get(&client, &format!("https://{name}:{port}/"))
                    .await
                    .unwrap_err();
                assert!(refused.contains("egress policy"), "{name}: {refused}");
            }
        }
        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 0);

        // The operator's exception lets the same server through.
        let allowed = EgressClient::new(Duration::from_secs(5), loopback_allowed()).unwrap();
        assert_eq!(
            get(&allowed, &format!("http://127.0.0.1:{port}/"))
                .await
                .unwrap(),
            b"{}"
        );
    }

    #[tokio::test]
    async fn redirects_are_not_followed_and_answers_have_limits() {
        let client = EgressClient::new(Duration::from_secs(1), loopback_allowed()).unwrap();
        let redirect =
            b"HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/\r\ncontent-length: 0\r\n\r\n";
        let (port, _) = serve(redirect.to_vec(), Duration::ZERO).await;
        let error = get(&client, &format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert!(error.contains("redirect"), "{error}");

        let mut huge = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
            MAX_ANSWER_BYTES + 10
        )
        .into_bytes();
        huge.extend(std::iter::repeat_n(b'x', MAX_ANSWER_BYTES + 10));
        let (port, _) = serve(huge, Duration::ZERO).await;
        let error = get(&client, &format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert!(error.contains("more than"), "{error}");

        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec();
        let (port, _) = serve(ok, Duration::from_secs(3)).await;
        let error = get(&client, &format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert_eq!(error, "timed out");
    }
}

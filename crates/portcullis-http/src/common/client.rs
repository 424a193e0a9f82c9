//! Where a request came from: its peer address (or, behind a trusted proxy, the address the
//! proxy saw) and user agent.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;
use portcullis_core::model::ClientInfo;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The caller's address and agent, for sessions, throttles and the audit trail.
pub struct ClientAddr(pub ClientInfo);

/// A state that knows which proxies stand in front of us.
pub trait BehindProxies {
    fn trusted_proxies(&self) -> &TrustedProxies;
}

impl<S: BehindProxies + Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| {
                state
                    .trusted_proxies()
                    .client_ip(addr.ip(), &parts.headers)
                    .to_string()
            });
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        Ok(Self(ClientInfo { ip, user_agent }))
    }
}

/// The proxies (addresses and networks) whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses addresses (`10.0.0.1`, `::1`) and networks (`192.168.0.0/16`); the problem with
    /// the first entry that is neither.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        portcullis_core::egress::parse_networks(entries).map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer itself, unless the peer is a trusted proxy; then the
    /// right-most `X-Forwarded-For` address that is not a trusted proxy too, since everything
    /// left of it was written by someone we do not trust. When every hop is trusted, the
    /// left-most; an entry that is not an address ends the walk at the hop before it.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        // Several header lines are one list, in order.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// An address as proxies write it: bare, or with a port (`1.2.3.4:5678`, `[::1]:5678`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|addr| addr.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// How the request reached us, decided once per request by [`crate::with_layers`]: Portcullis
/// terminates no TLS, so a request came over HTTPS only when a trusted proxy says so with
/// `X-Forwarded-Proto` (anyone else may write that header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    pub https: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Transport {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of_parts(parts))
    }
}

impl Transport {
    pub(crate) fn of(request: &axum::extract::Request, trusted: &TrustedProxies) -> Self {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical());
        // Several lines are one list; the trusted proxy's own word is the last.
        let forwarded_https = request
            .headers()
            .get_all("x-forwarded-proto")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
        Self {
            https: forwarded_https && peer.is_some_and(|ip| trusted.trusts(ip)),
        }
    }

    /// The request's transport; plain HTTP when no layer decided it.
    pub(crate) fn of_parts(parts: &Parts) -> Self {
        parts
            .extensions
            .get::<Self>()
            .copied()
            .unwrap_or(Self { https: false })
    }
}

/// The prefix browsers keep for cookies that are Secure, for the whole host and path `/`, so
/// that no other host (a subdomain) and no plain-HTTP page can set or shadow them.
const HOST_PREFIX: &str = "__Host-";
/// The prefix for Secure cookies of a narrower path (the login's, under `/login`), which
/// `__Host-` does not allow: no plain-HTTP page can set them.
const SECURE_PREFIX: &str = "__Secure-";
/// Our cookies' names start so.
const OUR_COOKIES: &str = "portcullis_";

/// Over HTTPS our cookies travel as `__Host-portcullis_…` (those for the whole site) or
/// `__Secure-portcullis_…` (the login's, under `/login`): a request's are renamed back for
/// the handlers, and unprefixed ones (which a sibling host or a plain-HTTP page could have
/// planted) are dropped.
pub(crate) fn unprefix_cookies(headers: &mut HeaderMap) {
    let kept: Vec<String> = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let prefixed = pair
                .strip_prefix(HOST_PREFIX)
                .or_else(|| pair.strip_prefix(SECURE_PREFIX));
            match prefixed {
                Some(ours) if ours.starts_with(OUR_COOKIES) => Some(ours.to_owned()),
                Some(_) => Some(pair.to_owned()),
                None if pair.starts_with(OUR_COOKIES) => None,
                None => Some(pair.to_owned()),
            }
        })
        .collect();
    headers.remove(axum::http::header::COOKIE);
    if let Ok(value) = axum::http::HeaderValue::from_str(&kept.join("; ")) {
        if !kept.is_empty() {
            headers.insert(axum::http::header::COOKIE, value);
        }
    }
}

/// The other half of [`unprefix_cookies`]: a response's cookies of ours get the prefix.
pub(crate) fn prefix_cookies(headers: &mut HeaderMap) {
    let cookies: Vec<axum::http::HeaderValue> = headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .map(|value| match value.to_str() {
            Ok(text) if text.starts_with(OUR_COOKIES) => {
                // Browsers refuse a `__Host-` cookie whose path is not `/`.
                let whole_site = text
                    .split(';')
                    .skip(1)
                    .any(|attribute| attribute.trim().eq_ignore_ascii_case("path=/"));
                let prefix = if whole_site {
                    HOST_PREFIX
                } else {
                    SECURE_PREFIX
                };
                axum::http::HeaderValue::from_str(&format!("{prefix}{text}"))
                    .unwrap_or_else(|_| value.clone())
            }
            _ => value.clone(),
        })
        .collect();
    headers.remove(axum::http::header::SET_COOKIE);
    for cookie in cookies {
        headers.append(axum::http::header::SET_COOKIE, cookie);
    }
}

/// The host a request names (`Host`, or the URI's authority), which picks its tenant.
pub(crate) fn host(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.host())
}

/// The value of an `Authorization: Bearer` header; the scheme is matched case-insensitively.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(entries).expect("valid")
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn our_cookies_get_the_prefix_their_path_allows_and_only_prefixed_ones_are_read() {
        let mut response = HeaderMap::new();
        for line in [
            "portcullis_session=a; Path=/; Secure; HttpOnly",
            "portcullis_challenge=b; Path=/login; Secure; HttpOnly",
            "other=c; Path=/",
        ] {
            response.append("set-cookie", HeaderValue::from_static(line));
        }
        prefix_cookies(&mut response);
        let lines: Vec<_> = response
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                "__Host-portcullis_session=a; Path=/; Secure; HttpOnly",
                "__Secure-portcullis_challenge=b; Path=/login; Secure; HttpOnly",
                "other=c; Path=/",
            ]
        );
        let mut request = HeaderMap::new();
        request.append(
            "cookie",
            HeaderValue::from_static("portcullis_session=planted; __Host-portcullis_session=a"),
        );
        request.append(
            "cookie",
            HeaderValue::from_static("__Secure-portcullis_challenge=b; other=c"),
        );
        unprefix_cookies(&mut request);
        assert_eq!(
            request["cookie"],
            "portcullis_session=a; portcullis_challenge=b; other=c"
        );
    }

    #[test]
    fn addresses_and_networks_are_matched() {
        let trusted = proxies(&[
            "10.0.0.1",
            " 192.168.0.0/16",
            "::1",
            "fd00::/8",
            "172.16.5.9/12",
        ]);
        for yes in [
            "10.0.0.1",
            "192.168.0.1",
            "192.168.255.255",
            "::1",
            "fd12::1",
            "172.31.0.1",
        ] {
            assert!(trusted.trusts(ip(yes)), "{yes}");
        }
        for no in [
            "10.0.0.2",
            "192.169.0.1",
            "::2",
            "fe80::1",
            "172.32.0.1",
            "0.0.0.1",
        ] {
            assert!(!trusted.trusts(ip(no)), "{no}");
        }
    }

    #[test]
    fn bad_entries_are_named() {
        let problem = TrustedProxies::parse(&["10.0.0.1", "10.0.0.0/33"]).unwrap_err();
        assert!(problem.contains("`10.0.0.0/33`"), "{problem}");
        assert!(TrustedProxies::parse(&["proxy.example"]).is_err());
        assert!(TrustedProxies::parse(&[""]).is_err());
        assert!(TrustedProxies::parse::<&str>(&[]).unwrap().is_empty());
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_trusted() {
        let headers = forwarded(&["203.0.113.7"]);
        let none = TrustedProxies::default();
        assert_eq!(none.client_ip(ip("10.0.0.1"), &headers), ip("10.0.0.1"));
        let other = proxies(&["10.0.0.2"]);
        assert_eq!(other.client_ip(ip("10.0.0.1"), &headers), ip("10.0.0.1"));
        let trusted = proxies(&["10.0.0.1"]);
        assert_eq!(
            trusted.client_ip(ip("10.0.0.1"), &headers),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn the_walk_stops_at_the_first_untrusted_hop_from_the_right() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let peer = ip("10.0.0.1");
        // The client wrote the left-most entry itself; only the right-most untrusted one
        // was written by a proxy we trust.
        let spoofed = forwarded(&["1.1.1.1, 203.0.113.7, 10.0.0.9"]);
        assert_eq!(trusted.client_ip(peer, &spoofed), ip("203.0.113.7"));
        // Several header lines read as one list.
        let split = forwarded(&["1.1.1.1", "203.0.113.7, 10.0.0.9"]);
        assert_eq!(trusted.client_ip(peer, &split), ip("203.0.113.7"));
        // Every hop trusted: the left-most.
        let inside = forwarded(&["10.1.1.1, 10.0.0.9"]);
        assert_eq!(trusted.client_ip(peer, &inside), ip("10.1.1.1"));
        // No header: the peer.
        assert_eq!(trusted.client_ip(peer, &HeaderMap::new()), peer);
        // Garbage ends the walk at the last hop we could read.
        let garbage = forwarded(&["203.0.113.7, unknown, 10.0.0.9"]);
        assert_eq!(trusted.client_ip(peer, &garbage), ip("10.0.0.9"));
        let all_garbage = forwarded(&["nonsense"]);
        assert_eq!(trusted.client_ip(peer, &all_garbage), peer);
    }

    #[test]
    fn ports_and_mapped_addresses_are_understood() {
        let trusted = proxies(&["127.0.0.1"]);
        let mapped = ip("::ffff:127.0.0.1");
        let headers = forwarded(&["[2001:db8::1]:4711, 198.51.100.2:80"]);
        assert_eq!(trusted.client_ip(mapped, &headers), ip("198.51.100.2"));
        let headers = forwarded(&["::ffff:198.51.100.3"]);
        assert_eq!(
            trusted.client_ip(ip("127.0.0.1"), &headers),
            ip("198.51.100.3")
        );
    }
}

//! Where the server may send requests of its own: the egress policy. A URL a tenant or a client
//! names (a social network's endpoints, later back-channel logout URIs and webhooks) must not
//! turn the server into a way into the network it sits in: loopback, private, link-local (the
//! cloud metadata endpoint at 169.254.169.254 among them), shared, multicast, unspecified,
//! reserved and documentation addresses are refused, in their IPv4-mapped forms too, unless the
//! operator's `egress_allow` names them. The outbound client checks every *resolved* address
//! with [`EgressPolicy::check_ip`] and connects only to addresses it checked; surfaces check a
//! URL when it is registered with [`EgressPolicy::check_url`].

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an outbound request, or a URL for one, is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not an absolute `https` URL (`http` only where allowed).
    Scheme,
    /// This machine: `localhost`, 127.0.0.0/8, ::1.
    Loopback,
    /// A private network: RFC 1918, RFC 4193 (fc00::/7).
    Private,
    /// Link-local, the cloud metadata endpoint among them: 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// Carrier-grade NAT's shared space, 100.64.0.0/10.
    Shared,
    Multicast,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// Documentation, benchmarking, protocol-assignment and reserved ranges.
    Reserved,
}

impl Refusal {
    /// A short name, for metrics and logs.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Scheme => "scheme",
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::LinkLocal => "link_local",
            Self::Shared => "shared",
            Self::Multicast => "multicast",
            Self::Unspecified => "unspecified",
            Self::Reserved => "reserved",
        }
    }

    /// What a surface says about a refused URL.
    pub fn message(self) -> &'static str {
        match self {
            Self::Scheme => "The URL must be an absolute https URL.",
            _ => "The URL points at an address this server does not send requests to.",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused by the egress policy ({})", self.reason())
    }
}

impl std::error::Error for Refusal {}

impl Refusal {
    /// Every reason, for counting them.
    pub const ALL: [Refusal; 8] = [
        Self::Scheme,
        Self::Loopback,
        Self::Private,
        Self::LinkLocal,
        Self::Shared,
        Self::Multicast,
        Self::Unspecified,
        Self::Reserved,
    ];
}

/// Why a request made on someone's say-so did not get an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundError {
    /// The egress policy refused it: nothing was sent.
    Refused(Refusal),
    /// The other side could not be reached, or answered something unusable.
    Failed(String),
}

impl std::fmt::Display for OutboundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(refusal) => refusal.fmt(f),
            Self::Failed(why) => f.write_str(why),
        }
    }
}

impl From<String> for OutboundError {
    fn from(why: String) -> Self {
        Self::Failed(why)
    }
}

/// The operator's exceptions to the refused ranges; tenants cannot change them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    allow: Vec<IpNet>,
}

/// IP addresses or CIDR networks, as operators write them (`10.0.0.1`, `10.1.0.0/16`, `::1`).
pub fn parse_networks<S: AsRef<str>>(entries: &[S]) -> Result<Vec<IpNet>, String> {
    entries
        .iter()
        .map(|entry| {
            let entry = entry.as_ref().trim();
            entry
                .parse::<IpNet>()
                .map(|net| net.trunc())
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("has `{entry}`, which is not an IP address or network"))
        })
        .collect()
}

impl EgressPolicy {
    pub fn new(allow: Vec<IpNet>) -> Self {
        Self { allow }
    }

    /// Whether the operator named `ip` as an exception (where plain `http` is fine too: an
    /// internal endpoint the operator vouches for).
    pub fn allows_explicitly(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.allow.iter().any(|net| net.contains(&ip))
    }

    /// Whether the server may connect to `ip`.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refusal> {
        let ip = ip.to_canonical();
        if self.allow.iter().any(|net| net.contains(&ip)) {
            return Ok(());
        }
        match classify(ip) {
            Some(refusal) => Err(refusal),
            None => Ok(()),
        }
    }

    /// Whether a URL may be registered for the server to call: an absolute `https` URL (`http`
    /// too where `allow_http`), whose host is not a refused address or `localhost`. A host name
    /// is checked again, resolved, when the request is made.
    pub fn check_url(&self, url: &str, allow_http: bool) -> Result<(), Refusal> {
        let parsed = url::Url::parse(url.trim()).map_err(|_| Refusal::Scheme)?;
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                (name == "localhost" || name.ends_with(".localhost"))
                    .then_some(IpAddr::V4(Ipv4Addr::LOCALHOST))
            }
            None => return Err(Refusal::Scheme),
        };
        // The address first: it is the graver reason, and the one worth counting.
        if let Some(ip) = literal {
            self.check_ip(ip)?;
        }
        let vouched = literal.is_some_and(|ip| self.allows_explicitly(ip));
        match parsed.scheme() {
            "https" => Ok(()),
            "http" if allow_http || vouched => Ok(()),
            _ => Err(Refusal::Scheme),
        }
    }
}

/// The refused range `ip` falls in, if any.
fn classify(ip: IpAddr) -> Option<Refusal> {
    match ip {
        IpAddr::V4(ip) => classify_v4(ip),
        IpAddr::V6(ip) => classify_v6(ip),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Refusal> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (127, _, _) => Refusal::Loopback,
        (10, _, _) | (192, 168, _) => Refusal::Private,
        (172, 16..=31, _) => Refusal::Private,
        (169, 254, _) => Refusal::LinkLocal,
        (100, 64..=127, _) => Refusal::Shared,
        (0, _, _) => Refusal::Unspecified,
        (224..=239, _, _) => Refusal::Multicast,
        // Protocol assignments, documentation (TEST-NET-1..3), benchmarking, and the reserved
        // 240/4 with the broadcast address.
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Refusal::Reserved,
        (198, 18..=19, _) | (240..=255, _, _) => Refusal::Reserved,
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<Refusal> {
    let segments = ip.segments();
    if ip.is_loopback() {
        return Some(Refusal::Loopback);
    }
    if ip.is_unspecified() {
        return Some(Refusal::Unspecified);
    }
    // NAT64's well-known prefix carries an IPv4 address: judged as that address.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [_, _, _, _, _, _, high, low] = segments;
        let v4 = Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
        return classify_v4(v4);
    }
    Some(match segments[0] {
        0xfc00..=0xfdff => Refusal::Private,
        // Link-local, and the deprecated site-local fec0::/10.
        0xfe80..=0xffbf if segments[0] & 0xffc0 == 0xfe80 => Refusal::LinkLocal,
        0xfec0..=0xfeff => Refusal::Private,
        0xff00..=0xffff => Refusal::Multicast,
        0x2001 if segments[1] == 0x0db8 => Refusal::Reserved,
        // IPv4-compatible (deprecated) and other addresses inside ::/8.
        0x0000..=0x00ff => Refusal::Reserved,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_refused_in_every_spelling() {
        let policy = EgressPolicy::default();
        for (address, refusal) in [
            ("127.0.0.1", Refusal::Loopback),
            ("127.1.2.3", Refusal::Loopback),
            ("::1", Refusal::Loopback),
            ("::ffff:127.0.0.1", Refusal::Loopback),
            ("10.0.0.1", Refusal::Private),
            ("172.16.5.4", Refusal::Private),
            ("192.168.1.1", Refusal::Private),
            ("fd00::1", Refusal::Private),
            ("169.254.169.254", Refusal::LinkLocal),
            ("::ffff:169.254.169.254", Refusal::LinkLocal),
            ("fe80::1", Refusal::LinkLocal),
            ("100.64.0.1", Refusal::Shared),
            ("224.0.0.1", Refusal::Multicast),
            ("ff02::1", Refusal::Multicast),
            ("0.0.0.0", Refusal::Unspecified),
            ("::", Refusal::Unspecified),
            ("192.0.2.10", Refusal::Reserved),
            ("2001:db8::1", Refusal::Reserved),
            ("255.255.255.255", Refusal::Reserved),
            ("64:ff9b::a9fe:a9fe", Refusal::LinkLocal),
        ] {
            assert_eq!(policy.check_ip(ip(address)), Err(refusal), "{address}");
        }
        for public in [
            "93.184.216.34",
            "172.32.0.1",
            "2606:4700::1111",
            "100.128.0.1",
        ] {
            assert_eq!(policy.check_ip(ip(public)), Ok(()), "{public}");
        }
    }

    #[test]
    fn the_operators_exceptions_open_what_they_name_and_nothing_else() {
        let policy = EgressPolicy::new(vec!["10.1.0.0/16".parse().unwrap()]);
        assert_eq!(policy.check_ip(ip("10.1.2.3")), Ok(()));
        assert_eq!(policy.check_ip(ip("::ffff:10.1.2.3")), Ok(()));
        assert_eq!(policy.check_ip(ip("10.2.0.1")), Err(Refusal::Private));
    }

    #[test]
    fn urls_are_https_and_not_literally_internal() {
        let policy = EgressPolicy::default();
        assert_eq!(
            policy.check_url("https://id.example.com/token", false),
            Ok(())
        );
        assert_eq!(
            policy.check_url("http://id.example.com/token", false),
            Err(Refusal::Scheme)
        );
        assert_eq!(
            policy.check_url("http://id.example.com/token", true),
            Ok(())
        );
        assert_eq!(
            policy.check_url("ftp://id.example.com", true),
            Err(Refusal::Scheme)
        );
        assert_eq!(policy.check_url("not a url", true), Err(Refusal::Scheme));
        for internal in [
            "https://127.0.0.1/",
            "https://[::1]:8443/",
            "https://[::ffff:127.0.0.1]/",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/",
            "https://localhost/",
            "https://api.localhost./",
            "https://2130706433/",
        ] {
            assert!(policy.check_url(internal, true).is_err(), "{internal}");
        }
        let open = EgressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert_eq!(open.check_url("http://localhost:9/x", true), Ok(()));
    }
}

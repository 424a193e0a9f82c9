//! How many connections (or, behind a trusted proxy, requests in flight) one client may hold at
//! once, so that one client reopening slow connections cannot take every slot from everyone
//! else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Counts what each client holds; a [`Held`] gives its place back when dropped.
#[derive(Clone)]
pub(super) struct PerClient {
    limit: usize,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerClient {
    pub(super) fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            held: Arc::default(),
        }
    }

    /// A place for `ip`, unless it already holds as many as it may.
    pub(super) fn take(&self, ip: IpAddr) -> Option<Held> {
        let client = client_of(ip);
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let count = held.entry(client).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Held {
            client,
            held: Arc::clone(&self.held),
        })
    }
}

/// One place taken by a client.
pub(super) struct Held {
    client: IpAddr,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = held.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.client);
            }
        }
    }
}

/// Who an address belongs to. An IPv6 client is routinely given a whole /64, so counting its
/// addresses one by one would give it 2^64 allowances.
fn client_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::from(octets)
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_limit_and_its_places_back() {
        let per_client = PerClient::new(2);
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let first = per_client.take(one).unwrap();
        let _second = per_client.take(one).unwrap();
        assert!(per_client.take(one).is_none());
        assert!(per_client.take(other).is_some());
        drop(first);
        assert!(per_client.take(one).is_some());
    }

    #[test]
    fn an_ipv6_slash_64_is_one_client_and_mapped_ipv4_is_ipv4() {
        let per_client = PerClient::new(1);
        let _held = per_client.take("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(per_client
            .take("2001:db8:1:2:ffff::9".parse().unwrap())
            .is_none());
        assert!(per_client
            .take("2001:db8:1:3::1".parse().unwrap())
            .is_some());
        let _v4 = per_client.take("192.0.2.7".parse().unwrap()).unwrap();
        assert!(per_client
            .take("::ffff:192.0.2.7".parse().unwrap())
            .is_none());
    }

    #[test]
    fn a_client_holding_nothing_is_forgotten() {
        let per_client = PerClient::new(3);
        drop(per_client.take("192.0.2.1".parse().unwrap()));
        assert!(per_client.held.lock().unwrap().is_empty());
    }
}

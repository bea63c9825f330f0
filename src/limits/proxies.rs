//! Whose `X-Forwarded-For` to believe: the source address of a request is the TCP peer,
//! unless the peer is a trusted proxy; then it is the rightmost address of `X-Forwarded-For`
//! that is not itself a trusted proxy (each proxy appends the address it received from).

use std::net::IpAddr;

/// An address range: an address and a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(text: &str) -> Result<Cidr, String> {
        let invalid = || format!("{text:?} is not an IP address or CIDR range (such as 10.0.0.0/8 or fd00::/8)");
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().map_err(|_| invalid())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.trim().parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(invalid)?,
            None => max,
        };
        Ok(Cidr { network, prefix })
    }

    fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`, as a dual-stack socket reports it) is
/// the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose `X-Forwarded-For` is believed; empty by default (nobody's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Addresses and CIDR ranges, e.g. `["10.0.0.0/8", "127.0.0.1"]`.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, String> {
        let ranges = entries
            .iter()
            .map(|entry| entry.as_ref().trim())
            .filter(|entry| !entry.is_empty())
            .map(Cidr::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies(ranges))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(address))
    }

    /// The source of a request from `peer` carrying these `X-Forwarded-For` header values (in
    /// order): walking from the right, the first hop that is not a trusted proxy. A hop that is
    /// not an address ends the walk at the last trusted one; if every hop is trusted, the
    /// leftmost is the source.
    pub fn source<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for.into_iter().flat_map(|value| value.split(',')).collect();
        let mut source = peer;
        for hop in hops.iter().rev() {
            let Some(address) = parse_hop(hop) else { return source };
            source = canonical(address);
            if !self.trusts(source) {
                return source;
            }
        }
        source
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(address) = hop.parse() {
        return Some(address);
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[').and_then(|rest| rest.split_once(']')).and_then(|(address, _)| address.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_match_v4_and_v6() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8", "127.0.0.1", "fd00::/8", " "]).unwrap();
        assert!(proxies.trusts(ip("10.255.1.2")));
        assert!(proxies.trusts(ip("127.0.0.1")));
        assert!(proxies.trusts(ip("::ffff:127.0.0.1")), "IPv4-mapped IPv6 is IPv4");
        assert!(!proxies.trusts(ip("127.0.0.2")));
        assert!(proxies.trusts(ip("fd12::1")));
        assert!(!proxies.trusts(ip("fe80::1")));
        assert!(TrustedProxies::parse(&["0.0.0.0/0"]).unwrap().trusts(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0/8", "::/129"] {
            assert!(TrustedProxies::parse(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_source_is_the_rightmost_untrusted_hop_behind_trusted_proxies() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        let cases: [(&str, &[&str], &str, &str); 7] = [
            ("203.0.113.9", &["1.1.1.1"], "203.0.113.9", "an untrusted peer's header is ignored"),
            ("10.0.0.1", &[], "10.0.0.1", "a proxy that sent no header"),
            ("10.0.0.1", &["1.1.1.1"], "1.1.1.1", "one proxy"),
            ("10.0.0.1", &["6.6.6.6, 1.1.1.1, 10.0.0.2"], "1.1.1.1", "a spoofed leftmost entry is skipped"),
            ("10.0.0.1", &["6.6.6.6", "1.1.1.1:4321"], "1.1.1.1", "several headers, a port"),
            ("10.0.0.1", &["10.0.0.3, 10.0.0.2"], "10.0.0.3", "every hop trusted: the leftmost"),
            ("10.0.0.1", &["1.1.1.1, garbage"], "10.0.0.1", "an unreadable hop stops at the last trusted"),
        ];
        for (peer, headers, expected, case) in cases {
            assert_eq!(proxies.source(ip(peer), headers.iter().copied()), ip(expected), "{case}");
        }
        assert_eq!(TrustedProxies::default().source(ip("10.0.0.1"), ["1.1.1.1"]), ip("10.0.0.1"), "nobody trusted");
    }
}

//! Network addresses as rules see them: ranges an operator configures (`10.0.0.0/8`,
//! `fd00::/8`), and which addresses are internal — never a webhook's target unless a range
//! allows it, because a request there reaches this machine or its private network (SSRF).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An address range in CIDR notation; a bare address is a range of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    net: IpAddr,
    prefix: u8,
}

/// Why a range did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an address range (like 10.0.0.0/8 or fd00::/8): {0}")]
pub struct BadRange(pub String);

impl FromStr for IpRange {
    type Err = BadRange;

    fn from_str(s: &str) -> Result<IpRange, BadRange> {
        let bad = || BadRange(s.to_owned());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(IpRange { net, prefix })
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

impl IpRange {
    /// True when `ip` is in the range (an IPv4-mapped IPv6 address counts as its IPv4 one).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Parses a list of ranges; the first bad one is the error.
pub fn ranges<S: AsRef<str>>(items: &[S]) -> Result<Vec<IpRange>, BadRange> {
    items
        .iter()
        .map(|s| s.as_ref().parse::<IpRange>())
        .collect()
}

/// An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// True for an address that is not on the public internet: loopback, private (RFC 1918),
/// shared (100.64/10), link-local (cloud metadata at 169.254.169.254 among them), unspecified,
/// broadcast, multicast, documentation and benchmarking ranges, and their IPv6 kin (unique
/// local `fc00::/7`, link-local `fe80::/10`, IPv4-mapped and NAT64 forms of the above).
pub fn is_internal(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [_, _, _, _, _, _, hi, lo] = seg;
        return internal_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00
        || (seg[0] & 0xffc0) == 0xfe80
        || (seg[0] == 0x2001 && seg[1] == 0x0db8)
        || ip
            .to_ipv4()
            .is_some_and(|v4| seg[..6] == [0; 6] && internal_v4(v4))
}

/// True when a webhook may be delivered to `ip`: a public address, or an internal one in a
/// range the operator allowed.
pub fn may_call(ip: IpAddr, allowed: &[IpRange]) -> bool {
    !is_internal(ip) || allowed.iter().any(|r| r.contains(ip))
}

#[cfg(test)]
#[path = "net_tests.rs"]
mod tests;

//! Which network addresses a commune's own delivery settings may reach: public ones only.
//!
//! A commune admin may set their own SMTP server and SMS/Zalo gateways. Without this guard
//! they could point them at the server itself or its private network (the database, Redis,
//! a cloud metadata service) and read the answers in the dead-letter list: server-side
//! request forgery. So a commune's own settings are refused at save time when they name a
//! loopback or private address, and at send time every host name is resolved here and only
//! public addresses are dialled, which also defeats a name that re-resolves to 127.0.0.1
//! after it was saved (DNS rebinding). The deployment's own `[smtp]`/`[sms]`/`[zalo]` are
//! trusted and may use any address, and a deployment that runs its gateways on its own
//! network can allow that for communes with `allow_private_commune_gateways`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Whether `ip` is an address on the public internet (not this machine, a private or
/// shared network, link-local, multicast, documentation or reserved space).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(a),
        },
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [o1, o2, o3, _] = a.octets();
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_broadcast()
        || a.is_documentation()
        || a.is_multicast()
        || o1 == 0
        // Shared address space for carrier-grade NAT (RFC 6598): 100.64.0.0/10.
        || (o1 == 100 && (64..128).contains(&o2))
        // IETF protocol assignments (RFC 6890): 192.0.0.0/24.
        || (o1 == 192 && o2 == 0 && o3 == 0)
        // Benchmarking (RFC 2544): 198.18.0.0/15.
        || (o1 == 198 && (o2 == 18 || o2 == 19))
        // Reserved for future use: 240.0.0.0/4.
        || o1 >= 240)
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, deprecated site-local fec0::/10.
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        // Teredo 2001::/32, local-use NAT64 64:ff9b:1::/48, IPv4-translated ::ffff:0:0:0/96:
        // tunnels and translators whose far end may be anywhere, even this network.
        || (s[0] == 0x2001 && s[1] == 0)
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
        || (s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0)
        // 6to4 2002::/16 carries an IPv4 address in bits 16–47.
        || (s[0] == 0x2002 && !is_public_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        )))
        // Documentation 2001:db8::/32.
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        // NAT64 64:ff9b::/96 and IPv4-compatible ::/96 lead back into IPv4 space; judge the
        // embedded address.
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] && !is_public_v4(embedded_v4(a)))
        || (s[..6] == [0; 6] && !is_public_v4(embedded_v4(a))))
}

fn embedded_v4(a: Ipv6Addr) -> Ipv4Addr {
    let o = a.octets();
    Ipv4Addr::new(o[12], o[13], o[14], o[15])
}

/// Whether a host as written in a setting (name, IPv4, or bracketed IPv6) visibly names
/// this machine or a private network. Names are judged again when they are resolved.
pub fn names_private_host(host: &str) -> bool {
    let host = host.trim().trim_end_matches('.');
    let lower = host.to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") {
        return true;
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    literal.parse::<IpAddr>().is_ok_and(|ip| !is_public(ip))
}

/// Resolves `host` and keeps its public addresses; an error when it has none.
pub async fn resolve_public(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let all: Vec<SocketAddr> = match literal.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect(),
    };
    let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_public(a.ip())).collect();
    if public.is_empty() {
        return Err(format!(
            "{host} is on this machine or a private network, which a commune's own settings may not use"
        ));
    }
    Ok(public)
}

/// A reqwest resolver that only ever hands out public addresses.
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = resolve_public(&host, 0).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "::127.0.0.1",
            "2001:db8::1",
            "fec0::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "64:ff9b:1::a00:1",
            "::ffff:0:a00:1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
        ] {
            assert!(!public(a), "{a} must not count as public");
        }
        for a in [
            "8.8.8.8",
            "203.162.4.190",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "2002:808:808::1",
        ] {
            assert!(public(a), "{a} is public");
        }
    }

    #[test]
    fn hosts_written_in_settings() {
        for h in [
            "localhost",
            "LOCALHOST.",
            "mail.localhost",
            "127.0.0.1",
            "[::1]",
            "10.0.0.5",
        ] {
            assert!(names_private_host(h), "{h}");
        }
        for h in ["sms.viettel.vn", "8.8.8.8", "[2001:4860:4860::8888]"] {
            assert!(!names_private_host(h), "{h}");
        }
    }

    #[tokio::test]
    async fn resolving_keeps_only_public_addresses() {
        let err = resolve_public("localhost", 25).await.unwrap_err();
        assert!(err.contains("private network"), "{err}");
        assert!(resolve_public("127.0.0.1", 25).await.is_err());
        let ok = resolve_public("8.8.8.8", 587).await.unwrap();
        assert_eq!(ok, vec!["8.8.8.8:587".parse().unwrap()]);
    }
}

//! Who a request comes from, for the limits keyed on it.
//!
//! Behind a reverse proxy every connection comes from the proxy, so keying
//! limits on the peer would put everyone in one bucket (20 bad passwords from
//! anyone would lock everyone out). The proxy names the client in
//! `X-Forwarded-For`, but anyone can send that header: it is believed only
//! when the peer is one of the operator's trusted proxies, and then read from
//! the right, skipping trusted proxies, so a client cannot put a made-up
//! address before the one the proxy added.
//!
//! An IPv6 subscriber usually has a whole /64, so limits key an IPv6 client
//! on its /64: a new address from the same network is the same client.

use std::net::{IpAddr, Ipv6Addr};

use axum::http::HeaderMap;

/// The client's address: the peer's, or the one a trusted proxy names.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            // A hop that is not an address: nothing before it can be believed.
            Err(_) => return peer,
        }
    }
    peer
}

/// Says once, in the log, that a proxy on this machine names clients in
/// `X-Forwarded-For` but is not trusted: every client behind it then shares
/// one address's limits (sign-ins, sign-ups, sockets).
pub fn warn_untrusted_proxy(peer: IpAddr, headers: &HeaderMap) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if headers.contains_key("x-forwarded-for")
        && !SAID.swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        tracing::warn!(
            %peer,
            "a proxy sends X-Forwarded-For but is not a --trusted-proxy: all its clients share one address's limits"
        );
    }
}

/// The key limits count `ip` under.
pub fn limit_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().expect("header"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn the_header_is_believed_only_from_a_trusted_proxy() {
        let proxy = ip("127.0.0.1");
        let h = headers(&["203.0.113.7"]);
        assert_eq!(client_ip(proxy, &h, &[proxy]), ip("203.0.113.7"));
        // Sent straight to the relay by anyone: ignored.
        assert_eq!(
            client_ip(ip("198.51.100.9"), &h, &[proxy]),
            ip("198.51.100.9")
        );
        assert_eq!(client_ip(proxy, &h, &[]), proxy);
    }

    #[test]
    fn read_from_the_right_past_trusted_proxies() {
        let (proxy, inner) = (ip("127.0.0.1"), ip("10.0.0.2"));
        // The client wrote a made-up first hop; the proxies added the rest.
        let h = headers(&["1.2.3.4, 203.0.113.7", "10.0.0.2"]);
        assert_eq!(client_ip(proxy, &h, &[proxy, inner]), ip("203.0.113.7"));
        // Nothing but proxies, or garbage: the peer.
        assert_eq!(
            client_ip(proxy, &headers(&["10.0.0.2"]), &[proxy, inner]),
            proxy
        );
        assert_eq!(client_ip(proxy, &headers(&["not-an-ip"]), &[proxy]), proxy);
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa::1")),
            limit_key(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(limit_key(ip("192.0.2.1")), "192.0.2.1");
    }
}

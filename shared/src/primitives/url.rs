//! The pieces of an absolute URL, read one way for every caller: the configuration's
//! URLs and the single sign-on's outbound rule (`credentials::oidc::url`).

/// `scheme://authority` then the rest (path, query, fragment). The authority ends at the
/// first `/`, `?` or `#`; `None` without `://` or with an empty authority.
pub(crate) fn split(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.is_empty() {
        return None;
    }
    Some((scheme, authority, tail))
}

/// The host of an authority (`host[:port]`; an IPv6 literal keeps its brackets).
pub(crate) fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |i| &authority[..i + 1]);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// Whether `host` is a loopback name or address: `localhost`, or a loopback address in
/// its canonical spelling (dotted quad, or an IPv6 literal in brackets).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authority_ends_at_the_first_path_query_or_fragment() {
        assert_eq!(split("https://a.com/p?q"), Some(("https", "a.com", "/p?q")));
        assert_eq!(split("https://a.com?@b"), Some(("https", "a.com", "?@b")));
        assert_eq!(split("https://a.com#@b"), Some(("https", "a.com", "#@b")));
        assert_eq!(split("https://a.com"), Some(("https", "a.com", "")));
        assert_eq!(split("https:///p"), None);
        assert_eq!(split("a.com"), None);
    }

    #[test]
    fn hosts_and_loopback() {
        assert_eq!(host_of("a.com:443"), "a.com");
        assert_eq!(host_of("[::1]:80"), "[::1]");
        assert!(is_loopback_host("localhost"));
        assert!(is_loopback_host("127.0.0.2"));
        assert!(is_loopback_host("[::1]"));
        assert!(!is_loopback_host("10.0.0.1"));
        assert!(!is_loopback_host("0x7f.1"));
    }
}

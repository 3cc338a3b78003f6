//! The outbound URL rule (issue 22, item 2): the issuer and every endpoint discovery
//! names come from an administrator at run time, and on Lambda `127.0.0.1:9001` is the
//! function's own Runtime API. So: https with a DNS host name, no userinfo, no IP
//! literal, no loopback name. `SSO_ALLOW_INSECURE_LOOPBACK` (the local stack and tests
//! only) admits plain http and loopback hosts; other IP literals stay refused. The
//! adapter applies the same rule again to the addresses a name resolves to.

use std::fmt;

use crate::primitives::url::{host_of, is_loopback_host, split};

/// The longest URL accepted.
const MAX_LEN: usize = 2048;

/// Why an outbound URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not `scheme://authority...`.
    NotAbsolute,
    /// Not https (plain http only with the dev flag).
    NotHttps,
    /// A user name or password in the authority (`user@host`).
    Userinfo,
    /// A space, control character, backslash or non-ASCII character.
    BadChar,
    /// Not a DNS host name (bad label, empty or bad port).
    BadHost,
    /// An IP address in place of a host name, in any spelling.
    IpLiteral,
    /// `localhost` or a name under it.
    Loopback,
    /// A query or fragment in an issuer.
    QueryOrFragment,
    /// A fragment in an endpoint.
    Fragment,
    /// Longer than 2048 bytes.
    TooLong,
}

impl UrlRefusal {
    pub const ALL: [UrlRefusal; 10] = [
        UrlRefusal::NotAbsolute,
        UrlRefusal::NotHttps,
        UrlRefusal::Userinfo,
        UrlRefusal::BadChar,
        UrlRefusal::BadHost,
        UrlRefusal::IpLiteral,
        UrlRefusal::Loopback,
        UrlRefusal::QueryOrFragment,
        UrlRefusal::Fragment,
        UrlRefusal::TooLong,
    ];

    /// The stable code (logs, the `test` action's report).
    pub fn as_str(self) -> &'static str {
        match self {
            UrlRefusal::NotAbsolute => "not_absolute",
            UrlRefusal::NotHttps => "not_https",
            UrlRefusal::Userinfo => "userinfo",
            UrlRefusal::BadChar => "bad_char",
            UrlRefusal::BadHost => "bad_host",
            UrlRefusal::IpLiteral => "ip_literal",
            UrlRefusal::Loopback => "loopback",
            UrlRefusal::QueryOrFragment => "query_or_fragment",
            UrlRefusal::Fragment => "fragment",
            UrlRefusal::TooLong => "too_long",
        }
    }
}

impl fmt::Display for UrlRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for UrlRefusal {}

/// The rule in force (`Config::outbound_rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboundRule {
    /// `SSO_ALLOW_INSECURE_LOOPBACK`: plain http and loopback hosts (dev only).
    pub allow_insecure_loopback: bool,
}

impl OutboundRule {
    /// Checks a provider's issuer: no query or fragment; a trailing slash stays as
    /// configured (issuers compare exactly). Returns the URL unchanged.
    pub fn issuer(&self, url: &str) -> Result<String, UrlRefusal> {
        let tail = self.check(url)?;
        if tail.contains(['?', '#']) {
            return Err(UrlRefusal::QueryOrFragment);
        }
        Ok(url.to_owned())
    }

    /// Checks an endpoint (authorization, token, JWKS): a query is kept, a fragment is
    /// refused. Returns the URL unchanged.
    pub fn endpoint(&self, url: &str) -> Result<String, UrlRefusal> {
        let tail = self.check(url)?;
        if tail.contains('#') {
            return Err(UrlRefusal::Fragment);
        }
        Ok(url.to_owned())
    }

    /// The checks both share; returns what follows the authority.
    fn check<'u>(&self, url: &'u str) -> Result<&'u str, UrlRefusal> {
        if url.len() > MAX_LEN {
            return Err(UrlRefusal::TooLong);
        }
        if !url.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
            return Err(UrlRefusal::BadChar);
        }
        let (scheme, authority, tail) = split(url).ok_or(UrlRefusal::NotAbsolute)?;
        match scheme {
            "https" => {}
            "http" if self.allow_insecure_loopback => {}
            _ => return Err(UrlRefusal::NotHttps),
        }
        if authority.contains('@') {
            return Err(UrlRefusal::Userinfo);
        }
        self.host(authority)?;
        Ok(tail)
    }

    /// The authority: a DNS name (or, with the flag, a loopback host) and a port.
    fn host(&self, authority: &str) -> Result<(), UrlRefusal> {
        let host = host_of(authority);
        port(&authority[host.len()..])?;
        let loopback_name = is_localhost(host);
        if self.allow_insecure_loopback && (loopback_name || is_loopback_host(host)) {
            return Ok(());
        }
        if host.starts_with('[') || looks_like_ipv4(host) {
            return Err(UrlRefusal::IpLiteral);
        }
        if !is_dns_name(host) {
            return Err(UrlRefusal::BadHost);
        }
        if loopback_name {
            return Err(UrlRefusal::Loopback);
        }
        Ok(())
    }
}

/// What follows the host: nothing, or `:` and a port 1..=65535.
fn port(rest: &str) -> Result<(), UrlRefusal> {
    let Some(digits) = rest.strip_prefix(':') else {
        return if rest.is_empty() {
            Ok(())
        } else {
            Err(UrlRefusal::BadHost)
        };
    };
    let ok = !digits.is_empty()
        && digits.len() <= 5
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits
            .parse::<u32>()
            .is_ok_and(|p| (1..=65535).contains(&p));
    if ok { Ok(()) } else { Err(UrlRefusal::BadHost) }
}

/// `localhost` or a name under it, in any case, with or without a final dot.
fn is_localhost(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

/// Whether a URL parser would read `host` as an IPv4 address: its last label (a final
/// dot aside) is a number, decimal, octal or hex (`2130706433`, `0x7f.1`, `127.1`).
fn looks_like_ipv4(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let last = host.rsplit('.').next().unwrap_or(host);
    let hex = last
        .strip_prefix("0x")
        .or_else(|| last.strip_prefix("0X"))
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    hex || (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
}

/// Labels of 1..=63 letters, digits and inner hyphens; 253 bytes at most.
fn is_dns_name(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: OutboundRule = OutboundRule {
        allow_insecure_loopback: false,
    };
    const DEV: OutboundRule = OutboundRule {
        allow_insecure_loopback: true,
    };

    #[test]
    fn codes_are_stable_and_distinct() {
        let codes: std::collections::HashSet<_> =
            UrlRefusal::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(codes.len(), UrlRefusal::ALL.len());
        assert_eq!(UrlRefusal::IpLiteral.to_string(), "ip_literal");
        assert_eq!(UrlRefusal::NotHttps.as_str(), "not_https");
    }

    #[test]
    fn good_issuers_are_returned_exactly_as_configured() {
        for u in [
            "https://login.example.com",
            "https://login.example.com/",
            "https://login.example.com/tenant/v2.0",
            "https://Login.Example.com:8443/realms/a",
            "https://1.example.com",
            "https://xn--bcher-kva.example",
            "https://intranet",
        ] {
            assert_eq!(STRICT.issuer(u).as_deref(), Ok(u), "{u}");
            assert_eq!(DEV.issuer(u).as_deref(), Ok(u), "{u}");
        }
    }

    #[test]
    fn endpoints_keep_their_query_but_not_a_fragment() {
        let u = "https://idp.example.com/authorize?p=b2c_1_signin";
        assert_eq!(STRICT.endpoint(u).as_deref(), Ok(u));
        assert_eq!(
            STRICT.endpoint("https://idp.example.com/a#f"),
            Err(UrlRefusal::Fragment)
        );
        assert_eq!(
            STRICT.issuer("https://idp.example.com/a?x=1"),
            Err(UrlRefusal::QueryOrFragment)
        );
        assert_eq!(
            STRICT.issuer("https://idp.example.com#f"),
            Err(UrlRefusal::QueryOrFragment)
        );
        assert_eq!(
            STRICT.issuer("https://idp.example.com?"),
            Err(UrlRefusal::QueryOrFragment)
        );
    }

    /// Every refusal, for both kinds of URL, without the dev flag.
    #[test]
    fn the_strict_rule_refuses_each_kind_of_bad_url() {
        use UrlRefusal::*;
        for (u, why) in [
            ("http://idp.example.com", NotHttps),
            ("HTTPS://idp.example.com", NotHttps),
            ("ftp://idp.example.com", NotHttps),
            ("file:///etc/passwd", NotAbsolute),
            ("idp.example.com", NotAbsolute),
            ("https:/idp.example.com", NotAbsolute),
            ("//idp.example.com", NotAbsolute),
            ("https://", NotAbsolute),
            ("https:///path", NotAbsolute),
            ("https://user@idp.example.com", Userinfo),
            ("https://user:pw@idp.example.com", Userinfo),
            ("https://good.com@evil.com", Userinfo),
            ("https://idp.example.com /x", BadChar),
            ("https://idp.example.com/\t", BadChar),
            ("https://idp.example.com\\@evil.com", BadChar),
            ("https://idp.example.com/\u{e9}", BadChar),
            ("https://idp.example.com\n", BadChar),
            ("https://127.0.0.1", IpLiteral),
            ("https://127.0.0.1:9001/2018-06-01/runtime", IpLiteral),
            ("https://169.254.169.254/latest", IpLiteral),
            ("https://10.0.0.1", IpLiteral),
            ("https://2130706433", IpLiteral),
            ("https://0x7f000001", IpLiteral),
            ("https://0x7f.1", IpLiteral),
            ("https://0X7F.0.0.1", IpLiteral),
            ("https://0177.0.0.1", IpLiteral),
            ("https://127.1", IpLiteral),
            ("https://127.0.0.1.", IpLiteral),
            ("https://example.0x", IpLiteral),
            ("https://[::1]", IpLiteral),
            ("https://[::ffff:127.0.0.1]", IpLiteral),
            ("https://[fd00::1]:443", IpLiteral),
            ("https://localhost", Loopback),
            ("https://LOCALHOST", Loopback),
            ("https://localhost.", BadHost),
            ("https://a.localhost", Loopback),
            ("https://idp.example.com:", BadHost),
            ("https://idp.example.com:0", BadHost),
            ("https://idp.example.com:65536", BadHost),
            ("https://idp.example.com:+443", BadHost),
            ("https://idp.example.com:44a", BadHost),
            ("https://idp..example.com", BadHost),
            ("https://idp.example.com.", BadHost),
            ("https://-idp.example.com", BadHost),
            ("https://idp-.example.com", BadHost),
            ("https://idp_x.example.com", BadHost),
            ("https://idp%2eexample.com", BadHost),
            ("https://[::1", IpLiteral),
        ] {
            assert_eq!(STRICT.issuer(u), Err(why), "issuer {u}");
            assert_eq!(STRICT.endpoint(u), Err(why), "endpoint {u}");
        }
        let long = format!("https://idp.example.com/{}", "a".repeat(MAX_LEN));
        assert_eq!(STRICT.endpoint(&long), Err(TooLong));
        let label = format!("https://{}.com", "a".repeat(64));
        assert_eq!(STRICT.issuer(&label), Err(BadHost));
    }

    /// The dev flag admits plain http and loopback hosts, nothing more.
    #[test]
    fn the_dev_flag_admits_http_and_loopback_only() {
        for u in [
            "http://idp.example.com",
            "http://localhost:8080/realms/a",
            "http://a.localhost",
            "https://localhost",
            "http://127.0.0.1:9999",
            "http://127.5.6.7",
            "http://[::1]:8080/x",
        ] {
            assert_eq!(DEV.issuer(u).as_deref(), Ok(u), "{u}");
            assert_eq!(DEV.endpoint(u).as_deref(), Ok(u), "{u}");
        }
        use UrlRefusal::*;
        for (u, why) in [
            ("http://10.0.0.1", IpLiteral),
            ("http://169.254.169.254", IpLiteral),
            ("http://2130706433", IpLiteral),
            ("http://0x7f.1", IpLiteral),
            ("http://127.1", IpLiteral),
            ("http://[::ffff:127.0.0.1]", IpLiteral),
            ("http://[fe80::1]", IpLiteral),
            ("ftp://localhost", NotHttps),
            ("http://user@localhost", Userinfo),
            ("http://localhost/x?y", QueryOrFragment),
        ] {
            assert_eq!(DEV.issuer(u), Err(why), "{u}");
        }
    }
}

//! The single sign-on providers over HTTPS ([`crate::credentials::oidc::party`]): no
//! redirects, no proxy, 2 s to connect, 3 s in all, 64 KiB bodies. Unless
//! `SSO_ALLOW_INSECURE_LOOPBACK` is on, the outbound URL rule holds at connect time too:
//! the resolver refuses a name with any address that is not globally routable (on
//! Lambda `127.0.0.1:9001` is the function's own Runtime API).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::jwks::read_json;
use super::sdk::LazyHttp;
use crate::credentials::oidc::party::{OidcHttp, RelyingParty};
use crate::credentials::oidc::url::OutboundRule;
use crate::error::{Error, Result};
use crate::primitives::metrics::{self, Service};

/// The provider calls over reqwest.
#[derive(Clone)]
pub struct HttpOidc {
    client: Arc<LazyHttp>,
}

fn base() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(3))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
}

fn strict() -> reqwest::ClientBuilder {
    base().https_only(true).dns_resolver(Arc::new(PublicOnly))
}

fn insecure_loopback() -> reqwest::ClientBuilder {
    base().https_only(false)
}

impl HttpOidc {
    /// The client is built on the first call (no trust-store load at init).
    pub fn new(rule: OutboundRule) -> Self {
        let builder = match rule.allow_insecure_loopback {
            true => insecure_loopback,
            false => strict,
        };
        HttpOidc {
            client: Arc::new(LazyHttp::new(builder)),
        }
    }
}

/// The relying party a function uses, over [`HttpOidc`], configured by `SSO_*`.
pub fn relying_party(config: &crate::config::Config) -> RelyingParty<HttpOidc> {
    let sso = &config.users.sso;
    let rule = config.outbound_rule();
    RelyingParty::new(
        HttpOidc::new(rule),
        rule,
        sso.metadata_ttl,
        sso.jwks_ttl,
        sso.cooldown,
    )
}

fn dep(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::dependency(Service::Idp, e)
}

impl OidcHttp for HttpOidc {
    async fn get_json(&self, url: &str) -> Result<Value> {
        metrics::record(Service::Idp);
        let request = self
            .client
            .get()?
            .get(url)
            .header("accept", "application/json");
        let resp = request.send().await.map_err(dep)?;
        if !resp.status().is_success() {
            return Err(dep(format!("HTTP {}", resp.status())));
        }
        read_json(resp, Service::Idp).await
    }

    async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &SecretString)>,
    ) -> Result<(u16, Value)> {
        metrics::record(Service::Idp);
        let mut request = self
            .client
            .get()?
            .post(url)
            .header("accept", "application/json")
            .form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret.expose_secret()));
        }
        let resp = request.send().await.map_err(dep)?;
        let status = resp.status().as_u16();
        // A refusal's body is not needed (its text is never reflected).
        let body = read_json(resp, Service::Idp).await.unwrap_or(Value::Null);
        Ok((status, body))
    }
}

/// A resolver that answers only when every address of the name is public.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if found.is_empty() || !found.iter().all(|a| is_public(a.ip())) {
                return Err("the provider's name resolves to a non-public address".into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Whether `ip` is globally routable: not loopback, private, link-local (the metadata
/// service at 169.254.169.254), CGNAT, unspecified, multicast, reserved or
/// documentation; IPv6 ULA, link-local and site-local refused, and an embedded IPv4
/// (mapped, compatible, NAT64, 6to4) judged as IPv4.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0
        || a == 10
        || a == 127
        || a >= 224
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded = |hi: usize| {
        let o = ip.octets();
        Ipv4Addr::new(o[hi], o[hi + 1], o[hi + 2], o[hi + 3])
    };
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if s[..6] == [0; 6] {
        // `::`, `::1` and the deprecated IPv4-compatible form.
        return !ip.is_unspecified() && !ip.is_loopback() && is_public_v4(embedded(12));
    }
    match s[0] {
        0x64 if s[1] == 0xff9b => is_public_v4(embedded(12)),
        0x2002 => is_public_v4(embedded(2)),
        0x2001 if s[1] == 0 || s[1] == 0xdb8 => false,
        x if x & 0xfe00 == 0xfc00 => false,
        x if x & 0xffc0 == 0xfe80 || x & 0xffc0 == 0xfec0 => false,
        x if x & 0xff00 == 0xff00 => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_globally_routable_addresses_are_public() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "239.1.1.1",
            "240.0.0.1",
            "255.255.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.1",
            "203.0.113.9",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:0001::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001:0::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}

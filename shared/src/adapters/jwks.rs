//! The host's JWKS over HTTPS (the code flow, [`crate::credentials::codes`]).

use std::time::Duration;

use serde_json::Value;

use super::sdk::LazyHttp;
use crate::credentials::codes::{JwksFetch, MAX_JWKS_BYTES};
use crate::error::{Error, Result};
use crate::primitives::metrics::{self, Service};

/// Fetches over HTTPS (HTTP for loopback hosts only) with timeouts and a size cap.
#[derive(Clone)]
pub struct HttpJwksFetch {
    client: std::sync::Arc<LazyHttp>,
}

impl HttpJwksFetch {
    /// The HTTP client is built on the first fetch (no trust-store load at init).
    pub fn new() -> Result<Self> {
        let client = LazyHttp::new(|| {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(2))
                .timeout(Duration::from_secs(3))
                .redirect(reqwest::redirect::Policy::none())
                .https_only(false)
        });
        Ok(HttpJwksFetch {
            client: std::sync::Arc::new(client),
        })
    }
}

impl JwksFetch for HttpJwksFetch {
    async fn fetch(&self, url: &str) -> Result<Value> {
        let dep =
            |e: Box<dyn std::error::Error + Send + Sync>| Error::dependency(Service::HostJwks, e);
        metrics::record(Service::HostJwks);
        let resp = self
            .client
            .get()?
            .get(url)
            .send()
            .await
            .map_err(|e| dep(e.into()))?;
        if !resp.status().is_success() {
            return Err(dep(format!("HTTP {}", resp.status()).into()));
        }
        read_json(resp, Service::HostJwks).await
    }
}

/// Reads a JSON body of at most 64 KiB (the declared length and the bytes as they
/// arrive are both checked); errors count against `service`.
pub(super) async fn read_json(mut resp: reqwest::Response, service: Service) -> Result<Value> {
    let dep = |e: Box<dyn std::error::Error + Send + Sync>| Error::dependency(service, e);
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
    {
        return Err(dep("document too large".into()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| dep(e.into()))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_JWKS_BYTES {
            return Err(dep("document too large".into()));
        }
    }
    serde_json::from_slice(&body).map_err(|e| dep(e.into()))
}

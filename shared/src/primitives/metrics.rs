//! Outbound calls per dependency, counted in process so "no AWS call when warm" is
//! measured, not assumed. The SDK clients count through an interceptor
//! ([`crate::adapters::sdk`]); the presigned STS call and the host JWKS fetch count here by hand.
//!
//! After each invocation the functions log the running totals at `debug` level under
//! the target `gatehouse::metrics` (off unless `RUST_LOG` enables it, e.g.
//! `RUST_LOG=info,gatehouse::metrics=debug`); the benchmark harness reads that line and
//! takes differences between invocations.

use std::sync::atomic::{AtomicU64, Ordering};

/// A dependency the functions call over the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    DynamoDb,
    SecretsManager,
    Sts,
    Iam,
    /// The host's JWKS (not AWS; counted so the harness sees every outbound call).
    HostJwks,
    /// Amazon SES (the users function's e-mail).
    Ses,
    /// A single sign-on provider (discovery, JWKS, token endpoint; not AWS).
    Idp,
}

impl Service {
    #[cfg(test)]
    pub(crate) const ALL: [Service; 7] = [
        Service::DynamoDb,
        Service::SecretsManager,
        Service::Sts,
        Service::Iam,
        Service::HostJwks,
        Service::Ses,
        Service::Idp,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Service::DynamoDb => "dynamodb",
            Service::SecretsManager => "secretsmanager",
            Service::Sts => "sts",
            Service::Iam => "iam",
            Service::HostJwks => "host_jwks",
            Service::Ses => "ses",
            Service::Idp => "idp",
        }
    }

    /// Whether this is an AWS service (the host JWKS and the providers are not).
    #[cfg(test)]
    pub(crate) fn is_aws(self) -> bool {
        !matches!(self, Service::HostJwks | Service::Idp)
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

static CALLS: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];

/// Counts one outbound request (one attempt: a retry counts again).
pub(crate) fn record(service: Service) {
    CALLS[service as usize].fetch_add(1, Ordering::Relaxed);
}

/// Calls so far to `service` since the process started.
pub(crate) fn total(service: Service) -> u64 {
    CALLS[service as usize].load(Ordering::Relaxed)
}

/// Logs the running totals (one `debug` line; nothing when the level is off).
pub(crate) fn log_totals() {
    tracing::debug!(
        target: "gatehouse::metrics",
        dynamodb = total(Service::DynamoDb),
        secretsmanager = total(Service::SecretsManager),
        sts = total(Service::Sts),
        iam = total(Service::Iam),
        host_jwks = total(Service::HostJwks),
        ses = total(Service::Ses),
        idp = total(Service::Idp),
        "outbound calls"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_service() {
        let before: Vec<u64> = Service::ALL.iter().map(|s| total(*s)).collect();
        record(Service::Iam);
        record(Service::Iam);
        record(Service::HostJwks);
        let after: Vec<u64> = Service::ALL.iter().map(|s| total(*s)).collect();
        // Other tests in this process may count too: only growth is certain.
        assert!(after[Service::Iam as usize] >= before[Service::Iam as usize] + 2);
        assert!(after[Service::HostJwks as usize] > before[Service::HostJwks as usize]);
        assert_eq!(Service::ALL.iter().filter(|s| s.is_aws()).count(), 5);
    }
}

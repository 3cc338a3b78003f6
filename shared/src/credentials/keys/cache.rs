//! The ring as a function sees it, cached.

use std::sync::Arc;
use std::time::Duration;

use super::{KeyRing, LoadedRing, VerifyKey};
use crate::credentials::secrets::SecretSource;
use crate::error::{Error, Result};
use crate::primitives::cache::{Cooldown, TtlCache};

/// The ring as a function sees it: loaded from Secrets Manager on first use, reloaded
/// every `refresh` (so an emergency rotation reaches warm instances), and at once for
/// an unknown `kid` at most once per `cooldown`. Warm requests make no AWS call.
pub struct SigningKeys<S> {
    source: S,
    secret_id: String,
    ring: TtlCache<(), Arc<LoadedRing>>,
}

impl<S: SecretSource> SigningKeys<S> {
    pub(crate) fn new(
        source: S,
        secret_id: impl Into<String>,
        refresh: Duration,
        cooldown: Duration,
    ) -> Self {
        SigningKeys {
            source,
            secret_id: secret_id.into(),
            // Counted from the last unknown-kid reload only: a kid that appeared just
            // after a routine load is picked up at once.
            ring: TtlCache::new(refresh).with_cooldown(Cooldown::SinceRefetch(cooldown)),
        }
    }

    async fn load(&self) -> Result<Arc<LoadedRing>> {
        use secrecy::ExposeSecret;
        let value = self.source.fetch(&self.secret_id).await?;
        let ring = KeyRing::parse(value.expose_secret())?.ok_or_else(|| {
            Error::Internal(
                "the signing key ring has not been created yet (first rotation pending)".into(),
            )
        })?;
        Ok(Arc::new(LoadedRing::load(&ring)?))
    }

    /// The ring (from memory when fresh).
    pub(crate) async fn ring(&self) -> Result<Arc<LoadedRing>> {
        self.ring.get_or_load(&(), || self.load()).await
    }

    /// The verification key for `kid`, reloading once per cooldown when it is unknown.
    pub(crate) async fn verifier(&self, kid: &str) -> Result<Option<VerifyKey>> {
        let ring = self.ring().await?;
        if let Some(k) = ring.verifiers.get(kid) {
            return Ok(Some(k.clone()));
        }
        let ring = match self.ring.refetch(&(), || self.load()).await? {
            Some(reloaded) => reloaded,
            // Reloaded recently (perhaps by a concurrent caller): the current ring.
            None => self.ring.get(&()).unwrap_or(ring),
        };
        Ok(ring.verifiers.get(kid).cloned())
    }

    pub fn source(&self) -> &S {
        &self.source
    }

    /// Forgets the cached ring (after this process rotated it).
    #[cfg(test)]
    pub(crate) fn invalidate(&self) {
        self.ring.invalidate(&());
    }
}

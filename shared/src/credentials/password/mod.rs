//! Password hashes: Argon2id PHC strings with a 16-byte salt from the CSPRNG, computed
//! by the bounded [`worker`]; verification of a stored hash, the rehash decision, and
//! the same work for an unknown user as for a wrong password. No pepper
//! (docs/DECISIONS.md, "Passwords"). What a new password must be is in [`policy`].

mod params;
mod policy;
mod worker;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

use crate::error::{Error, Result};
use crate::primitives::crypto;

pub use self::params::{
    FLOOR, MAX_ITERATIONS, MAX_MEMORY_KIB, MAX_PARALLELISM, Params, ParamsError, StoredError,
};
pub use self::policy::{
    ContextWords, DEFAULT_MIN_LENGTH, MAX_LENGTH, MIN_LENGTH_CEILING, MIN_LENGTH_FLOOR,
    PasswordRules, Policy, Refusal,
};
pub use self::worker::PERMIT_WAIT;

use self::params::{OUTPUT_LEN, SALT_LEN, Stored};
use self::worker::Worker;

/// A hash of a random, discarded password with the default parameters: what an unknown
/// user's sign-in is verified against, so it costs what a wrong password costs. A test
/// checks its parameters are [`Params::DEFAULT`]; other parameters derive their own.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$LxxpTJkhaD4mNCPeyCsUsQ$ILWQ3e60VrpwuJ5RI980p/kFuhRq3VvW2uol+HmmHrU";

/// The default number of hashes computed at once (`ARGON2_MAX_CONCURRENT`).
pub const DEFAULT_MAX_CONCURRENT: usize = 2;

/// What the password layer is configured with (`Config::password_settings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordSettings {
    pub params: Params,
    /// Hashes computed at once; more callers wait up to [`PERMIT_WAIT`].
    pub max_concurrent: usize,
    /// Least length of a new password, in code points.
    pub min_length: usize,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        PasswordSettings {
            params: Params::DEFAULT,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            min_length: DEFAULT_MIN_LENGTH,
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The password is right. `rehash`: the stored hash is weaker than the current
    /// parameters; store [`Passwords::hash`] of this password in its place.
    Match { rehash: bool },
    /// The password is wrong (or the user unknown: the caller cannot tell them apart).
    Mismatch,
}

/// The password layer a function builds once and shares.
#[derive(Debug)]
pub struct Passwords {
    params: Params,
    policy: Policy,
    worker: Worker,
    /// The dummy hash, parsed (and for other parameters than the defaults, derived) on
    /// first use.
    dummy: OnceCell<Stored>,
}

impl Passwords {
    pub fn new(settings: &PasswordSettings) -> Self {
        Passwords {
            params: settings.params,
            policy: Policy::new(settings.min_length),
            worker: Worker::new(settings.max_concurrent),
            dummy: OnceCell::new(),
        }
    }

    /// The rules new passwords must meet (check them before [`Passwords::hash`]).
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The PHC string of `password` with the current parameters and a fresh salt.
    pub async fn hash(&self, password: &SecretString) -> Result<String> {
        let password = password.clone();
        let params = self.params;
        self.worker.run(move || hash_now(&password, params)).await?
    }

    /// Checks `password` against the stored PHC string `stored`. A stored string that
    /// is malformed, not Argon2id v19, or over the cap is an error before any work.
    pub async fn verify(&self, password: &SecretString, stored: &str) -> Result<Verdict> {
        let stored = Stored::parse(stored).map_err(|why| {
            Error::Internal(format!("stored password hash refused: {}", why.as_str()))
        })?;
        let rehash = stored.params.below(&self.params);
        let password = password.clone();
        let matched = self
            .worker
            .run(move || matches(&password, &stored))
            .await??;
        Ok(if matched {
            Verdict::Match { rehash }
        } else {
            Verdict::Mismatch
        })
    }

    /// The sign-in of an unknown user: the same work as a wrong password (a hash with
    /// the configured parameters through the same worker), always [`Verdict::Mismatch`].
    pub async fn verify_unknown(&self, password: &SecretString) -> Result<Verdict> {
        let dummy = self.dummy().await?.clone();
        let password = password.clone();
        self.worker
            .run(move || matches(&password, &dummy))
            .await??;
        Ok(Verdict::Mismatch)
    }

    /// The dummy hash for the configured parameters: shipped for the defaults,
    /// otherwise a hash of a random password, computed once.
    async fn dummy(&self) -> Result<&Stored> {
        self.dummy
            .get_or_try_init(|| async {
                let phc = if self.params == Params::DEFAULT {
                    DUMMY_PHC.to_owned()
                } else {
                    self.hash(&SecretString::from(crypto::random_id())).await?
                };
                Stored::parse(&phc)
                    .map_err(|why| Error::Internal(format!("dummy hash: {}", why.as_str())))
            })
            .await
    }
}

/// The Argon2id context for `params` with an output of `output_len` bytes.
fn argon2(params: Params, output_len: usize) -> Result<Argon2<'static>> {
    let params = params
        .argon2(output_len)
        .ok_or_else(|| Error::Internal("argon2 parameters refused".into()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes on the current thread (the worker's job).
fn hash_now(password: &SecretString, params: Params) -> Result<String> {
    let salt = SaltString::encode_b64(&crypto::random_bytes(SALT_LEN))
        .map_err(|e| Error::Internal(format!("salt: {e}")))?;
    let hash = argon2(params, OUTPUT_LEN)?
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map_err(|e| Error::Internal(format!("argon2: {e}")))?;
    Ok(hash.to_string())
}

/// Whether `password` hashes to `stored`'s output (the worker's job), compared in
/// constant time.
fn matches(password: &SecretString, stored: &Stored) -> Result<bool> {
    let mut out = vec![0u8; stored.output.len()];
    argon2(stored.params, stored.output.len())?
        .hash_password_into(password.expose_secret().as_bytes(), &stored.salt, &mut out)
        .map_err(|e| Error::Internal(format!("argon2: {e}")))?;
    Ok(crypto::ct_eq(&out, &stored.output))
}

#[cfg(test)]
mod tests;

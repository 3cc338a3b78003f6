//! Key material: generating keys, their public JWKs and thumbprints, and the ring loaded
//! for signing and verifying.

use std::collections::HashMap;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::Serialize;

use super::{KeyRing, SigningAlg, StoredKey};
use crate::error::{Error, Result};

/// Generates a key pair: RSA-2048 for RS256, P-256 for ES256. The `kid` is the RFC 7638
/// thumbprint of the public key.
pub fn generate_key(alg: SigningAlg, now: i64) -> Result<StoredKey> {
    let failed = |_| Error::Internal("key generation failed".into());
    let pkcs8 = match alg {
        SigningAlg::RS256 => {
            let kp = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(failed)?;
            kp.as_der().map_err(failed)?.as_ref().to_vec()
        }
        SigningAlg::ES256 => {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(failed)?
                .as_ref()
                .to_vec()
        }
    };
    let mut key = StoredKey {
        kid: String::new(),
        alg,
        pkcs8: STANDARD.encode(&pkcs8),
        created_at: now,
    };
    key.kid = thumbprint(&public_jwk(&key)?);
    Ok(key)
}

fn pkcs8_der(key: &StoredKey) -> Result<Vec<u8>> {
    STANDARD
        .decode(&key.pkcs8)
        .map_err(|_| Error::Internal(format!("key {} is not base64", key.kid)))
}

fn b64u(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A public key as the JWKS publishes it (RFC 7517): RSA (`n`, `e`) or P-256 (`crv`,
/// `x`, `y`), with `kid`, `use=sig` and `alg`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Jwk {
    /// `RSA` (RS256) or `EC` (ES256).
    pub kty: &'static str,
    /// The RFC 7638 thumbprint of the key.
    pub kid: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub key_use: &'static str,
    /// `RS256` or `ES256`.
    pub alg: &'static str,
    /// RSA modulus (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA exponent (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve: `P-256`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<&'static str>,
    /// EC x coordinate (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// `GET /.well-known/jwks.json`: the ring's public keys (next, current, previous).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// The public JWK of a stored key (`kid`, `use=sig`, `alg`).
pub fn public_jwk(key: &StoredKey) -> Result<Jwk> {
    let der = pkcs8_der(key)?;
    let bad = |_| {
        Error::Internal(format!(
            "key {} is not a valid {} key",
            key.kid,
            key.alg.as_str()
        ))
    };
    let mut jwk = Jwk {
        kty: "RSA",
        kid: key.kid.clone(),
        key_use: "sig",
        alg: key.alg.as_str(),
        n: None,
        e: None,
        crv: None,
        x: None,
        y: None,
    };
    match key.alg {
        SigningAlg::RS256 => {
            let kp = aws_lc_rs::rsa::KeyPair::from_pkcs8(&der).map_err(bad)?;
            let public = kp.public_key();
            jwk.n = Some(b64u(public.modulus().big_endian_without_leading_zero()));
            jwk.e = Some(b64u(public.exponent().big_endian_without_leading_zero()));
        }
        SigningAlg::ES256 => {
            let kp =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).map_err(bad)?;
            let point = kp.public_key().as_ref();
            if point.len() != 65 || point[0] != 4 {
                return Err(Error::Internal("unexpected EC public key encoding".into()));
            }
            jwk.kty = "EC";
            jwk.crv = Some("P-256");
            jwk.x = Some(b64u(&point[1..33]));
            jwk.y = Some(b64u(&point[33..]));
        }
    }
    Ok(jwk)
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url).
fn thumbprint(jwk: &Jwk) -> String {
    let part = |v: &Option<String>| v.clone().unwrap_or_default();
    let canonical = match jwk.kty {
        "RSA" => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            part(&jwk.e),
            part(&jwk.n)
        ),
        _ => format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            part(&jwk.x),
            part(&jwk.y)
        ),
    };
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    b64u(digest.as_ref())
}

/// A verification key from the ring.
#[derive(Clone)]
pub struct VerifyKey {
    pub alg: SigningAlg,
    pub key: DecodingKey,
}

/// A parsed ring, ready to sign and verify.
#[derive(Clone)]
pub struct LoadedRing {
    pub signer_kid: String,
    pub signer_alg: SigningAlg,
    pub signer: EncodingKey,
    pub verifiers: HashMap<String, VerifyKey>,
    /// next, current, previous.
    pub jwks: JwkSet,
}

impl LoadedRing {
    pub fn load(ring: &KeyRing) -> Result<LoadedRing> {
        let mut verifiers = HashMap::new();
        let mut keys = Vec::new();
        for k in ring.keys() {
            let jwk = public_jwk(k)?;
            let part = |v: &Option<String>| v.clone().unwrap_or_default();
            let dk = match k.alg {
                SigningAlg::RS256 => DecodingKey::from_rsa_components(&part(&jwk.n), &part(&jwk.e)),
                SigningAlg::ES256 => DecodingKey::from_ec_components(&part(&jwk.x), &part(&jwk.y)),
            }
            .map_err(|e| Error::Internal(format!("key {}: {e}", k.kid)))?;
            verifiers.insert(
                k.kid.clone(),
                VerifyKey {
                    alg: k.alg,
                    key: dk,
                },
            );
            keys.push(jwk);
        }
        let c = &ring.current;
        let der = pkcs8_der(c)?;
        let signer = match c.alg {
            SigningAlg::RS256 => EncodingKey::from_rsa_pem(pem("PRIVATE KEY", &der).as_bytes()),
            SigningAlg::ES256 => Ok(EncodingKey::from_ec_der(&der)),
        }
        .map_err(|e| Error::Internal(format!("key {}: {e}", c.kid)))?;
        Ok(LoadedRing {
            signer_kid: c.kid.clone(),
            signer_alg: c.alg,
            signer,
            verifiers,
            jwks: JwkSet { keys },
        })
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for start in (0..b64.len()).step_by(64) {
        // Base64 is ASCII, so every byte offset is a character boundary.
        out.push_str(
            b64.get(start..(start + 64).min(b64.len()))
                .unwrap_or_default(),
        );
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

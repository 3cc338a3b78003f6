//! The SigV4 values of a presigned request, in the `Authorization` header or in the
//! query: each parsed strictly into its canonical form.

use super::{PresignRefusal, Refused, single_param};

/// The SigV4 values of a request (header or query form), each canonical: lower-case
/// signed header names, a credential scope of the `X-Amz-Date`'s day for STS, a
/// lower-case hex signature.
#[derive(Debug)]
pub(super) struct SigV4 {
    pub(super) credential: String,
    signed_headers: Vec<String>,
    pub(super) signature: String,
    /// `X-Amz-Date`, in epoch seconds.
    pub(super) date: i64,
}

impl SigV4 {
    /// From the `Authorization` header and `X-Amz-Date`; the query must not sign too.
    pub(super) fn of_header(
        auth: &str,
        date: Option<&str>,
        query: &[(String, String)],
    ) -> Refused<Self> {
        if single_param(query, "X-Amz-Signature")?.is_some() {
            return Err(PresignRefusal::SignedTwice);
        }
        let sig = parse_authorization(auth)?;
        let date = date.ok_or(PresignRefusal::NoDate)?;
        Self::new(sig.credential, sig.signed_headers, sig.signature, date)
    }

    /// From a presigned URL's `X-Amz-*` parameters.
    pub(super) fn of_query(query: &[(String, String)]) -> Refused<Self> {
        if single_param(query, "X-Amz-Algorithm")? != Some("AWS4-HMAC-SHA256") {
            return Err(PresignRefusal::NotSigv4);
        }
        let part = |name| single_param(query, name)?.ok_or(PresignRefusal::NotSigv4);
        Self::new(
            part("X-Amz-Credential")?,
            part("X-Amz-SignedHeaders")?,
            part("X-Amz-Signature")?,
            single_param(query, "X-Amz-Date")?.ok_or(PresignRefusal::NoDate)?,
        )
    }

    fn new(credential: &str, signed_headers: &str, signature: &str, date: &str) -> Refused<Self> {
        let signed: Vec<String> = signed_headers.split(';').map(str::to_owned).collect();
        if signed.iter().any(|h| {
            h.is_empty()
                || !h
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }) {
            return Err(PresignRefusal::MalformedAuthorization);
        }
        let epoch = parse_amz_date(date).ok_or(PresignRefusal::BadDate)?;
        if !valid_credential(credential, date) {
            return Err(PresignRefusal::BadCredential);
        }
        if !is_signature(signature) {
            return Err(PresignRefusal::BadSignature);
        }
        Ok(SigV4 {
            credential: credential.to_owned(),
            signed_headers: signed,
            signature: signature.to_owned(),
            date: epoch,
        })
    }

    pub(super) fn signs(&self, header: &str) -> bool {
        self.signed_headers.iter().any(|h| h == header)
    }
}

/// The components of a SigV4 `Authorization` value.
struct SigV4Header<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`: exactly these three
/// components, each once and non-empty, and nothing else.
fn parse_authorization(value: &str) -> Refused<SigV4Header<'_>> {
    use PresignRefusal::MalformedAuthorization as Malformed;
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or(PresignRefusal::NotSigv4)?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, v) = part.trim().split_once('=').ok_or(Malformed)?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(Malformed),
        };
        if v.is_empty() || slot.replace(v).is_some() {
            return Err(Malformed);
        }
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => Ok(SigV4Header {
            credential,
            signed_headers,
            signature,
        }),
        _ => Err(Malformed),
    }
}

/// `<access key id>/<YYYYMMDD of X-Amz-Date>/<region>/sts/aws4_request`.
fn valid_credential(credential: &str, amz_date: &str) -> bool {
    let parts: Vec<&str> = credential.split('/').collect();
    let word = |s: &str, extra: &[u8]| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
    };
    match parts[..] {
        [key, date, region, "sts", "aws4_request"] => {
            word(key, b"") && word(region, b"-") && amz_date.get(..8) == Some(date)
        }
        _ => false,
    }
}

fn is_signature(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `YYYYMMDDTHHMMSSZ` → epoch seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    if s.len() != 16 || !s.ends_with('Z') || s.as_bytes()[8] != b'T' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (
        n(0..4)?,
        n(4..6)?,
        n(6..8)?,
        n(9..11)?,
        n(11..13)?,
        n(13..15)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

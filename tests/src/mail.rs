//! The mail the functions sent, read back from moto (README "Reading sent mail
//! locally"). moto's SES keeps every message it accepted and lists it in its state dump,
//! `GET <MOTO_URL>/moto-api/data.json` (no credentials; `MOTO_URL` is exported by
//! local/scripts/with-emulators.sh). An SES v2 `SendEmail` with simple content is stored
//! by moto's SES v1 backend, so it is listed under `ses`, model `Message`, oldest first,
//! every account and region together:
//!
//! ```json
//! {"ses": {"Message": [
//!   {"id": "<message id>",
//!    "source": "noreply@gatehouse.local",
//!    "destinations": {"ToAddresses": ["ann@example.com"]},
//!    "subject": "Confirm your e-mail address",
//!    "body": "<the text part; the HTML part instead when there is one>"}
//! ], "EmailIdentity": [...], ...}, "iam": {...}, ...}
//! ```
//!
//! `destinations` holds the v2 `Destination` as sent (`ToAddresses`, and `CcAddresses`
//! or `BccAddresses` when set). The tests share one moto and run in parallel, so a test
//! sends to an address of its own ([`address`]) and reads only the messages to it.

use std::time::{Duration, Instant};

/// One message moto's SES accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMail {
    pub id: String,
    pub from: String,
    /// Every recipient (To, Cc, Bcc).
    pub to: Vec<String>,
    pub subject: String,
    /// The text part.
    pub text: String,
}

/// A fresh recipient address for one test (`<prefix>-<random>@example.com`).
pub fn address(prefix: &str) -> String {
    format!(
        "{prefix}-{}@example.com",
        gatehouse::primitives::crypto::random_base62(12).to_lowercase()
    )
}

/// Every message moto's SES accepted so far, oldest first.
pub async fn all_sent() -> Vec<SentMail> {
    let url = format!("{}/moto-api/data.json", crate::require_env("MOTO_URL"));
    let dump: serde_json::Value = crate::http()
        .get(&url)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = |m: &serde_json::Value, k: &str| m[k].as_str().unwrap_or_default().to_owned();
    dump["ses"]["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| SentMail {
            id: text(m, "id"),
            from: text(m, "source"),
            to: m["destinations"]
                .as_object()
                .into_iter()
                .flat_map(|d| d.values())
                .filter_map(|list| list.as_array())
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            subject: text(m, "subject"),
            text: text(m, "body"),
        })
        .collect()
}

/// The messages sent to `address` (compared in lower case, as e-mails are unique),
/// oldest first, newest last.
pub async fn sent_to(address: &str) -> Vec<SentMail> {
    let wanted = address.to_lowercase();
    all_sent()
        .await
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.to_lowercase() == wanted))
        .collect()
}

/// How long [`wait_for`] polls.
pub const WAIT: Duration = Duration::from_secs(5);

/// The messages to `address` once there are at least `count` of them (polled for up to
/// [`WAIT`]); panics, naming how many arrived, when they do not.
pub async fn wait_for(address: &str, count: usize) -> Vec<SentMail> {
    let deadline = Instant::now() + WAIT;
    loop {
        let sent = sent_to(address).await;
        if sent.len() >= count {
            return sent;
        }
        assert!(
            Instant::now() < deadline,
            "{count} message(s) to {address} expected within {WAIT:?}, {} arrived",
            sent.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The newest message to `address` (waiting for one as [`wait_for`] does).
pub async fn newest_to(address: &str) -> SentMail {
    wait_for(address, 1).await.pop().unwrap()
}

/// The first link in `text` whose fragment has `name`, e.g. `link(text, "verify")` for
/// `<USER_UI_URL>#verify=<token>`: the whole URL, up to the next whitespace.
pub fn link<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("#{name}=");
    text.split_whitespace().find(|word| {
        (word.starts_with("https://") || word.starts_with("http://")) && word.contains(&marker)
    })
}

/// The value of the fragment parameter `name` in the first such link of `text`
/// ([`link`]), e.g. the token of `<USER_UI_URL>#verify=<token>`.
pub fn link_token(text: &str, name: &str) -> Option<String> {
    let marker = format!("#{name}=");
    let link = link(text, name)?;
    let (_, value) = link.split_once(&marker)?;
    let value = value.split('&').next().unwrap_or_default();
    (!value.is_empty()).then(|| value.to_owned())
}

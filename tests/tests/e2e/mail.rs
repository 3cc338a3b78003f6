//! E-mail through Amazon SES v2 as the local stack runs it (README "Reading sent mail
//! locally", "Amazon SES"): the users function's `SesMailer` against the shared moto,
//! signing as the function user under moto's signature and policy checks, read back
//! with the harness's `mail` module; and SES failing (throttled, 5xx) through a fault
//! proxy, which the mailer turns into a 503 whose texts never hold the message.

use std::time::Duration;

use gatehouse::adapters::ses::SesMailer;
use gatehouse::credentials::users::Email;
use gatehouse::credentials::users::mail::{Mailer, Message};
use gatehouse_e2e as common;
use gatehouse_e2e::faults::{Fault, Wiring, ses_error, ses_proxy};
use gatehouse_e2e::mail;
use secrecy::{ExposeSecret, SecretString};

/// The demo page links point at (`USER_UI_URL` of the harness's config).
const USER_UI_URL: &str = "http://localhost:3001";

fn sender() -> Option<Email> {
    Some(Email::parse(common::EMAIL_FROM).unwrap())
}

/// A verification message to a fresh address: (address, token, message).
fn verification(prefix: &str) -> (String, String, Message) {
    let to = mail::address(prefix);
    let token = gatehouse::primitives::crypto::random_base62(43);
    let link = SecretString::from(format!("{USER_UI_URL}#verify={token}"));
    let message = Message::verify_email(&Email::parse(&to).unwrap(), &link);
    (to, token, message)
}

/// The users function's SES client as the functions build it (the function user's
/// keys, the emulator endpoint from `AWS_ENDPOINT_URL_SESV2`).
async fn function_ses() -> aws_sdk_sesv2::Client {
    gatehouse::adapters::sdk::sesv2(&common::sdk().await)
}

/// One verification message, sent through moto as the function user (signature and
/// policy checks on: the template's `ses:SendEmail` reached the moto user), arrives
/// once, from `EMAIL_FROM`, to its address only, with the subject and text sent; the
/// harness reads its `#verify=` token back; the message's Debug output shows neither
/// the text nor the token.
#[tokio::test]
async fn ses_mailer_delivers_one_verification_message_through_moto() {
    let (to, token, message) = verification("verify");
    let shown = format!("{message:?}");
    let text = message.text.expose_secret().to_owned();
    assert!(text.contains(&token));
    assert!(!shown.contains(&token), "{shown}");
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            !shown.contains(line.trim()),
            "Debug shows {line:?}: {shown}"
        );
    }
    SesMailer::new(function_ses().await, sender())
        .send(&message)
        .await
        .unwrap();
    let sent = mail::wait_for(&to, 1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let m = &sent[0];
    assert_eq!(m.from, common::EMAIL_FROM);
    assert_eq!(m.to, vec![to.clone()]);
    assert_eq!(m.subject, message.subject);
    assert_eq!(m.text, text);
    assert_eq!(mail::link_token(&m.text, "verify"), Some(token.clone()));
    assert_eq!(
        mail::link(&m.text, "verify"),
        Some(format!("{USER_UI_URL}#verify={token}").as_str())
    );
    assert_eq!(mail::link_token(&m.text, "invite"), None);
    // Nothing else arrives for it, and another address sees none of it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mail::sent_to(&to).await.len(), 1);
    assert!(mail::sent_to(&mail::address("other")).await.is_empty());
}

/// The recipient is matched in lower case, and messages come oldest first.
#[tokio::test]
async fn messages_to_one_address_come_oldest_first_whatever_its_case() {
    let to = mail::address("order");
    let upper = to.to_uppercase();
    let mailer = SesMailer::new(function_ses().await, sender());
    let email = Email::parse(&upper).unwrap();
    let first = Message::verify_email(
        &email,
        &SecretString::from(format!("{USER_UI_URL}#verify=one")),
    );
    mailer.send(&first).await.unwrap();
    mailer
        .send(&Message::already_registered(&email))
        .await
        .unwrap();
    let sent = mail::wait_for(&to, 2).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(
        mail::link_token(&sent[0].text, "verify").as_deref(),
        Some("one")
    );
    assert_eq!(sent[1].subject, Message::already_registered(&email).subject);
    assert_eq!(mail::newest_to(&to).await, sent[1]);
}

/// moto checks signatures for SES too: a request signed with a wrong secret is refused,
/// and the mailer's answer is a 503 with nothing sent.
#[tokio::test]
async fn a_wrongly_signed_send_is_refused_and_nothing_is_sent() {
    let (to, _, message) = verification("badsig");
    let base = common::sdk().await;
    let id = common::require_env("AWS_ACCESS_KEY_ID");
    let wrong = aws_credential_types::Credentials::new(id, "wrong-secret", None, None, "test");
    let conf = aws_sdk_sesv2::config::Builder::from(&base)
        .credentials_provider(wrong)
        .build();
    let err = SesMailer::new(aws_sdk_sesv2::Client::from_conf(conf), sender())
        .send(&message)
        .await
        .unwrap_err();
    assert_eq!(err.status().as_u16(), 503, "{}", err.detail());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(mail::sent_to(&to).await.is_empty());
}

/// A sender SES has not verified is refused (moto answers `MessageRejected`): 503, no
/// mail.
#[tokio::test]
async fn an_unverified_sender_is_refused_with_503() {
    let (to, _, message) = verification("unverified");
    let other = Email::parse(&mail::address("sender")).unwrap();
    let err = SesMailer::new(function_ses().await, Some(other))
        .send(&message)
        .await
        .unwrap_err();
    assert_eq!(err.status().as_u16(), 503, "{}", err.detail());
    assert!(err.detail().contains("MessageRejected"), "{}", err.detail());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(mail::sent_to(&to).await.is_empty());
}

/// SES alone through a fault proxy (DynamoDB and Secrets Manager direct): a send goes
/// through while the proxy forwards; throttling (429 `TooManyRequestsException`) and
/// server errors (500 `InternalFailure`, 503 `ServiceUnavailable`) make `send` fail with
/// a 503 dependency error whose Display and `detail()` name the SES error but hold
/// neither the text, nor its token, nor the recipient, and nothing is delivered; once
/// the proxy forwards again, the same mailer sends.
#[tokio::test]
async fn ses_throttling_and_server_errors_answer_503_without_the_message() {
    let proxy = ses_proxy();
    let w = Wiring::ses_through(&proxy).await;
    let mailer = SesMailer::new(w.ses, sender());
    let (to, token, message) = verification("proxied");
    mailer.send(&message).await.unwrap();
    assert_eq!(mail::wait_for(&to, 1).await.len(), 1, "forwarded to moto");
    let text = message.text.expose_secret().to_owned();
    for (status, code) in [
        (429, "TooManyRequestsException"),
        (500, "InternalFailure"),
        (503, "ServiceUnavailable"),
    ] {
        proxy.set(ses_error(status, code), Some("/v2/email/outbound-emails"));
        let err = mailer.send(&message).await.unwrap_err();
        let (display, detail) = (err.to_string(), err.detail());
        eprintln!("SES {status} {code}: {detail}");
        assert_eq!(err.status().as_u16(), 503, "{status} {code}: {detail}");
        assert!(detail.contains(code), "the SDK read the code: {detail}");
        for said in [&display, &detail] {
            assert!(!said.contains(&token), "{code}: {said}");
            assert!(!said.contains(&to), "{code}: {said}");
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                assert!(!said.contains(line.trim()), "{code}: {said}");
            }
        }
    }
    proxy.set(Fault::None, None);
    assert_eq!(
        mail::sent_to(&to).await.len(),
        1,
        "nothing delivered meanwhile"
    );
    mailer.send(&message).await.unwrap();
    assert_eq!(mail::wait_for(&to, 2).await.len(), 2, "sends again");
}

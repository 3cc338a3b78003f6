//! E-mail through Amazon SES v2 (README "People", sign-up): one plain-text message per
//! [`Message`], from `EMAIL_FROM`. Every failure (throttling, a 5xx, a rejected
//! message) is a dependency error, so the request fails closed with 503.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message as SesMessage};
use secrecy::ExposeSecret;

use crate::credentials::users::Email;
use crate::credentials::users::mail::{Mailer, Message};
use crate::error::{Error, Result};
use crate::primitives::metrics::Service;

/// Sends from one verified identity. Without one (`EMAIL_FROM` empty) every send is
/// refused; no function asks then.
pub struct SesMailer {
    client: Client,
    from: Option<Email>,
}

impl SesMailer {
    pub fn new(client: Client, from: Option<Email>) -> Self {
        SesMailer { client, from }
    }
}

fn utf8(text: &str) -> Result<Content> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| Error::Internal(e.to_string()))
}

impl Mailer for SesMailer {
    async fn send(&self, message: &Message) -> Result<()> {
        let from = self
            .from
            .as_ref()
            .ok_or_else(|| Error::Internal("no EMAIL_FROM to send from".into()))?;
        let body = SesMessage::builder()
            .subject(utf8(message.subject)?)
            .body(
                Body::builder()
                    .text(utf8(message.text.expose_secret())?)
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .from_email_address(from.shown())
            .destination(
                Destination::builder()
                    .to_addresses(message.to.shown())
                    .build(),
            )
            .content(EmailContent::builder().simple(body).build())
            .send()
            .await
            .map_err(|e| Error::dependency(Service::Ses, e))?;
        tracing::info!(event = "email_sent", purpose = message.purpose.as_str());
        Ok(())
    }
}

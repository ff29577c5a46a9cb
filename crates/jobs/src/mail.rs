//! Sending e-mail over SMTP: one connection setting (`smtp://` plain or with
//! `?tls=required` STARTTLS, `smtps://` TLS; user and password in the URL) and a sender.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use loopdesk_core::inbound::mail;
use loopdesk_core::job::MailThread;

/// An SMTP server to send through, and who the mail comes from.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never print it.
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

/// A file sent with a mail.
#[derive(Clone, Debug)]
pub struct MailFile {
    /// Its name.
    pub name: String,
    /// Its type (`application/pdf`).
    pub content_type: &'static str,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// Why a mailer could not be set up or a mail not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The SMTP URL is not one lettre understands.
    #[error("SMTP URL: {0}")]
    Url(String),
    /// The sender or a recipient is not an address.
    #[error("address `{0}`: {1}")]
    Address(String, String),
    /// Building the message failed.
    #[error("message: {0}")]
    Message(String),
    /// The server refused or could not be reached.
    #[error("SMTP: {0}")]
    Smtp(String),
}

impl Mailer {
    /// A mailer for `url` (e.g. `smtps://user:pass@mail.example.com`,
    /// `smtp://mail.example.com:587?tls=required`, `smtp://127.0.0.1:2525`) sending as `from`
    /// (`Loopdesk <service@example.com>`).
    pub fn new(url: &str, from: &str) -> Result<Mailer, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Url(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from.parse().map_err(|e: lettre::address::AddressError| {
            MailError::Address(from.to_owned(), e.to_string())
        })?;
        Ok(Mailer { transport, from })
    }

    /// Sends one plain-text mail.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        self.send_with(to, subject, body, None, None).await
    }

    /// Sends one plain-text mail, with a file attached, threaded on its ticket.
    pub async fn send_with(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        file: Option<MailFile>,
        thread: Option<&MailThread>,
    ) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|e: lettre::address::AddressError| {
            MailError::Address(to.to_owned(), e.to_string())
        })?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject);
        if let Some(t) = thread {
            // The ticket is in the Message-ID: the customer's answer names it in In-Reply-To.
            let domain = self.from.email.domain().to_owned();
            let id = mail::outbound_message_id(t.ticket_id, &t.nonce, &domain);
            builder = builder.message_id(Some(format!("<{id}>")));
            if t.automatic {
                builder = builder.raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("Auto-Submitted"),
                    "auto-generated".into(),
                ));
            }
            if let Some(answered) = &t.in_reply_to {
                builder = builder
                    .in_reply_to(format!("<{answered}>"))
                    .references(format!("<{answered}>"));
            }
        }
        let msg = match file {
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(body.to_owned()),
            Some(f) => {
                let content_type = ContentType::parse(f.content_type)
                    .map_err(|e| MailError::Message(e.to_string()))?;
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(body.to_owned()))
                        .singlepart(Attachment::new(f.name).body(f.bytes, content_type)),
                )
            }
        }
        .map_err(|e| MailError::Message(e.to_string()))?;
        self.transport
            .send(msg)
            .await
            .map_err(|e| MailError::Smtp(e.to_string()))?;
        Ok(())
    }
}

//! A real SMTP server on loopback for the mail tests: it speaks enough SMTP for a client
//! to deliver (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps every message it got.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One message as received.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<File>,
    /// `Message-ID`, `In-Reply-To` (without brackets) and `Auto-Submitted`.
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub auto_submitted: Option<String>,
}

/// A file sent with a message.
#[derive(Clone, Debug)]
pub struct File {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An SMTP sink listening on 127.0.0.1.
pub struct SmtpSink {
    pub url: String,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let _ = session(stream, kept).await;
                });
            }
        });
        SmtpSink { url, mails }
    }

    /// The mails sent to `to`.
    pub fn to(&self, to: &str) -> Vec<Mail> {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .cloned()
            .collect()
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    kept: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r).lines();
    w.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut to = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            w.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("MAIL FROM:") {
            to.clear();
            w.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            let addr = line[8..]
                .trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or("")
                .to_owned();
            to.push(addr);
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            w.write_all(b"354 end with .\r\n").await?;
            let mut data = Vec::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push(l.strip_prefix('.').map(str::to_owned).unwrap_or(l));
            }
            kept.lock()
                .unwrap()
                .push(parse(std::mem::take(&mut to), &data));
            w.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "QUIT" {
            w.write_all(b"221 bye\r\n").await?;
            break;
        } else if upper == "RSET" || upper == "NOOP" {
            w.write_all(b"250 OK\r\n").await?;
        } else {
            w.write_all(b"502 not implemented\r\n").await?;
        }
    }
    Ok(())
}

/// The message as a mail reader sees it: the subject decoded, the first text part, and the
/// attached files.
fn parse(to: Vec<String>, lines: &[String]) -> Mail {
    use mail_parser::MimeHeaders;
    let raw = lines.join("\r\n");
    let msg = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a mail message");
    let attachments = msg
        .attachments()
        .map(|part| File {
            name: part.attachment_name().unwrap_or_default().to_owned(),
            content_type: part
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
                .unwrap_or_default(),
            bytes: part.contents().to_vec(),
        })
        .collect();
    Mail {
        to,
        subject: msg.subject().unwrap_or_default().to_owned(),
        body: msg
            .body_text(0)
            .map(|b| b.trim_end_matches(['\r', '\n']).replace("\r\n", "\n"))
            .unwrap_or_default(),
        attachments,
        message_id: msg.message_id().map(str::to_owned),
        in_reply_to: msg.in_reply_to().as_text().map(str::to_owned),
        auto_submitted: msg
            .header_raw("Auto-Submitted")
            .map(|v| v.trim().to_owned()),
    }
}

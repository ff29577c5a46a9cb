//! A real SMTP server on loopback for the mail tests: it speaks enough SMTP for a client
//! to deliver (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps every message it got.

use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One message as received.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
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

/// Headers (unfolded), the subject decoded from RFC 2047, the body from base64 or
/// quoted-printable.
fn parse(to: Vec<String>, lines: &[String]) -> Mail {
    let split = lines
        .iter()
        .position(|l| l.is_empty())
        .unwrap_or(lines.len());
    let mut headers: Vec<String> = Vec::new();
    for l in &lines[..split] {
        if l.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.push_str(l);
                continue;
            }
        }
        headers.push(l.clone());
    }
    let header = |name: &str| {
        headers
            .iter()
            .find_map(|h| {
                let (k, v) = h.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let raw_body = lines.get(split + 1..).unwrap_or(&[]).join("\n");
    let body = match header("Content-Transfer-Encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "base64" => String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(raw_body.replace('\n', ""))
                .unwrap(),
        )
        .unwrap(),
        "quoted-printable" => quoted_printable(&raw_body),
        _ => raw_body,
    };
    Mail {
        to,
        subject: decode_words(&header("Subject")),
        body,
    }
}

fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut prev_encoded = false;
    for part in s.split_whitespace() {
        let lower = part.to_ascii_lowercase();
        let encoded = part.ends_with("?=")
            && (lower.starts_with("=?utf-8?b?") || lower.starts_with("=?utf-8?q?"));
        // Whitespace between two encoded words is not part of the text.
        let joined = encoded && prev_encoded;
        if !out.is_empty() && !joined {
            out.push(' ');
        }
        if encoded {
            let inner = &part[10..part.len() - 2];
            if lower.starts_with("=?utf-8?b?") {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(inner)
                    .unwrap();
                out.push_str(&String::from_utf8(bytes).unwrap());
            } else {
                out.push_str(&quoted_printable(&inner.replace('_', " ")));
            }
        } else {
            out.push_str(part);
        }
        prev_encoded = encoded;
    }
    out
}

fn quoted_printable(s: &str) -> String {
    let mut bytes = Vec::new();
    let mut lines = s.split('\n').peekable();
    while let Some(line) = lines.next() {
        let (line, soft) = match line.strip_suffix('=') {
            Some(l) => (l, true),
            None => (line, false),
        };
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 2 < b.len() {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                bytes.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                bytes.push(b[i]);
                i += 1;
            }
        }
        if !soft && lines.peek().is_some() {
            bytes.push(b'\n');
        }
    }
    String::from_utf8(bytes).unwrap()
}

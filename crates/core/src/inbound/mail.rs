//! Reading one incoming e-mail: who sent it, what it says, what it answers, and whether it
//! is a person writing at all.
//!
//! [`read`] takes the raw RFC 5322 bytes (whatever arrives: a pipe from an MTA, an IMAP
//! fetch) and never fails: a message is a [`Reading::Mail`], an automatic one
//! ([`Reading::Ignored`]: auto-replies, bounces, list mail — answering those makes mail
//! loops), or one that cannot be read ([`Reading::Unreadable`], kept for an admin). Bodies in
//! any charset the mail declares (GB2312, GBK, GB18030, Big5 and the rest, through
//! `encoding_rs`), quoted-printable or base64, and RFC 2047/2231 encoded headers and file
//! names are decoded by `mail-parser`; the rules of what counts as what are here.

use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

use crate::ticket::number::parse_number;
use crate::TicketId;

/// What a raw message turned out to be.
#[derive(Debug, PartialEq)]
pub enum Reading {
    /// A person wrote.
    Mail(Mail),
    /// An automatic message; the reason is a translation key.
    Ignored {
        /// The message's id, for duplicates.
        message_id: String,
        /// Why (translation key).
        reason: &'static str,
        /// Its sender's address, for the log.
        from: Option<String>,
        /// Its subject, for the log.
        subject: Option<String>,
    },
    /// Not readable as a message; the reason is a translation key.
    Unreadable {
        /// The message's id (its `Message-ID`, or its digest).
        message_id: String,
        /// Why (translation key).
        reason: &'static str,
    },
}

impl Reading {
    /// The message's id: its `Message-ID` without brackets, or `sha256:` and the digest of
    /// the raw bytes when it has none (a retry of the same bytes is still a duplicate).
    pub fn message_id(&self) -> &str {
        match self {
            Reading::Mail(m) => &m.message_id,
            Reading::Ignored { message_id, .. } | Reading::Unreadable { message_id, .. } => {
                message_id
            }
        }
    }
}

/// A message a person wrote.
#[derive(Debug, PartialEq)]
pub struct Mail {
    /// `Message-ID` without brackets (or the digest, see [`Reading::message_id`]).
    pub message_id: String,
    /// The sender's address, lower case.
    pub from: String,
    /// The sender's name, if given.
    pub from_name: Option<String>,
    /// The subject as written (decoded), without reply prefixes.
    pub subject: String,
    /// The text, with quoted history and signature trimmed as far as can be told.
    pub body: String,
    /// The ids it answers (`In-Reply-To`, then `References`, newest first), without brackets.
    pub refers_to: Vec<String>,
    /// A ticket number in the subject (`[WO-20261202-00042]`).
    pub ticket_number: Option<String>,
    /// Files that came with it.
    pub files: Vec<MailFile>,
}

/// A file attached to a mail.
#[derive(Debug, PartialEq)]
pub struct MailFile {
    /// Its name (decoded), or `attachment-N`.
    pub filename: String,
    /// `type/subtype`, lower case.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Reads a raw message. `own_address` is the channel's support address: mail from it is
/// Loopdesk's own coming back, and is ignored.
pub fn read(raw: &[u8], own_address: Option<&str>) -> Reading {
    let digest = || format!("sha256:{}", hex::encode(Sha256::digest(raw)));
    let Some(message) = MessageParser::default().parse(raw) else {
        return Reading::Unreadable {
            message_id: digest(),
            reason: "inbound.unreadable",
        };
    };
    let message_id = message
        .message_id()
        .map(|id| id.trim().trim_matches(['<', '>']).to_owned())
        .filter(|id| !id.is_empty() && id.len() <= 250)
        .unwrap_or_else(digest);
    let from = message.from().and_then(|a| a.first());
    let address = from
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@') && a.len() <= 254);
    if let Some(reason) = automatic(&message, address.as_deref(), own_address) {
        return Reading::Ignored {
            message_id,
            reason,
            from: address,
            subject: message
                .subject()
                .map(|s| s.trim().chars().take(200).collect()),
        };
    }
    let Some(from_address) = address else {
        return Reading::Unreadable {
            message_id,
            reason: "inbound.no_sender",
        };
    };
    let from_name = from
        .and_then(|a| a.name())
        .map(|n| n.trim().trim_matches('"').trim().to_owned())
        .filter(|n| !n.is_empty() && *n != from_address);
    let subject_raw = message.subject().unwrap_or_default().trim().to_owned();
    let ticket_number = number_in(&subject_raw);
    let text = message.body_text(0).map(|t| t.into_owned());
    let body = trim_quoted(&normalise(text.as_deref().unwrap_or_default()));
    let mut refers_to: Vec<String> = Vec::new();
    for header in [message.in_reply_to(), message.references()] {
        let ids: Vec<&str> = match header {
            mail_parser::HeaderValue::Text(t) => vec![t.as_ref()],
            mail_parser::HeaderValue::TextList(list) => {
                list.iter().rev().map(AsRef::as_ref).collect()
            }
            _ => Vec::new(),
        };
        for id in ids {
            let id = id.trim().trim_matches(['<', '>']).to_owned();
            if !id.is_empty() && !refers_to.contains(&id) {
                refers_to.push(id);
            }
        }
    }
    let files = message
        .attachments()
        .enumerate()
        .filter(|(_, part)| !part.contents().is_empty())
        .map(|(i, part)| MailFile {
            filename: part
                .attachment_name()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("attachment-{}", i + 1)),
            content_type: part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_owned(),
                })
                .unwrap_or_else(|| "application/octet-stream".into())
                .to_lowercase(),
            bytes: part.contents().to_vec(),
        })
        .collect();
    let subject = strip_prefixes(&subject_raw);
    Reading::Mail(Mail {
        message_id,
        from: from_address,
        from_name,
        subject,
        body,
        refers_to,
        ticket_number,
        files,
    })
}

/// Why a message is automatic, if it is: `Auto-Submitted` other than `no`, `X-Autoreply`,
/// `X-Autorespond`, `Precedence: bulk|junk|list`, a `mailer-daemon` or `postmaster` sender,
/// a `multipart/report` (a delivery status), or the channel's own address.
fn automatic(
    message: &mail_parser::Message<'_>,
    from: Option<&str>,
    own_address: Option<&str>,
) -> Option<&'static str> {
    let raw = |name: &str| message.header_raw(name).map(|v| v.trim().to_lowercase());
    if raw("Auto-Submitted").is_some_and(|v| !v.is_empty() && !v.starts_with("no")) {
        return Some("inbound.auto_submitted");
    }
    if raw("X-Autoreply").is_some() || raw("X-Autorespond").is_some() {
        return Some("inbound.autoreply");
    }
    if raw("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list")) {
        return Some("inbound.bulk");
    }
    if let Some(address) = from {
        let local = address.split('@').next().unwrap_or_default();
        if matches!(local, "mailer-daemon" | "postmaster") {
            return Some("inbound.daemon");
        }
        if own_address.is_some_and(|own| own.eq_ignore_ascii_case(address)) {
            return Some("inbound.own_address");
        }
    }
    if message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    }) {
        return Some("inbound.delivery_report");
    }
    None
}

/// A ticket number in a subject: `WO-` with its day and sequence, bracketed or not.
pub fn number_in(subject: &str) -> Option<String> {
    let mut rest = subject;
    while let Some(at) = rest.find("WO-") {
        let candidate: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if parse_number(&candidate).is_some() {
            return Some(candidate);
        }
        rest = &rest[at + 3..];
    }
    None
}

/// The subject without `RE:`, `FW:`, `Fwd:`, `回复:`, `答复:`, `转发:` prefixes (any number of
/// them, either colon).
pub fn strip_prefixes(subject: &str) -> String {
    const PREFIXES: [&str; 8] = ["re", "aw", "fw", "fwd", "回复", "答复", "转发", "回覆"];
    let mut s = subject.trim();
    loop {
        let lower = s.to_lowercase();
        let Some(p) = PREFIXES.iter().find(|p| {
            lower.starts_with(*p)
                && (lower[p.len()..].starts_with(':') || lower[p.len()..].starts_with('：'))
        }) else {
            return s.to_owned();
        };
        let after = &s[p.len()..];
        let colon = after.chars().next().map_or(0, char::len_utf8);
        s = after[colon..].trim_start();
    }
}

/// Line ends as `\n`, no trailing spaces, no runs of more than one empty line.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut empty = 0;
    for line in text.replace("\r\n", "\n").replace('\r', "\n").lines() {
        let line = line.trim_end();
        if line.is_empty() {
            empty += 1;
            if empty > 1 {
                continue;
            }
        } else {
            empty = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_owned()
}

/// The new part of a reply: everything before the quoted history (`-----Original
/// Message-----`, `------------------ 原始邮件 ------------------`, `在 … 写道：`, `On … wrote:`,
/// an Outlook `发件人:`/`From:` … `Sent:` block), a signature (`-- `) or a phone's "sent from"
/// line, and without trailing `>` lines. When nothing would be left, the whole text.
pub fn trim_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let lower = t.to_lowercase();
        let next_has = |words: &[&str]| {
            lines[i + 1..lines.len().min(i + 5)].iter().any(|l| {
                let l = l.trim_start().to_lowercase();
                words.iter().any(|w| l.starts_with(w))
            })
        };
        let cut = (lower.contains("original message") && t.starts_with('-'))
            || (t.contains("原始邮件") && t.starts_with('-'))
            || (t.starts_with('在') && (t.ends_with("写道：") || t.ends_with("写道:")))
            || (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || t.starts_with("发件人:")
            || t.starts_with("发件人：")
            || (lower.starts_with("from:") && next_has(&["sent:", "date:", "to:"]))
            || *line == "-- "
            || t == "--"
            || lower.starts_with("sent from my ")
            || t.starts_with("发自我的");
        if cut {
            end = i;
            break;
        }
    }
    while end > 0
        && (lines[end - 1].trim_start().starts_with('>') || lines[end - 1].trim().is_empty())
    {
        end -= 1;
    }
    let kept = lines[..end].join("\n").trim().to_owned();
    if kept.is_empty() {
        text.trim().to_owned()
    } else {
        kept
    }
}

/// The `Message-ID` (without brackets) of a mail Loopdesk sends about a ticket: the ticket is
/// in it, so that an answer's `In-Reply-To` finds its way back without a lookup table.
pub fn outbound_message_id(ticket: TicketId, nonce: &str, domain: &str) -> String {
    format!("wo.{ticket}.{nonce}@{domain}")
}

/// The ticket a `Message-ID` of [`outbound_message_id`]'s making is about.
pub fn ticket_of_message_id(id: &str) -> Option<TicketId> {
    let local = id.trim_matches(['<', '>']).split('@').next()?;
    let rest = local.strip_prefix("wo.")?;
    let (ticket, _) = rest.split_once('.')?;
    TicketId::parse(ticket)
}

/// The subject of a mail about a ticket: the number in brackets, so a reply threads back
/// even where `In-Reply-To` is lost.
pub fn outbound_subject(number: &str, subject: &str) -> String {
    format!("[{number}] {}", strip_prefixes(subject))
}

/// Whether a customer's reply says the fix did not hold ("没修好", "still broken"): on a
/// resolved ticket it asks to reopen. Only the first lines count (the quoted history is
/// gone already).
pub fn says_not_fixed(body: &str) -> bool {
    const WORDS: [&str; 14] = [
        "没修好",
        "没有修好",
        "还是不行",
        "还是坏",
        "又坏了",
        "未解决",
        "没解决",
        "没有解决",
        "问题依旧",
        "仍然不行",
        "not fixed",
        "still broken",
        "still not working",
        "not resolved",
    ];
    let head: String = body.chars().take(300).collect::<String>().to_lowercase();
    WORDS.iter().any(|w| head.contains(w))
}

//! Ways in for customers' messages (多渠道接入): the kinds of channel, what each needs to be
//! set up, and what became of a message that came in.
//!
//! A channel's fields are checked here once, for the API and the admin page alike
//! ([`setup`]); what is secret (passwords, tokens, keys) is kept apart from what may be shown
//! ([`Setup::secrets`]), so that no answer, log or job ever carries it. Reading an e-mail is
//! [`mail`].

use serde_json::{Map, Value};

use crate::validate::{self, FieldError};

pub mod bind;
pub mod call;
pub mod chat;
pub mod mail;
pub mod platform;
#[cfg(test)]
mod tests;

/// What kind of channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// A support mailbox: mail piped in by an MTA, or fetched by IMAP.
    Email,
    /// A phone line (a PBX or cloud call centre posting call events).
    Phone,
    /// A WeCom (企业微信) application.
    Wecom,
    /// A WeChat Official Account (公众号).
    WechatOa,
    /// A DingTalk (钉钉) application.
    Dingtalk,
}

impl ChannelKind {
    /// Every kind.
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::Email,
        ChannelKind::Phone,
        ChannelKind::Wecom,
        ChannelKind::WechatOa,
        ChannelKind::Dingtalk,
    ];

    /// The code name (API and storage).
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Phone => "phone",
            ChannelKind::Wecom => "wecom",
            ChannelKind::WechatOa => "wechat_oa",
            ChannelKind::Dingtalk => "dingtalk",
        }
    }

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The translation key of the kind's name.
    pub fn label_key(self) -> &'static str {
        match self {
            ChannelKind::Email => "channel_kind.email",
            ChannelKind::Phone => "channel_kind.phone",
            ChannelKind::Wecom => "channel_kind.wecom",
            ChannelKind::WechatOa => "channel_kind.wechat_oa",
            ChannelKind::Dingtalk => "channel_kind.dingtalk",
        }
    }

    /// Whether Loopdesk makes a shared secret for the channel (shown once): the bearer token
    /// of the mail pipe, the HMAC key of call events.
    pub fn has_generated_secret(self) -> bool {
        matches!(self, ChannelKind::Email | ChannelKind::Phone)
    }

    /// The channel a ticket opened from a message of this kind has.
    pub fn ticket_channel(self) -> crate::ticket::Channel {
        use crate::ticket::Channel;
        match self {
            ChannelKind::Email => Channel::Email,
            ChannelKind::Phone => Channel::Phone,
            ChannelKind::Wecom => Channel::Wecom,
            ChannelKind::WechatOa => Channel::Wechat,
            ChannelKind::Dingtalk => Channel::Dingtalk,
        }
    }

    /// Whether the platform calls Loopdesk back at the channel's callback address.
    pub fn has_callback(self) -> bool {
        matches!(
            self,
            ChannelKind::Wecom | ChannelKind::WechatOa | ChannelKind::Dingtalk
        )
    }

    /// For a chat platform: the field holding its message key, and the field naming whom its
    /// messages are for (the corp id, the app id, the app key).
    pub fn callback_fields(self) -> Option<(&'static str, &'static str)> {
        match self {
            ChannelKind::Wecom => Some(("encoding_aes_key", "corp_id")),
            ChannelKind::WechatOa => Some(("encoding_aes_key", "app_id")),
            ChannelKind::Dingtalk => Some(("aes_key", "app_key")),
            ChannelKind::Email | ChannelKind::Phone => None,
        }
    }

    /// The platform's public API host, where the tenant gives none.
    pub fn default_api_base(self) -> Option<&'static str> {
        match self {
            ChannelKind::Wecom => Some("https://qyapi.weixin.qq.com"),
            ChannelKind::WechatOa => Some("https://api.weixin.qq.com"),
            ChannelKind::Dingtalk => Some("https://oapi.dingtalk.com"),
            ChannelKind::Email | ChannelKind::Phone => None,
        }
    }

    /// The fields the kind takes, for a form: each one's name, whether it is required, and
    /// whether it is secret (never shown again).
    pub fn form_fields(self) -> impl Iterator<Item = (&'static str, bool, bool)> {
        self.fields().iter().map(|f| (f.name, f.required, f.secret))
    }

    /// The fields the kind takes: name, required, secret, and how the value is checked.
    fn fields(self) -> &'static [Field] {
        match self {
            ChannelKind::Email => EMAIL_FIELDS,
            ChannelKind::Phone => &[],
            ChannelKind::Wecom => WECOM_FIELDS,
            ChannelKind::WechatOa => WECHAT_FIELDS,
            ChannelKind::Dingtalk => DINGTALK_FIELDS,
        }
    }
}

const fn f(name: &'static str, required: bool, secret: bool, check: Check) -> Field {
    Field {
        name,
        required,
        secret,
        check,
    }
}

const EMAIL_FIELDS: &[Field] = &[
    f("address", true, false, Check::Email),
    f("imap_url", false, false, Check::ImapUrl),
    f("poll_seconds", false, false, Check::Seconds),
    f("create_customers", false, false, Check::Flag),
];
const WECOM_FIELDS: &[Field] = &[
    f("corp_id", true, false, Check::Text),
    f("agent_id", true, false, Check::Text),
    f("token", true, true, Check::Text),
    f("encoding_aes_key", true, true, Check::AesKey),
    f("secret", true, true, Check::Text),
    f("api_base", false, false, Check::HttpUrl),
];
const WECHAT_FIELDS: &[Field] = &[
    f("app_id", true, false, Check::Text),
    f("token", true, true, Check::Text),
    f("encoding_aes_key", true, true, Check::AesKey),
    f("app_secret", true, true, Check::Text),
    // The template for milestone notices to customers who have not written in 48 hours
    // (fields first, keyword1 = number, keyword2 = subject, and a link).
    f("template_id", false, false, Check::Text),
    f("api_base", false, false, Check::HttpUrl),
];
const DINGTALK_FIELDS: &[Field] = &[
    f("app_key", true, false, Check::Text),
    f("app_secret", true, true, Check::Text),
    f("token", true, true, Check::Text),
    f("aes_key", true, true, Check::AesKey),
    // The app's agent id: work notices (the customer's replies and milestones) go with it.
    f("agent_id", false, false, Check::Text),
    f("api_base", false, false, Check::HttpUrl),
];

/// How a field's value is checked.
#[derive(Clone, Copy, Debug)]
enum Check {
    /// Text of 1–200 characters.
    Text,
    /// An e-mail address.
    Email,
    /// `imap://` or `imaps://` with a user and a host.
    ImapUrl,
    /// Seconds between polls, 10 to 3,600.
    Seconds,
    /// `true` or `false`.
    Flag,
    /// 43 characters of base64 (an AES-256 key without its `=`).
    AesKey,
    /// An `http://` or `https://` address.
    HttpUrl,
}

struct Field {
    name: &'static str,
    required: bool,
    secret: bool,
    check: Check,
}

/// A channel's checked fields: what may be shown, and what is kept secret.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Setup {
    /// Shown in lists and pages (an IMAP address without its password).
    pub settings: Map<String, Value>,
    /// Never shown: passwords, tokens, keys.
    pub secrets: Map<String, Value>,
}

impl Setup {
    /// The IMAP mailbox's password, kept apart from its address.
    pub const IMAP_PASSWORD: &'static str = "imap_password";

    /// A shown field as text.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.settings
            .get(field)
            .or_else(|| self.secrets.get(field))
            .and_then(Value::as_str)
    }

    /// Every field as the admin typed it (the IMAP address with its password), for a change
    /// to be laid over.
    fn whole(&self) -> Map<String, Value> {
        let mut all = self.settings.clone();
        for (k, v) in &self.secrets {
            if k != Setup::IMAP_PASSWORD {
                all.insert(k.clone(), v.clone());
            }
        }
        if let (Some(Value::String(address)), Some(Value::String(password))) = (
            self.settings.get("imap_url"),
            self.secrets.get(Setup::IMAP_PASSWORD),
        ) {
            if let Ok(mut url) = url::Url::parse(address) {
                if url.set_password(Some(password)).is_ok() {
                    all.insert("imap_url".into(), Value::String(url.to_string()));
                }
            }
        }
        all
    }
}

/// Why a channel's fields were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetupError {
    /// A field the kind knows is missing or wrong.
    Field(FieldError),
    /// A field the kind does not take (a misspelt one would otherwise be lost silently).
    Unknown(String),
}

impl From<FieldError> for SetupError {
    fn from(e: FieldError) -> SetupError {
        SetupError::Field(e)
    }
}

/// Checks a channel's fields: all of them for a new channel (`before` = `None`), or a change
/// laid over what it has (a field set to `null` is cleared). `name` and `kind` are the
/// channel's own and pass; anything the kind does not take is refused.
pub fn setup(
    kind: ChannelKind,
    input: &Map<String, Value>,
    before: Option<&Setup>,
) -> Result<Setup, SetupError> {
    let fields = kind.fields();
    if let Some(key) = input
        .keys()
        .find(|k| !fields.iter().any(|f| f.name == *k) && !matches!(k.as_str(), "name" | "kind"))
    {
        return Err(SetupError::Unknown(key.clone()));
    }
    let mut all = before.map(Setup::whole).unwrap_or_default();
    for (k, v) in input {
        if v.is_null() {
            all.remove(k);
        } else {
            all.insert(k.clone(), v.clone());
        }
    }
    // The same mailbox given again without its password (as the page shows it) keeps the
    // password it has.
    if let (Some(Value::String(given)), Some(b)) = (input.get("imap_url"), before) {
        if let (Ok(mut url), Some(Value::String(password)), Some(Value::String(was))) = (
            url::Url::parse(given),
            b.secrets.get(Setup::IMAP_PASSWORD),
            b.settings.get("imap_url"),
        ) {
            let same = url::Url::parse(was)
                .is_ok_and(|w| w.username() == url.username() && w.host_str() == url.host_str());
            if same && url.password().is_none() && url.set_password(Some(password)).is_ok() {
                all.insert("imap_url".into(), Value::String(url.to_string()));
            }
        }
    }
    let mut out = Setup::default();
    for field in fields {
        let Some(value) = all.get(field.name).filter(|v| !v.is_null()) else {
            if field.required {
                return Err(bad(field.name, "error.required").into());
            }
            continue;
        };
        let checked = check(field, value)?;
        if field.name == "imap_url" {
            let (shown, password) = split_password(field.name, &checked)?;
            out.settings.insert(field.name.into(), Value::String(shown));
            if let Some(p) = password {
                out.secrets
                    .insert(Setup::IMAP_PASSWORD.into(), Value::String(p));
            }
        } else if field.secret {
            out.secrets.insert(field.name.into(), checked);
        } else {
            out.settings.insert(field.name.into(), checked);
        }
    }
    Ok(out)
}

fn bad(field: &'static str, reason: &'static str) -> FieldError {
    FieldError { field, reason }
}

fn check(field: &Field, value: &Value) -> Result<Value, FieldError> {
    let name = field.name;
    let text = || -> Result<&str, FieldError> {
        value
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(bad(name, "error.required"))
    };
    Ok(match field.check {
        Check::Text => Value::String(validate::required_text(name, text()?, 200)?),
        Check::Email => Value::String(validate::email(name, text()?)?.to_lowercase()),
        Check::ImapUrl => {
            let url = url::Url::parse(text()?).map_err(|_| bad(name, "error.invalid_imap_url"))?;
            let ok = matches!(url.scheme(), "imap" | "imaps")
                && url.host_str().is_some_and(|h| !h.is_empty())
                && !url.username().is_empty();
            if !ok {
                return Err(bad(name, "error.invalid_imap_url"));
            }
            match url.query_pairs().find(|(k, _)| k == "tls") {
                Some((_, v)) if v != "starttls" && v != "none" => {
                    return Err(bad(name, "error.invalid_imap_url"))
                }
                _ => {}
            }
            Value::String(url.to_string())
        }
        Check::Seconds => {
            let n = value
                .as_i64()
                .filter(|n| (10..=3600).contains(n))
                .ok_or(bad(name, "error.poll_seconds"))?;
            Value::from(n)
        }
        Check::Flag => Value::Bool(value.as_bool().ok_or(bad(name, "error.not_a_flag"))?),
        Check::AesKey => {
            let key = text()?;
            let ok = key.len() == 43
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
            if !ok {
                return Err(bad(name, "error.aes_key"));
            }
            Value::String(key.to_owned())
        }
        Check::HttpUrl => {
            let url = url::Url::parse(text()?).map_err(|_| bad(name, "error.invalid_url"))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(bad(name, "error.invalid_url"));
            }
            Value::String(url.as_str().trim_end_matches('/').to_owned())
        }
    })
}

/// An IMAP address without its password, and the password.
fn split_password(
    field: &'static str,
    value: &Value,
) -> Result<(String, Option<String>), FieldError> {
    let text = value.as_str().ok_or(bad(field, "error.invalid_imap_url"))?;
    let mut url = url::Url::parse(text).map_err(|_| bad(field, "error.invalid_imap_url"))?;
    let password = url.password().map(|p| {
        url::form_urlencoded::parse(format!("p={p}").as_bytes())
            .next()
            .map_or_else(|| p.to_owned(), |(_, v)| v.into_owned())
    });
    url.set_password(None)
        .map_err(|()| bad(field, "error.invalid_imap_url"))?;
    Ok((url.to_string(), password))
}

/// What became of a message that came in on a channel (the contract's `outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It opened a new ticket.
    Created,
    /// It went onto an existing ticket as the customer's word.
    Appended,
    /// It had come in before.
    Duplicate,
    /// An auto-reply, bounce or list mail: never a ticket, never answered.
    Ignored,
    /// It could not be read; kept raw for an admin to retry or discard.
    Quarantined,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 5] = [
        Outcome::Created,
        Outcome::Appended,
        Outcome::Duplicate,
        Outcome::Ignored,
        Outcome::Quarantined,
    ];

    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Appended => "appended",
            Outcome::Duplicate => "duplicate",
            Outcome::Ignored => "ignored",
            Outcome::Quarantined => "quarantined",
        }
    }

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// The translation key of its label.
    pub fn label_key(self) -> &'static str {
        match self {
            Outcome::Created => "outcome.created",
            Outcome::Appended => "outcome.appended",
            Outcome::Duplicate => "outcome.duplicate",
            Outcome::Ignored => "outcome.ignored",
            Outcome::Quarantined => "outcome.quarantined",
        }
    }
}

/// Whether a message about a ticket in `status` goes onto it: an open ticket (a resolved one
/// too: the customer's word on the fix) takes it; a closed or cancelled one is history, and
/// writing again about it is a new request.
pub fn follows_up(status: crate::Status) -> bool {
    status.is_open()
}

/// A message's subject and text as a ticket's, within the ticket's limits: a long mail is
/// cut, not refused (nothing the customer wrote is refused for its length); a message
/// without a subject is named by its first line.
pub fn as_request(subject: &str, body: &str) -> (String, String) {
    let cut = |text: &str, max: usize| -> String { text.trim().chars().take(max).collect() };
    let subject = match subject.trim() {
        "" => body
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map_or_else(|| "—".to_owned(), |l| cut(l, 60)),
        s => cut(s, validate::MAX_SUBJECT),
    };
    (subject, cut(body, validate::MAX_DESCRIPTION))
}

/// An IMAP address with a password put in (as a form gives them apart); `None` when the
/// address cannot carry one.
pub fn with_password(address: &str, password: &str) -> Option<String> {
    let mut url = url::Url::parse(address).ok()?;
    url.set_password(Some(password)).ok()?;
    Some(url.to_string())
}

/// How an IMAP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImapTls {
    /// TLS from the first byte (`imaps://`, port 993 by default).
    Implicit,
    /// Plain, then `STARTTLS` (`imap://…?tls=starttls`).
    StartTls,
    /// Plain text (`imap://` without `tls`): only for a server on the same machine or network.
    None,
}

/// Where and how to fetch a mailbox, read from a channel's IMAP address and password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImapTarget {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Security.
    pub tls: ImapTls,
    /// User name (decoded: `support@example.com`).
    pub user: String,
    /// Password.
    pub password: String,
    /// The folder (`INBOX` unless the address names one).
    pub folder: String,
}

/// The mailbox a channel fetches, if it has an IMAP address.
pub fn imap_target(setup: &Setup) -> Option<ImapTarget> {
    let url = url::Url::parse(setup.settings.get("imap_url")?.as_str()?).ok()?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("v={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let tls = match (url.scheme(), url.query_pairs().find(|(k, _)| k == "tls")) {
        ("imaps", _) => ImapTls::Implicit,
        ("imap", Some((_, v))) if v == "starttls" => ImapTls::StartTls,
        ("imap", _) => ImapTls::None,
        _ => return None,
    };
    let folder = decode(url.path().trim_start_matches('/'));
    Some(ImapTarget {
        host: url.host_str()?.to_owned(),
        port: url
            .port()
            .unwrap_or(if tls == ImapTls::Implicit { 993 } else { 143 }),
        tls,
        user: decode(url.username()),
        password: setup
            .secrets
            .get(Setup::IMAP_PASSWORD)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        folder: if folder.is_empty() {
            "INBOX".into()
        } else {
            folder
        },
    })
}

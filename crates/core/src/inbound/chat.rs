//! Chat platforms' callbacks (WeCom 企业微信, WeChat Official Account 公众号 in safe mode,
//! DingTalk 钉钉), as each publishes them: the signature over the callback, the encrypted
//! message, and the message itself.
//!
//! All three encrypt alike: the key is the base64 of the 43-character `EncodingAESKey` (with
//! its `=`), AES-256-CBC with the key's first 16 bytes as the IV; the plain text is 16 random
//! bytes, the message's length (4 bytes, big-endian), the message, and the receiver's id (the
//! corp id, the app id, the app key), padded PKCS#7-style to 32-byte blocks. The signature is
//! the hex SHA-1 of the token, the timestamp, the nonce and the encrypted text, sorted and
//! joined.

use std::collections::HashMap;

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};
use quick_xml::events::Event;
use sha1::{Digest, Sha1};

/// The platforms' base64: standard, padded, lenient about the key's last bits (their own SDKs
/// are).
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The block the plain text is padded to.
const BLOCK: usize = 32;
/// The largest callback body read (a text message is a few kB; an event less).
pub const MAX_CALLBACK_BYTES: usize = 256 * 1024;

/// Why a callback is refused (nothing of it is kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The signature does not match.
    Signature,
    /// The encrypted text does not decrypt, or its padding or length is wrong.
    Cipher,
    /// It was meant for another corp, app or key.
    Receiver,
    /// The message inside cannot be read.
    Message,
}

impl Refused {
    /// A stable code (logs and answers).
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::Signature => "chat.signature",
            Refused::Cipher => "chat.cipher",
            Refused::Receiver => "chat.receiver",
            Refused::Message => "chat.message",
        }
    }
}

/// The hex SHA-1 of the parts, sorted and joined: a callback's signature.
pub fn signature(parts: &[&str]) -> String {
    let mut sorted = parts.to_vec();
    sorted.sort_unstable();
    let mut h = Sha1::new();
    for p in sorted {
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// True when `given` is the signature of the parts (compared in constant time).
pub fn signed(given: &str, parts: &[&str]) -> bool {
    let expected = signature(parts);
    let given = given.trim().to_ascii_lowercase();
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A channel's message key.
#[derive(Clone)]
pub struct Cipher {
    key: [u8; 32],
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(…)")
    }
}

type Encryptor = cbc::Encryptor<aes::Aes256>;
type Decryptor = cbc::Decryptor<aes::Aes256>;

impl Cipher {
    /// The key from the 43-character `EncodingAESKey` / `aes_key`; `None` when it is not one.
    pub fn new(encoding_aes_key: &str) -> Option<Cipher> {
        let text = encoding_aes_key.trim();
        if text.len() != 43 {
            return None;
        }
        let bytes = B64.decode(format!("{text}=")).ok()?;
        Some(Cipher {
            key: bytes.try_into().ok()?,
        })
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.key[..16]);
        iv
    }

    /// Encrypts a message for `receiver`, with the 16 random bytes given (the caller draws
    /// them; tests fix them).
    pub fn encrypt(&self, random: [u8; 16], message: &str, receiver: &str) -> String {
        let msg = message.as_bytes();
        let mut plain = Vec::with_capacity(16 + 4 + msg.len() + receiver.len() + BLOCK);
        plain.extend_from_slice(&random);
        plain.extend_from_slice(&u32::try_from(msg.len()).unwrap_or(u32::MAX).to_be_bytes());
        plain.extend_from_slice(msg);
        plain.extend_from_slice(receiver.as_bytes());
        let pad = BLOCK - plain.len() % BLOCK;
        plain.extend(std::iter::repeat_n(u8::try_from(pad).unwrap_or(0), pad));
        let len = plain.len();
        let enc = Encryptor::new(&self.key.into(), &self.iv().into());
        let out = enc
            .encrypt_padded_mut::<cbc::cipher::block_padding::NoPadding>(&mut plain, len)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        B64.encode(out)
    }

    /// Decrypts a message: its text and the receiver it names.
    pub fn decrypt(&self, encrypted: &str) -> Result<(String, String), Refused> {
        let mut data = B64
            .decode(encrypted.trim().as_bytes())
            .map_err(|_| Refused::Cipher)?;
        if data.is_empty() || data.len() % 16 != 0 {
            return Err(Refused::Cipher);
        }
        let dec = Decryptor::new(&self.key.into(), &self.iv().into());
        let plain = dec
            .decrypt_padded_mut::<cbc::cipher::block_padding::NoPadding>(&mut data)
            .map_err(|_| Refused::Cipher)?;
        let pad = usize::from(*plain.last().ok_or(Refused::Cipher)?);
        if pad == 0 || pad > BLOCK || pad > plain.len() {
            return Err(Refused::Cipher);
        }
        let body = &plain[..plain.len() - pad];
        if body.len() < 20 {
            return Err(Refused::Cipher);
        }
        let mut len = [0u8; 4];
        len.copy_from_slice(&body[16..20]);
        let len = usize::try_from(u32::from_be_bytes(len)).map_err(|_| Refused::Cipher)?;
        let rest = &body[20..];
        if len > rest.len() {
            return Err(Refused::Cipher);
        }
        let message = std::str::from_utf8(&rest[..len]).map_err(|_| Refused::Message)?;
        let receiver = std::str::from_utf8(&rest[len..]).map_err(|_| Refused::Receiver)?;
        Ok((message.to_owned(), receiver.to_owned()))
    }
}

/// The fields directly under the root of a platform's XML (`<xml><ToUserName>…`), text or
/// CDATA; `None` when it is not such XML.
pub fn xml_fields(xml: &str) -> Option<HashMap<String, String>> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = HashMap::new();
    let mut depth = 0usize;
    let mut current: Option<String> = None;
    let mut text = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                depth += 1;
                if depth > 3 {
                    return None;
                }
                if depth == 2 {
                    current = Some(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                    text.clear();
                }
            }
            Event::End(_) => {
                if depth == 2 {
                    if let Some(name) = current.take() {
                        out.insert(name, text.trim().to_owned());
                    }
                }
                depth = depth.checked_sub(1)?;
            }
            Event::Text(t) if depth == 2 => text.push_str(&t.decode().ok()?),
            Event::GeneralRef(r) if depth == 2 => {
                let name = r.decode().ok()?;
                text.push_str(match name.as_ref() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => return None,
                });
            }
            Event::CData(c) if depth == 2 => {
                text.push_str(std::str::from_utf8(&c.into_inner()).ok()?);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (depth == 0 && !out.is_empty()).then_some(out)
}

/// What a customer sent on a chat platform.
#[derive(Clone, Debug, PartialEq)]
pub enum ChatContent {
    /// Words.
    Text(String),
    /// A picture (its address on the platform, while it lasts; its media id).
    Image {
        /// `PicUrl`.
        url: Option<String>,
        /// `MediaId`.
        media_id: Option<String>,
    },
    /// A place they shared.
    Location {
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
        /// What the platform calls the place.
        label: String,
    },
    /// An event (subscribe, a menu click, entering the app): not a request.
    Event(String),
    /// A kind Loopdesk does not take (voice, video, file, link…), by its type.
    Other(String),
}

/// One message from a chat platform, read from its XML.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatMessage {
    /// The sender: a WeCom user id, a WeChat openid.
    pub from: String,
    /// The receiver (corp id or the account's id).
    pub to: String,
    /// The platform's id of the message (for an event: sender, time and event), unique per
    /// channel: a second delivery is a duplicate.
    pub msg_id: String,
    /// When it was sent (Unix seconds).
    pub created: i64,
    /// What it says.
    pub content: ChatContent,
}

impl ChatMessage {
    /// Reads a WeCom or WeChat message (the decrypted XML).
    pub fn read(xml: &str) -> Result<ChatMessage, Refused> {
        let f = xml_fields(xml).ok_or(Refused::Message)?;
        let get = |k: &str| f.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let from = get("FromUserName").ok_or(Refused::Message)?.to_owned();
        let to = get("ToUserName").unwrap_or_default().to_owned();
        let created = get("CreateTime")
            .and_then(|t| t.parse().ok())
            .unwrap_or_default();
        let kind = get("MsgType").ok_or(Refused::Message)?;
        let content = match kind {
            "text" => ChatContent::Text(get("Content").unwrap_or_default().to_owned()),
            "image" => ChatContent::Image {
                url: get("PicUrl").map(str::to_owned),
                media_id: get("MediaId").map(str::to_owned),
            },
            "location" => {
                let num = |k: &str| get(k).and_then(|v| v.parse::<f64>().ok());
                match (num("Location_X"), num("Location_Y")) {
                    (Some(lat), Some(lon))
                        if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
                    {
                        ChatContent::Location {
                            lat,
                            lon,
                            label: get("Label").unwrap_or_default().to_owned(),
                        }
                    }
                    _ => return Err(Refused::Message),
                }
            }
            "event" => ChatContent::Event(get("Event").unwrap_or_default().to_owned()),
            other => ChatContent::Other(other.chars().take(40).collect()),
        };
        let msg_id = match get("MsgId") {
            Some(id) => id.to_owned(),
            None => format!("{from}:{created}:{}", get("Event").unwrap_or(kind)),
        };
        Ok(ChatMessage {
            from,
            to,
            msg_id,
            created,
            content,
        })
    }

    /// Reads a DingTalk robot's message (the JSON it posts in HTTP mode): the sender is
    /// `senderStaffId` (the user id work notices go to), else `senderId`; a `robotCode` other
    /// than `app_key` is another app's.
    pub fn read_robot(json: &str, app_key: &str) -> Result<ChatMessage, Refused> {
        let v: serde_json::Value = serde_json::from_str(json).map_err(|_| Refused::Message)?;
        let get = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_str)
                .filter(|s| !s.is_empty())
        };
        if get("robotCode").is_some_and(|code| code != app_key) {
            return Err(Refused::Receiver);
        }
        let from = get("senderStaffId")
            .or_else(|| get("senderId"))
            .ok_or(Refused::Message)?
            .to_owned();
        let msg_id = get("msgId").ok_or(Refused::Message)?.to_owned();
        let created = v
            .get("createAt")
            .and_then(serde_json::Value::as_i64)
            .map_or(0, |ms| ms / 1000);
        let kind = get("msgtype").ok_or(Refused::Message)?;
        let content = match kind {
            "text" => ChatContent::Text(
                v.pointer("/text/content")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            "picture" => ChatContent::Image {
                url: None,
                media_id: v
                    .pointer("/content/downloadCode")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned),
            },
            other => ChatContent::Other(other.chars().take(40).collect()),
        };
        Ok(ChatMessage {
            from,
            to: app_key.to_owned(),
            msg_id,
            created,
            content,
        })
    }

    /// What the message says, as the text of a request or a reply — words as they are, a
    /// picture or a place described in `lang` — or, for an event or a kind not taken, why it
    /// is not (a translation key).
    pub fn words(&self, lang: crate::i18n::Lang) -> Result<String, &'static str> {
        let t = |key| crate::i18n::t(lang, key);
        match &self.content {
            ChatContent::Text(words) if !words.trim().is_empty() => Ok(words.trim().to_owned()),
            ChatContent::Image { url, .. } => Ok(match url {
                Some(u) => format!("[{}] {u}", t("inbound.picture")),
                None => format!("[{}]", t("inbound.picture")),
            }),
            ChatContent::Location { lat, lon, label } => Ok(format!(
                "[{}] {label} ({lat:.6}, {lon:.6})",
                t("inbound.place")
            )),
            ChatContent::Event(_) => Err("inbound.chat_event"),
            _ => Err("inbound.chat_unsupported"),
        }
    }
}

/// How far a DingTalk robot message's `timestamp` may be from now (the platform's hour).
pub const ROBOT_WINDOW_MS: i64 = 3_600_000;

/// A DingTalk robot message's `sign` header for `timestamp` (milliseconds, as sent): the
/// base64 HMAC-SHA256, keyed with the app secret, of the timestamp, a newline and the secret.
pub fn robot_sign(app_secret: &str, timestamp: &str) -> String {
    use base64::engine::general_purpose::STANDARD;
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(app_secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{timestamp}\n{app_secret}").as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether a DingTalk robot message is the app's: its `sign` matches (in constant time) and
/// its `timestamp` is within [`ROBOT_WINDOW_MS`] of `now_ms`.
pub fn robot_signed(app_secret: &str, timestamp: &str, sign: &str, now_ms: i64) -> bool {
    let Ok(at) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    let expected = robot_sign(app_secret, timestamp.trim());
    let given = sign.trim();
    (now_ms - at).abs() <= ROBOT_WINDOW_MS
        && !expected.is_empty()
        && expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// How long a chat goes on its last ticket: a message from the same sender goes onto their
/// latest open ticket from the channel if that one moved within these days; later, it is a
/// new request.
pub const THREAD_DAYS: i64 = 7;

/// Whether a chat message goes onto the sender's latest ticket from the channel, which is in
/// `status` and moved last at `updated_at`.
pub fn continues_thread(
    status: crate::Status,
    updated_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    super::follows_up(status) && now - updated_at <= chrono::Duration::days(THREAD_DAYS)
}

/// A message sealed as a platform sends it (for simulators and tests): the XML envelope
/// with `Encrypt`, and its `msg_signature`.
pub fn seal(
    token: &str,
    cipher: &Cipher,
    receiver: &str,
    message: &str,
    random: [u8; 16],
    timestamp: &str,
    nonce: &str,
) -> (String, String) {
    let encrypted = cipher.encrypt(random, message, receiver);
    let sig = signature(&[token, timestamp, nonce, &encrypted]);
    (
        format!(
            "<xml><ToUserName><![CDATA[{receiver}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        ),
        sig,
    )
}

/// A chat callback's query parameters (all three platforms name them so, DingTalk's
/// `signature` standing for `msg_signature`).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct CallbackQuery {
    /// WeCom's and WeChat safe mode's signature over the encrypted text.
    pub msg_signature: Option<String>,
    /// WeChat's plain signature (token, timestamp, nonce); DingTalk's over the encrypted text.
    pub signature: Option<String>,
    /// Timestamp.
    pub timestamp: Option<String>,
    /// Nonce.
    pub nonce: Option<String>,
    /// The URL check's challenge.
    pub echostr: Option<String>,
    /// WeChat: `aes` in safe mode.
    pub encrypt_type: Option<String>,
}

impl CallbackQuery {
    fn parts(&self) -> (&str, &str) {
        (
            self.timestamp.as_deref().unwrap_or_default(),
            self.nonce.as_deref().unwrap_or_default(),
        )
    }

    /// WeCom's URL check: the signature over the challenge, which decrypts to the text to
    /// answer (plain), for this corp.
    pub fn wecom_echo(
        &self,
        token: &str,
        cipher: &Cipher,
        corp_id: &str,
    ) -> Result<String, Refused> {
        let (ts, nonce) = self.parts();
        // A `+` of the base64 that came unescaped in the query reads as a space.
        let echo = self
            .echostr
            .as_deref()
            .ok_or(Refused::Message)?
            .replace(' ', "+");
        let sig = self.msg_signature.as_deref().ok_or(Refused::Signature)?;
        if !signed(sig, &[token, ts, nonce, &echo]) {
            return Err(Refused::Signature);
        }
        let (text, receiver) = cipher.decrypt(&echo)?;
        if receiver != corp_id {
            return Err(Refused::Receiver);
        }
        Ok(text)
    }

    /// WeChat's URL check: the plain signature over token, timestamp and nonce; the challenge
    /// is answered as it came.
    pub fn wechat_echo(&self, token: &str) -> Result<String, Refused> {
        let (ts, nonce) = self.parts();
        let sig = self.signature.as_deref().ok_or(Refused::Signature)?;
        if !signed(sig, &[token, ts, nonce]) {
            return Err(Refused::Signature);
        }
        self.echostr.clone().ok_or(Refused::Message)
    }

    /// Opens a posted message (WeCom, or WeChat in safe mode): the envelope's `Encrypt`,
    /// signed with `msg_signature`, decrypted for `receiver`; answers the message's XML.
    pub fn open(
        &self,
        token: &str,
        cipher: &Cipher,
        receiver: &str,
        body: &str,
    ) -> Result<String, Refused> {
        let envelope = xml_fields(body).ok_or(Refused::Message)?;
        let encrypted = envelope.get("Encrypt").ok_or(Refused::Message)?;
        let (ts, nonce) = self.parts();
        let sig = self.msg_signature.as_deref().ok_or(Refused::Signature)?;
        if !signed(sig, &[token, ts, nonce, encrypted]) {
            return Err(Refused::Signature);
        }
        let (xml, to) = cipher.decrypt(encrypted)?;
        if to != receiver {
            return Err(Refused::Receiver);
        }
        Ok(xml)
    }
}

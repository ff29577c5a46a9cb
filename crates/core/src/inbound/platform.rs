//! The chat platforms' message APIs, as each publishes them: an access token from the app's
//! credentials (kept until shortly before it expires), then a text message to one user —
//! WeCom's application message (`/cgi-bin/message/send`), WeChat's customer-service message
//! (`/cgi-bin/message/custom/send`), DingTalk's work notice
//! (`/topapi/message/corpconversation/asyncsend_v2`, with the app's `agent_id`). What to ask
//! and how to read the answer is here; the runner does the HTTP. A WeChat customer who has
//! not written in 48 hours is out of reach of service messages: their milestone notices go
//! as the account's template message (`template_id`), or not at all.

use serde_json::{json, Value};

use super::{ChannelKind, Setup};

/// A token is used until this many seconds before the platform says it expires.
pub const TOKEN_MARGIN_SECS: i64 = 300;

/// The platform's API host for a channel: its `api_base`, else the platform's own.
fn base(kind: ChannelKind, setup: &Setup) -> Option<String> {
    setup
        .text("api_base")
        .or_else(|| kind.default_api_base())
        .map(|b| b.trim_end_matches('/').to_owned())
}

fn with_query(address: &str, pairs: &[(&str, &str)]) -> Option<String> {
    let mut url = url::Url::parse(address).ok()?;
    url.query_pairs_mut().extend_pairs(pairs);
    Some(url.to_string())
}

/// Where to ask for an access token (credentials in the query, as the platforms want them);
/// `None` for a kind that sends nothing yet, or a channel missing its credentials.
pub fn token_url(kind: ChannelKind, setup: &Setup) -> Option<String> {
    let base = base(kind, setup)?;
    match kind {
        ChannelKind::Wecom => with_query(
            &format!("{base}/cgi-bin/gettoken"),
            &[
                ("corpid", setup.text("corp_id")?),
                ("corpsecret", setup.text("secret")?),
            ],
        ),
        ChannelKind::WechatOa => with_query(
            &format!("{base}/cgi-bin/token"),
            &[
                ("grant_type", "client_credential"),
                ("appid", setup.text("app_id")?),
                ("secret", setup.text("app_secret")?),
            ],
        ),
        ChannelKind::Dingtalk => with_query(
            &format!("{base}/gettoken"),
            &[
                ("appkey", setup.text("app_key")?),
                ("appsecret", setup.text("app_secret")?),
            ],
        ),
        _ => None,
    }
}

/// An id typed as text, sent as a number when it is one (WeCom's and DingTalk's agent ids).
fn number_or_text(id: &str) -> Value {
    id.parse::<i64>()
        .map_or_else(|_| Value::String(id.to_owned()), Value::from)
}

/// Where to send a text message with `token`, and the body to send.
pub fn send_request(
    kind: ChannelKind,
    setup: &Setup,
    token: &str,
    to: &str,
    text: &str,
) -> Option<(String, Value)> {
    let base = base(kind, setup)?;
    match kind {
        ChannelKind::Wecom => {
            let agent = number_or_text(setup.text("agent_id")?);
            Some((
                with_query(
                    &format!("{base}/cgi-bin/message/send"),
                    &[("access_token", token)],
                )?,
                json!({ "touser": to, "msgtype": "text", "agentid": agent, "text": { "content": text } }),
            ))
        }
        ChannelKind::WechatOa => Some((
            with_query(
                &format!("{base}/cgi-bin/message/custom/send"),
                &[("access_token", token)],
            )?,
            json!({ "touser": to, "msgtype": "text", "text": { "content": text } }),
        )),
        ChannelKind::Dingtalk => Some((
            with_query(
                &format!("{base}/topapi/message/corpconversation/asyncsend_v2"),
                &[("access_token", token)],
            )?,
            json!({ "agent_id": number_or_text(setup.text("agent_id")?), "userid_list": to,
                    "msg": { "msgtype": "text", "text": { "content": text } } }),
        )),
        _ => None,
    }
}

/// WeChat's template message (`/cgi-bin/message/template/send`) for a notice, when the
/// account has a `template_id`: `first` the headline, `keyword1` the ticket's number,
/// `keyword2` its subject, and the link a tap opens.
pub fn template_request(
    kind: ChannelKind,
    setup: &Setup,
    token: &str,
    to: &str,
    t: &crate::job::ChatTemplate,
) -> Option<(String, Value)> {
    if kind != ChannelKind::WechatOa {
        return None;
    }
    let template = setup.text("template_id")?;
    let base = base(kind, setup)?;
    let mut body = json!({
        "touser": to,
        "template_id": template,
        "data": {
            "first": { "value": t.headline },
            "keyword1": { "value": t.number },
            "keyword2": { "value": t.subject },
        },
    });
    if let Some(link) = &t.link {
        body["url"] = Value::String(link.clone());
    }
    Some((
        with_query(
            &format!("{base}/cgi-bin/message/template/send"),
            &[("access_token", token)],
        )?,
        body,
    ))
}

/// What the platform answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A token, good for this many seconds.
    Token(String, i64),
    /// The message was taken.
    Sent,
    /// The token is no longer good: fetch another and send again.
    TokenExpired,
    /// The customer has not written within the 48 hours in which WeChat takes service
    /// messages to them (45015): only a template message reaches them now.
    OutOfWindow,
    /// Refused: the platform's code and words (the job tries again later).
    Refused(i64, String),
}

/// Reads a platform's JSON answer (`errcode` 0 or absent is success).
pub fn read_answer(v: &Value) -> Answer {
    let code = v.get("errcode").and_then(Value::as_i64).unwrap_or(0);
    if code == 0 {
        if let Some(token) = v.get("access_token").and_then(Value::as_str) {
            let secs = v.get("expires_in").and_then(Value::as_i64).unwrap_or(7200);
            return Answer::Token(token.to_owned(), secs);
        }
        return Answer::Sent;
    }
    // 40001 invalid credential, 40014 invalid token, 42001 token expired (both platforms).
    if matches!(code, 40001 | 40014 | 42001) {
        return Answer::TokenExpired;
    }
    if code == 45015 {
        return Answer::OutOfWindow;
    }
    let words = v
        .get("errmsg")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    Answer::Refused(code, words)
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;

    fn setup(pairs: &[(&str, &str)]) -> Setup {
        let mut s = Setup {
            settings: Map::new(),
            secrets: Map::new(),
        };
        for (k, v) in pairs {
            s.settings.insert((*k).into(), Value::String((*v).into()));
        }
        s
    }

    #[test]
    fn wecom_and_wechat_are_asked_as_they_publish() {
        let w = setup(&[
            ("corp_id", "ww1"),
            ("secret", "s&1"),
            ("agent_id", "1000002"),
        ]);
        assert_eq!(
            token_url(ChannelKind::Wecom, &w).as_deref(),
            Some("https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=s%261")
        );
        let (url, body) = send_request(ChannelKind::Wecom, &w, "T", "LiLei", "已派工").unwrap();
        assert_eq!(
            url,
            "https://qyapi.weixin.qq.com/cgi-bin/message/send?access_token=T"
        );
        assert_eq!(
            body,
            json!({"touser": "LiLei", "msgtype": "text", "agentid": 1000002, "text": {"content": "已派工"}})
        );
        let x = setup(&[
            ("app_id", "wx1"),
            ("app_secret", "as"),
            ("api_base", "http://127.0.0.1:9/"),
        ]);
        assert_eq!(
            token_url(ChannelKind::WechatOa, &x).as_deref(),
            Some(
                "http://127.0.0.1:9/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=as"
            )
        );
        let (url, _) = send_request(ChannelKind::WechatOa, &x, "T", "o1", "hi").unwrap();
        assert_eq!(
            url,
            "http://127.0.0.1:9/cgi-bin/message/custom/send?access_token=T"
        );
        // DingTalk: no app key, no token.
        assert_eq!(token_url(ChannelKind::Dingtalk, &x), None);
        let d = setup(&[
            ("app_key", "ding1"),
            ("app_secret", "s/2"),
            ("agent_id", "2301"),
        ]);
        assert_eq!(
            token_url(ChannelKind::Dingtalk, &d).as_deref(),
            Some("https://oapi.dingtalk.com/gettoken?appkey=ding1&appsecret=s%2F2")
        );
        let (url, body) =
            send_request(ChannelKind::Dingtalk, &d, "T", "manager4512", "已派工").unwrap();
        assert_eq!(
            url,
            "https://oapi.dingtalk.com/topapi/message/corpconversation/asyncsend_v2?access_token=T"
        );
        assert_eq!(
            body,
            json!({"agent_id": 2301, "userid_list": "manager4512",
                   "msg": {"msgtype": "text", "text": {"content": "已派工"}}})
        );
        // A WeChat account with a template: a notice out of the 48 hours goes as one.
        let t = crate::job::ChatTemplate {
            headline: "工单已解决".into(),
            number: "WO-1".into(),
            subject: "空调漏水".into(),
            link: Some("https://x.test/survey/t".into()),
        };
        assert_eq!(
            template_request(ChannelKind::WechatOa, &x, "T", "o1", &t),
            None
        );
        let mut with_template = x;
        with_template
            .settings
            .insert("template_id".into(), Value::String("tpl-9".into()));
        let (url, body) =
            template_request(ChannelKind::WechatOa, &with_template, "T", "o1", &t).unwrap();
        assert_eq!(
            url,
            "http://127.0.0.1:9/cgi-bin/message/template/send?access_token=T"
        );
        assert_eq!(
            body,
            json!({"touser": "o1", "template_id": "tpl-9", "url": "https://x.test/survey/t",
                   "data": {"first": {"value": "工单已解决"}, "keyword1": {"value": "WO-1"},
                            "keyword2": {"value": "空调漏水"}}})
        );
        // Without its agent id a DingTalk app sends no work notice.
        let no_agent = setup(&[("app_key", "ding1"), ("app_secret", "s")]);
        assert_eq!(
            send_request(ChannelKind::Dingtalk, &no_agent, "T", "u", "x"),
            None
        );
        assert_eq!(
            token_url(ChannelKind::Wecom, &setup(&[("corp_id", "ww1")])),
            None
        );
    }

    #[test]
    fn answers_are_read_by_their_codes() {
        assert_eq!(
            read_answer(&json!({"access_token": "A", "expires_in": 7200})),
            Answer::Token("A".into(), 7200)
        );
        assert_eq!(
            read_answer(
                &json!({"errcode": 0, "errmsg": "ok", "access_token": "B", "expires_in": 60})
            ),
            Answer::Token("B".into(), 60)
        );
        assert_eq!(
            read_answer(&json!({"errcode": 0, "errmsg": "ok", "msgid": "m"})),
            Answer::Sent
        );
        for code in [40001, 40014, 42001] {
            assert_eq!(read_answer(&json!({"errcode": code})), Answer::TokenExpired);
        }
        assert_eq!(
            read_answer(&json!({"errcode": 45015, "errmsg": "response out of time limit"})),
            Answer::OutOfWindow
        );
        assert_eq!(
            read_answer(&json!({"errcode": 45009, "errmsg": "reach max api daily quota limit"})),
            Answer::Refused(45009, "reach max api daily quota limit".into())
        );
    }
}

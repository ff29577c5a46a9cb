//! A local simulator of WeCom's, WeChat's and DingTalk's message APIs, written from their
//! published documentation: `gettoken` / `token` (DingTalk: `/gettoken` with `appkey` and
//! `appsecret`) hand out an access token for the right credentials; `message/send` /
//! `message/custom/send` / `topapi/message/corpconversation/asyncsend_v2` take a text message
//! with a current token and answer `42001` (expired) with an old one; WeChat's service
//! messages answer `45015` once the customer's 48 hours are over, and its template messages
//! (`message/template/send`) still go. Loopdesk reaches it through the channel's `api_base`.

use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// What the simulator saw and which token is current.
#[derive(Default)]
pub struct Seen {
    /// Tokens handed out so far.
    pub tokens: u32,
    /// The token the platform takes now.
    pub current: Option<String>,
    /// The messages taken: (path, body).
    pub messages: Vec<(String, Value)>,
    /// WeChat's 48 hours since the customer last wrote are over: service messages are
    /// refused (45015), template messages still go.
    pub window_closed: bool,
}

/// A running simulator.
pub struct ChatSim {
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
}

impl ChatSim {
    /// The token the platform took so far stops being good (as after two hours).
    pub fn expire(&self) {
        self.seen.lock().unwrap().current = Some("no-longer".into());
    }

    /// The customer has not written for 48 hours.
    pub fn close_window(&self) {
        self.seen.lock().unwrap().window_closed = true;
    }

    /// The messages taken.
    pub fn messages(&self) -> Vec<(String, Value)> {
        self.seen.lock().unwrap().messages.clone()
    }
}

type Shared = Arc<Mutex<Seen>>;

fn token(seen: &Shared, ok: bool) -> Json<Value> {
    if !ok {
        return Json(json!({ "errcode": 40001, "errmsg": "invalid credential" }));
    }
    let mut s = seen.lock().unwrap();
    s.tokens += 1;
    let t = format!("tok-{}", s.tokens);
    s.current = Some(t.clone());
    Json(json!({ "errcode": 0, "errmsg": "ok", "access_token": t, "expires_in": 7200 }))
}

fn send(seen: &Shared, path: &str, q: &Value, body: Value) -> Json<Value> {
    let mut s = seen.lock().unwrap();
    if q["access_token"].as_str() != s.current.as_deref() {
        return Json(json!({ "errcode": 42001, "errmsg": "access_token expired" }));
    }
    if path == "wechat" && s.window_closed {
        return Json(
            json!({ "errcode": 45015, "errmsg": "response out of time limit or subscription is canceled" }),
        );
    }
    s.messages.push((path.to_owned(), body));
    Json(json!({ "errcode": 0, "errmsg": "ok", "msgid": "m" }))
}

/// Starts the simulator on loopback, taking `corp_secret` (WeCom) and `app_secret` (WeChat's
/// and DingTalk's apps).
pub async fn start(corp_secret: &'static str, app_secret: &'static str) -> ChatSim {
    let seen: Shared = Arc::default();
    let app = Router::new()
        .route(
            "/cgi-bin/gettoken",
            get(
                move |State(s): State<Shared>, Query(q): Query<Value>| async move {
                    token(&s, q["corpsecret"] == corp_secret)
                },
            ),
        )
        .route(
            "/cgi-bin/token",
            get(
                move |State(s): State<Shared>, Query(q): Query<Value>| async move {
                    token(
                        &s,
                        q["grant_type"] == "client_credential" && q["secret"] == app_secret,
                    )
                },
            ),
        )
        .route(
            "/gettoken",
            get(
                move |State(s): State<Shared>, Query(q): Query<Value>| async move {
                    token(&s, q["appsecret"] == app_secret && q["appkey"].is_string())
                },
            ),
        )
        .route(
            "/topapi/message/corpconversation/asyncsend_v2",
            post(
                |State(s): State<Shared>, Query(q): Query<Value>, Json(b): Json<Value>| async move {
                    send(&s, "dingtalk", &q, b)
                },
            ),
        )
        .route(
            "/cgi-bin/message/send",
            post(
                |State(s): State<Shared>, Query(q): Query<Value>, Json(b): Json<Value>| async move {
                    send(&s, "wecom", &q, b)
                },
            ),
        )
        .route(
            "/cgi-bin/message/template/send",
            post(
                |State(s): State<Shared>, Query(q): Query<Value>, Json(b): Json<Value>| async move {
                    send(&s, "wechat-template", &q, b)
                },
            ),
        )
        .route(
            "/cgi-bin/message/custom/send",
            post(
                |State(s): State<Shared>, Query(q): Query<Value>, Json(b): Json<Value>| async move {
                    send(&s, "wechat", &q, b)
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    ChatSim { url, seen }
}

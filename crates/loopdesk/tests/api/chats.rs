//! Chat channels (issue 22): WeCom, WeChat (safe mode) and DingTalk call back at the channel's
//! `callback_url` exactly as each platform publishes it — the URL check, then signed and
//! encrypted messages — and a message becomes the sender's request, or their word on the
//! ticket they opened from the chat this week.

use chrono::Duration;
use loopdesk_core::inbound::chat::{seal, signature, Cipher};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::pages::Browser;

on_both_backends!(
    a_wecom_message_opens_a_ticket_and_the_next_ones_go_onto_it_and_only_signed_ones_count,
    wechat_takes_only_safe_mode_and_dingtalk_answers_its_url_check_encrypted,
    the_customer_hears_back_in_the_chat_they_wrote_from_once_with_tokens_kept_and_renewed,
);

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const CORP: &str = "ww-loopdesk-test";

fn text_xml(from: &str, msg_id: &str, words: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName>\
         <CreateTime>1733540000</CreateTime><MsgType><![CDATA[text]]></MsgType>\
         <Content><![CDATA[{words}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
    )
}

/// Posts a message sealed for `receiver` with `token`; answers the status and the body.
async fn post_sealed(
    app: &TestApp,
    url: &str,
    token: &str,
    receiver: &str,
    xml: &str,
    extra_query: &str,
) -> (u16, String) {
    let cipher = Cipher::new(KEY).unwrap();
    let (body, sig) = seal(
        token,
        &cipher,
        receiver,
        xml,
        [9; 16],
        "1733540000",
        "n0nce",
    );
    let r = app
        .client
        .post(app.url(&format!(
            "{url}?msg_signature={sig}&timestamp=1733540000&nonce=n0nce{extra_query}"
        )))
        .header("content-type", "text/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn a_wecom_message_opens_a_ticket_and_the_next_ones_go_onto_it_and_only_signed_ones_count(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let c = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "wecom", "name": "企业微信客服", "corp_id": CORP, "agent_id": "1000002",
                    "token": "tok3n", "encoding_aes_key": KEY, "secret": "corp-secret" }),
            201,
        )
        .await;
    let url = c["callback_url"].as_str().unwrap().to_owned();
    assert!(c.get("secret").is_none(), "{c}");
    let customer = app
        .ok(
            &app.admin,
            "/api/v1/customers",
            json!({ "name": "静安寺商场", "contacts": [{ "name": "李雷", "phone": "13800138000", "wechat_id": "LiLei" }] }),
            201,
        )
        .await;
    let tickets = || app.count("SELECT COUNT(*) FROM tickets");

    // The URL check: the challenge decrypted, as plain text; a wrong signature is refused.
    let cipher = Cipher::new(KEY).unwrap();
    let echo = cipher.encrypt([3; 16], "5927782489442352469", CORP);
    let sig = signature(&["tok3n", "1", "2", &echo]);
    let check = |sig: String| {
        let app = &app;
        let url = url.clone();
        let echo = echo.clone();
        async move {
            let r = app
                .client
                .get(app.url(&url))
                .query(&[
                    ("msg_signature", sig.as_str()),
                    ("timestamp", "1"),
                    ("nonce", "2"),
                    ("echostr", echo.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(check(sig).await, (200, "5927782489442352469".to_owned()));
    assert_eq!(check("0".repeat(40)).await.0, 401);

    // A request in the chat: a ticket of the bound contact's customer, channel wecom.
    let (s, body) = post_sealed(
        &app,
        &url,
        "tok3n",
        CORP,
        &text_xml("LiLei", "m-1", "三楼空调不制冷，麻烦尽快来看"),
        "",
    )
    .await;
    assert_eq!((s, body.as_str()), (200, ""));
    let list = app.read(&app.admin, "/api/v1/tickets?channel=wecom").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let ticket = items[0]["id"].as_str().unwrap().to_owned();
    let t = app
        .read(&app.admin, &format!("/api/v1/tickets/{ticket}"))
        .await;
    assert_eq!(t["customer_id"], customer["id"]);
    assert_eq!(t["channel"], "wecom");
    assert_eq!(t["subject"], "三楼空调不制冷，麻烦尽快来看");

    // The platform delivers it again: nothing new. The next message goes onto the ticket.
    let (s, _) = post_sealed(
        &app,
        &url,
        "tok3n",
        CORP,
        &text_xml("LiLei", "m-1", "三楼空调不制冷，麻烦尽快来看"),
        "",
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = post_sealed(
        &app,
        &url,
        "tok3n",
        CORP,
        &text_xml("LiLei", "m-2", "下午两点后有人"),
        "",
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(tickets().await, 1);
    let detail = app
        .read(&app.admin, &format!("/api/v1/tickets/{ticket}"))
        .await;
    let said: Vec<&Value> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "comment")
        .collect();
    assert_eq!(said.len(), 1, "{detail}");
    assert_eq!(
        (
            said[0]["data"]["body"].as_str(),
            said[0]["data"]["channel"].as_str(),
            said[0]["data"]["from"].as_str()
        ),
        (Some("下午两点后有人"), Some("wecom"), Some("LiLei"))
    );

    // Signed with another token, sealed for another corp, or a tampered envelope: refused,
    // nothing kept.
    for (token, receiver) in [("wrong", CORP), ("tok3n", "another-corp")] {
        let (s, _) = post_sealed(
            &app,
            &url,
            token,
            receiver,
            &text_xml("LiLei", "m-3", "x"),
            "",
        )
        .await;
        assert_eq!(s, 401, "{token} {receiver}");
    }
    let r = app
        .client
        .post(app.url(&format!("{url}?msg_signature=abc&timestamp=1&nonce=2")))
        .body("<xml><Encrypt>AAAA</Encrypt></xml>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(app.url("/api/v1/channels/nope/callback"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 2);

    // Someone nobody bound: a ticket nobody is the customer of yet. An event: logged, ignored.
    let (s, _) = post_sealed(
        &app,
        &url,
        "tok3n",
        CORP,
        &text_xml("stranger", "m-4", "设备报警"),
        "",
    )
    .await;
    assert_eq!(s, 200);
    let event = format!(
        "<xml><ToUserName>{CORP}</ToUserName><FromUserName>LiLei</FromUserName><CreateTime>1733540100</CreateTime>\
         <MsgType>event</MsgType><Event>enter_agent</Event></xml>"
    );
    let (s, _) = post_sealed(&app, &url, "tok3n", CORP, &event, "").await;
    assert_eq!(s, 200);
    assert_eq!(tickets().await, 2);
    let log = app
        .read(
            &app.admin,
            &format!("/api/v1/channels/{}/messages", c["id"].as_str().unwrap()),
        )
        .await;
    let outcomes: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        vec!["ignored", "created", "appended", "created"],
        "{log}"
    );

    // A week later the chat is a new request.
    app.clock.advance(Duration::days(8));
    let (s, _) = post_sealed(
        &app,
        &url,
        "tok3n",
        CORP,
        &text_xml("LiLei", "m-5", "又坏了"),
        "",
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(tickets().await, 3);
}

async fn wechat_takes_only_safe_mode_and_dingtalk_answers_its_url_check_encrypted(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let wx = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "wechat_oa", "name": "服务号", "app_id": "wx5823bf96d3bd56c7", "token": "wxtok",
                    "encoding_aes_key": KEY, "app_secret": "s" }),
            201,
        )
        .await;
    let url = wx["callback_url"].as_str().unwrap().to_owned();
    // The URL check: the plain signature, the challenge as it came.
    let sig = signature(&["wxtok", "10", "20"]);
    let r = app
        .client
        .get(app.url(&format!(
            "{url}?signature={sig}&timestamp=10&nonce=20&echostr=hello-wx"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (200, "hello-wx".to_owned())
    );
    let xml = "<xml><ToUserName>gh_1</ToUserName><FromUserName>oOpenId1</FromUserName><CreateTime>1</CreateTime>\
               <MsgType>location</MsgType><Location_X>31.2304</Location_X><Location_Y>121.4737</Location_Y>\
               <Label>人民广场</Label><MsgId>77</MsgId></xml>";
    // Plain mode is refused; safe mode answers `success` and opens a WeChat ticket.
    let (s, _) = post_sealed(&app, &url, "wxtok", "wx5823bf96d3bd56c7", xml, "").await;
    assert_eq!(s, 401);
    let (s, body) = post_sealed(
        &app,
        &url,
        "wxtok",
        "wx5823bf96d3bd56c7",
        xml,
        "&encrypt_type=aes",
    )
    .await;
    assert_eq!((s, body.as_str()), (200, "success"));
    let list = app.read(&app.admin, "/api/v1/tickets?channel=wechat").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert!(
        list["items"][0]["subject"]
            .as_str()
            .unwrap()
            .contains("人民广场"),
        "{list}"
    );

    // DingTalk checks its address with a posted, encrypted check_url; the answer is the
    // encrypted "success" for the app key, signed.
    let dt = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "dingtalk", "name": "钉钉", "app_key": "dingappkey", "app_secret": "s",
                    "token": "dttok", "aes_key": KEY }),
            201,
        )
        .await;
    let durl = dt["callback_url"].as_str().unwrap().to_owned();
    let cipher = Cipher::new(KEY).unwrap();
    let encrypt = cipher.encrypt([5; 16], r#"{"EventType":"check_url"}"#, "dingappkey");
    let sig = signature(&["dttok", "1733540000000", "abc", &encrypt]);
    let post = |sig: String, encrypt: String| {
        let app = &app;
        let durl = durl.clone();
        async move {
            app.client
                .post(app.url(&format!(
                    "{durl}?signature={sig}&timestamp=1733540000000&nonce=abc"
                )))
                .json(&json!({ "encrypt": encrypt }))
                .send()
                .await
                .unwrap()
        }
    };
    let r = post(sig.clone(), encrypt.clone()).await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    let enc = answer["encrypt"].as_str().unwrap();
    assert_eq!(
        cipher.decrypt(enc).unwrap(),
        ("success".to_owned(), "dingappkey".to_owned())
    );
    assert_eq!(
        answer["msg_signature"].as_str().unwrap(),
        signature(&[
            "dttok",
            answer["timeStamp"].as_str().unwrap(),
            answer["nonce"].as_str().unwrap(),
            enc
        ])
    );
    let r = post("0".repeat(40), encrypt).await;
    assert_eq!(r.status(), 401);

    // An admin sets up a WeCom app on the page; its callback address is what they paste into
    // WeCom's console, and a field left out is named.
    app.user("admin2", &["admin"], json!({})).await;
    let mut b = Browser::signed_in(&app, "admin2").await;
    let (s, html, _) = b.get(&app, "/admin/channels").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("name=\"encoding_aes_key\"") && html.contains("value=\"wecom\""),
        "{html}"
    );
    let form = [
        ("kind", "wecom"),
        ("name", "售后企业微信"),
        ("corp_id", "ww-page"),
        ("agent_id", "1000003"),
        ("token", "t"),
        ("encoding_aes_key", KEY),
        ("secret", "s"),
        ("api_base", ""),
    ];
    let (s, html, _) = b.post(&app, "/admin/channels", &form).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("/callback") && !html.contains(KEY), "{html}");
    let (s, html, _) = b.post(&app, "/admin/channels", &form[..6]).await;
    assert_eq!(s, 422, "{html}");
    let other = cipher.encrypt([5; 16], r#"{"EventType":"check_url"}"#, "someone-else");
    let r = post(signature(&["dttok", "1733540000000", "abc", &other]), other).await;
    assert_eq!(r.status(), 401);
}

async fn the_customer_hears_back_in_the_chat_they_wrote_from_once_with_tokens_kept_and_renewed(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let sim = crate::chat_sim::start("corp-secret", "wx-secret").await;
    let c = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "wecom", "name": "企业微信客服", "corp_id": CORP, "agent_id": "1000002",
                    "token": "tok3n", "encoding_aes_key": KEY, "secret": "corp-secret", "api_base": sim.url }),
            201,
        )
        .await;
    let url = c["callback_url"].as_str().unwrap().to_owned();
    app.ok(
        &app.admin,
        "/api/v1/customers",
        json!({ "name": "静安寺商场", "contacts": [{ "name": "李雷", "wechat_id": "LiLei" }] }),
        201,
    )
    .await;
    let sink = crate::mail::SmtpSink::start().await;
    let runner = crate::followup::runner(&app, &sink);

    // The request comes in the chat: the acknowledgement goes back there, once, however
    // often the jobs run.
    let (s, _) = post_sealed(
        &app,
        &url,
        "tok3n",
        CORP,
        &text_xml("LiLei", "m-1", "空调漏水"),
        "",
    )
    .await;
    assert_eq!(s, 200);
    runner.drain().await.unwrap();
    runner.drain().await.unwrap();
    let sent = sim.messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (platform, body) = &sent[0];
    assert_eq!(platform, "wecom");
    assert_eq!(body["touser"], "LiLei");
    assert_eq!(body["agentid"], 1000002);
    let number = app.read(&app.admin, "/api/v1/tickets?channel=wecom").await["items"][0]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        body["text"]["content"].as_str().unwrap().contains(&number),
        "{body}"
    );

    // An agent's public reply goes back in the chat; an internal note does not. The token
    // expired meanwhile: a new one is fetched and the reply still goes, once.
    let ticket = app.read(&app.admin, "/api/v1/tickets?channel=wecom").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sim.expire();
    for (body, internal) in [("师傅下午两点到", false), ("内部：备件在途", true)] {
        app.ok(
            &app.admin,
            &format!("/api/v1/tickets/{ticket}/comments"),
            json!({ "body": body, "internal": internal }),
            201,
        )
        .await;
    }
    runner.drain().await.unwrap();
    let sent = sim.messages();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(
        sent[1].1["text"]["content"],
        format!("[{number}] 师傅下午两点到")
    );
    assert_eq!(
        sim.seen.lock().unwrap().tokens,
        2,
        "fetched once, then again after it expired"
    );
    // The token is kept for the next message: no third fetch.
    app.ok(
        &app.admin,
        &format!("/api/v1/tickets/{ticket}/comments"),
        json!({ "body": "请保持电话畅通", "internal": false }),
        201,
    )
    .await;
    runner.drain().await.unwrap();
    assert_eq!(sim.messages().len(), 3);
    assert_eq!(sim.seen.lock().unwrap().tokens, 2);
    // Nothing went by mail (the contact has no address); the token never shows in a job.
    let jobs = app.read(&app.admin, "/api/v1/jobs?kind=chat").await;
    assert!(
        !jobs.to_string().contains("tok-") && !jobs.to_string().contains("corp-secret"),
        "{jobs}"
    );
}

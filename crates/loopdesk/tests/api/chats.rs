//! Chat channels (issue 22): WeCom, WeChat (safe mode) and DingTalk call back at the channel's
//! `callback_url` exactly as each platform publishes it — the URL check, then signed and
//! encrypted messages — and a message becomes the sender's request, or their word on the
//! ticket they opened from the chat this week.

use chrono::Duration;
use loopdesk_core::clock::Clock;
use loopdesk_core::inbound::chat::{robot_sign, seal, signature, Cipher};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::pages::Browser;

on_both_backends!(
    a_wecom_message_opens_a_ticket_and_the_next_ones_go_onto_it_and_only_signed_ones_count,
    wechat_takes_only_safe_mode_and_dingtalk_answers_its_url_check_encrypted,
    the_customer_hears_back_in_the_chat_they_wrote_from_once_with_tokens_kept_and_renewed,
    an_unbound_sender_gives_their_mobile_number_and_the_code_sent_to_it_binds_them,
    a_dingtalk_robot_message_is_a_request_answered_by_work_notice,
    a_wechat_customer_silent_for_48_hours_hears_of_milestones_by_template_message,
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

/// A WeCom channel whose messages go to a local simulator of WeCom's API: the simulator, the
/// channel and its callback address.
async fn wecom_with_simulator(app: &TestApp) -> (crate::chat_sim::ChatSim, Value, String) {
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
    (sim, c, url)
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
    let (sim, _, url) = wecom_with_simulator(&app).await;
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

    // Fixed: the customer hears it in the chat, and an hour later the survey comes there,
    // with its link (which admins see cut in the jobs list).
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let t = app.read(&agent, &format!("/api/v1/tickets/{ticket}")).await;
    app.resolve_remotely(&agent, &t, "远程指导重启后恢复").await;
    runner.drain().await.unwrap();
    app.clock.advance(Duration::minutes(61));
    runner.drain().await.unwrap();
    runner.drain().await.unwrap();
    let surveys: Vec<String> = sim
        .messages()
        .iter()
        .filter_map(|(_, b)| b["text"]["content"].as_str().map(str::to_owned))
        .filter(|text| text.contains("http://survey.test/survey/"))
        .collect();
    assert_eq!(surveys.len(), 1, "{:?}", sim.messages());
    let at = surveys[0].find("/survey/").unwrap() + 8;
    let token: String = surveys[0][at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .collect();
    let survey: Value = app
        .client
        .get(app.url(&format!("/api/v1/surveys/{token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(survey["number"], number.as_str(), "{survey}");
    let jobs = app.read(&app.admin, "/api/v1/jobs?limit=500").await;
    assert!(!jobs.to_string().contains(&token), "{jobs}");
}

async fn an_unbound_sender_gives_their_mobile_number_and_the_code_sent_to_it_binds_them(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (sim, c, url) = wecom_with_simulator(&app).await;
    let customer = app
        .ok(
            &app.admin,
            "/api/v1/customers",
            json!({ "name": "徐汇影城", "contacts": [{ "name": "王芳", "phone": "13900139000" }] }),
            201,
        )
        .await;
    let notices = crate::followup::receiver(&app, &["customer.notice"]).await;
    let sink = crate::mail::SmtpSink::start().await;
    let runner = crate::followup::runner(&app, &sink);
    let mut n = 0;
    let mut say = |words: &str| {
        n += 1;
        let xml = text_xml("wangfang", &format!("b-{n}"), words);
        let (app, url) = (&app, url.clone());
        async move {
            let (s, _) = post_sealed(app, &url, "tok3n", CORP, &xml, "").await;
            assert_eq!(s, 200, "{xml}");
        }
    };
    let told = || runner.drain();
    // What the sender was told in the chat, in order.
    let last_told = || {
        sim.messages()
            .iter()
            .filter(|(_, b)| b["touser"] == "wangfang")
            .map(|(_, b)| b["text"]["content"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<String>>()
    };

    // A first message: a request nobody is the customer of yet, and the sender is asked for
    // their number (once: the next words are not asked again).
    say("放映厅空调漏水").await;
    told().await.unwrap();
    let list = app.read(&app.admin, "/api/v1/tickets?channel=wecom").await;
    let ticket = list["items"][0]["id"].as_str().unwrap().to_owned();
    let detail = app
        .read(&app.admin, &format!("/api/v1/tickets/{ticket}"))
        .await;
    assert!(detail["customer_id"].is_null(), "{detail}");
    let asked = last_told();
    assert_eq!(
        asked.len(),
        2,
        "the acknowledgement and the question: {asked:?}"
    );
    assert!(asked.iter().any(|m| m.contains("手机号码")), "{asked:?}");
    say("下午有人").await;
    told().await.unwrap();
    assert_eq!(last_told().len(), 2, "{:?}", last_told());

    // A number no contact has: words on the ticket, and the sender is told.
    say("13700137000").await;
    told().await.unwrap();
    let told_now = last_told();
    assert!(
        told_now.last().unwrap().contains("没有找到"),
        "{told_now:?}"
    );
    assert!(notices.lock().unwrap().is_empty());

    // Their number in any spelling: a code by SMS to the gateway, the sender told where.
    say("139-0013-9000").await;
    told().await.unwrap();
    let sms = notices.lock().unwrap().clone();
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0]["data"]["channel"], "sms");
    assert_eq!(sms[0]["data"]["to"], "13900139000");
    assert_eq!(sms[0]["data"]["notice"], "verification_code");
    let text = sms[0]["data"]["text"].as_str().unwrap();
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    assert_eq!(code.len(), 6, "{text}");
    assert!(
        last_told().last().unwrap().contains("139****9000"),
        "{:?}",
        last_told()
    );
    // The code is nowhere an admin reads it: not in the jobs list.
    let jobs = app.read(&app.admin, "/api/v1/jobs").await;
    assert!(!jobs.to_string().contains(&code), "{jobs}");

    // A wrong code is refused; the right one binds the sender, and their request and every
    // one after it are the contact's customer's.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    say(wrong).await;
    told().await.unwrap();
    assert!(
        last_told().last().unwrap().contains("不正确"),
        "{:?}",
        last_told()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM contacts WHERE wechat_id = 'wangfang'")
            .await,
        0
    );
    say(&code).await;
    told().await.unwrap();
    assert!(
        last_told().last().unwrap().contains("王芳"),
        "{:?}",
        last_told()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM contacts WHERE wechat_id = 'wangfang'")
            .await,
        1
    );
    let detail = app
        .read(&app.admin, &format!("/api/v1/tickets/{ticket}"))
        .await;
    assert_eq!(detail["customer_id"], customer["id"], "{detail}");
    // The steps were no one's words on the ticket: only the two messages and the unknown
    // number went onto it.
    let said: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "comment")
        .map(|e| e["data"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(said, vec!["下午有人", "13700137000"], "{detail}");
    let log = app
        .read(
            &app.admin,
            &format!("/api/v1/channels/{}/messages", c["id"].as_str().unwrap()),
        )
        .await;
    let reasons: Vec<String> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}:{}",
                m["outcome"].as_str().unwrap(),
                m["reason"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            "ignored:inbound.chat_bound",
            "ignored:inbound.chat_binding",
            "ignored:inbound.chat_binding",
            "appended:",
            "appended:",
            "created:",
        ],
        "{log}"
    );
    // Bound: the next request is theirs from the start, and nobody asks for a number.
    app.clock.advance(Duration::days(8));
    let before = last_told().len();
    say("又漏水了").await;
    told().await.unwrap();
    // (A week on, the admin's session is over: the database says it.)
    let theirs = format!(
        "SELECT COUNT(*) FROM tickets WHERE channel = 'wecom' AND customer_id = '{}'",
        customer["id"].as_str().unwrap()
    );
    assert_eq!(app.count(&theirs).await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 2);
    let now_told = last_told();
    assert_eq!(
        now_told.len(),
        before + 1,
        "only the acknowledgement: {now_told:?}"
    );
    assert!(
        !now_told.last().unwrap().contains("手机号码"),
        "{now_told:?}"
    );

    // Someone trying numbers for codes gets a few a day, then none until tomorrow.
    let sms_before = notices.lock().unwrap().len();
    for i in 0..7 {
        app.clock.advance(Duration::minutes(2));
        let xml = text_xml("guesser", &format!("g-{i}"), "13900139000");
        let (s, _) = post_sealed(&app, &url, "tok3n", CORP, &xml, "").await;
        assert_eq!(s, 200);
    }
    told().await.unwrap();
    assert_eq!(notices.lock().unwrap().len(), sms_before + 6);
    let to_guesser: Vec<String> = sim
        .messages()
        .iter()
        .filter(|(_, b)| b["touser"] == "guesser")
        .filter_map(|(_, b)| b["text"]["content"].as_str().map(str::to_owned))
        .collect();
    // (The runner sends in no set order.)
    assert_eq!(to_guesser.len(), 7, "{to_guesser:?}");
    assert_eq!(
        to_guesser.iter().filter(|m| m.contains("明天")).count(),
        1,
        "{to_guesser:?}"
    );
}

async fn a_dingtalk_robot_message_is_a_request_answered_by_work_notice(backend: Backend) {
    let app = spawn_app(backend).await;
    let sim = crate::chat_sim::start("corp-secret", "ding-secret").await;
    let c = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "dingtalk", "name": "钉钉报修", "app_key": "dingapp", "app_secret": "ding-secret",
                    "token": "dttok", "aes_key": KEY, "agent_id": "2301", "api_base": sim.url }),
            201,
        )
        .await;
    let url = c["callback_url"].as_str().unwrap().to_owned();
    app.ok(
        &app.admin,
        "/api/v1/customers",
        json!({ "name": "总部行政部", "contacts": [{ "name": "王工", "wechat_id": "manager4512" }] }),
        201,
    )
    .await;
    let sink = crate::mail::SmtpSink::start().await;
    let runner = crate::followup::runner(&app, &sink);
    let now = app.clock.now().timestamp_millis().to_string();
    let post = |ts: String, sign: String, robot: &'static str| {
        let app = &app;
        let url = url.clone();
        async move {
            let body = format!(
                r#"{{"msgtype":"text","text":{{"content":"三楼打印机卡纸"}},"msgId":"msgA1","createAt":{ts},
                "conversationType":"1","senderId":"$:LWCP_v1:$x","senderStaffId":"manager4512","robotCode":"{robot}"}}"#
            );
            let r = app
                .client
                .post(app.url(&url))
                .header("content-type", "application/json")
                .header("timestamp", ts)
                .header("sign", sign)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // Signed with another secret, long ago, or for another app: refused, nothing kept.
    let stale = (app.clock.now().timestamp_millis() - 2 * 3_600_000).to_string();
    for (ts, sign, robot) in [
        (now.clone(), robot_sign("other", &now), "dingapp"),
        (stale.clone(), robot_sign("ding-secret", &stale), "dingapp"),
        (now.clone(), robot_sign("ding-secret", &now), "another-app"),
    ] {
        assert_eq!(post(ts, sign, robot).await.0, 401);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    // The app's own: a request of the bound contact's customer, channel dingtalk; again is
    // a duplicate.
    for _ in 0..2 {
        let (s, body) = post(now.clone(), robot_sign("ding-secret", &now), "dingapp").await;
        assert_eq!((s, body.as_str()), (200, "{}"));
    }
    let list = app
        .read(&app.admin, "/api/v1/tickets?channel=dingtalk")
        .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["subject"], "三楼打印机卡纸");
    let number = items[0]["number"].as_str().unwrap().to_owned();
    // The acknowledgement goes back as a work notice from the app, to the sender's user id.
    runner.drain().await.unwrap();
    let sent = sim.messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (platform, body) = &sent[0];
    assert_eq!(platform, "dingtalk");
    assert_eq!(body["agent_id"], 2301);
    assert_eq!(body["userid_list"], "manager4512");
    assert!(
        body["msg"]["text"]["content"]
            .as_str()
            .unwrap()
            .contains(&number),
        "{body}"
    );
}

async fn a_wechat_customer_silent_for_48_hours_hears_of_milestones_by_template_message(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let sim = crate::chat_sim::start("corp-secret", "wx-secret").await;
    let wx = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "wechat_oa", "name": "服务号", "app_id": "wx5823bf96d3bd56c7", "token": "wxtok",
                    "encoding_aes_key": KEY, "app_secret": "wx-secret", "template_id": "tpl-progress",
                    "api_base": sim.url }),
            201,
        )
        .await;
    let url = wx["callback_url"].as_str().unwrap().to_owned();
    app.ok(
        &app.admin,
        "/api/v1/customers",
        json!({ "name": "徐家汇书店", "contacts": [{ "name": "韩梅梅", "wechat_id": "oHanMeimei" }] }),
        201,
    )
    .await;
    let sink = crate::mail::SmtpSink::start().await;
    let runner = crate::followup::runner(&app, &sink);
    let xml = "<xml><ToUserName>gh_1</ToUserName><FromUserName>oHanMeimei</FromUserName><CreateTime>1</CreateTime>\
               <MsgType>text</MsgType><Content>收银机打不开</Content><MsgId>501</MsgId></xml>";
    let (s, _) = post_sealed(
        &app,
        &url,
        "wxtok",
        "wx5823bf96d3bd56c7",
        xml,
        "&encrypt_type=aes",
    )
    .await;
    assert_eq!(s, 200);
    runner.drain().await.unwrap();
    let sent = sim.messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0].0, "wechat",
        "within the 48 hours: a service message"
    );

    // Two days later WeChat refuses service messages to her: the fix reaches her as the
    // account's template message (number and subject in its fields); an agent's reply, which
    // has no template, is not sent and not retried.
    sim.close_window();
    let t = app.read(&app.admin, "/api/v1/tickets?channel=wechat").await["items"][0].clone();
    let number = t["number"].as_str().unwrap().to_owned();
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let t = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    app.ok(
        &agent,
        &format!("/api/v1/tickets/{}/comments", t["id"].as_str().unwrap()),
        json!({ "body": "请问方便远程看一下吗", "internal": false }),
        201,
    )
    .await;
    let t = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    app.resolve_remotely(&agent, &t, "远程重装驱动后恢复").await;
    runner.drain().await.unwrap();
    runner.drain().await.unwrap();
    let sent = sim.messages();
    let templates: Vec<&Value> = sent
        .iter()
        .filter(|(path, _)| path == "wechat-template")
        .map(|(_, b)| b)
        .collect();
    assert_eq!(templates.len(), 1, "{sent:?}");
    let body = templates[0];
    assert_eq!(body["touser"], "oHanMeimei");
    assert_eq!(body["template_id"], "tpl-progress");
    assert_eq!(body["data"]["keyword1"]["value"], number.as_str());
    assert_eq!(body["data"]["keyword2"]["value"], "收银机打不开");
    assert!(
        !body["data"]["first"]["value"].as_str().unwrap().is_empty(),
        "{body}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'chat' AND status <> 'done'")
            .await,
        0,
        "nothing left to retry"
    );
}

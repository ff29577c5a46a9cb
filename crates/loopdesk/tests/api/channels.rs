//! E-mail in (issue 22): a mail channel set up by an admin, raw mails piped in with the
//! channel's secret, and what each becomes — a ticket of the right customer, the customer's
//! reply on the ticket it answers, a duplicate, an ignored auto-reply, a quarantined message
//! an admin retries or discards.

use loopdesk_core::clock::Clock;
use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{png, spawn_app, Backend, TestApp};
use crate::mail::SmtpSink;
use crate::on_both_backends;

on_both_backends!(
    mail_comes_in_once_threads_back_and_keeps_what_it_cannot_read,
    a_mail_request_is_acknowledged_and_answered_by_mail_and_the_answer_threads_back,
    any_bytes_piped_in_end_in_one_of_the_five_outcomes_and_never_a_server_error,
    a_reply_saying_not_fixed_reopens_a_resolved_ticket_and_thanks_do_not,
    channels_are_kept_by_admins_with_their_fields_checked_and_secrets_never_shown,
);

async fn pipe(app: &TestApp, channel: &str, secret: &str, raw: &[u8]) -> Response {
    app.client
        .post(app.url(&format!("/api/v1/channels/{channel}/messages")))
        .bearer_auth(secret)
        .header("content-type", "message/rfc822")
        .body(raw.to_vec())
        .send()
        .await
        .unwrap()
}

async fn took(app: &TestApp, channel: &str, secret: &str, raw: &[u8]) -> Value {
    let r = pipe(app, channel, secret, raw).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn mail_channel(app: &TestApp) -> (String, String) {
    let c = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "email", "name": "客服邮箱", "address": "support@loopdesk.test" }),
            201,
        )
        .await;
    (
        c["id"].as_str().unwrap().to_owned(),
        c["secret"].as_str().unwrap().to_owned(),
    )
}

fn mail(id: &str, from: &str, subject: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@loopdesk.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn mail_comes_in_once_threads_back_and_keeps_what_it_cannot_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let (channel, secret) = mail_channel(&app).await;
    let customer = app
        .ok(
            &app.admin,
            "/api/v1/customers",
            json!({ "name": "华东商场", "contacts": [{ "name": "王经理", "email": "Wang@Customer.cn" }] }),
            201,
        )
        .await;
    let customer_id = customer["id"].as_str().unwrap();
    let tickets = || app.count("SELECT COUNT(*) FROM tickets");

    // A wrong secret, a missing one, a wrong type: refused, nothing stored.
    let first = {
        let mut gbk =
            b"From: =?UTF-8?B?546L57uP55CG?= <wang@customer.cn>\r\nTo: support@loopdesk.test\r\n\
            Subject: =?GB2312?B?sajQ3qO6v9W19w==?=\r\nMessage-ID: <m1@customer.cn>\r\n\
            Content-Type: text/plain; charset=GBK\r\n\r\n"
                .to_vec();
        gbk.extend_from_slice(&[
            0xbf, 0xd5, 0xb5, 0xf7, 0xb2, 0xbb, 0xd6, 0xc6, 0xc0, 0xe4, 0xa3, 0xac, 0xc7, 0xeb,
            0xc5, 0xc9, 0xc8, 0xcb, 0xa1, 0xa3,
        ]);
        gbk
    };
    assert_eq!(pipe(&app, &channel, "wrong", &first).await.status(), 401);
    assert_eq!(pipe(&app, &channel, "", &first).await.status(), 401);
    let plain = app
        .client
        .post(app.url(&format!("/api/v1/channels/{channel}/messages")))
        .bearer_auth(&secret)
        .header("content-type", "text/plain")
        .body(first.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 415);
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    assert_eq!(tickets().await, 0);

    // The first mail: a ticket of the customer whose contact has the address, in any case.
    let created = took(&app, &channel, &secret, &first).await;
    assert_eq!(created["outcome"], "created", "{created}");
    let ticket_id = created["ticket_id"].as_str().unwrap().to_owned();
    let ticket = app
        .read(&app.admin, &format!("/api/v1/tickets/{ticket_id}"))
        .await;
    assert_eq!(ticket["channel"], "email");
    assert_eq!(ticket["customer_id"], customer_id);
    assert_eq!(ticket["subject"], "报修：空调");
    assert_eq!(ticket["description"], "空调不制冷，请派人。");
    let number = ticket["number"].as_str().unwrap().to_owned();

    // The same mail again (an MTA's retry): a duplicate, answering the first ticket.
    let again = took(&app, &channel, &secret, &first).await;
    assert_eq!(again["outcome"], "duplicate");
    assert_eq!(again["ticket_id"], ticket_id.as_str());
    assert_eq!(tickets().await, 1);

    // A reply naming the first mail: the customer's word on that ticket, quoted history
    // trimmed, with its photo; a file Loopdesk does not take is named, not kept.
    let reply = format!(
        "From: wang@customer.cn\r\nSubject: =?UTF-8?B?{}?=\r\nMessage-ID: <m2@customer.cn>\r\n\
         In-Reply-To: <m1@customer.cn>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n外机有异响，照片见附件。\r\n\r\n\
         在 2026年11月24日 10:00，客服 写道：\r\n> 已收到\r\n--b1\r\n\
         Content-Type: image/png\r\nContent-Disposition: attachment; filename=\"unit.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1\r\n\
         Content-Type: application/msword\r\nContent-Disposition: attachment; filename=\"notes.doc\"\r\n\r\n\
         not a picture\r\n--b1--\r\n",
        base64("回复: 报修：空调".as_bytes()),
        base64(&png()),
    );
    let appended = took(&app, &channel, &secret, reply.as_bytes()).await;
    assert_eq!(appended["outcome"], "appended", "{appended}");
    assert_eq!(appended["ticket_id"], ticket_id.as_str());
    let detail = app
        .read(&app.admin, &format!("/api/v1/tickets/{ticket_id}"))
        .await;
    let said: Vec<&Value> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "comment")
        .collect();
    assert_eq!(said.len(), 1, "{detail}");
    assert_eq!(said[0]["data"]["body"], "外机有异响，照片见附件。");
    assert_eq!(said[0]["data"]["channel"], "email");
    assert_eq!(said[0]["data"]["from"], "wang@customer.cn");
    assert_eq!(said[0]["internal"], false);
    let files: Vec<&Value> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "attachment")
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["data"]["filename"], "unit.png");
    assert_eq!(files[0]["data"]["content_type"], "image/png");
    let log = app
        .read(
            &app.admin,
            &format!("/api/v1/channels/{channel}/messages?outcome=appended"),
        )
        .await;
    assert_eq!(log["items"][0]["files_skipped"], json!(["notes.doc"]));
    assert_eq!(log["items"][0]["ticket_number"], number.as_str());

    // The number in the subject threads a mail without references, for the ticket's own
    // customer; a stranger quoting it opens a request of their own.
    let by_number = mail(
        "m3@customer.cn",
        "wang@customer.cn",
        &format!("答复: [{number}] 什么时候上门？"),
        "",
        "请问明天可以吗？",
    );
    let r = took(&app, &channel, &secret, &by_number).await;
    assert_eq!(
        (r["outcome"].as_str(), r["ticket_id"].as_str()),
        (Some("appended"), Some(ticket_id.as_str()))
    );
    let stranger = mail(
        "s1@elsewhere.cn",
        "Someone <someone@elsewhere.cn>",
        &format!("[{number}] 我也坏了"),
        "",
        "冰箱不制冷",
    );
    let r = took(&app, &channel, &secret, &stranger).await;
    assert_eq!(r["outcome"], "created");
    let theirs = app
        .read(
            &app.admin,
            &format!("/api/v1/tickets/{}", r["ticket_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(theirs["customer_id"], Value::Null, "unidentified");
    assert_eq!(tickets().await, 2);

    // Automatic mail is never a ticket and never answered.
    for (i, header) in [
        "Auto-Submitted: auto-replied\r\n",
        "X-Autoreply: yes\r\n",
        "Precedence: bulk\r\n",
    ]
    .iter()
    .enumerate()
    {
        let auto = mail(
            &format!("auto{i}@customer.cn"),
            "wang@customer.cn",
            "自动回复：休假中",
            header,
            "我正在休假",
        );
        let r = took(&app, &channel, &secret, &auto).await;
        assert_eq!(r["outcome"], "ignored", "{header}");
        assert!(r["reason"].as_str().unwrap().starts_with("inbound."));
    }
    let bounce = mail(
        "b1@mx",
        "MAILER-DAEMON@mx.customer.cn",
        "Undelivered",
        "",
        "x",
    );
    assert_eq!(
        took(&app, &channel, &secret, &bounce).await["outcome"],
        "ignored"
    );
    let ignored = app
        .read(
            &app.admin,
            &format!("/api/v1/channels/{channel}/messages?outcome=ignored&limit=1"),
        )
        .await;
    assert_eq!(
        ignored["items"][0]["sender"],
        "mailer-daemon@mx.customer.cn"
    );
    assert_eq!(ignored["items"][0]["subject"], "Undelivered");
    assert_eq!(ignored["items"][0]["reason"], "inbound.daemon");
    assert_eq!(tickets().await, 2);

    // A mail to a cancelled ticket is a new request.
    let cancelled = app
        .read(&app.admin, &format!("/api/v1/tickets/{ticket_id}"))
        .await;
    app.go(
        &app.admin,
        &cancelled,
        json!({ "to": "cancelled", "reason": "客户要求撤销" }),
        200,
    )
    .await;
    let late = mail(
        "m4@customer.cn",
        "wang@customer.cn",
        &format!("Re: [{number}] 又坏了"),
        "In-Reply-To: <m1@customer.cn>\r\n",
        "空调又不制冷了",
    );
    let r = took(&app, &channel, &secret, &late).await;
    assert_eq!(r["outcome"], "created");
    assert_ne!(r["ticket_id"], ticket_id.as_str());
    assert_eq!(tickets().await, 3);

    // What cannot be read is kept for an admin; a retry reads it again; discarding keeps the
    // log line (a redelivery is still a duplicate) and lets the bytes go.
    let garbage = b"\x00\xff\xfe no headers at all \x01\x02".to_vec();
    let held = took(&app, &channel, &secret, &garbage).await;
    assert_eq!(held["outcome"], "quarantined");
    let q = app
        .read(
            &app.admin,
            &format!("/api/v1/channels/{channel}/messages?outcome=quarantined"),
        )
        .await;
    let item = &q["items"][0];
    assert_eq!(item["raw_kept"], true);
    let msg = item["id"].as_str().unwrap();
    let retried = app
        .ok(
            &app.admin,
            &format!("/api/v1/channels/{channel}/messages/{msg}/retry"),
            json!({}),
            200,
        )
        .await;
    assert_eq!(retried["outcome"], "quarantined");
    let q = app
        .read(
            &app.admin,
            &format!("/api/v1/channels/{channel}/messages?outcome=quarantined"),
        )
        .await;
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    let msg = q["items"][0]["id"].as_str().unwrap().to_owned();
    let discarded = app
        .send(
            reqwest::Method::POST,
            &app.admin,
            &format!("/api/v1/channels/{channel}/messages/{msg}/discard"),
            json!({}),
        )
        .await;
    assert_eq!(discarded.0, 204);
    let q = app
        .read(
            &app.admin,
            &format!("/api/v1/channels/{channel}/messages?outcome=quarantined"),
        )
        .await;
    assert_eq!(q["items"][0]["raw_kept"], false);
    assert_eq!(q["items"][0]["reason"], "inbound.discarded");
    assert_eq!(
        took(&app, &channel, &secret, &garbage).await["outcome"],
        "duplicate"
    );

    // The log pages newest first without loss or repeat.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .read(
                &app.admin,
                &format!("/api/v1/channels/{channel}/messages?limit=3&cursor={cursor}"),
            )
            .await;
        for m in page["items"].as_array().unwrap() {
            seen.push(m["message_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    let all = app.count("SELECT COUNT(*) FROM inbound_messages").await;
    assert_eq!(seen.len() as i64, all);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());
    let health = app.read(&app.admin, "/api/v1/channels/health").await;
    assert_eq!(health[0]["last_day"]["created"], 3);
    assert_eq!(health[0]["last_day"]["ignored"], 4);
    // Day by day: two weeks, every day there, today's holding everything that came.
    let daily = health[0]["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 14, "{health}");
    assert_eq!(daily[13]["received"], all, "{health}");
    assert_eq!(daily[13]["opened"], 3, "{health}");
    assert!(daily[..13].iter().all(|d| d["received"] == 0), "{health}");
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let today = app
        .clock
        .now()
        .with_timezone(&shanghai)
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        daily[13]["day"], today,
        "the tenant's day (Asia/Shanghai by default)"
    );
}

async fn a_mail_request_is_acknowledged_and_answered_by_mail_and_the_answer_threads_back(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let sink = SmtpSink::start().await;
    let r = crate::followup::runner(&app, &sink);
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (channel, secret) = mail_channel(&app).await;

    // Someone Loopdesk does not know writes: they hear back where they wrote from, on their
    // own thread, marked as automatic so their auto-responder stays quiet.
    let first = mail(
        "x1@home.cn",
        "张三 <Zhang@Home.cn>",
        "热水器不出热水",
        "",
        "热水器打不着火",
    );
    let created = took(&app, &channel, &secret, &first).await;
    assert_eq!(created["outcome"], "created");
    let id = created["ticket_id"].as_str().unwrap().to_owned();
    r.drain().await.unwrap();
    let acks = sink.to("zhang@home.cn");
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert!(
        acks[0].subject.contains("热水器不出热水"),
        "{}",
        acks[0].subject
    );
    assert_eq!(acks[0].in_reply_to.as_deref(), Some("x1@home.cn"));
    assert_eq!(acks[0].auto_submitted.as_deref(), Some("auto-generated"));
    assert!(acks[0]
        .message_id
        .as_deref()
        .is_some_and(|m| m.starts_with(&format!("wo.{id}.")) && m.ends_with("@loopdesk.test")));

    // The agent's public reply goes to them by mail; an internal note does not.
    let comments = format!("/api/v1/tickets/{id}/comments");
    app.ok(
        &agent,
        &comments,
        json!({ "body": "请问热水器的型号是？", "internal": false }),
        201,
    )
    .await;
    app.ok(
        &agent,
        &comments,
        json!({ "body": "客户语气急", "internal": true }),
        201,
    )
    .await;
    r.drain().await.unwrap();
    let mails = sink.to("zhang@home.cn");
    assert_eq!(mails.len(), 2, "{mails:?}");
    let reply = &mails[1];
    assert!(
        reply.body.starts_with("请问热水器的型号是？"),
        "{}",
        reply.body
    );
    assert!(!mails.iter().any(|m| m.body.contains("客户语气急")));
    assert_eq!(reply.in_reply_to.as_deref(), Some("x1@home.cn"));
    assert_eq!(
        reply.auto_submitted, None,
        "a person's reply is not automatic"
    );

    // They answer in their mail program: the answer names our mail and lands on the ticket;
    // their own words are not mailed back to them.
    let answer = mail(
        "x2@home.cn",
        "zhang@home.cn",
        &format!("Re: {}", reply.subject),
        &format!(
            "In-Reply-To: <{}>\r\n",
            reply.message_id.as_deref().unwrap()
        ),
        "型号是 JSQ20-10\r\n\r\n> 请问热水器的型号是？",
    );
    let appended = took(&app, &channel, &secret, &answer).await;
    assert_eq!(appended["outcome"], "appended", "{appended}");
    assert_eq!(appended["ticket_id"], id.as_str());
    r.drain().await.unwrap();
    assert_eq!(sink.to("zhang@home.cn").len(), 2);
    let detail = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    let last = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["kind"] == "comment")
        .unwrap()
        .clone();
    assert_eq!(last["data"]["body"], "型号是 JSQ20-10");
}

async fn a_reply_saying_not_fixed_reopens_a_resolved_ticket_and_thanks_do_not(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (channel, secret) = mail_channel(&app).await;
    let customer = crate::followup::customer(
        &app,
        &agent,
        "申江物业",
        json!({ "name": "陈主管", "email": "chen@shenjiang.cn" }),
    )
    .await;
    let thanked = crate::followup::resolved(&app, &agent, &customer, "门禁失灵").await;
    let broken = crate::followup::resolved(&app, &agent, &customer, "水泵异响").await;
    let reply = |id: &str, number: &str, body: &str| {
        mail(
            id,
            "chen@shenjiang.cn",
            &format!("Re: [{number}] 已完成"),
            "",
            body,
        )
    };
    let r = took(
        &app,
        &channel,
        &secret,
        &reply(
            "r1@sj.cn",
            thanked["number"].as_str().unwrap(),
            "好了，谢谢师傅",
        ),
    )
    .await;
    assert_eq!(r["outcome"], "appended");
    let r = took(
        &app,
        &channel,
        &secret,
        &reply(
            "r2@sj.cn",
            broken["number"].as_str().unwrap(),
            "还是不行，水泵还在响，没修好",
        ),
    )
    .await;
    assert_eq!(r["outcome"], "appended");
    let status = |t: &Value| {
        let id = t["id"].as_str().unwrap().to_owned();
        let app = &app;
        let agent = agent.clone();
        async move { app.read(&agent, &format!("/api/v1/tickets/{id}")).await }
    };
    assert_eq!(status(&thanked).await["status"], "resolved");
    let reopened = status(&broken).await;
    assert_eq!(reopened["status"], "in_progress");
    let last = reopened["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "reopen");
    assert_eq!(last["data"]["reason"], "还是不行，水泵还在响，没修好");
    assert_eq!(reopened["reopen_count"], 1);
}

/// Fuzzing the pipe: random bytes, random mutations of a real mail (its headers, charsets
/// and MIME boundaries cut, doubled or garbled), all answered 200 with one of the outcomes.
async fn any_bytes_piped_in_end_in_one_of_the_five_outcomes_and_never_a_server_error(
    backend: Backend,
) {
    use rand::{Rng, SeedableRng};
    let app = spawn_app(backend).await;
    let (channel, secret) = mail_channel(&app).await;
    let seed = mail(
        "seed@x.cn",
        "=?GB2312?B?sajQ3qO6v9W19w==?= <a@x.cn>",
        "=?UTF-8?Q?=E6=8A=A5=E4=BF=AE?=",
        "MIME-Version: 1.0\r\nIn-Reply-To: <wo.00000000-0000-0000-0000-000000000000.n@x>\r\n",
        "body",
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(22);
    for i in 0..150 {
        let raw: Vec<u8> = if i % 3 == 0 {
            (0..rng.gen_range(0..400)).map(|_| rng.gen()).collect()
        } else {
            let mut m = seed.clone();
            for _ in 0..rng.gen_range(1..8) {
                let at = rng.gen_range(0..m.len());
                match rng.gen_range(0..4) {
                    0 => m[at] = rng.gen(),
                    1 => {
                        m.truncate(at);
                    }
                    2 => {
                        let piece: Vec<u8> = m[at..].iter().take(40).copied().collect();
                        m.splice(at..at, piece);
                    }
                    _ => {
                        let header = b"\r\nContent-Type: multipart/mixed; boundary=\"";
                        m.splice(at..at, header.iter().copied());
                    }
                }
                if m.is_empty() {
                    break;
                }
            }
            m
        };
        let r = pipe(&app, &channel, &secret, &raw).await;
        assert_eq!(
            r.status(),
            200,
            "case {i}: {:?}",
            String::from_utf8_lossy(&raw)
        );
        let v: Value = r.json().await.unwrap();
        assert!(
            ["created", "appended", "duplicate", "ignored", "quarantined"]
                .contains(&v["outcome"].as_str().unwrap()),
            "{v}"
        );
    }
    // Nothing half-stored: every ticket made has its log line, and the other way round.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets").await,
        app.count("SELECT COUNT(*) FROM inbound_messages WHERE outcome = 'created'")
            .await
    );
}

async fn channels_are_kept_by_admins_with_their_fields_checked_and_secrets_never_shown(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent7", &["agent"], json!({})).await;
    for (path, method) in [
        ("/api/v1/channels", "GET"),
        ("/api/v1/channels", "POST"),
        ("/api/v1/channels/health", "GET"),
    ] {
        let body = json!({ "kind": "phone", "name": "x" });
        let status = app
            .send(method.parse().unwrap(), &agent, path, body)
            .await
            .0;
        assert_eq!(status, 403, "{method} {path}");
    }
    let app = &app;
    let bad = |body: Value| async move {
        let (status, b) = app
            .send(reqwest::Method::POST, &app.admin, "/api/v1/channels", body)
            .await;
        assert_eq!(status, 422, "{b}");
        b["field"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(bad(json!({ "kind": "fax", "name": "x" })).await, "kind");
    assert_eq!(
        bad(json!({ "kind": "email", "name": "x" })).await,
        "address"
    );
    assert_eq!(
        bad(json!({ "kind": "email", "name": "x", "address": "a@b.cn", "poll_seconds": 5 })).await,
        "poll_seconds"
    );
    assert_eq!(
        bad(json!({ "kind": "email", "name": "x", "address": "a@b.cn", "imap_host": "h" })).await,
        "imap_host"
    );
    assert_eq!(
        bad(
            json!({ "kind": "wecom", "name": "x", "corp_id": "ww1", "agent_id": "1", "token": "t",
            "encoding_aes_key": "short", "secret": "s" })
        )
        .await,
        "encoding_aes_key"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM channels").await, 0);

    let imap = "imaps://support%40loopdesk.test:S3cret-pass@127.0.0.1:993/INBOX";
    let mail = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "email", "name": "客服邮箱", "address": "support@loopdesk.test", "imap_url": imap }),
            201,
        )
        .await;
    let secret = mail["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    assert_eq!(
        mail["settings"]["imap_url"],
        "imaps://support%40loopdesk.test@127.0.0.1:993/INBOX"
    );
    let wecom = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "wecom", "name": "企业微信", "corp_id": "ww1", "agent_id": "1000002",
                "token": "tok-123", "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                "secret": "wecom-app-secret", "api_base": "http://127.0.0.1:9" }),
            201,
        )
        .await;
    assert!(wecom.get("secret").is_none());
    let id = wecom["id"].as_str().unwrap();
    assert_eq!(
        wecom["callback_url"],
        format!("/api/v1/channels/{id}/callback").as_str()
    );
    let listed = app
        .get(&app.admin, "/api/v1/channels")
        .await
        .text()
        .await
        .unwrap();
    for hidden in [
        &secret,
        "S3cret-pass",
        "tok-123",
        "wecom-app-secret",
        "abcdefghijklmnop",
    ] {
        assert!(!listed.contains(hidden), "{hidden} shown: {listed}");
    }
    let jobs = app
        .get(&app.admin, "/api/v1/jobs")
        .await
        .text()
        .await
        .unwrap();
    assert!(!jobs.contains(&secret));

    // A change keeps what it does not touch (the password, the generated secret); pausing
    // stops the pipe; removing the channel makes its secret worthless.
    let mail_id = mail["id"].as_str().unwrap();
    let (status, changed) = app
        .patch(
            &app.admin,
            &format!("/api/v1/channels/{mail_id}"),
            json!({ "poll_seconds": 30, "active": false }),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["settings"]["poll_seconds"], 30);
    assert_eq!(changed["active"], false);
    assert!(changed["secrets_set"]
        .as_array()
        .unwrap()
        .contains(&json!("imap_password")));
    let one = b"From: a@b.cn\r\nSubject: s\r\nMessage-ID: <p1@b.cn>\r\n\r\nhi\r\n";
    assert_eq!(pipe(app, mail_id, &secret, one).await.status(), 403);
    let (status, _) = app
        .patch(
            &app.admin,
            &format!("/api/v1/channels/{mail_id}"),
            json!({ "active": true }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(pipe(app, mail_id, &secret, one).await.status(), 200);
    let (status, b) = app
        .patch(
            &app.admin,
            &format!("/api/v1/channels/{mail_id}"),
            json!({ "corp_id": "x" }),
        )
        .await;
    assert_eq!((status, b["field"].as_str()), (422, Some("corp_id")));
    // The WeCom channel has no pipe.
    assert_eq!(pipe(app, id, "anything", one).await.status(), 401);
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &app.admin,
            &format!("/api/v1/channels/{mail_id}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(pipe(app, mail_id, &secret, one).await.status(), 401);
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

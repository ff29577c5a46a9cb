//! Support mailboxes fetched by IMAP from a real server: Debian's Dovecot, started by the test
//! on loopback with a mailbox of its own. Messages are put in with IMAP APPEND, as a mail
//! server delivering them would leave them.

use std::time::Duration;

use loopdesk_testkit::{Dovecot, PASSWORD, USER};
use serde_json::json;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_mailbox_is_taken_in_once_by_uid_and_watched_for_new_mail,
    a_mailbox_that_refuses_the_login_is_told_to_the_admins,
);

/// Dovecot on loopback, or `None` where it is not installed (CI sets
/// `LOOPDESK_REQUIRE_DOVECOT`, and then it must be).
async fn dovecot() -> Option<Dovecot> {
    if Dovecot::binary().is_none() {
        assert!(
            std::env::var_os("LOOPDESK_REQUIRE_DOVECOT").is_none(),
            "Dovecot (dovecot-imapd) is required here"
        );
        eprintln!("skipped: Dovecot is not installed");
        return None;
    }
    Some(Dovecot::start().await.unwrap())
}

fn message(id: &str, from: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {USER}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// The web layer's state over the test's store and clock, for what runs beside the server.
fn state(app: &TestApp) -> loopdesk_web::AppState {
    let web = loopdesk_web::WebConfig {
        max_upload_bytes: app.config.max_upload_bytes,
        secure_cookies: false,
        session_ttl: chrono::Duration::hours(1),
        login_attempts_per_minute: 10,
        public_url: app.url(""),
        webhook_allow: Vec::new(),
        metrics_token: None,
        trusted_proxies: Vec::new(),
        pdf_font: None,
        default_lang: loopdesk_core::i18n::Lang::default(),
    };
    let blobs = loopdesk::app::blobs(&app.config, &app.store);
    loopdesk_web::AppState::new(app.store.clone(), app.clock.clone(), web, blobs)
}

/// A mail channel fetching Dovecot's mailbox with `password`; answers its id.
async fn mailbox_channel(app: &TestApp, dovecot: &Dovecot, password: &str) -> String {
    let url = format!(
        "imap://support%40loopdesk.test:{password}@127.0.0.1:{}/INBOX",
        dovecot.port
    );
    let created = app
        .ok(
            &app.admin,
            "/api/v1/channels",
            json!({ "kind": "email", "name": "客服邮箱", "address": USER, "imap_url": url, "poll_seconds": 10 }),
            201,
        )
        .await;
    created["id"].as_str().unwrap().to_owned()
}

async fn inbound(app: &TestApp, id: &str) -> loopdesk_store::InboundChannel {
    app.store
        .inbound_channel(loopdesk_core::ChannelId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn a_mailbox_is_taken_in_once_by_uid_and_watched_for_new_mail(backend: Backend) {
    let Some(dovecot) = dovecot().await else {
        return;
    };
    let app = spawn_app(backend).await;
    let web = state(&app);
    let id = mailbox_channel(&app, &dovecot, PASSWORD).await;
    let channel = || inbound(&app, &id);
    let tickets = || app.count("SELECT COUNT(*) FROM tickets");

    dovecot
        .deliver(&message(
            "i1@home.cn",
            "zhang@home.cn",
            "热水器不出热水",
            "打不着火",
        ))
        .await
        .unwrap();
    dovecot
        .deliver(&message(
            "i2@home.cn",
            "li@home.cn",
            "空调漏水",
            "滴在地板上",
        ))
        .await
        .unwrap();
    let taken = loopdesk_web::mailboxes::fetch(&web, "t", &channel().await, false)
        .await
        .unwrap();
    assert_eq!(taken, 2);
    assert_eq!(tickets().await, 2);

    // Fetched again: nothing new by UID, nothing taken twice.
    let taken = loopdesk_web::mailboxes::fetch(&web, "t", &channel().await, false)
        .await
        .unwrap();
    assert_eq!(taken, 0);
    dovecot
        .deliver(&message(
            "i3@home.cn",
            "wang@home.cn",
            "冰箱不制冷",
            "冷藏室不冷",
        ))
        .await
        .unwrap();
    assert_eq!(
        loopdesk_web::mailboxes::fetch(&web, "t", &channel().await, false)
            .await
            .unwrap(),
        1
    );
    assert_eq!(tickets().await, 3);

    // The cursor lost (a restore, a crash before it was written): everything is looked at
    // again, and every message is a duplicate.
    app.raw_sql("UPDATE channel_cursors SET last_uid = 0")
        .await
        .unwrap();
    assert_eq!(
        loopdesk_web::mailboxes::fetch(&web, "t", &channel().await, false)
            .await
            .unwrap(),
        3
    );
    assert_eq!(tickets().await, 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM inbound_messages WHERE outcome = 'created'")
            .await,
        3
    );
    // Another instance holding the lease: this one leaves the mailbox alone.
    assert_eq!(
        loopdesk_web::mailboxes::fetch(&web, "other", &channel().await, false)
            .await
            .unwrap(),
        0
    );

    // Watching: new mail comes in as the server announces it (IDLE), well before the
    // channel's interval.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let watcher = tokio::spawn(loopdesk_web::mailboxes::watch(
        web.clone(),
        "t".into(),
        stopped,
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    dovecot
        .deliver(&message("i4@home.cn", "zhao@home.cn", "电梯异响", "三号梯"))
        .await
        .unwrap();
    let mut arrived = false;
    for _ in 0..80 {
        if tickets().await == 4 {
            arrived = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
    watcher.await.unwrap();
    assert!(arrived, "the watched mailbox took the new mail in");
    let health = app.read(&app.admin, "/api/v1/channels/health").await;
    assert_eq!(health[0]["fetch_failures"], 0);
    assert!(health[0]["last_fetch_at"].is_string());
}

/// Dovecot makes each failed login from one address wait longer (its auth penalty): this
/// test sleeps some seconds, beside the others.
async fn a_mailbox_that_refuses_the_login_is_told_to_the_admins(backend: Backend) {
    let Some(dovecot) = dovecot().await else {
        return;
    };
    let app = spawn_app(backend).await;
    let web = state(&app);
    let sink = crate::mail::SmtpSink::start().await;
    let runner = crate::followup::runner(&app, &sink);
    // One admin hears by mail as well as by the bell.
    app.user(
        "boss",
        &["admin"],
        json!({ "email": "boss@loopdesk.test", "notify_channel": "email" }),
    )
    .await;
    let id = mailbox_channel(&app, &dovecot, "wrong-Pa55").await;
    let channel = || inbound(&app, &id);
    // Refused, recorded; the third failure in a row tells the admins (once).
    for _ in 0..4 {
        let failed = loopdesk_web::mailboxes::fetch(&web, "t", &channel().await, false).await;
        assert!(failed.is_err());
    }
    let health = app.read(&app.admin, "/api/v1/channels/health").await;
    assert_eq!(health[0]["fetch_failures"], 4);
    assert!(
        health[0]["fetch_error"].as_str().unwrap().contains("login"),
        "{health}"
    );
    let bell = app.read(&app.admin, "/api/v1/notifications").await;
    let alerts: Vec<_> = bell["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "channel.failing")
        .collect();
    assert_eq!(alerts.len(), 1, "{bell}");
    runner.drain().await.unwrap();
    let mails = sink.to("boss@loopdesk.test");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].subject.contains("收信失败"),
        "{}",
        mails[0].subject
    );
    assert!(mails[0].body.contains("login") && !mails[0].body.contains("wrong-Pa55"));
    assert!(
        !bell.to_string().contains("wrong-Pa55"),
        "no password in the alert"
    );
    let page = app
        .client
        .get(app.url("/admin/channels"))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("收信失败") && !page.contains("wrong-Pa55"),
        "{page}"
    );
}

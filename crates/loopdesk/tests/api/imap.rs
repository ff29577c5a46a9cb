//! Support mailboxes fetched by IMAP from a real server: Debian's Dovecot, started by the test
//! on loopback with a mailbox of its own. Messages are put in with IMAP APPEND, as a mail
//! server delivering them would leave them.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_mailbox_is_taken_in_once_by_uid_and_watched_for_new_mail,
    a_mailbox_that_refuses_the_login_is_told_to_the_admins,
);

const USER: &str = "support@loopdesk.test";
const PASSWORD: &str = "mailbox-Pa55";

/// A Dovecot IMAP server on 127.0.0.1, stopped when dropped.
struct Dovecot {
    port: u16,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Dovecot {
    /// Starts one, or `None` where Dovecot is not installed (CI sets
    /// `LOOPDESK_REQUIRE_DOVECOT`, and then it must be).
    async fn start() -> Option<Dovecot> {
        let binary = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let Some(binary) = binary else {
            assert!(
                std::env::var_os("LOOPDESK_REQUIRE_DOVECOT").is_none(),
                "Dovecot (dovecot-imapd) is required here"
            );
            eprintln!("skipped: Dovecot is not installed");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["run", "state", "mail"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        // The mail is kept by an ordinary user: this one, or `nobody` when tests run as root
        // (Dovecot will not keep mail as root).
        let me = String::from_utf8(
            std::process::Command::new("id")
                .arg("-u")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
        .trim()
        .to_owned();
        let (uid, users) = if me == "0" {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(root.join("mail"), std::fs::Permissions::from_mode(0o777))
                .unwrap();
            ("65534".to_owned(), String::new())
        } else {
            let name = String::from_utf8(
                std::process::Command::new("id")
                    .arg("-un")
                    .output()
                    .unwrap()
                    .stdout,
            )
            .unwrap()
            .trim()
            .to_owned();
            (
                me,
                format!("default_internal_user = {name}\ndefault_login_user = {name}\n"),
            )
        };
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let r = root.display();
        let conf = format!(
            "base_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/log\n{users}\
             protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\nauth_failure_delay = 0\nlogin_trusted_networks = 127.0.0.0/8\nmail_location = maildir:{r}/mail/%u\nfirst_valid_uid = 0\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/users\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={uid} home={r}/mail/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n\
               inet_listener imaps {{\n    port = 0\n  }}\n}}\nservice anvil {{\n  chroot =\n}}\n"
        );
        std::fs::write(root.join("dovecot.conf"), conf).unwrap();
        std::fs::write(root.join("users"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let mut child = std::process::Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(Dovecot {
                    port,
                    child,
                    _dir: dir,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "Dovecot did not start: {}",
            std::fs::read_to_string(root.join("log")).unwrap_or_default()
        );
    }

    /// Puts a message into the mailbox (IMAP APPEND).
    async fn deliver(&self, raw: &str) {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap();
        let (r, mut w) = stream.into_split();
        let mut lines = BufReader::new(r).lines();
        let mut until = async |prefix: &str| loop {
            let line = lines.next_line().await.unwrap().expect("a line");
            assert!(
                !line.starts_with("a NO") && !line.starts_with("a BAD"),
                "{line}"
            );
            if line.starts_with(prefix) {
                return;
            }
        };
        until("* OK").await;
        w.write_all(format!("a LOGIN {USER} {PASSWORD}\r\n").as_bytes())
            .await
            .unwrap();
        until("a OK").await;
        let raw = raw.replace("\r\n", "\n").replace('\n', "\r\n");
        w.write_all(format!("a APPEND INBOX {{{}}}\r\n", raw.len()).as_bytes())
            .await
            .unwrap();
        until("+").await;
        w.write_all(raw.as_bytes()).await.unwrap();
        w.write_all(b"\r\n").await.unwrap();
        until("a OK").await;
        w.write_all(b"a LOGOUT\r\n").await.unwrap();
    }
}

fn message(id: &str, from: &str, subject: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: {USER}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

/// The web layer's state over the test's store and clock, for what runs beside the server.
fn state(app: &TestApp) -> loopdesk_web::AppState {
    let web = loopdesk_web::WebConfig {
        attachments_dir: app.config.data_dir.join("attachments"),
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
    loopdesk_web::AppState::new(app.store.clone(), app.clock.clone(), web)
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
    let Some(dovecot) = Dovecot::start().await else {
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
        .await;
    dovecot
        .deliver(&message(
            "i2@home.cn",
            "li@home.cn",
            "空调漏水",
            "滴在地板上",
        ))
        .await;
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
        .await;
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
        .await;
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
    let Some(dovecot) = Dovecot::start().await else {
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

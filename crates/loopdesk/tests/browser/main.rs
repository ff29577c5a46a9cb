//! Browser tests: Debian's Chromium, driven through chromedriver, against the real server.
//! Without `chromedriver` on the PATH they say so and pass, unless
//! `LOOPDESK_REQUIRE_BROWSER` is set (as `.ci/run` sets it, after installing both).
//! Screenshots of the pages land in `target/browser-screenshots/`.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use helpers::{spawn_app, spawn_app_with, Backend, TestApp, PASSWORD};

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(binary: &str) -> Option<String> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| format!("{dir}/{binary}"))
        .find(|p| std::path::Path::new(p).exists())
}

async fn driver() -> Option<Driver> {
    let Some(path) = find("chromedriver") else {
        assert!(
            std::env::var_os("LOOPDESK_REQUIRE_BROWSER").is_none(),
            "LOOPDESK_REQUIRE_BROWSER is set but chromedriver is not installed"
        );
        eprintln!(
            "skipped: chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{url}/status")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(Driver { child, url })
}

/// A headless Chromium window of `width` CSS pixels.
async fn browser(driver: &Driver, width: u32) -> Client {
    let binary = find("chromium").unwrap_or_else(|| "/usr/bin/chromium".into());
    // A phone is emulated (a headless window is never narrower than 500 px); a desktop is a
    // window of that size. The browser asks for Chinese pages first, as in China.
    let mut options = json!({
        "binary": binary,
        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,900", "--lang=zh-CN"],
        "prefs": { "intl.accept_languages": "zh-CN,zh" },
    });
    if width < 500 {
        options["mobileEmulation"] =
            json!({ "deviceMetrics": { "width": width, "height": 780, "pixelRatio": 2.0 } });
    }
    let caps = json!({ "goog:chromeOptions": options });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

fn screenshots() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shoot(c: &Client, name: &str) {
    // Nothing on the page was blocked by its Content-Security-Policy.
    let blocked = c
        .execute(
            "return document.documentElement.dataset.cspViolations || ''",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        blocked.as_str(),
        Some(""),
        "{name}: the page's policy blocked {blocked}"
    );
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn sign_in(c: &Client, app: &TestApp, username: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    submit_login(c, username).await;
}

/// Fills in the sign-in form on the page and sends it; waits until signed in.
async fn submit_login(c: &Client, username: &str) {
    for (field, value) in [("#username", username), ("#password", PASSWORD)] {
        let input = c.find(Locator::Css(field)).await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    click_on(c, "main form button[type=submit]").await;
    c.wait()
        .for_element(Locator::Css("header.top form[action='/logout']"))
        .await
        .unwrap();
}

/// Waits for the button labelled `label` in the page's main part and presses it.
async fn press(c: &Client, label: &str) {
    let xpath = format!("//main//button[normalize-space()='{label}']");
    c.wait()
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no button {label}: {e:?}"))
        .click()
        .await
        .unwrap();
}

/// Waits until the page's main part shows a badge reading `text` (a ticket's status).
async fn badge(c: &Client, text: &str) {
    let xpath = format!("//main//span[@class='badge' and normalize-space()='{text}']");
    c.wait()
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no badge {text}: {e:?}"));
}

/// The customer draws a signature on the report's canvas.
async fn sign_on_pad(c: &Client) {
    c.execute(
        "const pad = document.getElementById('pad'); const r = pad.getBoundingClientRect();
         const at = (x, y) => ({ clientX: r.left + x, clientY: r.top + y, pointerId: 1, bubbles: true });
         pad.dispatchEvent(new PointerEvent('pointerdown', at(10, 10)));
         for (let i = 1; i < 20; i++) pad.dispatchEvent(new PointerEvent('pointermove', at(10 + i * 8, 10 + (i % 5) * 6)));
         pad.dispatchEvent(new PointerEvent('pointerup', at(170, 30)));",
        vec![],
    )
    .await
    .unwrap();
}

/// The top and bottom of the menu's entries on the page, in pixels.
async fn nav_rows(c: &Client) -> (f64, f64) {
    let v = c
        .execute(
            "const r = [...document.querySelectorAll('header.top nav > *')].map(e => e.getBoundingClientRect());
             return [Math.min(...r.map(x => x.top)), Math.max(...r.map(x => x.bottom))];",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

/// What the page cost to load: bytes over the wire for the document and everything it
/// loaded, and whether it fits the window without scrolling sideways.
async fn weight_and_fit(c: &Client) -> (f64, bool) {
    let v = c
        .execute(
            "const nav = performance.getEntriesByType('navigation')[0];
             const res = performance.getEntriesByType('resource');
             const bytes = (nav ? nav.transferSize : 0) + res.reduce((s, r) => s + r.transferSize, 0);
             const fits = document.documentElement.scrollWidth <= window.innerWidth;
             return [bytes, fits];",
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_f64().unwrap(), v[1].as_bool().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_reports_a_fault_on_a_phone_and_follows_it() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (customer, _) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    app.user(
        "lilei",
        &["customer"],
        json!({ "customer_id": customer, "display_name": "李雷" }),
    )
    .await;
    let (other, _) = app.customer(&agent, "别家", "13900139000").await;
    app.user("wang", &["customer"], json!({ "customer_id": other }))
        .await;

    let c = browser(&driver, 360).await;
    // Asked for the portal, signed in, and back on it.
    c.goto(&app.url("/portal")).await.unwrap();
    assert!(c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("/login?next=/portal"));
    shoot(&c, "login").await;
    submit_login(&c, "lilei").await;
    c.wait()
        .for_element(Locator::Css("a.button"))
        .await
        .unwrap();
    assert!(c.current_url().await.unwrap().as_str().ends_with("/portal"));

    // The request form: an empty subject is refused by the browser itself; then the form is
    // sent twice in a row (a double click) and one request is recorded.
    app.ok(
        &app.admin,
        "/api/v1/categories",
        json!({ "code": "refrigeration", "name": "制冷设备",
        "required_fields": ["设备型号", "故障现象"] }),
        201,
    )
    .await;
    c.goto(&app.url("/portal/new")).await.unwrap();
    // The category shows its own fields (hidden until it is chosen); a photo from the phone.
    let model = c
        .find(Locator::Css("input[name='field.设备型号']"))
        .await
        .unwrap();
    assert!(!model.is_displayed().await.unwrap());
    c.find(Locator::Css("#category"))
        .await
        .unwrap()
        .select_by_value("refrigeration")
        .await
        .unwrap();
    assert!(model.is_displayed().await.unwrap());
    model.send_keys("X1").await.unwrap();
    type_into(&c, "input[name='field.故障现象']", "不制冷").await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("fault.png");
    std::fs::write(&photo, helpers::png()).unwrap();
    type_into(&c, "#photos", photo.to_str().unwrap()).await;
    type_into(&c, "#subject", "冷柜不制冷").await;
    type_into(&c, "#description", "两台冷柜都不制冷，昨晚开始").await;
    shoot(&c, "portal-new").await;
    c.execute(
        "const b = document.querySelector('main form button[type=submit]'); b.click(); b.click();",
        vec![],
    )
    .await
    .unwrap();
    c.wait()
        .for_element(Locator::Css("ol.progress"))
        .await
        .unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM attachments").await,
        1,
        "the photo, once"
    );
    let ticket_url = c.current_url().await.unwrap().to_string();
    let now = text_of(&c, "ol.progress li.now").await;
    assert_eq!(now, "已受理");
    let (bytes, fits) = weight_and_fit(&c).await;
    assert!(fits, "the ticket page fits a 360 px screen");
    assert!(bytes < 150_000.0, "the ticket page weighs {bytes} bytes");
    shoot(&c, "ticket-360").await;

    // An agent takes the request: the open page updates by itself.
    let id = ticket_url.rsplit('/').next().unwrap();
    let t = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(
        t["fields"],
        json!({ "设备型号": "X1", "故障现象": "不制冷" })
    );
    app.go(&agent, &t, json!({ "to": "in_progress" }), 200)
        .await;
    wait_xpath(
        &c,
        "//ol[@class='progress']/li[contains(@class, 'now') and normalize-space()='处理中']",
    )
    .await;

    // English, from the switch in the header, and it stays.
    click_on(&c, "a[hreflang=en]").await;
    c.wait()
        .for_element(Locator::Css("html[lang=en]"))
        .await
        .unwrap();
    c.goto(&app.url("/portal")).await.unwrap();
    let h1 = text_of(&c, "h1").await;
    assert_eq!(h1, "My requests");
    let (bytes, fits) = weight_and_fit(&c).await;
    assert!(fits && bytes < 150_000.0, "{bytes} bytes");
    shoot(&c, "portal-en").await;
    c.close().await.unwrap();

    // Another customer opening that address gets the not-found page.
    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "wang").await;
    c.goto(&ticket_url).await.unwrap();
    let h1 = text_of(&c, "h1").await;
    assert_eq!(h1, "未找到该对象");
    shoot(&c, "not-found").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engineer_accepts_sets_off_and_checks_in_on_a_phone() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, _) = app
        .user(
            "zhanggong",
            &["engineer"],
            json!({ "display_name": "张工" }),
        )
        .await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    // The model's checklist comes with the job.
    app.ok(
        &app.admin,
        "/api/v1/models",
        json!({ "code": "CR-9", "name": "冷库机组", "checklist": ["检查压缩机", "清洁冷凝器"] }),
        201,
    )
    .await;
    let asset = app.ok(&agent, "/api/v1/assets", json!({ "customer_id": customer, "site_id": site, "model": "CR-9", "serial": "CR9-001" }), 201).await;
    let urgent = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "channel": "phone", "asset_id": asset["id"],
        "subject": "冷库停机", "description": "整库温度上升", "priority": 1 }),
            201,
        )
        .await;
    let later = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "channel": "phone", "customer_id": customer, "site_id": site,
        "subject": "门灯不亮", "description": "", "priority": 4 }),
            201,
        )
        .await;
    for t in [&later, &urgent] {
        app.go(
            &agent,
            t,
            json!({ "to": "assigned", "assignee_id": eng_id }),
            200,
        )
        .await;
    }

    let c = browser(&driver, 360).await;
    sign_in(&c, &app, "zhanggong").await;
    // An engineer starts on their orders.
    c.wait()
        .for_element(Locator::XPath("//h1[normalize-space()='我的工单']"))
        .await
        .unwrap_or_else(|e| panic!("not on the orders page: {e:?}"));
    let first = text_of(&c, "a.card.order strong").await;
    assert!(first.contains("冷库停机"), "the most urgent first: {first}");
    shoot(&c, "engineer-orders").await;
    click_on(&c, "a.card.order").await;
    for (label, then) in [("接单", "已接单"), ("出发", "已出发")] {
        press(&c, label).await;
        badge(&c, then).await;
    }
    // Who and where: the contact to call and the way there in the phone's map.
    wait_xpath(&c, "//main//button[normalize-space()='到场签到']").await;
    assert!(text_of(&c, ".visit").await.contains("上海申江制冷"));
    let nav = c.find(Locator::Css(".nav a.button")).await.unwrap();
    assert!(nav
        .attr("href")
        .await
        .unwrap()
        .unwrap()
        .starts_with("geo:31.2304,121.4737"));
    shoot(&c, "engineer-on-the-way").await;
    // 2 km from the site (emulated): the phone asks before checking in, and a "no" sends
    // nothing.
    let at = |lat: f64| {
        format!(
            "navigator.geolocation.getCurrentPosition = function (ok) {{
               ok({{ coords: {{ latitude: {lat}, longitude: 121.4739, accuracy: 12 }} }}); }};"
        )
    };
    c.execute(&at(31.2484), vec![]).await.unwrap();
    press(&c, "到场签到").await;
    let mut asked = None;
    for _ in 0..50 {
        if let Ok(text) = c.get_alert_text().await {
            asked = Some(text);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let asked = asked.expect("a check-in beyond the geofence asks first");
    assert!(
        asked.contains("2.0 公里") && asked.contains("300 米"),
        "{asked}"
    );
    c.dismiss_alert().await.unwrap();
    let urgent_id = urgent["id"].as_str().unwrap();
    let t = app
        .read(&agent, &format!("/api/v1/tickets/{urgent_id}"))
        .await;
    assert_eq!(t["status"], "en_route", "declined: nothing was sent");
    // 25 m from the site: the check-in goes at once.
    c.execute(&at(31.2306), vec![]).await.unwrap();
    press(&c, "到场签到").await;
    wait_xpath(&c, "//p[contains(., '已签到')]").await;
    let status = text_of(&c, "main .card .badge").await;
    assert_eq!(status, "已到场");
    let (bytes, fits) = weight_and_fit(&c).await;
    assert!(fits && bytes < 150_000.0, "{bytes} bytes");
    shoot(&c, "engineer-on-site").await;
    let t = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", urgent["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(t["status"], "on_site");
    assert!(t["check_in"]["distance_m"].as_f64().unwrap() < 50.0);

    // The report: a photo before, the customer signs on the screen; without a photo after it
    // comes back saying so and keeping what was sent; with it, the order is resolved.
    press(&c, "开始处理").await;
    badge(&c, "处理中").await;
    c.wait()
        .for_element(Locator::XPath(
            "//main//a[normalize-space()='填写完工报告']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.png");
    std::fs::write(&photo, helpers::png()).unwrap();
    let photo = photo.to_str().unwrap();
    c.wait()
        .for_element(Locator::Css("#resolution"))
        .await
        .unwrap()
        .send_keys("更换冷凝风机，试机正常")
        .await
        .unwrap();
    click_on(&c, "input[name=done][value='检查压缩机']").await;
    type_into(&c, "#before", photo).await;
    sign_on_pad(&c).await;
    shoot(&c, "engineer-report").await;
    press(&c, "提交完工报告").await;
    let missing = c
        .wait()
        .for_element(Locator::Css("main div.card[role=alert]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        missing.contains("维修后照片") && !missing.contains("客户签字"),
        "{missing}"
    );
    assert_eq!(
        c.find_all(Locator::Css("input[name=kept_before]"))
            .await
            .unwrap()
            .len(),
        1,
        "the photo sent is kept"
    );
    assert_eq!(
        c.find_all(Locator::Css("input[name=kept_signature]"))
            .await
            .unwrap()
            .len(),
        1,
        "the signature too"
    );
    type_into(&c, "#after", photo).await;
    press(&c, "提交完工报告").await;
    badge(&c, "已完成待确认").await;
    let t = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", urgent["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(t["status"], "resolved");
    assert_eq!(app.count("SELECT COUNT(*) FROM work_reports").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM work_reports WHERE body LIKE '%\"item\":\"检查压缩机\",\"done\":true%' \
                   AND body LIKE '%\"item\":\"清洁冷凝器\",\"done\":false%'").await,
        1,
        "the checklist as ticked"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM attachments WHERE kind = 'signature'")
            .await,
        1
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_accepts_a_proposal_on_the_board() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    app.user("disp", &["dispatcher"], json!({})).await;
    let mut ids = Vec::new();
    for (name, lat) in [("near", 31.2394), ("far", 31.3020)] {
        let (id, token) = app
            .user(name, &["engineer"], json!({ "display_name": name }))
            .await;
        app.ready_engineer((&id, &token), json!({ "capacity": 3 }), (lat, 121.4737))
            .await;
        ids.push(id);
    }
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "channel": "phone", "customer_id": customer, "site_id": site,
        "subject": "冷柜不制冷", "description": "", "priority": 2 }),
            201,
        )
        .await;

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "disp").await;
    c.goto(&app.url("/dispatch")).await.unwrap();
    let dots = c
        .find_all(Locator::Css("svg.map circle"))
        .await
        .unwrap()
        .len();
    let orders = c
        .find_all(Locator::Css("svg.map rect[fill]"))
        .await
        .unwrap()
        .len();
    assert_eq!(
        (dots, orders),
        (2, 2),
        "two engineers and one order (and the frame)"
    );
    let proposal = text_of(&c, "main .card strong").await;
    assert_eq!(proposal, "near");
    let (bytes, fits) = weight_and_fit(&c).await;
    assert!(fits && bytes < 150_000.0, "{bytes} bytes");
    shoot(&c, "dispatch-board").await;
    press(&c, "采纳").await;
    wait_xpath(&c, "//p[contains(., '没有待派工单')]").await;
    let read = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(read["assignee_id"], ids[0].as_str());
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_assigns_by_hand_an_order_nobody_can_take() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    app.user("disp", &["dispatcher"], json!({})).await;
    // The only engineer is off duty: the engine proposes nobody.
    let (expert_id, _) = app
        .user("expert", &["engineer"], json!({ "display_name": "王师傅" }))
        .await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let t = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "channel": "phone", "customer_id": customer, "site_id": site,
                    "subject": "冷库停机", "description": "", "priority": 1 }),
            201,
        )
        .await;

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "disp").await;
    c.goto(&app.url("/dispatch")).await.unwrap();
    let first = text_of(&c, "main .card").await;
    shoot(&c, "dispatch-board-nobody").await;
    assert!(
        first.contains("冷库停机") && first.contains("暂无合适的工程师") && first.contains("离岗"),
        "{first}"
    );
    c.find(Locator::LinkText("手动派工"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("form.hand"))
        .await
        .unwrap();
    // The list narrows to the names typed (and Enter there sends nothing).
    let row = format!("//tbody[@id='hand-rows']/tr[.//input[@value='{expert_id}']]");
    let shown = |c: Client, row: String| async move {
        c.find(Locator::XPath(&row))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    };
    type_into(&c, "#find-engineer", "李\u{E007}").await;
    assert!(
        !shown(c.clone(), row.clone()).await,
        "another name hides 王师傅"
    );
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/dispatch/t/"));
    c.find(Locator::Css("#find-engineer"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    type_into(&c, "#find-engineer", "王").await;
    assert!(shown(c.clone(), row.clone()).await, "his name shows him");
    click_on(&c, &format!("input[value='{expert_id}']")).await;
    type_into(&c, "#note", "已电话联系王师傅，可以加班").await;
    shoot(&c, "dispatch-by-hand").await;
    press(&c, "派工").await;
    wait_xpath(&c, "//p[contains(., '已派工')]").await;
    shoot(&c, "dispatch-by-hand-done").await;
    let read = app
        .read(
            &agent,
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(read["assignee_id"], expert_id.as_str());
    c.close().await.unwrap();
}

/// chromedriver's own command to cut the network (`true`) or give it back (`false`).
#[derive(Debug)]
struct Offline(bool);

impl fantoccini::wd::WebDriverCompatibleCommand for Offline {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/chromium/network_conditions",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let conditions = json!({ "network_conditions": {
            "offline": self.0, "latency": 0,
            "download_throughput": 10_000_000, "upload_throughput": 10_000_000 } });
        (http::Method::POST, Some(conditions.to_string()))
    }
}

/// The engineer's phone loses the network as the report is sent: the report waits on the
/// phone (photos and signature included), the order stays in work, and when the network is
/// back it is sent by itself — and stored exactly once. The app is installable: a manifest
/// and a service worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_sent_without_network_is_kept_and_sent_once_when_it_returns() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (eng_id, engineer) = app
        .user("ligong", &["engineer"], json!({ "display_name": "李工" }))
        .await;
    let (customer, site) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let t = app
        .assigned_order(&agent, (&customer, &site), &eng_id, "冷柜不制冷")
        .await;
    let t = app.walk_on_site(&engineer, &t).await;
    app.go(&engineer, &t, json!({ "to": "in_progress" }), 200)
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    let status = || {
        let path = format!("/api/v1/tickets/{id}");
        let app = &app;
        let agent = agent.clone();
        async move {
            app.read(&agent, &path).await["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };

    let manifest: Value = reqwest::get(app.url("/manifest.webmanifest"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(manifest["start_url"], "/m");
    assert_eq!(manifest["display"], "standalone");

    let c = browser(&driver, 360).await;
    sign_in(&c, &app, "ligong").await;
    c.goto(&app.url(&format!("/m/t/{id}/report")))
        .await
        .unwrap();
    let worker = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.serviceWorker.ready.then(r => done(!!r.active), () => done(false));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(worker, json!(true), "the service worker runs");

    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.png");
    std::fs::write(&photo, helpers::png()).unwrap();
    let photo = photo.to_str().unwrap();
    c.wait()
        .for_element(Locator::Css("#resolution"))
        .await
        .unwrap()
        .send_keys("补充冷媒，试机正常")
        .await
        .unwrap();
    for field in ["#before", "#after"] {
        type_into(&c, field, photo).await;
    }
    sign_on_pad(&c).await;

    // The network goes; the report is sent; it waits on the phone.
    c.issue_cmd(Offline(true)).await.unwrap();
    let offline = c.execute("return navigator.onLine;", vec![]).await.unwrap();
    assert_eq!(offline, json!(false));
    press(&c, "提交完工报告").await;
    let queued = c
        .wait()
        .for_element(Locator::XPath(
            "//p[@data-queued and not(@hidden) and contains(., '已保存在手机上')]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(queued.starts_with('1'), "{queued}");
    shoot(&c, "engineer-offline-queued").await;
    assert_eq!(status().await, "in_progress");
    assert_eq!(app.count("SELECT COUNT(*) FROM work_reports").await, 0);
    // The network comes back: the report goes by itself, once.
    c.issue_cmd(Offline(false)).await.unwrap();
    let mut resolved = false;
    for _ in 0..150 {
        if status().await == "resolved" {
            resolved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        resolved,
        "the queued report was sent when the network came back"
    );
    // Dated by how long the phone held it (the queue sends its clock when done and when
    // sent): the browser's clock here is days from the test server's, and still it counts.
    let read = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    let resolve = read["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "resolve")
        .unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(resolve["at"].as_str().unwrap()).unwrap();
    let held = loopdesk_core::clock::Clock::now(&*app.clock) - at.with_timezone(&chrono::Utc);
    assert!(
        held >= chrono::Duration::zero() && held < chrono::Duration::minutes(5),
        "held {held}"
    );
    // Another page, another flush: the queue is empty and nothing more is stored.
    c.goto(&app.url(&format!("/m/t/{id}"))).await.unwrap();
    badge(&c, "已完成待确认").await;
    let left = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const r = indexedDB.open('loopdesk', 1);
             r.onsuccess = () => { const q = r.result.transaction('queue').objectStore('queue').count();
                                   q.onsuccess = () => done(q.result); };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(left, json!(0));
    assert_eq!(app.count("SELECT COUNT(*) FROM work_reports").await, 1);
    for kind in ["before", "after", "signature"] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM attachments WHERE kind = '{kind}'"
            ))
            .await,
            1,
            "{kind}"
        );
    }
    c.close().await.unwrap();
}

/// The text of the first element `css` selects.
async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Clicks the first element `css` selects.
async fn click_on(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
}

/// Types `text` into the first element `css` selects.
async fn type_into(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap()
}

/// Waits until an element `xpath` selects is on the page.
async fn wait_xpath(c: &Client, xpath: &str) {
    c.wait().for_element(Locator::XPath(xpath)).await.unwrap();
}

/// The text of every element `css` finds, in page order.
async fn texts(c: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in c.find_all(Locator::Css(css)).await.unwrap() {
        out.push(e.text().await.unwrap());
    }
    out
}

/// The whole loop by hand, four people in four browsers: a customer asks for help on a phone
/// with a photo; an agent finds them by their number and sees the request; a dispatcher
/// assigns it on the board; the engineer accepts, sets off, checks in where the phone says
/// they are, photographs before and after, records the part from the van, has the customer
/// sign and submits; the customer confirms the fix and rates the service. The ticket ends
/// `closed`, with every step on its timeline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_people_close_the_loop_in_their_browsers() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app
        .user(
            "xiaowang",
            &["agent"],
            json!({ "display_name": "客服小王" }),
        )
        .await;
    app.user(
        "disp",
        &["dispatcher"],
        json!({ "display_name": "调度老周" }),
    )
    .await;
    let (eng_id, engineer) = app
        .user(
            "zhanggong",
            &["engineer"],
            json!({ "display_name": "张工" }),
        )
        .await;
    let profile = json!({ "capacity": 3 });
    app.ready_engineer((&eng_id, &engineer), profile, (31.2394, 121.4737))
        .await;
    // The engineer's van carries five filters.
    app.ok(
        &app.admin,
        "/api/v1/parts",
        json!({ "sku": "FLT-01", "name": "滤芯", "unit": "个" }),
        201,
    )
    .await;
    let van = app
        .ok(
            &app.admin,
            "/api/v1/warehouses",
            json!({ "name": "沪A·12345", "kind": "van", "engineer_id": eng_id }),
            201,
        )
        .await;
    let van = van["id"].as_str().unwrap().to_owned();
    app.ok(
        &app.admin,
        "/api/v1/stock/movements",
        json!({ "kind": "receive", "sku": "FLT-01", "qty": 5, "to_warehouse_id": van }),
        201,
    )
    .await;
    let (customer, _) = app.customer(&agent, "上海申江制冷", "13800138000").await;
    app.user(
        "lilei",
        &["customer"],
        json!({ "customer_id": customer, "display_name": "李雷" }),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.png");
    std::fs::write(&photo, helpers::png()).unwrap();
    let photo = photo.to_str().unwrap();

    // 1. The customer, on a phone: a request with a photo.
    let phone = browser(&driver, 360).await;
    sign_in(&phone, &app, "lilei").await;
    phone.goto(&app.url("/portal/new")).await.unwrap();
    for (field, text) in [
        ("#subject", "冷柜不制冷"),
        ("#description", "两台冷柜都不制冷，昨晚开始"),
    ] {
        type_into(&phone, field, text).await;
    }
    type_into(&phone, "#photos", photo).await;
    press(&phone, "提交报修").await;
    phone
        .wait()
        .for_element(Locator::Css("ol.progress"))
        .await
        .unwrap();
    let ticket_url = phone.current_url().await.unwrap().to_string();
    let id = ticket_url.rsplit('/').next().unwrap().to_owned();
    let t = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(t["status"], "new");
    let number = t["number"].as_str().unwrap().to_owned();

    // 2. The agent takes a call from that number: the customer, their site and the request
    // are there before anyone says a word.
    let desk = browser(&driver, 1280).await;
    sign_in(&desk, &app, "xiaowang").await;
    desk.goto(&app.url("/desk/intake")).await.unwrap();
    type_into(&desk, "#phone", "13800138000").await;
    press(&desk, "查找").await;
    let card = desk
        .wait()
        .for_element(Locator::XPath("//main//div[contains(@class,'card')][h2]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        card.contains("上海申江制冷") && card.contains(&number) && card.contains("冷柜不制冷"),
        "{card}"
    );
    shoot(&desk, "walk-desk-intake").await;
    desk.close().await.unwrap();

    // 3. The dispatcher accepts the board's proposal: 张工.
    let board = browser(&driver, 1280).await;
    sign_in(&board, &app, "disp").await;
    board.goto(&app.url("/dispatch")).await.unwrap();
    let proposal = text_of(&board, "main .card strong").await;
    assert_eq!(proposal, "张工");
    press(&board, "采纳").await;
    wait_xpath(&board, "//p[contains(., '没有待派工单')]").await;
    // The staff ticket page says whom the ticket is for and who goes.
    board.goto(&app.url(&format!("/t/{id}"))).await.unwrap();
    let facts = text_of(&board, "dl.facts").await;
    assert!(facts.contains("张工") && facts.contains("P"), "{facts}");
    shoot(&board, "walk-ticket-staff").await;
    board.close().await.unwrap();

    // 4. The engineer, on their phone.
    let field = browser(&driver, 360).await;
    sign_in(&field, &app, "zhanggong").await;
    field
        .wait()
        .for_element(Locator::Css("a.card.order"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for (label, then) in [("接单", "已接单"), ("出发", "已出发")] {
        press(&field, label).await;
        badge(&field, then).await;
    }
    wait_xpath(&field, "//main//button[normalize-space()='到场签到']").await;
    field
        .execute(
            "navigator.geolocation.getCurrentPosition = function (ok) {
               ok({ coords: { latitude: 31.2306, longitude: 121.4739, accuracy: 12 } }); };",
            vec![],
        )
        .await
        .unwrap();
    press(&field, "到场签到").await;
    wait_xpath(&field, "//p[contains(., '已签到')]").await;
    press(&field, "开始处理").await;
    badge(&field, "处理中").await;
    field
        .wait()
        .for_element(Locator::XPath(
            "//main//a[normalize-space()='填写完工报告']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    field
        .wait()
        .for_element(Locator::Css("#resolution"))
        .await
        .unwrap()
        .send_keys("更换滤芯，补充冷媒，试机正常")
        .await
        .unwrap();
    for (css, value) in [
        ("#before", photo),
        ("#after", photo),
        ("input[name=sku_0]", "FLT-01"),
        ("input[name=qty_0]", "1"),
    ] {
        type_into(&field, css, value).await;
    }
    sign_on_pad(&field).await;
    shoot(&field, "walk-engineer-report").await;
    press(&field, "提交完工报告").await;
    badge(&field, "已完成待确认").await;
    field.close().await.unwrap();
    let stock = app
        .read(
            &app.admin,
            &format!("/api/v1/stock?warehouse_id={van}&sku=FLT-01"),
        )
        .await;
    assert_eq!(stock["items"][0]["on_hand"], 4, "the filter left the van");

    // 5. The customer's open page has moved on by itself; they confirm the fix.
    wait_xpath(
        &phone,
        "//ol[@class='progress']/li[contains(@class, 'now') and normalize-space()='已完成待确认']",
    )
    .await;
    phone.goto(&ticket_url).await.unwrap();
    press(&phone, "确认已修好").await;
    badge(&phone, "已关闭").await;
    // The survey goes out an hour after the fix; the ticket page offers it; they rate.
    app.clock.advance(chrono::Duration::minutes(61));
    let jobs = loopdesk_jobs::Runner::new(
        app.store.clone(),
        app.clock.clone(),
        "walk".into(),
        loopdesk_jobs::RunnerConfig::default(),
    )
    .unwrap();
    jobs.drain().await.unwrap();
    phone.goto(&ticket_url).await.unwrap();
    phone
        .wait()
        .for_element(Locator::XPath(
            "//main//a[normalize-space()='为本次服务评分']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for choice in ["input[name=csat][value='5']", "input[name=nps][value='9']"] {
        phone
            .wait()
            .for_element(Locator::Css(choice))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    type_into(&phone, "#comment", "师傅很专业").await;
    click_on(&phone, "button[type=submit]").await;
    wait_xpath(&phone, "//p[contains(., '感谢您的评价')]").await;

    // Closed, and every step is on the timeline, in order.
    phone.goto(&ticket_url).await.unwrap();
    let status = text_of(&phone, "main .card .badge").await;
    assert_eq!(status, "已关闭");
    let steps = texts(&phone, "ul.events li").await;
    let mut at = 0;
    for step in [
        "已受理",
        "已派工",
        "工程师已接单",
        "工程师已出发",
        "工程师已到场",
        "开始处理",
        "已完成，待确认",
        "客户确认，已关闭",
        "客户已评价",
    ] {
        let found = steps[at..].iter().position(|s| s.contains(step));
        assert!(found.is_some(), "{step} after step {at} in {steps:#?}");
        at += found.unwrap_or(0) + 1;
    }
    assert!(
        steps.iter().all(|s| !s.contains('_')),
        "every step has words, not codes: {steps:#?}"
    );
    let (bytes, fits) = weight_and_fit(&phone).await;
    assert!(fits && bytes < 150_000.0, "{bytes} bytes");
    shoot(&phone, "walk-closed").await;

    // The customer downloads the service report from the page: a PDF with the ticket's
    // number and what was done in its text.
    let link = phone
        .find(Locator::Css("a[href*='/service-report']"))
        .await
        .unwrap();
    assert_eq!(link.text().await.unwrap(), "服务报告（PDF）");
    let href = link.attr("href").await.unwrap().unwrap();
    let got = phone
        .execute(
            "return (async () => { const r = await fetch(arguments[0]);
               const b = new Uint8Array(await r.arrayBuffer()); let s = '';
               for (const x of b) s += String.fromCharCode(x);
               return [r.status, r.headers.get('content-type'), btoa(s)]; })()",
            vec![json!(href)],
        )
        .await
        .unwrap();
    assert_eq!(
        (got[0].as_i64(), got[1].as_str()),
        (Some(200), Some("application/pdf"))
    );
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(got[2].as_str().unwrap())
        .unwrap();
    let path = screenshots().join("walk-service-report.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let number = app.read(&agent, &format!("/api/v1/tickets/{id}")).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains(&number) && text.contains("更换滤芯，补充冷媒，试机正常"),
        "{text}"
    );
    phone.close().await.unwrap();

    let t = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(t["status"], "closed");
    assert_eq!(t["confirmed_by"], "customer");
    for (kind, n) in [("other", 1), ("before", 1), ("after", 1), ("signature", 1)] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM attachments WHERE kind = '{kind}'"
            ))
            .await,
            n,
            "{kind}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM surveys WHERE csat = 5 AND nps = 9")
            .await,
        1
    );
}

/// An agent finds a closed ticket from the header's search box: by a Chinese word that is not
/// a substring of what was typed (空调不制冷 for 空调开机后制冷效果差), and by the caller's
/// phone in another spelling; `/` puts the cursor in the box. The customer searches from the
/// portal and finds their own ticket, not another customer's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_finds_a_closed_ticket_by_a_word_and_by_a_phone() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app
        .user("xiaoli", &["agent"], json!({ "display_name": "客服小李" }))
        .await;
    let (customer, _) = app.customer(&agent, "华润置地", "13800138000").await;
    app.customer(&agent, "绿地集团", "13900139000").await;
    let open = |phone: &str, subject: &str| {
        let body = json!({ "subject": subject, "description": "客户来电", "priority": 3,
                           "channel": "phone", "contact_phone": phone });
        let app = &app;
        let agent = agent.clone();
        async move { app.ok(&agent, "/api/v1/tickets", body, 201).await }
    };
    let cold = open("13800138000", "三楼空调开机后制冷效果差").await;
    open("13900139000", "二楼空调漏水").await;
    let t = app
        .go(&agent, &cold, json!({ "to": "in_progress" }), 200)
        .await;
    let t = app
        .go(&agent, &t, json!({ "to": "resolved", "report": { "resolution": "清洗冷凝器，补充冷媒", "remote": true } }), 200)
        .await;
    app.go(
        &agent,
        &t,
        json!({ "to": "closed", "confirmation": { "by": "agent", "note": "客户电话确认已恢复" } }),
        200,
    )
    .await;
    let number = cold["number"].as_str().unwrap().to_owned();

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "xiaoli").await;
    // The queue's closed view has the ticket, with its count on the tab (it comes after
    // the page).
    c.goto(&app.url("/desk?view=recently_closed"))
        .await
        .unwrap();
    wait_xpath(
        &c,
        "//nav[contains(@class,'views')]//a[@aria-current='page']/span[@class='count' and text()='1']",
    )
    .await;
    assert!(text_of(&c, "table.queue").await.contains(&number));
    shoot(&c, "desk-queue-closed").await;
    // The language switch keeps the view; and back.
    for (tag, lang) in [("en", "en"), ("zh-CN", "zh-CN")] {
        click_on(&c, &format!("a[hreflang='{tag}']")).await;
        c.wait()
            .for_element(Locator::Css(&format!("html[lang='{lang}']")))
            .await
            .unwrap();
        let url = c.current_url().await.unwrap();
        assert_eq!(url.path(), "/desk");
        assert!(
            url.query_pairs()
                .any(|(k, v)| k == "view" && v == "recently_closed"),
            "{url}"
        );
    }
    c.goto(&app.url("/desk")).await.unwrap();
    // `/` from anywhere on the page puts the cursor in the box.
    c.execute(
        "document.body.dispatchEvent(new KeyboardEvent('keydown', { key: '/', bubbles: true }))",
        vec![],
    )
    .await
    .unwrap();
    let box_ = c.find(Locator::Css("#top-search")).await.unwrap();
    let focused = c
        .execute(
            "return document.activeElement && document.activeElement.id",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused.as_str(), Some("top-search"));
    box_.send_keys("空调不制冷\u{E007}").await.unwrap();
    c.wait()
        .for_element(Locator::Css("ol.results"))
        .await
        .unwrap();
    let titles = texts(&c, "ol.results .result-title").await;
    assert_eq!(titles, ["三楼空调开机后制冷效果差"], "{titles:?}");
    let marks = texts(&c, "ol.results .result-title mark").await;
    assert_eq!(marks, ["空调", "制冷"]);
    badge(&c, "已关闭").await;
    shoot(&c, "search-agent-word").await;

    // By the caller's phone, written another way: the ticket, and the customer.
    let input = c
        .find(Locator::Css("form.search-page input[name=q]"))
        .await
        .unwrap();
    input.clear().await.unwrap();
    input.send_keys("+86 138-0013-8000\u{E007}").await.unwrap();
    c.wait()
        .for_element(Locator::Css("ol.results"))
        .await
        .unwrap();
    let numbers = texts(&c, "ol.results .number").await;
    assert_eq!(numbers, [number.as_str()], "{numbers:?}");
    let kinds = texts(&c, "ol.results .badge.kind").await;
    assert!(kinds.contains(&"客户".to_owned()), "{kinds:?}");
    shoot(&c, "search-agent-phone").await;
    // The result opens the ticket page, where the resolution is.
    c.find(Locator::XPath(
        "//li[contains(@class, 'result')][.//span[@class='number']]//a",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    for _ in 0..50 {
        if c.current_url().await.unwrap().path().starts_with("/t/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(c.current_url().await.unwrap().path().starts_with("/t/"));
    wait_xpath(&c, &format!("//main//h1[contains(., '{number}')]")).await;

    // The customer, on the portal, finds their own ticket and not the other customer's.
    app.user(
        "huarun",
        &["customer"],
        json!({ "customer_id": customer, "display_name": "华润王经理" }),
    )
    .await;
    let p = browser(&driver, 390).await;
    sign_in(&p, &app, "huarun").await;
    p.goto(&app.url(&format!("/search?q={}", "%E7%A9%BA%E8%B0%83")))
        .await
        .unwrap();
    p.wait()
        .for_element(Locator::Css("ol.results"))
        .await
        .unwrap();
    let titles = texts(&p, "ol.results .result-title").await;
    assert_eq!(titles, ["三楼空调开机后制冷效果差"], "{titles:?}");
    let (_, fits) = weight_and_fit(&p).await;
    assert!(fits, "the results fit a phone's width");
    shoot(&p, "search-customer-phone").await;
    c.close().await.unwrap();
    p.close().await.unwrap();
}

/// A supervisor reviews a flagged report on `/review`, where the report itself shows (what was
/// done, labour, the photos), and sends it back with a note. The engineer's order shows the
/// note; the report form comes back filled in with what was sent, photos and signature kept;
/// changing only what was wrong and sending it again lands it back in review.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_sent_back_comes_back_to_the_engineer_filled_in_with_the_note() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    app.user("boss", &["supervisor"], json!({ "display_name": "李主管" }))
        .await;
    let (eng_id, engineer) = app
        .user(
            "zhanggong",
            &["engineer"],
            json!({ "display_name": "张工" }),
        )
        .await;
    let place = app.customer(&agent, "上海申江制冷", "13800138000").await;
    let t = app
        .assigned_order(&agent, (&place.0, &place.1), &eng_id, "电梯异响")
        .await;
    // Checked in 2 km from the site: the report is screened into review.
    let t = app.check_in_afar(&engineer, &t).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let files = app.report_files(&engineer, &id).await;
    let report = json!({ "resolution": "调整导轨，润滑导靴", "labour_minutes": 45,
        "before_photo_ids": [files[0]], "after_photo_ids": [files[1]], "signature_id": files[2] });
    let t = app.send_report(&engineer, &t, report).await;
    assert_eq!(t["status"], "in_review");

    let s = browser(&driver, 1280).await;
    sign_in(&s, &app, "boss").await;
    s.goto(&app.url("/review")).await.unwrap();
    let card = text_of(&s, ".report-summary").await;
    assert!(
        card.contains("调整导轨，润滑导靴") && card.contains("45"),
        "{card}"
    );
    let thumbs = s
        .find_all(Locator::Css(".report-summary .photos img"))
        .await
        .unwrap();
    assert_eq!(thumbs.len(), 3, "before, after and the signature");
    type_into(
        &s,
        &format!("#note-{id}"),
        "到场定位偏差 2 公里，请补拍导轨照片并说明",
    )
    .await;
    shoot(&s, "review-report-summary").await;
    press(&s, "退回处理").await;
    wait_xpath(&s, "//main//p[contains(., '没有待复核的报告')]").await;

    let e = browser(&driver, 390).await;
    sign_in(&e, &app, "zhanggong").await;
    e.goto(&app.url(&format!("/m/t/{id}"))).await.unwrap();
    let note = text_of(&e, ".rework .rework-note").await;
    assert_eq!(note, "到场定位偏差 2 公里，请补拍导轨照片并说明");
    shoot(&e, "engineer-sent-back-note").await;
    click_on(&e, ".rework a.button").await;
    let resolution = e
        .wait()
        .for_element(Locator::Css("#resolution"))
        .await
        .unwrap();
    assert_eq!(
        resolution.prop("value").await.unwrap().as_deref(),
        Some("调整导轨，润滑导靴")
    );
    let labour = e.find(Locator::Css("#labour")).await.unwrap();
    assert_eq!(labour.prop("value").await.unwrap().as_deref(), Some("45"));
    for (name, kept) in [
        ("kept_before", &files[0]),
        ("kept_after", &files[1]),
        ("kept_signature", &files[2]),
    ] {
        let v = e
            .find(Locator::Css(&format!("input[name={name}]")))
            .await
            .unwrap()
            .attr("value")
            .await
            .unwrap();
        assert_eq!(v.as_deref(), Some(kept.as_str()), "{name}");
    }
    shoot(&e, "engineer-report-prefilled").await;
    // Only what was wrong changes; the rest goes again as it was.
    resolution.send_keys("；已补拍导轨照片").await.unwrap();
    press(&e, "提交完工报告").await;
    for _ in 0..50 {
        if e.current_url().await.unwrap().path() == format!("/m/t/{id}") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let read = app.read(&agent, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(read["status"], "in_review", "{read}");
    let resolves: Vec<&Value> = read["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "resolve")
        .collect();
    assert_eq!(resolves.len(), 2, "{read}");
    assert_eq!(
        resolves[1]["data"]["resolution"],
        "调整导轨，润滑导靴；已补拍导轨照片"
    );
    // The photos and the signature went again with it.
    assert_eq!(resolves[1]["data"]["photos"], resolves[0]["data"]["photos"]);
    s.close().await.unwrap();
    e.close().await.unwrap();
}

/// Sends a key to the page as the keyboard would when nothing is being typed into.
async fn key(c: &Client, k: &str) {
    c.execute(
        "document.body.dispatchEvent(new KeyboardEvent('keydown', { key: arguments[0], bubbles: true, cancelable: true }))",
        vec![json!(k)],
    )
    .await
    .unwrap();
}

/// Waits until the page's path (and query) is `want`.
async fn wait_for_url(c: &Client, want: impl Fn(&url::Url) -> bool) -> url::Url {
    for _ in 0..50 {
        let at = c.current_url().await.unwrap();
        if want(&at) {
            return at;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never got there: {}", c.current_url().await.unwrap());
}

/// A dispatcher works the queue from the keyboard and in bulk: `?` lists the keys, `j`/`k`
/// move the current row, `x` selects it (the bulk bar counts), the header box selects the
/// page, a bulk priority change applies to the rows chosen, `Enter` opens the current row and
/// `a` its dispatch page; the due column counts down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_works_the_queue_from_the_keyboard_and_in_bulk() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    app.user(
        "xiaozhou",
        &["dispatcher"],
        json!({ "display_name": "调度小周" }),
    )
    .await;
    let (customer, site) = app.customer(&agent, "华润置地", "13800138000").await;
    let mut made = Vec::new();
    for subject in ["一楼空调漏水", "二楼冷柜不制冷", "三楼电梯异响"] {
        app.clock.advance(chrono::Duration::minutes(10));
        let body = json!({ "subject": subject, "priority": 3, "channel": "phone",
                           "customer_id": customer, "site_id": site });
        made.push(app.ok(&agent, "/api/v1/tickets", body, 201).await);
    }
    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "xiaozhou").await;
    c.goto(&app.url("/desk?view=open&sort=created"))
        .await
        .unwrap();
    // The due column counts down from the promise.
    let due = texts(&c, "table.queue time[data-due]").await;
    assert_eq!(due.len(), 3);
    // By the server's clock (the test's), not the browser's: P3s recorded minutes ago.
    assert!(due.iter().all(|d| d.starts_with('剩')), "{due:?}");
    key(&c, "?").await;
    let open = c
        .execute("return document.getElementById('keys-help').open", vec![])
        .await
        .unwrap();
    assert_eq!(open, json!(true), "? shows the keys");
    shoot(&c, "desk-keys-help").await;
    c.execute("document.getElementById('keys-help').close()", vec![])
        .await
        .unwrap();
    let current = || async {
        c.execute(
            "const r = document.querySelector('table.queue tr.current'); return r && r.querySelector('a').textContent",
            vec![],
        )
        .await
        .unwrap()
    };
    let number = |i: usize| json!(made[i]["number"].as_str().unwrap());
    key(&c, "j").await;
    assert_eq!(current().await, number(0));
    key(&c, "j").await;
    key(&c, "j").await;
    key(&c, "j").await;
    assert_eq!(current().await, number(2), "j stops at the last row");
    key(&c, "k").await;
    assert_eq!(current().await, number(1));
    key(&c, "x").await;
    assert_eq!(text_of(&c, "#selected-count").await, "1");
    key(&c, "k").await;
    key(&c, "x").await;
    assert_eq!(text_of(&c, "#selected-count").await, "2");
    click_on(&c, "input[data-select-all]").await;
    assert_eq!(text_of(&c, "#selected-count").await, "3");
    click_on(&c, "input[data-select-all]").await;
    assert_eq!(text_of(&c, "#selected-count").await, "0");
    // The first two rows to P1, with a reason.
    c.goto(&app.url("/desk?view=open&sort=created"))
        .await
        .unwrap();
    key(&c, "j").await;
    key(&c, "x").await;
    key(&c, "j").await;
    key(&c, "x").await;
    c.execute(
        "document.querySelector('.bulk-bar select[name=priority]').value = '1'",
        vec![],
    )
    .await
    .unwrap();
    type_into(&c, ".bulk-bar input[name=reason]", "客户是重点客户").await;
    shoot(&c, "desk-bulk-selected").await;
    press(&c, "改优先级").await;
    wait_xpath(&c, "//main//p[contains(., '已处理 2 张工单')]").await;
    shoot(&c, "desk-bulk-done").await;
    for (i, p) in [(0, 1), (1, 1), (2, 3)] {
        let t = app
            .read(
                &agent,
                &format!("/api/v1/tickets/{}", made[i]["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(t["priority"], p, "row {i}");
    }
    // Enter opens the current row; `a` its dispatch page, which returns to the queue.
    c.goto(&app.url("/desk?view=open&sort=created"))
        .await
        .unwrap();
    key(&c, "j").await;
    key(&c, "Enter").await;
    let id0 = made[0]["id"].as_str().unwrap().to_owned();
    wait_for_url(&c, |u| u.path() == format!("/t/{id0}")).await;
    // The ticket's page counts down to its resolution promise too.
    wait_xpath(&c, "//dl[contains(@class, 'facts')]//time[@data-due]").await;
    let due = text_of(&c, "dl.facts time[data-due]").await;
    assert!(due.starts_with('剩'), "{due}");
    c.goto(&app.url("/desk?view=open&sort=created"))
        .await
        .unwrap();
    key(&c, "j").await;
    key(&c, "j").await;
    key(&c, "a").await;
    let id1 = made[1]["id"].as_str().unwrap().to_owned();
    let at = wait_for_url(&c, |u| u.path() == format!("/dispatch/t/{id1}")).await;
    assert_eq!(at.query(), Some("from=desk"));
    c.close().await.unwrap();
}

/// An agent answers a number nobody knows: types the caller and the request into the
/// intake screen during the call, records both with one press, lands on the new ticket; the
/// customer is then in the list (found by any spelling of the number) with a card holding
/// the ticket, and gets a second contact from that card.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_records_a_new_caller_during_the_call() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    app.user("xiaoli", &["agent"], json!({ "display_name": "客服小李" }))
        .await;
    app.ok(
        &app.admin,
        "/api/v1/regions",
        json!({ "name": "徐汇" }),
        201,
    )
    .await;
    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "xiaoli").await;
    c.goto(&app.url("/desk/intake")).await.unwrap();
    type_into(&c, "#phone", "139 1234 5678").await;
    press(&c, "查找").await;
    wait_xpath(&c, "//form[@action='/desk/intake/new']").await;
    // The name box has the cursor: the agent types as the caller speaks.
    let focused = c
        .execute("return document.activeElement.id", vec![])
        .await
        .unwrap();
    assert_eq!(focused.as_str(), Some("new-name"));
    type_into(&c, "#new-name", "李女士").await;
    c.find(Locator::Css("#new-region option:nth-child(2)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_into(&c, "#new-address", "徐汇区漕溪北路 88 号 3 楼").await;
    type_into(&c, "#subject-new", "空调外机漏水").await;
    type_into(&c, "#description-new", "楼下邻居投诉滴水").await;
    shoot(&c, "intake-new-caller").await;
    press(&c, "建档并创建工单").await;
    let url = wait_for_url(&c, |u| u.path().starts_with("/t/")).await;
    assert!(text_of(&c, "main").await.contains("空调外机漏水"));
    shoot(&c, "intake-new-caller-ticket").await;

    c.goto(&app.url("/customers?q=%2B86-139-1234-5678"))
        .await
        .unwrap();
    let rows = texts(&c, "table.customers tbody tr").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].contains("李女士") && rows[0].contains("徐汇"),
        "{rows:?}"
    );
    shoot(&c, "customers-list").await;
    click_on(&c, "table.customers tbody a").await;
    wait_xpath(&c, "//h1[contains(., '李女士')]").await;
    let ticket = url.path().trim_start_matches("/t/").to_owned();
    wait_xpath(&c, &format!("//main//a[@href='/t/{ticket}']")).await;
    // A second contact from the card.
    c.execute(
        "document.querySelectorAll('main details.card').forEach(d => d.open = true)",
        vec![],
    )
    .await
    .unwrap();
    type_into(&c, "#contact_name", "王先生").await;
    type_into(&c, "#contact_phone", "021-6400 1234").await;
    click_on(&c, "form[action$='/contacts'] button[type=submit]").await;
    wait_xpath(&c, "//main//td[normalize-space()='王先生']").await;
    shoot(&c, "customer-card").await;
    let (bytes, fits) = weight_and_fit(&c).await;
    assert!(fits, "the card fits the window");
    assert!(bytes < 150_000.0, "the card weighs {bytes} bytes");
    c.close().await.unwrap();
}

/// An admin sets the organisation up from the pages: an SLA policy with its preview, a
/// calendar's holidays pasted, a warehouse, a part and goods received. Each page fits the
/// window and stays small.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_up_sla_and_stock_from_the_pages() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    app.user("boss", &["admin"], json!({ "display_name": "管理员老王" }))
        .await;
    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "boss").await;
    c.goto(&app.url("/admin")).await.unwrap();
    click_on(&c, "nav.views a[href='/admin/sla']").await;
    wait_xpath(&c, "//div[contains(@class,'sla-preview')]").await;
    // A new VIP policy: four hours to fix.
    c.execute(
        "document.querySelectorAll('main details').forEach(d => d.open = true)",
        vec![],
    )
    .await
    .unwrap();
    type_into(&c, "#policy-name", "VIP 四小时").await;
    c.find(Locator::Css("#policy-priority option[value='2']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_into(&c, "#policy-tier", "vip").await;
    type_into(&c, "#policy-first", "30").await;
    type_into(&c, "#policy-resolution", "240").await;
    click_on(&c, "form[action='/admin/sla/policies'] button[type=submit]").await;
    wait_xpath(&c, "//main//td[normalize-space()='VIP 四小时']").await;
    // The preview for a VIP P2 names it.
    c.goto(&app.url("/admin/sla?priority=2&tier=vip"))
        .await
        .unwrap();
    wait_xpath(
        &c,
        "//div[contains(@class,'sla-preview')]//strong[normalize-space()='VIP 四小时']",
    )
    .await;
    shoot(&c, "admin-sla").await;
    let (bytes, fits) = weight_and_fit(&c).await;
    assert!(fits, "the SLA page fits the window");
    assert!(bytes < 150_000.0, "the SLA page weighs {bytes} bytes");
    // Stock from nothing: a central store, a part, goods received.
    c.goto(&app.url("/stock")).await.unwrap();
    assert!(text_of(&c, "main").await.contains("还没有仓库"));
    c.execute(
        "document.querySelectorAll('main details').forEach(d => d.open = true)",
        vec![],
    )
    .await
    .unwrap();
    type_into(&c, "#wh-name", "上海中心仓").await;
    click_on(&c, "form[action='/stock/warehouses'] button[type=submit]").await;
    wait_for_url(&c, |u| {
        u.query().is_some_and(|q| q.starts_with("warehouse="))
    })
    .await;
    c.execute(
        "document.querySelectorAll('main details').forEach(d => d.open = true)",
        vec![],
    )
    .await
    .unwrap();
    type_into(&c, "#part-sku", "FLT-01").await;
    type_into(&c, "#part-name", "空调滤网").await;
    click_on(&c, "form[action='/stock/parts'] button[type=submit]").await;
    // The page after the part is added offers it (the URL alone says nothing: it was
    // /stock before too). Adding the part has been seen to take over half a minute on a
    // loaded machine (see the issue note): waited for longer than the usual.
    c.wait()
        .at_most(std::time::Duration::from_secs(120))
        .for_element(Locator::XPath(
            "//datalist[@id='parts']/option[@value='FLT-01']",
        ))
        .await
        .unwrap();
    c.execute(
        "document.querySelectorAll('main details').forEach(d => d.open = true)",
        vec![],
    )
    .await
    .unwrap();
    type_into(&c, "#receive-sku", "FLT-01").await;
    type_into(&c, "#receive-qty", "40").await;
    click_on(&c, "form[action='/stock/movements'] button[type=submit]").await;
    wait_xpath(&c, "//main//table//td[normalize-space()='空调滤网']").await;
    shoot(&c, "stock-set-up").await;
    let (_, fits) = weight_and_fit(&c).await;
    assert!(fits, "the stock page fits the window");
    c.close().await.unwrap();
}

/// The dashboard's charts are read on screen: every text in them at least 11 px, on a desktop
/// and on a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboards_charts_are_readable_on_a_desktop_and_a_phone() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    app.user("boss", &["manager"], json!({ "display_name": "经理" }))
        .await;
    // Two districts outlined; the customer's site (People's Square) lies in the first.
    for (name, west) in [("黄浦", 121.44), ("浦东", 121.50)] {
        let region = app
            .ok(&app.admin, "/api/v1/regions", json!({ "name": name }), 201)
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let east = west + 0.06;
        let (s, _) = app
            .send(
                reqwest::Method::PUT,
                &app.admin,
                &format!("/api/v1/regions/{region}/shape"),
                json!({ "type": "Polygon", "coordinates": [[[west, 31.20], [east, 31.20], [east, 31.26],
                    [west, 31.26], [west, 31.20]]] }),
            )
            .await;
        assert_eq!(s, 204);
    }
    let (customer, _) = app.customer(&agent, "华润置地", "13800138000").await;
    for subject in ["空调不制冷", "打印机卡纸", "门禁失灵"] {
        let t = app.ticket(&agent, &customer, subject).await;
        let t = app
            .go(&agent, &t, json!({ "to": "in_progress" }), 200)
            .await;
        app.go(
            &agent,
            &t,
            json!({ "to": "resolved", "report": { "resolution": "远程指导恢复", "remote": true } }),
            200,
        )
        .await;
    }
    // The dashboard's period ends now: the fixes lie an hour before it.
    app.clock.advance(chrono::Duration::hours(1));
    for (width, name) in [(1280, "dashboard-desktop"), (390, "dashboard-phone")] {
        let c = browser(&driver, width).await;
        sign_in(&c, &app, "boss").await;
        c.goto(&app.url("/dashboard")).await.unwrap();
        if c.find(Locator::Css("svg.chart text")).await.is_err() {
            panic!("{name}: no chart: {}", text_of(&c, "main").await);
        }
        let smallest = c
            .execute(
                "let least = 1e9;
                 for (const t of document.querySelectorAll('svg.chart text')) {
                   const svg = t.ownerSVGElement;
                   const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                   least = Math.min(least, parseFloat(t.getAttribute('font-size')) * scale);
                 }
                 return least;",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        assert!(smallest >= 11.0, "{name}: chart text at {smallest:.1} px");
        // The regional map: both districts drawn, their text as readable as the charts'.
        let map = c
            .execute(
                "const svg = document.querySelector('figure.map svg');
                 if (!svg) return null;
                 const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                 let least = 1e9;
                 for (const t of svg.querySelectorAll('text')) {
                   least = Math.min(least, parseFloat(t.getAttribute('font-size')) * scale);
                 }
                 return [svg.querySelectorAll('path').length, least];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(map[0].as_i64(), Some(2), "{name}: the map's regions: {map}");
        assert!(map[1].as_f64().unwrap() >= 11.0, "{name}: map text {map}");
        // Each duration says which statistic it is: MTTR the mean, the others the median.
        let cards = texts(&c, ".cards .kpi").await;
        let card = |title: &str| {
            cards
                .iter()
                .find(|k| k.starts_with(title))
                .cloned()
                .unwrap_or_default()
        };
        assert!(card("平均修复时长").contains("平均值"), "{cards:?}");
        assert!(card("首次响应时长").contains("中位数"), "{cards:?}");
        c.execute("document.querySelector('.charts').scrollIntoView()", vec![])
            .await
            .unwrap();
        shoot(&c, name).await;
        c.execute(
            "document.querySelector('figure.map').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
        shoot(&c, &format!("{name}-map")).await;
        c.close().await.unwrap();
    }
}

/// An agent finds a duplicate from the customer's card, is asked before merging it, and sees
/// the merge on the card; then imports customers from a sheet and reads the bad row back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_merges_a_duplicate_and_imports_a_sheet() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("xiaoli", &["agent"], json!({})).await;
    let (kept, _) = app.customer(&agent, "申江制冷", "13800138000").await;
    app.customer(&agent, "申江制冷（重复）", "13900139000")
        .await;
    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "xiaoli").await;
    c.goto(&app.url(&format!("/customers/{kept}")))
        .await
        .unwrap();
    click_on(&c, &format!("a[href='/customers/{kept}/merge']")).await;
    wait_xpath(&c, "//td[contains(., '申江制冷（重复）')]").await;
    shoot(&c, "customer-merge").await;
    // Dismissed, nothing happens; accepted, the duplicate is merged.
    click_on(&c, "form[data-confirm] button[type=submit]").await;
    let ask = c.get_alert_text().await.unwrap();
    assert!(
        ask.contains("申江制冷（重复）") && ask.contains("不能撤销"),
        "{ask}"
    );
    c.dismiss_alert().await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/merge"));
    click_on(&c, "form[data-confirm] button[type=submit]").await;
    c.accept_alert().await.unwrap();
    wait_xpath(&c, "//h2[contains(., '已合并的重复客户')]").await;
    assert!(text_of(&c, "main").await.contains("13900139000"));
    shoot(&c, "customer-merged").await;

    c.goto(&app.url("/customers/import")).await.unwrap();
    let sheet = std::env::temp_dir().join(format!("loopdesk-import-{}.csv", std::process::id()));
    std::fs::write(
        &sheet,
        "客户名称,电话,地址\r\n浦江电梯,13700137000,\r\n,13600136000,\r\n",
    )
    .unwrap();
    c.find(Locator::Css(
        "form:has(input[value=customers]) input[type=file]",
    ))
    .await
    .unwrap()
    .send_keys(sheet.to_str().unwrap())
    .await
    .unwrap();
    click_on(&c, "form:has(input[value=customers]) button[type=submit]").await;
    wait_xpath(&c, "//div[@role='alert']//td[normalize-space()='3']").await;
    shoot(&c, "customer-import-refused").await;
    let (bytes, fits) = weight_and_fit(&c).await;
    assert!(fits, "the import page fits the window");
    assert!(bytes < 150_000.0, "the import page weighs {bytes} bytes");
    let _ = std::fs::remove_file(&sheet);
    c.close().await.unwrap();
}

/// A manager opens the recurring problems on a desktop: this week's new fault stands first,
/// with the model its tickets concentrate on as a bar and the tickets linked.
#[tokio::test]
async fn a_manager_sees_this_weeks_new_fault_and_its_model() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    app.user("boss", &["manager"], json!({ "display_name": "经理" }))
        .await;
    let (customer, site) = app.customer(&app.admin, "连锁超市", "13800000099").await;
    let mut assets = Vec::new();
    for (code, name) in [
        ("FZ-9", "冷柜 FZ-9"),
        ("FZ-2", "冷柜 FZ-2"),
        ("FZ-5", "冷柜 FZ-5"),
    ] {
        app.ok(
            &app.admin,
            "/api/v1/models",
            json!({ "code": code, "name": name }),
            201,
        )
        .await;
        let a = app
            .asset(&app.admin, (&customer, &site), code, &format!("SN-{code}"))
            .await;
        assets.push(a["id"].as_str().unwrap().to_owned());
    }
    use loopdesk_core::clock::Clock;
    let now = app.clock.now();
    let at = |minutes: i64| {
        (now - chrono::Duration::minutes(minutes))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    // Five steady weeks of paper jams on every model, then nine freezer stops on FZ-9 (and
    // one on FZ-2) in the last week.
    let mut lines = String::new();
    for day in 0..35 {
        for (k, asset) in assets.iter().enumerate() {
            let created = day * 1440 + 60 + k as i64;
            lines.push_str(&format!(
                "{}\n",
                json!({ "external_id": format!("P-{day}-{k}"), "subject": "打印机卡纸",
                    "customer_id": customer, "asset_id": asset, "created_at": at(created),
                    "status": "closed", "closed_at": at(created - 30) })
            ));
        }
    }
    for k in 0..10 {
        let asset = if k < 9 { &assets[0] } else { &assets[1] };
        lines.push_str(&format!(
            "{}\n",
            json!({ "external_id": format!("S-{k}"), "subject": "冷柜自动停机",
                "description": "冷柜运行一段时间后自动停机", "customer_id": customer,
                "asset_id": asset, "created_at": at(600 * k + 90), "status": "new" })
        ));
    }
    import_tickets(&app, lines).await;

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "boss").await;
    c.goto(&app.url("/dashboard")).await.unwrap();
    // The menu leads there.
    click_on(&c, "nav details[data-group='analysis'] summary").await;
    click_on(&c, "nav a[href='/insights']").await;
    wait_xpath(&c, "//section[contains(@class,'problem')]").await;
    let first = text_of(&c, "section.problem h2").await;
    assert!(first.contains("停机"), "{first}");
    let shares = texts(&c, "section.problem .shares li").await;
    assert!(
        shares
            .iter()
            .any(|s| s.contains("冷柜 FZ-9") && s.contains("90%")),
        "{shares:?}"
    );
    let linked = texts(&c, "section.problem .problem-tickets a").await;
    assert_eq!(linked.len(), 10, "{linked:?}");
    shoot(&c, "insights-problems").await;
    // One click opens a problem record with the tickets; the cause found closes it.
    click_on(
        &c,
        "section.problem form[action='/insights/records'] button",
    )
    .await;
    let url = wait_for_url(&c, |u| u.path().starts_with("/problems/")).await;
    let linked = texts(&c, ".problem-tickets a").await;
    assert_eq!(linked.len(), 10, "{linked:?}");
    type_into(
        &c,
        "#root_cause",
        "FZ-9 启动继电器批次缺陷，已通知厂家批量更换",
    )
    .await;
    c.find(Locator::Css("#status option[value='resolved']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click_on(&c, "form[action^='/problems/'] button[type='submit']").await;
    wait_xpath(&c, "//h1/span[contains(@class,'ok')]").await;
    assert_eq!(c.current_url().await.unwrap().path(), url.path());
    assert!(text_of(&c, "h1").await.contains("已解决"));
    shoot(&c, "problem-record").await;
    c.goto(&app.url("/problems")).await.unwrap();
    let rows = texts(&c, "main table tbody tr").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    c.close().await.unwrap();
}

/// A supervisor sees on their desk, and a dispatcher on the board, the compressor job the
/// tenant's model expects to run late while its SLA clock is still green, with why, and hands
/// it on from there.
#[tokio::test]
async fn a_supervisor_sees_a_job_likely_to_run_late_before_its_clock_turns() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    app.user("sup", &["supervisor"], json!({ "display_name": "主管" }))
        .await;
    app.user("disp", &["dispatcher"], json!({ "display_name": "调度" }))
        .await;
    app.user("eng1", &["engineer"], json!({ "display_name": "王师傅" }))
        .await;
    for (code, name) in [("compressor", "压缩机"), ("printer", "打印机")] {
        app.ok(
            &app.admin,
            "/api/v1/categories",
            json!({ "code": code, "name": name }),
            201,
        )
        .await;
    }
    use loopdesk_core::clock::Clock;
    let now = app.clock.now();
    let at = |hours: i64| {
        (now - chrono::Duration::hours(hours)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    // Two months in which compressor repairs always ran past their 24 hours and printers never;
    // now a compressor job an hour old, its clock green.
    let mut lines = String::new();
    for k in 0..60 {
        let created = 60 * 24 - 20 * k;
        for (category, hours) in [("compressor", 30 + k % 18), ("printer", 2 + k % 20)] {
            lines.push_str(&format!(
                "{}\n",
                json!({ "external_id": format!("{category}-{k}"),
                    "subject": format!("{category} 维修"), "category": category,
                    "created_at": at(created), "status": "closed", "assignee": "eng1",
                    "resolved_at": at(created - hours), "closed_at": at(created - hours - 1) })
            ));
        }
    }
    lines.push_str(&format!(
        "{}\n",
        json!({ "external_id": "now", "subject": "冷库压缩机不启动", "category": "compressor",
            "created_at": at(1), "status": "in_progress", "assignee": "eng1" })
    ));
    import_tickets(&app, lines).await;

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "sup").await;
    c.goto(&app.url("/review")).await.unwrap();
    wait_xpath(
        &c,
        "//section[contains(@class,'predicted-late')]//div[contains(@class,'card')]",
    )
    .await;
    let card = text_of(&c, "section.predicted-late .card").await;
    assert!(card.contains("冷库压缩机不启动"), "{card}");
    assert!(card.contains('%'), "{card}");
    let reasons = texts(&c, "section.predicted-late .reasons li").await;
    assert!(reasons.iter().any(|r| r.contains("压缩机")), "{reasons:?}");
    shoot(&c, "review-predicted-late").await;
    click_on(&c, "section.predicted-late a.button").await;
    let url = wait_for_url(&c, |u| u.path().starts_with("/dispatch/t/")).await;
    assert_eq!(url.query(), Some("from=review"));
    c.close().await.unwrap();

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "disp").await;
    c.goto(&app.url("/dispatch")).await.unwrap();
    wait_xpath(
        &c,
        "//section[contains(@class,'predicted-late')]//div[contains(@class,'card')]",
    )
    .await;
    let card = text_of(&c, "section.predicted-late .card").await;
    assert!(card.contains("WO-"), "{card}");
    shoot(&c, "dispatch-predicted-late").await;
    c.close().await.unwrap();
}

/// An admin lets the category model set categories from 80 %; a mail that reads clearly gets
/// its category marked as the model's guess, and an agent confirms it with one click.
#[tokio::test]
async fn an_agent_confirms_the_category_the_model_guessed() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    app.user("agent1", &["agent"], json!({ "display_name": "坐席" }))
        .await;
    app.user("it-admin", &["admin"], json!({ "display_name": "管理员" }))
        .await;
    for (code, name) in [("elevator", "电梯"), ("printer", "打印机")] {
        app.ok(
            &app.admin,
            "/api/v1/categories",
            json!({ "code": code, "name": name }),
            201,
        )
        .await;
    }
    use loopdesk_core::clock::Clock;
    let now = app.clock.now();
    let at = |k: i64| {
        (now - chrono::Duration::hours(k + 1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let mut lines = String::new();
    for k in 0..40 {
        let (subject, category) = if k % 2 == 0 {
            (
                ["电梯困人", "电梯异响", "货梯门关不上"][(k / 2 % 3) as usize],
                "elevator",
            )
        } else {
            (
                ["打印机卡纸", "复印机缺墨", "打印有黑线"][(k / 2 % 3) as usize],
                "printer",
            )
        };
        lines.push_str(&format!(
            "{}\n",
            json!({ "external_id": format!("h-{k}"), "subject": subject, "category": category,
                "created_at": at(k), "status": "closed", "closed_at": at(k) })
        ));
    }
    import_tickets(&app, lines).await;
    app.ok(
        &app.admin,
        "/api/v1/triage/train",
        json!({ "target": "category" }),
        200,
    )
    .await;

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "it-admin").await;
    c.goto(&app.url("/admin/settings")).await.unwrap();
    type_into(&c, "#auto_category", "80").await;
    click_on(&c, "form[action='/admin/settings/triage'] button").await;
    wait_xpath(&c, "//section[@id='triage']//p[contains(@class,'notice')]").await;
    shoot(&c, "settings-auto-category").await;
    c.close().await.unwrap();
    assert_eq!(
        app.read(&app.admin, "/api/v1/triage/settings").await["auto_category_above"],
        0.8
    );

    // A mail comes in without a category; the job gives it the model's.
    let tenant = app.store.tenant_by_slug("default").await.unwrap().unwrap();
    let new = loopdesk_store::NewTicket {
        subject: "电梯困人了".into(),
        description: "三号楼电梯困人，请马上来".into(),
        priority: 3,
        channel: loopdesk_core::ticket::Channel::Email,
        customer_id: None,
        contact_phone: None,
        site_id: None,
        asset_id: None,
        category: None,
        fields: None,
    };
    let (t, _) = app
        .store
        .tenant(tenant.id)
        .create_ticket(&loopdesk_core::ticket::Actor::System, new, None, now)
        .await
        .unwrap();
    assert_eq!(
        loopdesk_jobs::triage::guess(&app.store, now).await.unwrap(),
        1
    );

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "agent1").await;
    c.goto(&app.url(&format!("/t/{}", t.id))).await.unwrap();
    wait_xpath(&c, "//dl[contains(@class,'facts')]").await;
    let facts = text_of(&c, "dl.facts").await;
    assert!(
        facts.contains("电梯") && facts.contains("模型推测"),
        "{facts}"
    );
    shoot(&c, "ticket-category-guessed").await;
    click_on(&c, "form[action$='/category'] button[type='submit']").await;
    wait_xpath(&c, "//dl[contains(@class,'facts')]").await;
    let facts = text_of(&c, "dl.facts").await;
    assert!(
        facts.contains("电梯") && !facts.contains("模型推测"),
        "{facts}"
    );
    c.close().await.unwrap();
    let d = app
        .read(&app.admin, &format!("/api/v1/tickets/{}", t.id))
        .await;
    assert_eq!(d["category_guessed"], false, "{d}");
}

/// A manager tries a tighter resolution promise on last month's tickets before changing the
/// policy: the page names the ticket that would have been late.
#[tokio::test]
async fn a_manager_replays_last_month_under_a_tighter_promise() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    app.user("boss", &["manager"], json!({ "display_name": "经理" }))
        .await;
    let (customer, _) = app.customer(&agent, "华东物业", "13800000066").await;
    let fixed = app.ticket(&agent, &customer, "打印机卡纸").await;
    app.clock.advance(chrono::Duration::hours(10));
    let agent = app.login("agent1", PASSWORD).await;
    app.resolve_remotely(&agent, &fixed, "清理卡纸").await;
    app.clock.advance(chrono::Duration::hours(1));

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "boss").await;
    c.goto(&app.url("/dashboard")).await.unwrap();
    click_on(&c, "nav details[data-group='analysis'] summary").await;
    click_on(&c, "nav a[href='/sla/what-if']").await;
    wait_xpath(&c, "//select[@id='replaces']").await;
    // The default policy (24 hours), tightened to 8.
    let options = texts(&c, "#replaces option").await;
    assert!(options.len() >= 2, "{options:?}");
    c.find(Locator::Css("#replaces option:nth-child(2)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_into(&c, "input[name='first']", "60").await;
    type_into(&c, "input[name='hours']", "8").await;
    click_on(&c, "form[action='/sla/what-if'] button").await;
    wait_xpath(&c, "//section[contains(@class,'whatif-result')]").await;
    let flips = texts(&c, "ul.flips li").await;
    assert_eq!(flips.len(), 1, "{flips:?}");
    assert!(
        flips[0].contains(fixed["number"].as_str().unwrap()),
        "{flips:?}"
    );
    assert!(flips[0].contains("原按时 → 将超时"), "{flips:?}");
    let totals = text_of(&c, "p.totals").await;
    assert!(totals.contains("共 1 单"), "{totals}");
    c.execute(
        "document.querySelector('section.whatif-result').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shoot(&c, "sla-what-if").await;
    c.close().await.unwrap();
}

/// An agent keeps a fixed ticket's resolution as knowledge with one click, sends the draft for
/// review, and a supervisor publishes it; it is then offered at intake.
#[tokio::test]
async fn a_fix_becomes_a_published_article() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app
        .user("agent1", &["agent"], json!({ "display_name": "坐席" }))
        .await;
    app.user("sup1", &["supervisor"], json!({ "display_name": "主管" }))
        .await;
    let (customer, _) = app.customer(&agent, "华东物业", "13800000044").await;
    let ticket = app
        .ok(
            &agent,
            "/api/v1/tickets",
            json!({ "subject": "冷库压缩机不启动", "description": "三号冷库压缩机上电无反应",
                    "priority": 2, "channel": "phone", "customer_id": customer }),
            201,
        )
        .await;
    app.resolve_remotely(&agent, &ticket, "指导客户复位过载保护器后恢复运行")
        .await;

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "agent1").await;
    c.goto(&app.url(&format!("/t/{}", ticket["id"].as_str().unwrap())))
        .await
        .unwrap();
    click_on(&c, "form[action$='/article-draft'] button").await;
    wait_for_url(&c, |u| u.path().starts_with("/kb/")).await;
    let text = text_of(&c, ".article-body").await;
    assert!(text.contains("三号冷库压缩机上电无反应"), "{text}");
    assert!(text.contains("指导客户复位过载保护器后恢复运行"), "{text}");
    assert!(text_of(&c, "h1").await.contains("草稿"));
    press(&c, "提交审核").await;
    wait_xpath(&c, "//h1/span[contains(@class,'warning')]").await;
    c.close().await.unwrap();

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "sup1").await;
    c.goto(&app.url("/dashboard")).await.unwrap();
    click_on(&c, "nav a[href='/kb']").await;
    click_on(&c, "table.articles a").await;
    press(&c, "发布").await;
    wait_xpath(&c, "//h1/span[contains(@class,'ok')]").await;
    shoot(&c, "kb-article").await;
    c.close().await.unwrap();

    let t = app
        .ok(
            &agent,
            "/api/v1/triage",
            json!({ "subject": "冷库压缩机启动不了" }),
            200,
        )
        .await;
    assert_eq!(t["articles"][0]["title"], "冷库压缩机不启动", "{t}");
}

/// A customer starts a request on the portal; while they type, the public article about the
/// fault is offered, and it solves their problem: nothing is filed, a deflection is counted.
#[tokio::test]
async fn a_customer_solves_it_with_an_article_before_filing() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let (_, agent) = app.user("agent1", &["agent"], json!({})).await;
    let (_, sup) = app.user("sup1", &["supervisor"], json!({})).await;
    let (_, boss) = app.user("boss", &["manager"], json!({})).await;
    let (customer, _) = app.customer(&agent, "华东物业", "13800000033").await;
    app.user("cust1", &["customer"], json!({ "customer_id": customer }))
        .await;
    let a = app
        .ok(
            &agent,
            "/api/v1/articles",
            json!({ "title": "空调不制冷怎么办", "visibility": "public",
                    "body": "## 先自己检查\n\n- 遥控器是否设成了制冷模式\n- 滤网是否堵塞，取下用清水冲洗" }),
            201,
        )
        .await;
    let path = format!("/api/v1/articles/{}", a["id"].as_str().unwrap());
    let (s, _) = app
        .patch(&sup, &path, json!({ "version": 1, "state": "published" }))
        .await;
    assert_eq!(s, 200);

    let c = browser(&driver, 412).await;
    sign_in(&c, &app, "cust1").await;
    c.goto(&app.url("/portal/new")).await.unwrap();
    type_into(&c, "#subject", "客厅空调不制冷").await;
    wait_xpath(&c, "//div[contains(@class,'kb-suggestions')]//a").await;
    let offered = texts(&c, ".kb-suggestions a").await;
    assert_eq!(offered, vec!["空调不制冷怎么办".to_owned()]);
    shoot(&c, "portal-article-offered").await;
    let href = c
        .find(Locator::Css(".kb-suggestions a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    c.goto(&app.url(&href)).await.unwrap();
    let steps = texts(&c, ".article-body li").await;
    assert_eq!(steps.len(), 2, "{steps:?}");
    press(&c, "问题已解决，不用再报修了").await;
    wait_xpath(&c, "//p[contains(@class,'notice')]").await;
    c.close().await.unwrap();
    let figures = app.read(&boss, "/api/v1/knowledge/figures").await;
    assert_eq!(figures["deflections"], 1, "{figures}");
    assert_eq!(
        app.read(&agent, "/api/v1/tickets").await["items"],
        json!([]),
        "nothing was filed"
    );
}

/// Moves JSON lines in as another system's tickets, as the admin.
async fn import_tickets(app: &TestApp, lines: String) {
    let r = app
        .client
        .post(app.url("/api/v1/import/tickets"))
        .bearer_auth(&app.admin)
        .header("content-type", "application/x-ndjson")
        .body(lines)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// An admin moves another system's tickets in from the admin page: a file with a bad line is
/// refused with that line named and nothing stored; the corrected file imports, and sent
/// again skips every line.
#[tokio::test]
async fn an_admin_moves_old_tickets_in_from_a_file() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    use loopdesk_core::clock::Clock;
    let day = |d: i64| {
        (app.clock.now() - chrono::Duration::days(d))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let good = [
        json!({ "external_id": "OLD-1", "subject": "空调不制冷", "created_at": day(30),
            "status": "closed", "closed_at": day(29), "csat": 5 }),
        json!({ "external_id": "OLD-2", "subject": "电梯异响", "created_at": day(3),
            "status": "new" }),
    ];
    let bad = json!({ "external_id": "OLD-3", "subject": "冷柜停机", "created_at": day(2),
        "status": "resolved" });
    let file = std::env::temp_dir().join(format!("loopdesk-tickets-{}.jsonl", std::process::id()));
    let upload = |lines: Vec<Value>| {
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&file, body).unwrap();
        file.to_str().unwrap().to_owned()
    };
    app.user("it-admin", &["admin"], json!({})).await;
    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "it-admin").await;
    c.goto(&app.url("/admin")).await.unwrap();
    click_on(&c, "a[href='/admin/import-tickets']").await;
    let path = upload(vec![good[0].clone(), good[1].clone(), bad]);
    send_file(&c, &path).await;
    wait_xpath(&c, "//div[@role='alert']//td[normalize-space()='3']").await;
    let fault = text_of(&c, "div[role=alert] tbody tr").await;
    assert!(fault.contains("resolved_at"), "{fault}");
    shoot(&c, "ticket-import-refused").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);

    let path = upload(good.to_vec());
    send_file(&c, &path).await;
    wait_xpath(&c, "//p[@role='status']").await;
    assert!(text_of(&c, "p[role=status]").await.contains("已导入 2 单"));
    shoot(&c, "ticket-import-done").await;
    send_file(&c, &path).await;
    wait_xpath(&c, "//p[@role='status'][contains(., '跳过 2 单')]").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 2);
    let _ = std::fs::remove_file(&file);
    c.close().await.unwrap();
}

/// Chooses `path` in the ticket import's file field and sends the form.
async fn send_file(c: &Client, path: &str) {
    c.find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(path)
        .await
        .unwrap();
    click_on(c, "form[action='/admin/import-tickets'] button").await;
}

/// A supervisor finds that one model's compressors fail about every 300 days and makes that a
/// preventive plan over the customer's contract in one press; the admin chooses which
/// screening findings hold a report for review; an agent finds a published article from the
/// search box.
#[tokio::test]
async fn a_supervisor_plans_maintenance_from_a_suggestion_and_the_admin_sets_screening() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    app.user("sup1", &["supervisor"], json!({ "display_name": "主管" }))
        .await;
    app.user("it-admin", &["admin"], json!({ "display_name": "管理员" }))
        .await;
    app.user("agent1", &["agent"], json!({ "display_name": "坐席" }))
        .await;
    let (customer, site) = app.customer(&app.admin, "连锁超市", "13800000066").await;
    let category = json!({ "code": "compressor", "name": "压缩机" });
    app.ok(&app.admin, "/api/v1/categories", category, 201)
        .await;
    let start = chrono::NaiveDate::from_ymd_opt(2022, 1, 3).unwrap();
    let mut lines = String::new();
    let mut units = Vec::new();
    for u in 0..6i64 {
        let body = json!({ "customer_id": customer, "site_id": site, "model": "X9",
            "serial": format!("X9-{u}"), "installed_on": start.to_string() });
        let unit = app.ok(&app.admin, "/api/v1/assets", body, 201).await;
        let mut day = 0;
        for k in 0..3 {
            day += 300 + (u * 7 + k * 11) % 40 - 20;
            let at = format!("{}T02:00:00Z", start + chrono::Duration::days(day));
            lines.push_str(&format!(
                "{}\n",
                json!({ "external_id": format!("w-{u}-{k}"), "subject": "压缩机不启动",
                    "category": "compressor", "customer_id": customer, "asset_id": unit["id"],
                    "created_at": at, "status": "closed", "closed_at": at })
            ));
        }
        units.push(unit["id"].clone());
    }
    import_tickets(&app, lines).await;
    let contract = json!({ "customer_id": customer, "name": "HT-超市-2026", "starts_on": "2026-01-01",
        "ends_on": "2027-12-31", "asset_ids": units });
    app.ok(&app.admin, "/api/v1/contracts", contract, 201).await;

    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "sup1").await;
    // The supervisor's menu fits one line; the analysis pages open under one heading.
    c.goto(&app.url("/review")).await.unwrap();
    let (top, bottom) = nav_rows(&c).await;
    assert!(bottom - top < 40.0, "the menu wraps: {top}..{bottom}");
    click_on(&c, "nav details[data-group='analysis'] summary").await;
    shoot(&c, "menu-analysis-open").await;
    click_on(&c, "nav a[href='/insights']").await;
    wait_for_url(&c, |u| u.path() == "/insights").await;
    click_on(&c, "main a[href='/insights/maintenance']").await;
    wait_xpath(&c, "//section[contains(@class,'wear')]").await;
    let heading = text_of(&c, "section.wear h2").await;
    assert!(
        heading.contains("X9") && heading.contains("压缩机"),
        "{heading}"
    );
    let why = text_of(&c, "section.wear p").await;
    assert!(
        why.contains("6 台设备") && why.contains("天保养一次"),
        "{why}"
    );
    shoot(&c, "maintenance-suggestions").await;
    click_on(&c, "section.wear form button").await;
    wait_xpath(&c, "//p[contains(@class,'notice')]").await;
    let plans = app.read(&app.admin, "/api/v1/maintenance/plans").await;
    assert_eq!(plans["items"][0]["model"], "X9", "{plans}");
    c.close().await.unwrap();

    // The admin holds reports for a short visit too, and no longer for a part's model.
    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "it-admin").await;
    c.goto(&app.url("/admin")).await.unwrap();
    shoot(&c, "menu-admin").await;
    let (top, bottom) = nav_rows(&c).await;
    assert!(
        bottom - top < 40.0,
        "the admin's menu wraps: {top}..{bottom}"
    );
    c.goto(&app.url("/admin/settings#screening")).await.unwrap();
    click_on(&c, "input[name='block_part_not_for_model']").await;
    click_on(&c, "input[name='block_short_visit']").await;
    shoot(&c, "settings-screening").await;
    click_on(&c, "form[action='/admin/settings/screening'] button").await;
    wait_xpath(
        &c,
        "//section[@id='screening']//p[contains(@class,'notice')]",
    )
    .await;
    // What the admin just did is in the audit log, with the sign-in before it.
    c.goto(&app.url("/admin")).await.unwrap();
    click_on(&c, "main a[href='/admin/audit']").await;
    wait_xpath(&c, "//table[contains(@class,'audit')]").await;
    let rows = texts(&c, "table.audit tbody tr").await;
    assert!(
        rows[0].contains("系统设置") && rows[0].contains("it-admin"),
        "{rows:?}"
    );
    assert!(rows.iter().any(|r| r.contains("登录")), "{rows:?}");
    shoot(&c, "audit-log").await;
    let chosen = app.read(&app.admin, "/api/v1/screening/settings").await;
    assert_eq!(
        chosen["blocking"],
        json!([
            "check_in_outside_geofence",
            "short_visit",
            "same_photo_before_after",
            "photo_reused"
        ])
    );
    c.close().await.unwrap();

    // A published article answers from the search box.
    let article = app
        .ok(
            &app.admin,
            "/api/v1/articles",
            json!({ "title": "压缩机不启动的排查", "body": "## 处理\n\n- 检查启动电容\n- 测量绕组电阻" }),
            201,
        )
        .await;
    let path = format!("/api/v1/articles/{}", article["id"].as_str().unwrap());
    let (s, _) = app
        .patch(
            &app.admin,
            &path,
            json!({ "version": 1, "state": "published" }),
        )
        .await;
    assert_eq!(s, 200);
    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "agent1").await;
    c.goto(&app.url("/desk")).await.unwrap();
    type_into(&c, "#top-search", "启动电容\u{E007}").await;
    wait_xpath(&c, "//ol[contains(@class,'results')]").await;
    click_on(&c, "nav.tabs a[href*='kind=article']").await;
    wait_xpath(&c, "//ol[contains(@class,'results')]//mark").await;
    let found = texts(&c, "ol.results li").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("压缩机不启动的排查"), "{found:?}");
    shoot(&c, "search-articles").await;
    click_on(&c, "ol.results li a").await;
    wait_for_url(&c, |u| u.path().starts_with("/kb/")).await;
    c.close().await.unwrap();
}

/// An admin makes admins use a second factor: their next page is the account page, where they
/// scan the app's QR code and confirm a first code; signing in again asks for a code after
/// the password, and a wrong one says so and keeps the form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_turns_on_two_step_verification_and_signs_in_with_a_code() {
    use loopdesk_core::clock::Clock;
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    app.user(
        "sec-admin",
        &["admin"],
        json!({ "display_name": "安全管理员" }),
    )
    .await;
    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "sec-admin").await;
    // The name in the header leads to the account's security.
    let name = text_of(&c, "header.top a[href='/account/security']").await;
    assert_eq!(name, "安全管理员");
    c.goto(&app.url("/account/security")).await.unwrap();
    wait_xpath(&c, "//form[@action='/admin/security/roles']").await;
    click_on(&c, "input[name='role_admin']").await;
    click_on(
        &c,
        "form[action='/admin/security/roles'] button[type=submit]",
    )
    .await;
    wait_for_url(&c, |u| u.query() == Some("done=roles")).await;
    // Any other page now sends the admin back here until they enrol.
    c.goto(&app.url("/desk")).await.unwrap();
    wait_for_url(&c, |u| u.path() == "/account/security").await;
    click_on(&c, "form[action='/account/security/enrol'] button").await;
    wait_xpath(&c, "//div[contains(@class,'qr')]/*[local-name()='svg']").await;
    shoot(&c, "two-factor-enrol").await;
    let key = text_of(&c, "#totp-secret").await;
    let secret = loopdesk_core::totp::Secret::from_base32(&key).expect("the key shown");
    let code = |steps: i64| {
        format!(
            "{:06}",
            secret.code(loopdesk_core::totp::step_of(app.clock.now()) + steps)
        )
    };
    type_into(&c, "#confirm-code", &code(0)).await;
    click_on(&c, "form[action='/account/security/confirm'] button").await;
    wait_for_url(&c, |u| u.query() == Some("done=on")).await;
    c.goto(&app.url("/desk")).await.unwrap();
    wait_for_url(&c, |u| u.path() == "/desk").await;

    // Signing in again (a fresh browser: no session): the password, then the code.
    c.delete_all_cookies().await.unwrap();
    c.goto(&app.url("/login?next=/desk")).await.unwrap();
    type_into(&c, "#username", "sec-admin").await;
    type_into(&c, "#password", PASSWORD).await;
    click_on(&c, "main form button[type=submit]").await;
    wait_xpath(&c, "//input[@id='totp']").await;
    shoot(&c, "two-factor-code").await;
    app.clock.advance(chrono::Duration::seconds(30));
    let wrong = if code(0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    type_into(&c, "#totp", wrong).await;
    click_on(&c, "main form button[type=submit]").await;
    wait_xpath(&c, "//p[@role='alert']").await;
    let said = text_of(&c, "p[role='alert']").await;
    assert!(said.contains("动态码不正确"), "{said}");
    type_into(&c, "#totp", &code(0)).await;
    click_on(&c, "main form button[type=submit]").await;
    wait_for_url(&c, |u| u.path() == "/desk").await;
    // A sign-in from a phone shows among the devices, and is signed out from here.
    app.clock.advance(chrono::Duration::seconds(30));
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", "Loopdesk-Phone/1.0 (Android 14)")
        .json(&json!({ "username": "sec-admin", "password": PASSWORD, "totp": code(0) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let phone = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    c.goto(&app.url("/account/security")).await.unwrap();
    wait_xpath(&c, "//table[contains(@class,'sessions')]//strong").await;
    // The phone, this browser, its earlier session (its cookie dropped, never signed out) and
    // the sign-in the test made the account with, newest first.
    let rows = texts(&c, "table.sessions tbody tr").await;
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(rows[0].contains("Android 14"), "{rows:?}");
    shoot(&c, "two-factor-on-sessions").await;
    click_on(
        &c,
        "table.sessions form[action^='/account/sessions/'] button",
    )
    .await;
    wait_for_url(&c, |u| u.query() == Some("done=ended")).await;
    let rows = texts(&c, "table.sessions tbody tr").await;
    assert!(!rows.iter().any(|r| r.contains("Android 14")), "{rows:?}");
    assert_eq!(app.get(&phone, "/api/v1/me").await.status(), 401);
    // A new password: a common one is refused with the reason, a good one taken.
    type_into(&c, "#current_password", PASSWORD).await;
    type_into(&c, "#new_password", "88888888").await;
    type_into(&c, "#new_again", "88888888").await;
    click_on(&c, "form[action='/account/password'] button").await;
    wait_xpath(&c, "//p[@role='alert']").await;
    let said = text_of(&c, "p[role='alert']").await;
    assert!(said.contains("太常见"), "{said}");
    type_into(&c, "#current_password", PASSWORD).await;
    type_into(&c, "#new_password", "冷库温度每天查两次").await;
    type_into(&c, "#new_again", "冷库温度每天查两次").await;
    click_on(&c, "form[action='/account/password'] button").await;
    wait_for_url(&c, |u| u.query() == Some("done=password")).await;
    app.client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": "sec-admin", "password": "冷库温度每天查两次" }))
        .send()
        .await
        .map(|r| assert_eq!(r.status(), 401, "the new password, still wanting a code"))
        .unwrap();
    c.close().await.unwrap();
}

/// An admin points sign-in at the company directory (a real slapd): fills the form, tries a
/// person before saving anyone's morning on it, and a dispatcher then signs in on the login
/// page with their directory password, arriving with the role their group gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_points_sign_in_at_the_directory_and_a_dispatcher_signs_in_with_it() {
    use loopdesk_testkit::slapd::{MANAGER, MANAGER_PASSWORD, SUFFIX};
    if loopdesk_testkit::Slapd::binary().is_none() {
        assert!(
            std::env::var_os("LOOPDESK_REQUIRE_LDAP").is_none(),
            "slapd is required here"
        );
        return;
    }
    let Some(driver) = driver().await else { return };
    let seed = format!(
        "dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: uid=zhang.wei,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: zhang.wei\n\
         cn: 张伟\nsn: 张\nmail: zhang.wei@loopdesk.test\nuserPassword: Directory-pw-1\n\n\
         dn: cn=dispatch,ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: dispatch\n\
         member: uid=zhang.wei,ou=people,{SUFFIX}\n\n"
    );
    let ldap = loopdesk_testkit::Slapd::start(&seed).await.unwrap();
    let app = spawn_app(Backend::Sqlite).await;
    app.user(
        "dir-admin",
        &["admin"],
        json!({ "display_name": "系统管理员" }),
    )
    .await;
    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "dir-admin").await;
    c.goto(&app.url("/account/security")).await.unwrap();
    click_on(&c, "a[href='/admin/directory']").await;
    wait_for_url(&c, |u| u.path() == "/admin/directory").await;
    type_into(&c, "input[name='url']", &ldap.url).await;
    type_into(&c, "input[name='bind_dn']", MANAGER).await;
    type_into(&c, "input[name='bind_password']", MANAGER_PASSWORD).await;
    type_into(&c, "input[name='base_dn']", &format!("ou=people,{SUFFIX}")).await;
    type_into(
        &c,
        "input[name='group_base_dn']",
        &format!("ou=groups,{SUFFIX}"),
    )
    .await;
    // A group without a role is refused, with the form kept as typed.
    type_into(
        &c,
        "input[name='group_0']",
        &format!("cn=dispatch,ou=groups,{SUFFIX}"),
    )
    .await;
    click_on(&c, "form[action='/admin/directory'] button[type=submit]").await;
    wait_xpath(&c, "//p[@role='alert']").await;
    let value = c
        .find(fantoccini::Locator::Css("input[name='base_dn']"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        value.as_deref(),
        Some(format!("ou=people,{SUFFIX}").as_str())
    );
    click_on(&c, "input[name='role_0_dispatcher']").await;
    type_into(&c, "input[name='bind_password']", MANAGER_PASSWORD).await;
    click_on(&c, "form[action='/admin/directory'] button[type=submit]").await;
    wait_for_url(&c, |u| u.query() == Some("done=saved")).await;
    // Tried before anyone depends on it: who is found and what they would be.
    type_into(
        &c,
        "form[action='/admin/directory/test'] input[name='username']",
        "zhang.wei",
    )
    .await;
    type_into(
        &c,
        "form[action='/admin/directory/test'] input[name='password']",
        "Directory-pw-1",
    )
    .await;
    click_on(&c, "form[action='/admin/directory/test'] button").await;
    wait_xpath(&c, "//dl[contains(@class,'facts')]").await;
    let facts = text_of(&c, "dl.facts").await;
    assert!(
        facts.contains("uid=zhang.wei") && facts.contains("调度"),
        "{facts}"
    );
    c.execute(
        "document.querySelector('dl.facts').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shoot(&c, "directory-settings").await;

    // The dispatcher signs in on the ordinary login page with the directory's password.
    c.delete_all_cookies().await.unwrap();
    c.goto(&app.url("/login?next=/desk")).await.unwrap();
    type_into(&c, "#username", "zhang.wei").await;
    type_into(&c, "#password", "Directory-pw-1").await;
    click_on(&c, "main form button[type=submit]").await;
    wait_for_url(&c, |u| u.path() == "/desk").await;
    let name = text_of(&c, "header.top a[href='/account/security']").await;
    assert_eq!(name, "张伟");
    shoot(&c, "directory-dispatcher-signed-in").await;
    c.close().await.unwrap();
}

/// Single sign-on against a real OpenID provider (oidc-provider, on Node.js): the sign-in page
/// offers it, the provider's own form signs the person in, and they come back signed in with
/// the role their groups claim gives; someone in no mapped group comes back refused, and a
/// callback that is not the answer to a sign-in this browser started is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_signs_in_through_the_companys_openid_provider() {
    use loopdesk_testkit::oidc::{OidcProvider, CLIENT_ID, CLIENT_SECRET};
    if !OidcProvider::available() {
        assert!(
            std::env::var_os("LOOPDESK_REQUIRE_OIDC").is_none(),
            "node and crates/testkit/node/node_modules are required here"
        );
        return;
    }
    let Some(driver) = driver().await else { return };
    // The provider must know where to send people back before Loopdesk listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let accounts = json!({
        "zhang.wei": { "name": "张伟", "email": "zhang.wei@loopdesk.test", "groups": ["dispatch"] },
        "li.na": { "name": "李娜", "email": "li.na@loopdesk.test", "groups": ["canteen"] },
    });
    let provider =
        OidcProvider::start(&format!("{base}/login/sso/callback"), &accounts.to_string())
            .await
            .unwrap();
    let app = spawn_app_with(Backend::Sqlite, |cfg| {
        cfg.bind = format!("127.0.0.1:{port}");
        cfg.public_url = Some(base.clone());
    })
    .await;
    // The admin sets it up on the page, the redirect to register shown there.
    app.user("sso-admin", &["admin"], json!({})).await;
    let c = browser(&driver, 1280).await;
    sign_in(&c, &app, "sso-admin").await;
    c.goto(&app.url("/account/security")).await.unwrap();
    click_on(&c, "a[href='/admin/sso']").await;
    wait_for_url(&c, |u| u.path() == "/admin/sso").await;
    let redirect = text_of(&c, "#redirect").await;
    assert_eq!(redirect, format!("{base}/login/sso/callback"));
    type_into(&c, "input[name='issuer']", &provider.issuer).await;
    type_into(&c, "input[name='client_id']", CLIENT_ID).await;
    type_into(&c, "input[name='client_secret']", CLIENT_SECRET).await;
    type_into(&c, "input[name='group_0']", "dispatch").await;
    click_on(&c, "input[name='role_0_dispatcher']").await;
    click_on(&c, "form[action='/admin/sso'] button[type=submit]").await;
    wait_for_url(&c, |u| u.query() == Some("done=saved")).await;
    shoot(&c, "sso-settings").await;
    let shown = app.read(&app.admin, "/api/v1/security/oidc").await;
    assert_eq!(shown["oidc"]["client_id"], CLIENT_ID);
    assert!(shown["oidc"]["client_secret"].is_null());

    let through_the_provider = async |login: &str| {
        c.delete_all_cookies().await.unwrap();
        c.goto(&app.url("/login?next=/desk")).await.unwrap();
        click_on(&c, "a#sso").await;
        wait_xpath(&c, "//input[@name='login']").await;
        type_into(&c, "input[name='login']", login).await;
        type_into(&c, "input[name='password']", "whatever the provider asks").await;
        click_on(&c, "button[type=submit]").await;
    };
    through_the_provider("zhang.wei").await;
    wait_for_url(&c, |u| u.path() == "/desk").await;
    let name = text_of(&c, "header.top a[href='/account/security']").await;
    assert_eq!(name, "张伟");
    shoot(&c, "sso-dispatcher-signed-in").await;
    let users = app.read(&app.admin, "/api/v1/users").await;
    let made = users
        .as_array()
        .or_else(|| users["items"].as_array())
        .unwrap()
        .iter()
        .find(|u| u["username"] == "zhang.wei")
        .cloned()
        .expect("the account was made");
    assert_eq!(made["roles"], json!(["dispatcher"]));
    assert_eq!(made["email"], "zhang.wei@loopdesk.test");

    // Someone the provider knows but in no mapped group: back on the sign-in page, told why.
    through_the_provider("li.na").await;
    wait_xpath(&c, "//p[@role='alert']").await;
    let said = text_of(&c, "p[role='alert']").await;
    assert!(said.contains("不在任何可登录"), "{said}");
    shoot(&c, "sso-no-role").await;

    // A callback this browser did not start (a forged or replayed link) signs nobody in.
    c.delete_all_cookies().await.unwrap();
    c.goto(&app.url("/login/sso/callback?code=stolen&state=guessed"))
        .await
        .unwrap();
    wait_xpath(&c, "//p[@role='alert']").await;
    c.goto(&app.url("/desk")).await.unwrap();
    wait_for_url(&c, |u| u.path() == "/login").await;
    c.close().await.unwrap();
}

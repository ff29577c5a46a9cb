//! Customers, contacts and sites imported from CSV and Excel: every row checked first, all
//! stored or none, each bad row and column named; headings in Chinese, English or as fields.

use rust_xlsxwriter::Workbook;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    customers_contacts_and_sites_import_all_or_nothing,
    an_excel_sheet_with_chinese_headings_imports_as_it_is,
    the_parts_catalogue_and_opening_stock_import_all_or_nothing,
);

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    kind: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn failing_rows(e: &Value) -> Vec<(i64, String)> {
    e["rows"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|r| {
            (
                r["row"].as_i64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn customers_contacts_and_sites_import_all_or_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, manager) = app.user("manager", &["manager"], json!({})).await;
    app.ok(
        &app.admin,
        "/api/v1/regions",
        json!({ "name": "徐汇" }),
        201,
    )
    .await;
    let header = "name,kind,tier,region,tags,contact_name,phone,email,address,lat,lon\r\n";
    // Row 3's region is unknown, row 4 has no name, row 5's phone is not a phone: nothing is stored.
    let bad = format!(
        "\u{feff}{header}\
         申江制冷,company,vip,徐汇,\"VIP, 连锁\",王经理,138-0013-8000,wang@example.com,漕溪北路 88 号,31.19,121.43\r\n\
         浦江电梯,,,静安,,,,,,,\r\n\
         ,person,,,,,,,,,\r\n\
         李女士,person,,,,,12,,,,\r\n"
    );
    let (s, e) = upload(
        &app,
        &agent,
        "/api/v1/customers/import",
        "text/csv",
        bad.into_bytes(),
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (422, Some("import_failed")),
        "{e}"
    );
    assert_eq!(
        failing_rows(&e),
        [
            (3, "region".to_owned()),
            (4, "name".to_owned()),
            (5, "contacts.phone".to_owned())
        ]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM customers").await,
        0,
        "nothing half-imported"
    );
    let good = format!(
        "{header}\
         申江制冷,company,vip,徐汇,\"VIP, 连锁\",王经理,138-0013-8000,wang@example.com,漕溪北路 88 号,31.19,121.43\r\n\
         浦江电梯,,,,,,,,,,\r\n\
         李女士,person,,,,,+86 139 1234 5678,,,,\r\n"
    );
    let (s, ok) = upload(
        &app,
        &agent,
        "/api/v1/customers/import",
        "text/csv",
        good.clone().into_bytes(),
    )
    .await;
    assert_eq!((s, ok["imported"].as_i64()), (201, Some(3)), "{ok}");
    let found = app.read(&agent, "/api/v1/customers?q=13800138000").await;
    let shenjiang = found["items"][0].clone();
    assert_eq!(
        (
            &shenjiang["name"],
            &shenjiang["tier"],
            &shenjiang["tags"],
            &shenjiang["contacts"][0]["name"]
        ),
        (
            &json!("申江制冷"),
            &json!("vip"),
            &json!(["VIP", "连锁"]),
            &json!("王经理")
        )
    );
    let id = shenjiang["id"].as_str().unwrap().to_owned();
    let card = app.read(&agent, &format!("/api/v1/customers/{id}")).await;
    assert_eq!(card["sites"][0]["address"], "漕溪北路 88 号");
    assert!(card["region_id"].is_string());
    let her = app.read(&agent, "/api/v1/customers?q=13912345678").await;
    assert_eq!(
        her["items"][0]["contacts"][0]["name"], "李女士",
        "a contact named by the customer"
    );
    // Found by search at once.
    let hits = app
        .read(&agent, "/api/v1/search?q=13800138000&kind=customer")
        .await;
    assert_eq!(hits["items"][0]["id"], json!(id));

    // Contacts and sites of existing customers; one unknown customer stops them all.
    let stranger = uuid::Uuid::new_v4();
    let contacts = format!(
        "customer_id,name,phone,notify_channel\r\n{id},韩梅梅,13900139000,sms\r\n{stranger},某人,13700137000,\r\n"
    );
    let (s, e) = upload(
        &app,
        &agent,
        "/api/v1/contacts/import",
        "text/csv",
        contacts.into_bytes(),
    )
    .await;
    assert_eq!(failing_rows(&e), [(3, "customer_id".to_owned())], "{s} {e}");
    let contacts =
        format!("customer_id,name,phone,notify_channel\r\n{id},韩梅梅,13900139000,sms\r\n");
    let (s, ok) = upload(
        &app,
        &agent,
        "/api/v1/contacts/import",
        "text/csv",
        contacts.into_bytes(),
    )
    .await;
    assert_eq!((s, ok["imported"].as_i64()), (201, Some(1)), "{ok}");
    let sites = format!(
        "customer_id,site_name,address,geofence_m\r\n{id},二号仓,张江路 9 号,200\r\n{id},三号仓,,\r\n"
    );
    let (_, e) = upload(
        &app,
        &agent,
        "/api/v1/sites/import",
        "text/csv",
        sites.into_bytes(),
    )
    .await;
    assert_eq!(failing_rows(&e), [(3, "sites.address".to_owned())], "{e}");
    let sites =
        format!("customer_id,site_name,address,geofence_m\r\n{id},二号仓,张江路 9 号,200\r\n");
    let (s, _) = upload(
        &app,
        &agent,
        "/api/v1/sites/import",
        "text/csv",
        sites.into_bytes(),
    )
    .await;
    assert_eq!(s, 201);
    let card = app.read(&agent, &format!("/api/v1/customers/{id}")).await;
    assert_eq!(card["contacts"].as_array().unwrap().len(), 2);
    assert_eq!(card["sites"][1]["name"], "二号仓");
    assert_eq!(
        card["sites"][1]["region_id"], card["region_id"],
        "a site takes the customer's region"
    );

    // A sheet with a heading nobody knows, an empty file, a manager: refused, field named.
    let (s, e) = upload(
        &app,
        &agent,
        "/api/v1/customers/import",
        "text/csv",
        b"name,colour\r\nx,red\r\n".to_vec(),
    )
    .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("file")), "{e}");
    let (s, e) = upload(
        &app,
        &agent,
        "/api/v1/customers/import",
        "text/csv",
        Vec::new(),
    )
    .await;
    assert_eq!((s, e["field"].as_str()), (422, Some("file")), "{e}");
    let (s, _) = upload(
        &app,
        &manager,
        "/api/v1/customers/import",
        "text/csv",
        good.into_bytes(),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM customers").await, 3);
}

async fn an_excel_sheet_with_chinese_headings_imports_as_it_is(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let rows: [[&str; 5]; 3] = [
        ["客户名称", "类型", "联系电话", "地址", "纬度"],
        [
            "华润置地",
            "公司",
            "021-6888 1234",
            "陆家嘴环路 1000 号",
            "31.24",
        ],
        ["张先生", "个人", "13600136000", "", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(u32::try_from(r).unwrap(), u16::try_from(c).unwrap(), *cell)
                .unwrap();
        }
    }
    // A number typed into Excel is a number cell, not text.
    sheet.write_number(1, 4, 31.24).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let (s, e) = upload(
        &app,
        &agent,
        "/api/v1/customers/import",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    )
    .await;
    // 华润置地 has a latitude without a longitude.
    assert_eq!(failing_rows(&e), [(2, "sites.lat".to_owned())], "{s} {e}");
    sheet_fixed(&app, &agent).await;
}

async fn sheet_fixed(app: &TestApp, agent: &str) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let rows: [[&str; 4]; 3] = [
        ["客户名称", "类型", "联系电话", "地址"],
        ["华润置地", "公司", "021-6888 1234", "陆家嘴环路 1000 号"],
        ["张先生", "个人", "13600136000", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(u32::try_from(r).unwrap(), u16::try_from(c).unwrap(), *cell)
                .unwrap();
        }
    }
    let (s, ok) = upload(
        app,
        agent,
        "/api/v1/customers/import",
        "application/octet-stream",
        book.save_to_buffer().unwrap(),
    )
    .await;
    assert_eq!((s, ok["imported"].as_i64()), (201, Some(2)), "{ok}");
    let found = app.read(agent, "/api/v1/customers?q=张先生").await;
    assert_eq!(
        (
            &found["items"][0]["kind"],
            &found["items"][0]["contacts"][0]["phone"]
        ),
        (&json!("person"), &json!("13600136000"))
    );
}

async fn the_parts_catalogue_and_opening_stock_import_all_or_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent) = app.user("agent", &["agent"], json!({})).await;
    let (_, keeper) = app.user("keeper", &["dispatcher"], json!({})).await;
    app.ok(
        &keeper,
        "/api/v1/parts",
        json!({ "sku": "OLD-1", "name": "旧件" }),
        201,
    )
    .await;
    let central = app
        .ok(
            &keeper,
            "/api/v1/warehouses",
            json!({ "name": "中心仓", "kind": "central" }),
            201,
        )
        .await;
    // Row 3 repeats row 2's SKU, row 4 is already in the catalogue, row 5's price is words.
    let bad = "物料编码,名称,单位,售价,适用型号\r\n\
               CAP-35,启动电容 35μF,个,45.5,\"KFR-72LW, GEN2\"\r\n\
               CAP-35,又一个,个,,\r\n\
               OLD-1,旧件,个,,\r\n\
               FAN-1,风扇电机,台,四十,\r\n";
    let (s, e) = upload(
        &app,
        &keeper,
        "/api/v1/parts/import",
        "text/csv",
        bad.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (422, Some("import_failed")),
        "{e}"
    );
    assert_eq!(
        failing_rows(&e),
        [
            (3, "sku".to_owned()),
            (4, "sku".to_owned()),
            (5, "price".to_owned())
        ]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM parts").await,
        1,
        "nothing half-imported"
    );
    let good = "物料编码,名称,单位,售价,适用型号\r\n\
                CAP-35,启动电容 35μF,个,45.5,\"KFR-72LW, GEN2\"\r\n\
                FAN-1,风扇电机,台,120,\r\n";
    let (s, ok) = upload(
        &app,
        &keeper,
        "/api/v1/parts/import",
        "text/csv",
        good.as_bytes().to_vec(),
    )
    .await;
    assert_eq!((s, ok["imported"].as_i64()), (201, Some(2)), "{ok}");
    let parts = app.read(&keeper, "/api/v1/parts?q=CAP").await;
    assert_eq!(
        parts["items"][0]["models"],
        json!(["KFR-72LW", "GEN2"]),
        "{parts}"
    );

    // Opening stock: an unknown warehouse or SKU, or a quantity of none, stops every row.
    let bad = "仓库,物料编码,数量\r\n中心仓,CAP-35,40\r\n北仓,CAP-35,5\r\n中心仓,NOPE,5\r\n中心仓,FAN-1,0\r\n";
    let (s, e) = upload(
        &app,
        &keeper,
        "/api/v1/stock/import",
        "text/csv",
        bad.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(
        failing_rows(&e),
        [
            (3, "warehouse".to_owned()),
            (4, "sku".to_owned()),
            (5, "qty".to_owned())
        ]
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM stock_movements").await, 0);
    let good = "仓库,物料编码,数量\r\n中心仓,CAP-35,40\r\n中心仓,FAN-1,3\r\n中心仓,CAP-35,2\r\n";
    let (s, ok) = upload(
        &app,
        &keeper,
        "/api/v1/stock/import",
        "text/csv",
        good.as_bytes().to_vec(),
    )
    .await;
    assert_eq!((s, ok["imported"].as_i64()), (201, Some(3)), "{ok}");
    let w = central["id"].as_str().unwrap();
    let levels = app
        .read(
            &keeper,
            &format!("/api/v1/stock?warehouse_id={w}&sku=CAP-35"),
        )
        .await;
    assert_eq!(levels["items"][0]["on_hand"], 42, "{levels}");
    let ledger = app
        .read(
            &keeper,
            &format!("/api/v1/stock/movements?warehouse_id={w}"),
        )
        .await;
    assert_eq!(ledger["items"][0]["kind"], "receive", "{ledger}");
    assert_eq!(ledger["items"][0]["reason"], "期初库存", "{ledger}");
    // Those who do not keep stock import none of it.
    let (s, _) = upload(
        &app,
        &agent,
        "/api/v1/parts/import",
        "text/csv",
        good.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = upload(
        &app,
        &agent,
        "/api/v1/stock/import",
        "text/csv",
        good.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, 403);
}

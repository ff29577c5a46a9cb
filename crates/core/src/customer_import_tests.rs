use super::*;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn headings_are_known_by_field_chinese_or_english_name() {
    let cols = Import::Customers
        .header(&strings(&["客户名称", "Phone", " 地址 ", "", "tags"]))
        .unwrap();
    assert_eq!(
        cols,
        [
            Some(Column::Name),
            Some(Column::Phone),
            Some(Column::Address),
            None,
            Some(Column::Tags)
        ]
    );
    let unknown = Import::Customers.header(&strings(&["name", "电话号"]));
    assert_eq!(unknown.unwrap_err().reason, "error.unknown_column");
    let twice = Import::Customers.header(&strings(&["name", "电话", "phone"]));
    assert_eq!(twice.unwrap_err().reason, "error.duplicate");
    let without = Import::Contacts.header(&strings(&["name", "phone"]));
    assert_eq!(without.unwrap_err().reason, "error.missing_column");
    // A customer import has no customer_id column: a sheet meant for contacts is refused.
    let wrong = Import::Customers.header(&strings(&["customer_id", "name"]));
    assert_eq!(wrong.unwrap_err().reason, "error.unknown_column");
    assert_eq!(Import::Sites.template()[..2], ["customer_id", "site_name"]);
}

#[test]
fn a_customer_row_brings_its_first_contact_and_site() {
    let header = strings(&[
        "name", "类型", "region", "标签", "电话", "address", "纬度", "经度",
    ]);
    let cols = Import::Customers.header(&header).unwrap();
    let row = strings(&[
        "李女士",
        "个人",
        "徐汇",
        "VIP，老客户",
        "139-1234-5678",
        "漕溪北路 88 号",
        "31.19",
        "121.43",
    ]);
    let (c, region) = customer_row(&cols, &row, "主地址").unwrap();
    assert_eq!(
        (c.name.as_str(), c.kind.as_deref()),
        ("李女士", Some("person"))
    );
    assert_eq!(region.as_deref(), Some("徐汇"));
    assert_eq!(c.tags, ["VIP", "老客户"]);
    assert_eq!(
        c.contacts[0].name, "李女士",
        "a contact without a name is the customer"
    );
    assert_eq!(c.contacts[0].phone.as_deref(), Some("139-1234-5678"));
    assert_eq!(
        (c.sites[0].name.as_str(), c.sites[0].lat),
        ("主地址", Some(31.19))
    );
    // Only the name: no contact, no site.
    let (bare, _) = customer_row(&cols, &strings(&["申江制冷"]), "主地址").unwrap();
    assert!(bare.contacts.is_empty() && bare.sites.is_empty());
    let no_name = customer_row(&cols, &strings(&["", "公司"]), "主地址");
    assert_eq!(no_name.unwrap_err().field, "name");
    let bad_lat = customer_row(
        &cols,
        &strings(&["x", "", "", "", "", "某路", "北纬"]),
        "主地址",
    );
    assert_eq!(bad_lat.unwrap_err().field, "sites.lat");
}

#[test]
fn contact_and_site_rows_name_their_customer() {
    let id = CustomerId::new();
    let cols = Import::Contacts
        .header(&strings(&["customer_id", "name", "phone"]))
        .unwrap();
    let (owner, k) =
        contact_row(&cols, &strings(&[&id.to_string(), "韩梅梅", "13900139000"])).unwrap();
    assert_eq!((owner, k.name.as_str()), (id, "韩梅梅"));
    let bad = contact_row(&cols, &strings(&["C-1", "韩梅梅"]));
    assert_eq!(bad.unwrap_err().field, "customer_id");
    let missing = contact_row(&cols, &strings(&["", "韩梅梅"]));
    assert_eq!(missing.unwrap_err().reason, "error.required");
    let cols = Import::Sites
        .header(&strings(&["customer_id", "address", "geofence_m"]))
        .unwrap();
    let (_, s) = site_row(
        &cols,
        &strings(&[&id.to_string(), "张江路 9 号", "200"]),
        "主地址",
    )
    .unwrap();
    assert_eq!((s.name.as_str(), s.geofence_m), ("主地址", Some(200.0)));
}

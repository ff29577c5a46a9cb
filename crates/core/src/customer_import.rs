//! Reading the rows of a customer, contact or site import. A column is named by its field
//! (`phone`) or by its Chinese or English heading (电话, Phone), so a sheet kept by hand in
//! Excel imports as it is. Empty cells are absent; an unknown column is refused, so a typo
//! in a heading never drops a column unseen.

use crate::customer::{self, NewContact, NewCustomer, NewSite};
use crate::sheet;
use crate::validate::FieldError;
use crate::CustomerId;

/// What one column of an import holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// The customer a contact or site belongs to (its id).
    CustomerId,
    /// The customer's name.
    Name,
    /// `company` or `person` (公司, 个人).
    Kind,
    /// The tier code.
    Tier,
    /// The region's name.
    Region,
    /// Tags, separated by commas.
    Tags,
    /// The contact's name.
    ContactName,
    /// Phone.
    Phone,
    /// E-mail.
    Email,
    /// WeChat id.
    Wechat,
    /// How the contact hears from us.
    Notify,
    /// The contact's language.
    Lang,
    /// The site's name.
    SiteName,
    /// The site's address.
    Address,
    /// Latitude.
    Lat,
    /// Longitude.
    Lon,
    /// Geofence radius in metres.
    Geofence,
}

/// Each column with the headings it is known by (field name, Chinese, English).
const HEADINGS: &[(Column, &[&str])] = &[
    (
        Column::CustomerId,
        &["customer_id", "客户编号", "customer id"],
    ),
    (Column::Name, &["name", "客户名称", "名称", "customer"]),
    (Column::Kind, &["kind", "类型", "type"]),
    (Column::Tier, &["tier", "等级", "客户等级"]),
    (Column::Region, &["region", "区域", "所属区域"]),
    (Column::Tags, &["tags", "标签"]),
    (Column::ContactName, &["contact_name", "联系人", "contact"]),
    (Column::Phone, &["phone", "电话", "手机", "联系电话"]),
    (Column::Email, &["email", "邮箱", "电子邮箱", "e-mail"]),
    (Column::Wechat, &["wechat_id", "微信", "微信号", "wechat"]),
    (Column::Notify, &["notify_channel", "通知方式", "notify by"]),
    (Column::Lang, &["lang", "语言", "language"]),
    (Column::SiteName, &["site_name", "地址名称", "site"]),
    (Column::Address, &["address", "地址", "详细地址"]),
    (Column::Lat, &["lat", "纬度", "latitude"]),
    (Column::Lon, &["lon", "经度", "longitude"]),
    (Column::Geofence, &["geofence_m", "围栏半径", "geofence"]),
];

/// The columns each import takes.
const CUSTOMER_COLUMNS: &[Column] = &[
    Column::Name,
    Column::Kind,
    Column::Tier,
    Column::Region,
    Column::Tags,
    Column::ContactName,
    Column::Phone,
    Column::Email,
    Column::Wechat,
    Column::Notify,
    Column::Lang,
    Column::SiteName,
    Column::Address,
    Column::Lat,
    Column::Lon,
    Column::Geofence,
];
const CONTACT_COLUMNS: &[Column] = &[
    Column::CustomerId,
    Column::ContactName,
    Column::Name,
    Column::Phone,
    Column::Email,
    Column::Wechat,
    Column::Notify,
    Column::Lang,
];
const SITE_COLUMNS: &[Column] = &[
    Column::CustomerId,
    Column::SiteName,
    Column::Name,
    Column::Address,
    Column::Lat,
    Column::Lon,
    Column::Geofence,
];

/// What is being imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Import {
    /// Customers, each with an optional first contact and site.
    Customers,
    /// Contacts of existing customers.
    Contacts,
    /// Sites of existing customers.
    Sites,
}

impl Import {
    /// Parses `customers`, `contacts` or `sites`.
    pub fn parse(text: &str) -> Option<Import> {
        match text {
            "customers" => Some(Import::Customers),
            "contacts" => Some(Import::Contacts),
            "sites" => Some(Import::Sites),
            _ => None,
        }
    }

    fn columns(self) -> &'static [Column] {
        match self {
            Import::Customers => CUSTOMER_COLUMNS,
            Import::Contacts => CONTACT_COLUMNS,
            Import::Sites => SITE_COLUMNS,
        }
    }

    /// The headings of an import template, by field name.
    pub fn template(self) -> Vec<&'static str> {
        self.headings()
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    }

    /// Each column of the import as (field name, Chinese heading); either heads a column.
    pub fn headings(self) -> Vec<(&'static str, &'static str)> {
        self.columns()
            .iter()
            .filter(|c| !(self != Import::Customers && **c == Column::Name))
            .filter_map(|c| HEADINGS.iter().find(|(k, _)| k == c))
            .map(|(_, names)| (names[0], names[1]))
            .collect()
    }

    /// Reads the header row: each heading's column, or why the sheet is refused (as the
    /// field `file`). A blank heading is a column to skip.
    pub fn header(self, header: &[String]) -> Result<Vec<Option<Column>>, FieldError> {
        let known: Vec<(Column, &[&str])> = HEADINGS
            .iter()
            .filter(|(c, _)| self.columns().contains(c))
            .copied()
            .collect();
        let needs = match self {
            Import::Customers => Column::Name,
            Import::Contacts | Import::Sites => Column::CustomerId,
        };
        sheet::columns(header, &known, needs)
    }
}

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, FieldError> {
    Err(FieldError { field, reason })
}

fn cells<'a>(columns: &[Option<Column>], row: &'a [String]) -> Vec<(Column, &'a str)> {
    sheet::cells(columns, row)
}

fn number(field: &'static str, text: &str) -> Result<f64, FieldError> {
    text.parse::<f64>().map_err(|_| FieldError {
        field,
        reason: "error.invalid_number",
    })
}

/// A customer row: the customer with its region's name (the store looks it up), and a
/// first contact and site when their columns are filled.
pub fn customer_row(
    columns: &[Option<Column>],
    row: &[String],
    main_site: &str,
) -> Result<(NewCustomer, Option<String>), FieldError> {
    let mut c = NewCustomer::default();
    let mut region = None;
    let (contact, site) = parts(columns, row, main_site)?;
    for (column, v) in cells(columns, row) {
        match column {
            Column::Name => c.name = v.to_owned(),
            Column::Kind => {
                c.kind = Some(
                    match v {
                        "公司" | "企业" => "company",
                        "个人" => "person",
                        other => other,
                    }
                    .to_owned(),
                );
            }
            Column::Tier => c.tier = Some(v.to_owned()),
            Column::Region => region = Some(v.to_owned()),
            Column::Tags => c.tags = customer::split_tags(v),
            _ => {}
        }
    }
    if c.name.is_empty() {
        return fail("name", "error.required");
    }
    // A contact named only by the phone is the customer (a person calling about their home).
    c.contacts = contact
        .map(|mut k| {
            if k.name.is_empty() {
                k.name.clone_from(&c.name);
            }
            k
        })
        .into_iter()
        .collect();
    c.sites = site.into_iter().collect();
    Ok((c, region))
}

/// The contact and site columns of a row, each when any of its columns is filled; a site
/// without a name is called `main_site`.
fn parts(
    columns: &[Option<Column>],
    row: &[String],
    main_site: &str,
) -> Result<(Option<NewContact>, Option<NewSite>), FieldError> {
    let mut k = NewContact::default();
    let mut s = NewSite::default();
    let (mut has_contact, mut has_site) = (false, false);
    for (column, v) in cells(columns, row) {
        let text = Some(v.to_owned());
        match column {
            Column::ContactName => (k.name, has_contact) = (v.to_owned(), true),
            Column::Phone => (k.phone, has_contact) = (text, true),
            Column::Email => (k.email, has_contact) = (text, true),
            Column::Wechat => (k.wechat_id, has_contact) = (text, true),
            Column::Notify => k.notify_channel = text,
            Column::Lang => k.lang = text,
            Column::SiteName => (s.name, has_site) = (v.to_owned(), true),
            Column::Address => (s.address, has_site) = (v.to_owned(), true),
            Column::Lat => (s.lat, has_site) = (Some(number("sites.lat", v)?), true),
            Column::Lon => (s.lon, has_site) = (Some(number("sites.lon", v)?), true),
            Column::Geofence => s.geofence_m = Some(number("sites.geofence_m", v)?),
            _ => {}
        }
    }
    if has_site && s.name.is_empty() {
        s.name = main_site.to_owned();
    }
    Ok((has_contact.then_some(k), has_site.then_some(s)))
}

fn owner(columns: &[Option<Column>], row: &[String]) -> Result<CustomerId, FieldError> {
    let id = cells(columns, row)
        .into_iter()
        .find(|(c, _)| *c == Column::CustomerId)
        .map(|(_, v)| v);
    match id {
        None => fail("customer_id", "error.required"),
        Some(v) => CustomerId::parse(v).ok_or(FieldError {
            field: "customer_id",
            reason: "error.invalid_value",
        }),
    }
}

/// A contact row: whose, and the contact (`name` is taken as the contact's name here).
pub fn contact_row(
    columns: &[Option<Column>],
    row: &[String],
) -> Result<(CustomerId, NewContact), FieldError> {
    let customer = owner(columns, row)?;
    let (contact, _) = parts(columns, row, "")?;
    let mut k = contact.unwrap_or_default();
    if let Some((_, v)) = cells(columns, row)
        .into_iter()
        .find(|(c, _)| *c == Column::Name)
    {
        k.name = v.to_owned();
    }
    Ok((customer, k))
}

/// A site row: whose, and the site (`name` is taken as the site's name here).
pub fn site_row(
    columns: &[Option<Column>],
    row: &[String],
    main_site: &str,
) -> Result<(CustomerId, NewSite), FieldError> {
    let customer = owner(columns, row)?;
    let (_, site) = parts(columns, row, main_site)?;
    let mut s = site.unwrap_or_default();
    if let Some((_, v)) = cells(columns, row)
        .into_iter()
        .find(|(c, _)| *c == Column::Name)
    {
        s.name = v.to_owned();
    }
    Ok((customer, s))
}

#[cfg(test)]
#[path = "customer_import_tests.rs"]
mod tests;

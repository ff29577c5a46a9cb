//! Customers (客户档案), for staff: the list with its search and filters, a new customer with
//! a first contact and site, and the customer card — contacts, sites, equipment, tickets —
//! where the details are edited and contacts and sites are added.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::customer::{self, CustomerEdit};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::{CustomerId, RegionId};
use loopdesk_store::{
    CustomerDetail, CustomerFilter, CustomerPage, NewContact, NewCustomer, NewSite, StoreError,
};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Rows on a page of the list.
const PAGE_ROWS: usize = 50;

/// Staff only: whoever may read every customer (a customer has the portal).
fn staff_only(user: &CurrentUser, lang: Lang) -> Option<Response> {
    (access::customer_scope(&user.actor) != Some(None))
        .then(|| super::failure(lang, &StoreError::Forbidden))
}

pub(super) fn writer_only(user: &CurrentUser, lang: Lang) -> Option<Response> {
    (!access::allowed(&user.actor, Permission::WriteCustomers))
        .then(|| super::failure(lang, &StoreError::Forbidden))
}

/// Text as a form sends it: trimmed, and absent when empty.
pub(super) fn given(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The list's search, filters and page.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    tier: Option<String>,
    region: Option<String>,
    tag: Option<String>,
    after: Option<String>,
}

impl ListQuery {
    /// The query string of these filters (without the page), for the next page's link.
    fn filters(&self) -> String {
        let mut pairs = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("tier", &self.tier),
            ("region", &self.region),
            ("tag", &self.tag),
        ] {
            if let Some(v) = given(v) {
                pairs.push((k, v));
            }
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The customer list.
pub async fn list(
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<ListQuery>,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    let filter = CustomerFilter {
        q: q.q.clone().unwrap_or_default(),
        tier: given(&q.tier),
        region_id: given(&q.region).and_then(|r| RegionId::parse(&r)),
        tag: given(&q.tag),
        after: given(&q.after).and_then(|a| CustomerId::parse(&a)),
        limit: PAGE_ROWS,
    };
    let (found, facets, regions) = match (
        user.tenant.customer_page(&user.actor, &filter).await,
        user.tenant.customer_facets().await,
        user.tenant.regions().await,
    ) {
        (Ok(f), Ok(c), Ok(r)) => (f, c, r),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.customers.title");
    let may_write = access::allowed(&user.actor, Permission::WriteCustomers);
    page(
        lang,
        title,
        Some(&user.auth.user),
        list_body(lang, &q, &found, &facets, &regions, may_write),
    )
}

fn list_body(
    lang: Lang,
    q: &ListQuery,
    found: &CustomerPage,
    (tiers, tags): &(Vec<String>, Vec<String>),
    regions: &[(RegionId, String)],
    may_write: bool,
) -> Markup {
    let title = t(lang, "page.customers.title");
    let picked = |v: &Option<String>, option: &str| v.as_deref() == Some(option);
    let filters = q.filters();
    html! {
        h1 { (title) }
        @if may_write {
            p {
                a.button href="/customers/new" { (t(lang, "page.customers.new")) } " "
                a.button.quiet href="/customers/import" { (t(lang, "page.customers.import")) }
            }
        }
        form.filters method="get" action="/customers" role="search" {
            input type="search" name="q" value=(q.q.as_deref().unwrap_or(""))
                placeholder=(t(lang, "page.customers.search"))
                aria-label=(t(lang, "page.customers.search"));
            select name="tier" aria-label=(t(lang, "page.customers.tier")) {
                option value="" { (t(lang, "page.customers.any_tier")) }
                @for tier in tiers { option value=(tier) selected[picked(&q.tier, tier)] { (tier_label(lang, tier)) } }
            }
            select name="region" aria-label=(t(lang, "page.desk.region")) {
                option value="" { (t(lang, "page.customers.any_region")) }
                @for (id, name) in regions {
                    @let id = id.to_string();
                    option value=(id) selected[picked(&q.region, &id)] { (name) }
                }
            }
            @if !tags.is_empty() {
                select name="tag" aria-label=(t(lang, "page.customers.tags")) {
                    option value="" { (t(lang, "page.customers.any_tag")) }
                    @for tag in tags { option value=(tag) selected[picked(&q.tag, tag)] { (tag) } }
                }
            }
            button type="submit" { (t(lang, "page.desk.filter")) }
            @if !filters.is_empty() { a href="/customers" { (t(lang, "page.desk.clear")) } }
        }
        @if found.items.is_empty() {
            p.muted { (t(lang, "page.customers.none")) }
        } @else {
            div.scroll {
                table.customers {
                    thead {
                        tr {
                            th { (t(lang, "page.admin.name")) }
                            th { (t(lang, "page.customers.tier")) }
                            th.wide { (t(lang, "page.desk.region")) }
                            th { (t(lang, "page.customers.phone")) }
                            th.wide { (t(lang, "page.customers.contacts")) }
                            th { (t(lang, "page.customers.open")) }
                            th.wide { (t(lang, "page.customers.tags")) }
                        }
                    }
                    tbody {
                        @for row in &found.items {
                            @let c = &row.customer;
                            tr {
                                td {
                                    a href={ "/customers/" (c.id) } { (c.name) }
                                    " " span.muted { (t(lang, &format!("page.customers.kind.{}", c.kind))) }
                                }
                                td { span.badge { (tier_label(lang, &c.tier)) } }
                                td.wide { (row.region_name.as_deref().unwrap_or("—")) }
                                td { (c.contacts.iter().find_map(|k| k.phone.as_deref()).unwrap_or("—")) }
                                td.wide { (c.contacts.len()) }
                                td {
                                    @if row.open_tickets > 0 {
                                        a href={ "/desk?view=open&customer=" (c.id) } { (row.open_tickets) }
                                    } @else { "0" }
                                }
                                td.wide { @for tag in &c.tags { span.chip { (tag) } " " } }
                            }
                        }
                    }
                }
            }
        }
        p.muted {
            (t(lang, "page.customers.export")) ": "
            a href={ "/customers/export?format=csv" @if !filters.is_empty() { "&" (filters) } } { "CSV" } " · "
            a href={ "/customers/export?format=xlsx" @if !filters.is_empty() { "&" (filters) } } { "Excel" }
        }
        p {
            @if q.after.is_some() {
                a href={ "/customers" @if !filters.is_empty() { "?" (filters) } } { (t(lang, "page.desk.first")) } " "
            }
            @if let Some(next) = found.next {
                a.button.quiet href={ "/customers?" @if !filters.is_empty() { (filters) "&" } "after=" (next) } { (t(lang, "page.desk.next")) }
            }
        }
    }
}

/// A tier's name: the two the product knows are translated, a tenant's own shown as typed.
fn tier_label(lang: Lang, tier: &str) -> String {
    match tier {
        "standard" | "vip" => t(lang, &format!("page.customers.tier.{tier}")).to_owned(),
        other => other.to_owned(),
    }
}

/// A new customer as typed into the form: the customer, a first contact, a first site.
#[derive(Deserialize, Default, Clone)]
pub struct NewCustomerForm {
    #[serde(default)]
    name: String,
    kind: Option<String>,
    tier: Option<String>,
    region_id: Option<String>,
    tags: Option<String>,
    contact_name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    site_name: Option<String>,
    address: Option<String>,
    lat: Option<String>,
    lon: Option<String>,
}

impl NewCustomerForm {
    /// The customer to create. A contact when a name, phone or e-mail was given (named after
    /// the customer when only a number was); a site when an address was.
    fn to_new(&self, lang: Lang) -> Result<NewCustomer, (&'static str, &'static str)> {
        let mut contacts = Vec::new();
        let (phone, email) = (given(&self.phone), given(&self.email));
        if given(&self.contact_name).is_some() || phone.is_some() || email.is_some() {
            contacts.push(NewContact {
                name: given(&self.contact_name).unwrap_or_else(|| self.name.trim().to_owned()),
                phone,
                email,
                ..NewContact::default()
            });
        }
        let mut sites = Vec::new();
        if let Some(address) = given(&self.address) {
            let number = |field: &'static str, v: &Option<String>| {
                given(v)
                    .map(|v| {
                        v.parse::<f64>()
                            .map_err(|_| (field, "error.invalid_number"))
                    })
                    .transpose()
            };
            sites.push(NewSite {
                name: given(&self.site_name)
                    .unwrap_or_else(|| t(lang, "page.customers.main_site").to_owned()),
                address,
                lat: number("sites.lat", &self.lat)?,
                lon: number("sites.lon", &self.lon)?,
                ..NewSite::default()
            });
        }
        Ok(NewCustomer {
            name: self.name.clone(),
            kind: given(&self.kind),
            tier: given(&self.tier),
            region_id: given(&self.region_id).and_then(|r| RegionId::parse(&r)),
            tags: customer::split_tags(self.tags.as_deref().unwrap_or("")),
            contacts,
            sites,
        })
    }
}

/// Where the form was opened from: `intake` goes back to the call with the caller found.
#[derive(Deserialize, Default)]
pub struct NewQuery {
    phone: Option<String>,
    then: Option<String>,
}

/// The form for a new customer, prefilled with the caller's number when opened from intake.
pub async fn new(PageUser { user, lang }: PageUser, PageQuery(q): PageQuery<NewQuery>) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let form = NewCustomerForm {
        phone: q.phone.clone(),
        ..NewCustomerForm::default()
    };
    new_page(&user, lang, &form, q.then.as_deref(), None).await
}

async fn new_page(
    user: &CurrentUser,
    lang: Lang,
    f: &NewCustomerForm,
    then: Option<&str>,
    error: Option<(&str, &str)>,
) -> Response {
    let regions = match user.tenant.regions().await {
        Ok(r) => r,
        Err(e) => return super::failure(lang, &e),
    };
    let title = t(lang, "page.customers.new");
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            form.card method="post" action="/customers" {
                @if let Some(then) = then { input type="hidden" name="then" value=(then); }
                @if let Some((field, reason)) = error {
                    p.error role="alert" { (super::field_label(lang, field)) ": " (t(lang, reason)) }
                }
                (customer_fields(lang, &regions, &f.name, f.kind.as_deref(), f.tier.as_deref(),
                    f.region_id.as_deref(), f.tags.as_deref().unwrap_or("")))
                h2 { (t(lang, "page.customers.first_contact")) }
                label for="contact_name" { (t(lang, "page.customers.contact_name")) }
                input #contact_name name="contact_name" maxlength="200" value=(v(&f.contact_name));
                label for="phone" { (t(lang, "page.customers.phone")) }
                input #phone name="phone" type="tel" value=(v(&f.phone));
                label for="email" { (t(lang, "page.customers.email")) }
                input #email name="email" type="email" value=(v(&f.email));
                h2 { (t(lang, "page.customers.first_site")) }
                (site_fields(lang, &v(&f.site_name), &v(&f.address), &v(&f.lat), &v(&f.lon)))
                p { button type="submit" { (t(lang, "page.customers.create")) } }
            }
        },
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

fn customer_fields(
    lang: Lang,
    regions: &[(RegionId, String)],
    name: &str,
    kind: Option<&str>,
    tier: Option<&str>,
    region: Option<&str>,
    tags: &str,
) -> Markup {
    let kind = kind.unwrap_or("company");
    let tier = tier.unwrap_or("standard");
    html! {
        label for="name" { (t(lang, "page.admin.name")) }
        input #name name="name" required maxlength="200" value=(name);
        label for="kind" { (t(lang, "page.customers.kind")) }
        select #kind name="kind" {
            @for k in ["company", "person"] {
                option value=(k) selected[k == kind] { (t(lang, &format!("page.customers.kind.{k}"))) }
            }
        }
        label for="tier" { (t(lang, "page.customers.tier")) }
        input #tier name="tier" list="tiers" maxlength="32" value=(tier);
        datalist #tiers { option value="standard" { (tier_label(lang, "standard")) } option value="vip" { (tier_label(lang, "vip")) } }
        label for="region_id" { (t(lang, "page.desk.region")) }
        select #region_id name="region_id" {
            option value="" { "—" }
            @for (id, rname) in regions {
                @let id = id.to_string();
                option value=(id) selected[region == Some(id.as_str())] { (rname) }
            }
        }
        label for="tags" { (t(lang, "page.customers.tags")) }
        input #tags name="tags" value=(tags) placeholder=(t(lang, "page.customers.tags_hint"));
    }
}

fn site_fields(lang: Lang, name: &str, address: &str, lat: &str, lon: &str) -> Markup {
    html! {
        label for="site_name" { (t(lang, "page.customers.site_name")) }
        input #site_name name="site_name" maxlength="200" value=(name) placeholder=(t(lang, "page.customers.main_site"));
        label for="address" { (t(lang, "page.customers.address")) }
        input #address name="address" maxlength="500" value=(address);
        div.row {
            div {
                label for="lat" { (t(lang, "page.customers.lat")) }
                input #lat name="lat" inputmode="decimal" value=(lat) placeholder="31.2304";
            }
            div {
                label for="lon" { (t(lang, "page.customers.lon")) }
                input #lon name="lon" inputmode="decimal" value=(lon) placeholder="121.4737";
            }
        }
    }
}

/// A new customer from the form.
#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(flatten)]
    form: NewCustomerForm,
    then: Option<String>,
}

/// Creates the customer; then their card, or back to the call they came from.
pub async fn create(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<CreateForm>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let then = given(&f.then);
    let new = match f.form.to_new(lang) {
        Ok(n) => n,
        Err(e) => return new_page(&user, lang, &f.form, then.as_deref(), Some(e)).await,
    };
    match user.tenant.create_customer(new, state.clock.now()).await {
        Ok(id) => match (then.as_deref(), given(&f.form.phone)) {
            (Some("intake"), Some(phone)) => Redirect::to(&format!(
                "/desk/intake?phone={}",
                super::query_value(&phone)
            ))
            .into_response(),
            _ => Redirect::to(&format!("/customers/{id}")).into_response(),
        },
        Err(StoreError::Invalid(e)) => {
            new_page(
                &user,
                lang,
                &f.form,
                then.as_deref(),
                Some((e.field, e.reason)),
            )
            .await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// Which form on the card an error belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum CardForm {
    Edit,
    Contact,
    Site,
    Asset,
}

/// The customer card.
pub async fn show(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    let Some(id) = CustomerId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    // A merged-away customer's old link leads to the customer it became.
    if let Ok(Some(survivor)) = user.tenant.merged_into(id).await {
        return Redirect::to(&format!("/customers/{survivor}")).into_response();
    }
    card_page(&user, lang, id, state.clock.now(), None).await
}

async fn card_page(
    user: &CurrentUser,
    lang: Lang,
    id: CustomerId,
    now: chrono::DateTime<chrono::Utc>,
    error: Option<(CardForm, &str, &str)>,
) -> Response {
    let (d, regions, offset, models) = match (
        user.tenant.customer_detail(&user.actor, id).await,
        user.tenant.regions().await,
        user.tenant.utc_offset().await,
        user.tenant.models().await,
    ) {
        (Ok(d), Ok(r), Ok(o), Ok(m)) => (d, r, o, m),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return super::failure(lang, &e)
        }
    };
    let (feedback, contracts, spend) = match (
        user.tenant.customer_feedback(&user.actor, id).await,
        user.tenant.customer_contracts(&user.actor, id).await,
        user.tenant.customer_parts_spend(id).await,
    ) {
        (Ok(f), Ok(c), Ok(s)) => (f, c, s),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return super::failure(lang, &e),
    };
    let today = now.with_timezone(&offset).date_naive();
    let may_write = access::allowed(&user.actor, Permission::WriteCustomers);
    let only = loopdesk_store::CallFilter {
        customer: Some(id),
        ..Default::default()
    };
    let calls = match super::calls::last_calls(user, only).await {
        Ok(c) => c,
        Err(e) => return super::failure(lang, &e),
    };
    let mut res = page(
        lang,
        &d.customer.name,
        Some(&user.auth.user),
        html! {
            (card(lang, offset, &d, &regions, may_write, error))
            @if !calls.is_empty() {
                h2 { (t(lang, "page.calls.of_customer")) }
                (super::calls::table(lang, offset, &calls, false))
            }
            (feedback_section(lang, offset, &feedback))
            (business_section(lang, today, &contracts, spend))
            @if may_write && !d.sites.is_empty() {
                (asset_form(lang, &d, &models, error.filter(|(f, ..)| *f == CardForm::Asset)))
            }
        },
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

fn card(
    lang: Lang,
    offset: chrono::FixedOffset,
    d: &CustomerDetail,
    regions: &[(RegionId, String)],
    may_write: bool,
    error: Option<(CardForm, &str, &str)>,
) -> Markup {
    let c = &d.customer;
    let region_name = c.region_id.and_then(|r| {
        regions
            .iter()
            .find(|(id, _)| *id == r)
            .map(|(_, n)| n.as_str())
    });
    let err = |form: CardForm| match error {
        Some((f, field, reason)) if f == form => {
            html! { p.field-error role="alert" { (super::field_label(lang, field)) ": " (t(lang, reason)) } }
        }
        _ => html! {},
    };
    let open_on = |form: CardForm| matches!(error, Some((f, ..)) if f == form);
    let phone = c.contacts.iter().find_map(|k| k.phone.as_deref());
    html! {
        p.muted { a href="/customers" { (t(lang, "page.customers.title")) } }
        h1 { (c.name) " " span.badge { (tier_label(lang, &c.tier)) } }
        dl.facts {
            dt { (t(lang, "page.customers.kind")) } dd { (t(lang, &format!("page.customers.kind.{}", c.kind))) }
            dt { (t(lang, "page.desk.region")) } dd { (region_name.unwrap_or("—")) }
            dt { (t(lang, "page.customers.tags")) } dd { @if c.tags.is_empty() { "—" } @for tag in &c.tags { span.chip { (tag) } " " } }
            dt { (t(lang, "page.customers.since")) } dd { (super::local_time(offset, c.created_at)) }
        }
        div.actions {
            @if let Some(p) = phone {
                p { a.button href={ "/desk/intake?phone=" (super::query_value(p)) } { (t(lang, "page.customers.new_ticket")) } }
            }
            @if may_write {
                details.edit open[open_on(CardForm::Edit)] {
                    summary.button.quiet { (t(lang, "page.customers.edit")) }
                    form.card method="post" action={ "/customers/" (c.id) } {
                        input type="hidden" name="version" value=(c.version);
                        (err(CardForm::Edit))
                        (customer_fields(lang, regions, &c.name, Some(&c.kind), Some(&c.tier),
                            c.region_id.map(|r| r.to_string()).as_deref(), &c.tags.join(", ")))
                        p { button type="submit" { (t(lang, "page.desk.save")) } }
                    }
                }
                p { a.button.quiet href={ "/customers/" (c.id) "/merge" } { (t(lang, "page.merge.open")) } }
            }
        }
        h2 { (t(lang, "page.customers.contacts")) }
        @if c.contacts.is_empty() { p.muted { "—" } } @else {
            div.scroll { table {
                thead { tr {
                    th { (t(lang, "page.customers.contact_name")) }
                    th { (t(lang, "page.customers.phone")) }
                    th.wide { (t(lang, "page.customers.email")) }
                    th.wide { (t(lang, "page.customers.wechat")) }
                    th.wide { (t(lang, "page.customers.notify")) }
                    @if may_write { th {} }
                } }
                tbody { @for k in &c.contacts { tr {
                    td { (k.name) }
                    td { @if let Some(p) = &k.phone { a href={ "tel:" (p) } { (p) } } @else { "—" } }
                    td.wide { @if let Some(e) = &k.email { a href={ "mailto:" (e) } { (e) } } @else { "—" } }
                    td.wide { (k.wechat_id.as_deref().unwrap_or("—")) }
                    td.wide { (t(lang, &format!("page.customers.notify.{}", k.notify_channel))) }
                    @if may_write { td { details.edit-contact {
                        summary { a { (t(lang, "page.customers.edit_contact")) } }
                        form method="post" action={ "/customers/" (c.id) "/contacts/" (k.id) } {
                            input name="name" required maxlength="200" value=(k.name) aria-label=(t(lang, "page.customers.contact_name"));
                            input name="phone" type="tel" value=(k.phone.as_deref().unwrap_or("")) aria-label=(t(lang, "page.customers.phone")) placeholder=(t(lang, "page.customers.phone"));
                            input name="email" type="email" value=(k.email.as_deref().unwrap_or("")) aria-label=(t(lang, "page.customers.email")) placeholder=(t(lang, "page.customers.email"));
                            input name="wechat_id" maxlength="64" value=(k.wechat_id.as_deref().unwrap_or("")) aria-label=(t(lang, "page.customers.wechat")) placeholder=(t(lang, "page.customers.wechat"));
                            select name="notify_channel" aria-label=(t(lang, "page.customers.notify")) {
                                @for ch in ["email", "sms", "wechat", "none"] {
                                    option value=(ch) selected[ch == k.notify_channel] { (t(lang, &format!("page.customers.notify.{ch}"))) }
                                }
                            }
                            select name="lang" aria-label=(t(lang, "page.customers.lang")) {
                                option value="zh-CN" selected[k.lang == "zh-CN"] { "中文" }
                                option value="en" selected[k.lang == "en"] { "English" }
                            }
                            button type="submit" { (t(lang, "page.desk.save")) }
                        }
                        form method="post" action={ "/customers/" (c.id) "/contacts/" (k.id) "/remove" }
                            data-confirm=(tf(lang, "page.customers.remove_contact_confirm", &[("name", &k.name)])) {
                            button.quiet type="submit" { (t(lang, "page.customers.remove_contact")) }
                        }
                    } } }
                } } }
            } }
        }
        @if may_write {
            details.card open[open_on(CardForm::Contact)] {
                summary { a { (t(lang, "page.customers.add_contact")) } }
                form method="post" action={ "/customers/" (c.id) "/contacts" } {
                    (err(CardForm::Contact))
                    label for="contact_name" { (t(lang, "page.customers.contact_name")) }
                    input #contact_name name="name" required maxlength="200";
                    label for="contact_phone" { (t(lang, "page.customers.phone")) }
                    input #contact_phone name="phone" type="tel";
                    label for="contact_email" { (t(lang, "page.customers.email")) }
                    input #contact_email name="email" type="email";
                    label for="contact_wechat" { (t(lang, "page.customers.wechat")) }
                    input #contact_wechat name="wechat_id" maxlength="64";
                    label for="contact_notify" { (t(lang, "page.customers.notify")) }
                    select #contact_notify name="notify_channel" {
                        @for ch in ["email", "sms", "wechat", "none"] {
                            option value=(ch) { (t(lang, &format!("page.customers.notify.{ch}"))) }
                        }
                    }
                    label for="contact_lang" { (t(lang, "page.customers.lang")) }
                    select #contact_lang name="lang" { option value="zh-CN" { "中文" } option value="en" { "English" } }
                    p { button type="submit" { (t(lang, "page.admin.add")) } }
                }
            }
        }
        h2 { (t(lang, "page.customers.sites")) }
        @if d.sites.is_empty() { p.muted { "—" } } @else {
            div.scroll { table {
                thead { tr {
                    th { (t(lang, "page.customers.site_name")) }
                    th { (t(lang, "page.customers.address")) }
                    th.wide { (t(lang, "page.customers.position")) }
                    th.wide { (t(lang, "page.customers.geofence")) }
                    @if may_write { th {} }
                } }
                tbody { @for s in &d.sites { tr {
                    td { (s.name) }
                    td { (s.address) }
                    td.wide { @match (s.lat, s.lon) {
                        (Some(lat), Some(lon)) => { (format!("{lat:.5}, {lon:.5}")) }
                        _ => { span.muted { (t(lang, "page.customers.no_position")) } }
                    } }
                    td.wide { (format!("{:.0} m", s.geofence_m)) }
                    @if may_write { td { (super::customer_parts::site_actions(lang, c.id, s)) } }
                } } }
            } }
        }
        @if may_write {
            details.card open[open_on(CardForm::Site)] {
                summary { a { (t(lang, "page.customers.add_site")) } }
                form method="post" action={ "/customers/" (c.id) "/sites" } {
                    (err(CardForm::Site))
                    (site_fields(lang, "", "", "", ""))
                    label for="geofence_m" { (t(lang, "page.customers.geofence")) }
                    input #geofence_m name="geofence_m" inputmode="numeric" placeholder="500";
                    p { button type="submit" { (t(lang, "page.admin.add")) } }
                }
            }
        }
        h2 { (t(lang, "page.desk.assets")) }
        @if d.assets.is_empty() { p.muted { "—" } }
        ul { @for a in &d.assets { li { a href={ "/assets/" (a.id) } { (a.model) " · " (a.serial) } } } }
        @if !d.assets.is_empty() { p { a href={ "/assets/labels?customer_id=" (d.customer.id) } { (t(lang, "page.labels.print_these")) } } }
        h2 { (tf(lang, "page.desk.open_tickets", &[("count", &d.open_tickets.len().to_string())])) }
        (ticket_list(lang, offset, &d.open_tickets))
        h2 { (t(lang, "page.desk.tickets")) }
        (ticket_list(lang, offset, &d.recent_tickets))
        (super::customer_merge::merged_from(lang, offset, d))
    }
}

/// Registers equipment at one of the customer's sites (the model's warranty applies from the
/// installation date when none is typed).
fn asset_form(
    lang: Lang,
    d: &CustomerDetail,
    models: &[loopdesk_store::ProductModel],
    error: Option<(CardForm, &str, &str)>,
) -> Markup {
    html! {
        details.card open[error.is_some()] {
            summary { a { (t(lang, "page.customers.add_asset")) } }
            form method="post" action={ "/customers/" (d.customer.id) "/assets" } {
                @if let Some((_, field, reason)) = error {
                    p.field-error role="alert" { (super::field_label(lang, field)) ": " (t(lang, reason)) }
                }
                label for="asset-site" { (t(lang, "page.desk.site")) }
                select #asset-site name="site_id" {
                    @for s in &d.sites { option value=(s.id) { (s.name) " · " (s.address) } }
                }
                label for="asset-model" { (t(lang, "page.customers.model")) }
                input #asset-model name="model" list="models" required maxlength="200";
                datalist #models { @for m in models { option value=(m.code) { (m.name) } } }
                label for="asset-serial" { (t(lang, "page.customers.serial")) }
                input #asset-serial name="serial" required maxlength="100";
                div.row {
                    div {
                        label for="asset-installed" { (t(lang, "page.asset.installed")) }
                        input #asset-installed name="installed_on" type="date";
                    }
                    div {
                        label for="asset-warranty" { (t(lang, "page.asset.warranty_until")) }
                        input #asset-warranty name="warranty_until" type="date";
                    }
                }
                p { button type="submit" { (t(lang, "page.admin.add")) } }
            }
        }
    }
}

/// What the customer said of the service: their ratings and how often they chased.
fn feedback_section(
    lang: Lang,
    offset: chrono::FixedOffset,
    f: &loopdesk_store::CustomerFeedback,
) -> Markup {
    html! {
        h2 { (t(lang, "page.customers.feedback")) }
        p.muted { (tf(lang, "page.customers.chases", &[("count", &f.chases.to_string())])) }
        @if f.surveys.is_empty() { p.muted { (t(lang, "page.customers.no_surveys")) } }
        ul.events {
            @for s in &f.surveys {
                li {
                    span.muted { (super::local_time(offset, s.answered_at)) " " }
                    a href={ "/t/" (s.ticket_id) } { (s.number) } " "
                    @if let Some(c) = s.csat {
                        span class={ "badge " (if c >= 4 { "ok" } else if c == 3 { "warning" } else { "breached" }) } { "CSAT " (c) "/5" }
                    }
                    @if let Some(n) = s.nps { " " span.badge { "NPS " (n) } }
                    @if let Some(c) = &s.comment { " " (c) }
                }
            }
        }
    }
}

/// The customer's service contracts (covering now or not) and what their repairs cost them
/// in parts.
fn business_section(
    lang: Lang,
    today: chrono::NaiveDate,
    contracts: &[loopdesk_store::Contract],
    (spend_fen, tickets): (i64, i64),
) -> Markup {
    #[expect(clippy::cast_precision_loss, reason = "money in fen, well within f64")]
    let yuan = spend_fen as f64 / 100.0;
    html! {
        h2 { (t(lang, "page.customers.contracts")) }
        @if contracts.is_empty() { p.muted { (t(lang, "page.customers.no_contracts")) } } @else {
            div.scroll { table {
                thead { tr {
                    th { (t(lang, "page.admin.name")) }
                    th { (t(lang, "page.customers.contract_period")) }
                    th { (t(lang, "page.customers.tier")) }
                    th { (t(lang, "page.desk.assets")) }
                } }
                tbody { @for c in contracts { tr {
                    td { (c.name) " "
                        @if c.starts_on <= today && today <= c.ends_on {
                            span.badge.ok { (t(lang, "page.customers.contract_active")) }
                        } @else if today > c.ends_on {
                            span.badge { (t(lang, "page.customers.contract_ended")) }
                        }
                    }
                    td { (c.starts_on) " – " (c.ends_on) }
                    td { (c.sla_tier.as_deref().unwrap_or("—")) }
                    td { (c.asset_ids.len()) }
                } } }
            } }
        }
        p { (tf(lang, "page.customers.parts_spend", &[("amount", &format!("{yuan:.2}")), ("count", &tickets.to_string())])) }
    }
}

fn ticket_list(
    lang: Lang,
    offset: chrono::FixedOffset,
    tickets: &[loopdesk_store::Ticket],
) -> Markup {
    html! {
        @if tickets.is_empty() { p.muted { "—" } }
        ul.events {
            @for tk in tickets {
                li {
                    span.muted { (super::local_time(offset, tk.created_at)) " " }
                    a href={ "/t/" (tk.id) } { (tk.number) } " " (tk.subject) " "
                    span.badge { (t(lang, tk.status.label_key())) }
                }
            }
        }
    }
}

/// A change to the customer's details.
#[derive(Deserialize)]
pub struct EditForm {
    version: i64,
    name: String,
    kind: Option<String>,
    tier: Option<String>,
    region_id: Option<String>,
    tags: Option<String>,
}

fn card_answer(id: CustomerId, result: Result<(), StoreError>) -> Result<Response, StoreError> {
    result.map(|()| Redirect::to(&format!("/customers/{id}")).into_response())
}

pub(super) async fn answer(
    user: &CurrentUser,
    lang: Lang,
    id: CustomerId,
    now: chrono::DateTime<chrono::Utc>,
    form: CardForm,
    result: Result<(), StoreError>,
) -> Response {
    match card_answer(id, result) {
        Ok(r) => r,
        Err(StoreError::Invalid(e)) => {
            card_page(user, lang, id, now, Some((form, e.field, e.reason))).await
        }
        Err(StoreError::Stale { .. }) => {
            card_page(
                user,
                lang,
                id,
                now,
                Some((form, "version", "page.customers.changed_meanwhile")),
            )
            .await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// Saves the customer's details (if nobody else saved them meanwhile).
pub async fn edit(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<EditForm>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let Some(id) = CustomerId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let edit = CustomerEdit {
        name: Some(f.name),
        kind: given(&f.kind),
        tier: Some(given(&f.tier).unwrap_or_else(|| "standard".into())),
        region_id: Some(given(&f.region_id).and_then(|r| RegionId::parse(&r))),
        tags: Some(customer::split_tags(f.tags.as_deref().unwrap_or(""))),
    };
    let result = user
        .tenant
        .edit_customer(id, f.version, edit, state.clock.now())
        .await
        .map(|_| ());
    answer(&user, lang, id, state.clock.now(), CardForm::Edit, result).await
}

/// A contact to add.
#[derive(Deserialize)]
pub struct ContactForm {
    name: String,
    phone: Option<String>,
    email: Option<String>,
    wechat_id: Option<String>,
    notify_channel: Option<String>,
    lang: Option<String>,
}

impl ContactForm {
    fn into_new(self) -> NewContact {
        NewContact {
            phone: given(&self.phone),
            email: given(&self.email),
            wechat_id: given(&self.wechat_id),
            notify_channel: given(&self.notify_channel),
            lang: given(&self.lang),
            name: self.name,
        }
    }
}

/// Adds a contact to the customer.
pub async fn add_contact(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ContactForm>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let Some(id) = CustomerId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let new = f.into_new();
    let result = user
        .tenant
        .add_contact(id, new, state.clock.now())
        .await
        .map(|_| ());
    answer(
        &user,
        lang,
        id,
        state.clock.now(),
        CardForm::Contact,
        result,
    )
    .await
}

/// A site to add.
#[derive(Deserialize)]
pub struct SiteForm {
    site_name: Option<String>,
    address: String,
    lat: Option<String>,
    lon: Option<String>,
    geofence_m: Option<String>,
}

/// Adds a site to the customer.
pub async fn add_site(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<SiteForm>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let Some(id) = CustomerId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let result = async {
        user.tenant
            .add_site(id, f.to_new(lang)?, state.clock.now())
            .await
            .map(|_| ())
    }
    .await;
    answer(&user, lang, id, state.clock.now(), CardForm::Site, result).await
}

impl SiteForm {
    /// The site as typed: numbers read, an unnamed site called the main site.
    pub(super) fn to_new(&self, lang: Lang) -> Result<NewSite, StoreError> {
        let number = |field: &'static str, v: &Option<String>| {
            given(v)
                .map(|v| {
                    v.parse::<f64>().map_err(|_| {
                        StoreError::Invalid(loopdesk_core::validate::FieldError {
                            field,
                            reason: "error.invalid_number",
                        })
                    })
                })
                .transpose()
        };
        Ok(NewSite {
            name: given(&self.site_name)
                .unwrap_or_else(|| t(lang, "page.customers.main_site").to_owned()),
            address: self.address.clone(),
            lat: number("sites.lat", &self.lat)?,
            lon: number("sites.lon", &self.lon)?,
            region_id: None,
            geofence_m: number("sites.geofence_m", &self.geofence_m)?,
        })
    }
}

/// Equipment to register.
#[derive(Deserialize)]
pub struct AssetForm {
    site_id: String,
    model: String,
    serial: String,
    installed_on: Option<String>,
    warranty_until: Option<String>,
}

/// Registers equipment at one of the customer's sites; then its card.
pub async fn add_asset(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    Form(f): Form<AssetForm>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let Some(id) = CustomerId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let Some(site) = loopdesk_core::SiteId::parse(f.site_id.trim()) else {
        let missing = StoreError::Invalid(loopdesk_core::validate::FieldError {
            field: "site_id",
            reason: "error.required",
        });
        return answer(
            &user,
            lang,
            id,
            state.clock.now(),
            CardForm::Asset,
            Err(missing),
        )
        .await;
    };
    let new = loopdesk_store::NewAsset {
        customer_id: id,
        site_id: site,
        model: f.model,
        serial: f.serial,
        installed_on: given(&f.installed_on),
        warranty_until: given(&f.warranty_until),
        fields: None,
    };
    match user.tenant.create_asset(new, state.clock.now()).await {
        Ok(a) => Redirect::to(&format!("/assets/{}", a.id)).into_response(),
        Err(StoreError::Conflict { field }) => {
            card_page(
                &user,
                lang,
                id,
                state.clock.now(),
                Some((CardForm::Asset, field, "error.conflict")),
            )
            .await
        }
        Err(e) => answer(&user, lang, id, state.clock.now(), CardForm::Asset, Err(e)).await,
    }
}

/// Rows in one download.
const EXPORT_ROWS: usize = 10_000;

/// `?format=` of a download, beside the list's filters.
#[derive(Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
}

/// The list as filtered, as CSV or Excel (`format`), by name, up to 10,000 rows, headers in
/// the reader's language: name, kind, tier, region, tags, contacts with their phones, open
/// tickets.
pub async fn export(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<ListQuery>,
    PageQuery(format): PageQuery<ExportQuery>,
) -> Response {
    use loopdesk_core::kpi::Cell;
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let filter = CustomerFilter {
            q: q.q.clone().unwrap_or_default(),
            tier: given(&q.tier),
            region_id: given(&q.region).and_then(|r| RegionId::parse(&r)),
            tag: given(&q.tag),
            after,
            limit: 200,
        };
        let found = match user.tenant.customer_page(&user.actor, &filter).await {
            Ok(f) => f,
            Err(e) => return super::failure(lang, &e),
        };
        for row in &found.items {
            let c = &row.customer;
            let contacts = c
                .contacts
                .iter()
                .map(|k| match &k.phone {
                    Some(p) => format!("{} {p}", k.name),
                    None => k.name.clone(),
                })
                .collect::<Vec<_>>()
                .join("; ");
            #[expect(clippy::cast_precision_loss, reason = "ticket counts")]
            rows.push(vec![
                Cell::Text(c.name.clone()),
                Cell::Text(t(lang, &format!("page.customers.kind.{}", c.kind)).to_owned()),
                Cell::Text(tier_label(lang, &c.tier)),
                Cell::Text(row.region_name.clone().unwrap_or_default()),
                Cell::Text(c.tags.join(", ")),
                Cell::Text(contacts),
                Cell::Number(row.open_tickets as f64),
            ]);
        }
        match found.next {
            Some(next) if rows.len() < EXPORT_ROWS => after = Some(next),
            _ => break,
        }
    }
    rows.truncate(EXPORT_ROWS);
    let header: Vec<String> = [
        "page.admin.name",
        "page.customers.kind",
        "page.customers.tier",
        "page.desk.region",
        "page.customers.tags",
        "page.customers.contacts",
        "page.customers.open",
    ]
    .iter()
    .map(|k| t(lang, k).to_owned())
    .collect();
    let name = format!("customers-{}", state.clock.now().format("%Y%m%d"));
    match crate::export::download(&name, Some(format.format.as_str()), &header, &rows) {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

/// Saves a contact's details; then the card.
pub async fn edit_contact(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path((id, contact)): Path<(String, String)>,
    Form(f): Form<ContactForm>,
) -> Response {
    if let Some(no) = writer_only(&user, lang) {
        return no;
    }
    let (Some(id), Some(contact)) = (
        CustomerId::parse(&id),
        loopdesk_core::ContactId::parse(&contact),
    ) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let new = f.into_new();
    let result = user.tenant.update_contact(id, contact, new).await;
    answer(
        &user,
        lang,
        id,
        state.clock.now(),
        CardForm::Contact,
        result,
    )
    .await
}

//! Parts on the pages: an engineer's van stock and requests for parts; the supervisor's
//! requisitions to approve.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use loopdesk_core::access::{self, Permission};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::inventory::RequisitionStatus;
use loopdesk_core::{RequisitionId, Status, TicketId};
use loopdesk_store::{StoreError, TicketFilter};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// A request for parts as posted.
#[derive(Deserialize, Default)]
pub struct PartsForm {
    ticket_id: String,
    sku: String,
    qty: String,
}

async fn van_page(
    user: &CurrentUser,
    lang: Lang,
    f: &PartsForm,
    error: Option<(&str, &str)>,
) -> Response {
    let van = match user.tenant.my_van(&user.actor).await {
        Ok(v) => v,
        Err(e) => return super::failure(lang, &e),
    };
    let stock = match &van {
        Some(v) => match user.tenant.stock(&user.actor, Some(v.id), None, 1000).await {
            Ok(s) => s,
            Err(e) => return super::failure(lang, &e),
        },
        None => Vec::new(),
    };
    let mine = TicketFilter {
        status: Status::OPEN.to_vec(),
        assignee_id: user.actor.user_id(),
        limit: Some(100),
        ..TicketFilter::default()
    };
    let orders = match user.tenant.tickets_for(&user.actor, &mine).await {
        Ok(p) => p.items,
        Err(e) => return super::failure(lang, &e),
    };
    let requisitions = user
        .tenant
        .requisitions(&user.actor, None, None)
        .await
        .unwrap_or_default();
    let err = |field: &str| -> Markup {
        match error {
            Some((f, reason)) if f == field || (field == "items" && f.starts_with("items")) => {
                html! { p.field-error role="alert" { (t(lang, reason)) } }
            }
            _ => html! {},
        }
    };
    let title = t(lang, "page.van.title");
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            @match &van {
                None => p.muted { (t(lang, "page.van.none")) },
                Some(v) => p.muted { (v.name) },
            }
            table {
                thead { tr { th { (t(lang, "page.stock.sku")) } th { (t(lang, "page.van.on_hand")) } th { (t(lang, "page.van.reserved")) } th { (t(lang, "page.van.available")) } } }
                tbody {
                    @for s in &stock { tr { td { (s.sku) } td { (s.on_hand) } td { (s.reserved) } td { (s.available) } } }
                }
            }
            h2 { (t(lang, "page.van.request")) }
            form.card method="post" action="/m/requisitions" {
                label for="ticket_id" { (t(lang, "page.van.for_order")) }
                select #ticket_id name="ticket_id" required {
                    @for o in &orders {
                        option value=(o.id) selected[f.ticket_id == o.id.to_string()] { (o.number) " · " (o.subject) }
                    }
                }
                (err("ticket_id"))
                label for="sku" { (t(lang, "page.stock.sku")) }
                input #sku name="sku" value=(f.sku) required;
                (err("items"))
                label for="qty" { (t(lang, "page.van.qty")) }
                input #qty name="qty" type="number" min="1" value=(if f.qty.is_empty() { "1" } else { f.qty.as_str() }) required;
                @if let Some((field, reason)) = error {
                    @if !matches!(field, "ticket_id") && !field.starts_with("items") { p.field-error role="alert" { (t(lang, reason)) } }
                }
                p { button type="submit" { (t(lang, "page.van.send")) } }
            }
            h2 { (t(lang, "page.van.my_requisitions")) }
            ul.events {
                @for r in &requisitions {
                    li {
                        span.badge { (t(lang, &format!("page.requisition.{}", r.status.as_str()))) } " "
                        @for i in &r.items { (i.sku) " × " (i.qty) " " }
                        @if let Some(n) = &r.decision_note { br; span.muted { (n) } }
                    }
                }
            }
        },
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// The engineer's van: its stock, their requisitions, and a request for parts.
pub async fn van(PageUser { user, lang }: PageUser) -> Response {
    van_page(&user, lang, &PartsForm::default(), None).await
}

/// Asks for parts; back to the van page, or the form with the error by its field.
pub async fn request(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<PartsForm>,
) -> Response {
    let Some(ticket) = TicketId::parse(f.ticket_id.trim()) else {
        return van_page(&user, lang, &f, Some(("ticket_id", "error.required"))).await;
    };
    let qty = f.qty.trim().parse::<i64>().unwrap_or(0);
    let items = vec![(f.sku.clone(), qty)];
    match user
        .tenant
        .create_requisition(&user.actor, ticket, items, None, state.clock.now())
        .await
    {
        Ok(_) => Redirect::to("/m/van").into_response(),
        Err(StoreError::Invalid(e)) => van_page(&user, lang, &f, Some((e.field, e.reason))).await,
        Err(StoreError::Refused { reason, .. }) => {
            van_page(&user, lang, &f, Some(("form", reason))).await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// The requisitions waiting for a decision.
pub async fn approvals(PageUser { user, lang }: PageUser) -> Response {
    approvals_page(&user, lang, None).await
}

async fn approvals_page(user: &CurrentUser, lang: Lang, error: Option<String>) -> Response {
    if !access::allowed(&user.actor, Permission::ApproveRequisitions) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let pending = match user
        .tenant
        .requisitions(&user.actor, Some(RequisitionStatus::Pending), None)
        .await
    {
        Ok(r) => r,
        Err(e) => return super::failure(lang, &e),
    };
    let names: std::collections::HashMap<String, String> = user
        .tenant
        .warehouses(&user.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|w| (w.id.to_string(), w.name))
        .collect();
    let title = t(lang, "page.approvals.title");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            @if let Some(e) = &error { p.error role="alert" { (e) } }
            @if pending.is_empty() { p.muted { (t(lang, "page.approvals.none")) } }
            @for r in &pending {
                div.card {
                    p { a href={ "/t/" (r.ticket_id) } { (t(lang, "page.approvals.ticket")) }
                        @if let Some(v) = r.value { " · ¥" (format!("{v:.2}")) } }
                    ul {
                        @for i in &r.items {
                            li {
                                (i.sku) " × " (i.qty) " ← "
                                @match i.proposed_warehouse_id.map(|w| w.to_string()).and_then(|w| names.get(&w).cloned()) {
                                    Some(n) => (n),
                                    None => span.error { (t(lang, "page.approvals.no_stock")) },
                                }
                            }
                        }
                    }
                    @if let Some(n) = &r.note { p.muted { (n) } }
                    form method="post" action={ "/requisitions/" (r.id) "/approve" } {
                        button type="submit" { (t(lang, "page.approvals.approve")) }
                    }
                    form method="post" action={ "/requisitions/" (r.id) "/reject" } {
                        label for={ "reason-" (r.id) } { (t(lang, "page.approvals.reason")) }
                        input id={ "reason-" (r.id) } name="reason" required;
                        button type="submit" { (t(lang, "page.approvals.reject")) }
                    }
                }
            }
        },
    )
}

/// A decision's reason.
#[derive(Deserialize)]
pub struct DecisionForm {
    reason: Option<String>,
}

async fn decide(
    state: &AppState,
    user: PageUser,
    id: &str,
    approve: bool,
    reason: Option<String>,
) -> Response {
    let PageUser { user, lang } = user;
    let Some(id) = RequisitionId::parse(id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let now = state.clock.now();
    let done = if approve {
        user.tenant.approve_requisition(&user.actor, id, now).await
    } else {
        user.tenant
            .reject_requisition(&user.actor, id, reason, now)
            .await
    };
    let error = match done {
        Ok(_) => return Redirect::to("/requisitions").into_response(),
        Err(StoreError::Refused { reason, .. }) => t(lang, reason).to_owned(),
        Err(StoreError::Invalid(e)) => t(lang, e.reason).to_owned(),
        Err(StoreError::InsufficientStock { sku, available, .. }) => tf(
            lang,
            "error.insufficient_stock",
            &[("sku", &sku), ("available", &available.to_string())],
        ),
        Err(e) => return super::failure(lang, &e),
    };
    let mut res = approvals_page(&user, lang, Some(error)).await;
    *res.status_mut() = StatusCode::CONFLICT;
    res
}

/// Approves a requisition.
pub async fn approve(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Response {
    decide(&state, user, &id, true, None).await
}

/// Rejects a requisition, with a reason.
pub async fn reject(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    decide(&state, user, &id, false, f.reason).await
}

/// Which warehouse.
#[derive(Deserialize)]
pub struct StockQuery {
    warehouse: Option<String>,
}

/// Stock by warehouse, and the warehouse's latest movements (stock keepers and supervisors);
/// for stock keepers, the forms that set the stock up and move it: a new warehouse, a new
/// part, goods received, a transfer, a count corrected.
pub async fn levels(
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<StockQuery>,
) -> Response {
    let chosen = q
        .warehouse
        .as_deref()
        .and_then(loopdesk_core::WarehouseId::parse);
    levels_page(&user, lang, chosen, None).await
}

async fn levels_page(
    user: &CurrentUser,
    lang: Lang,
    chosen: Option<loopdesk_core::WarehouseId>,
    error: Option<(&str, String)>,
) -> Response {
    if !access::allowed(&user.actor, Permission::ManageStock)
        && !access::allowed(&user.actor, Permission::ApproveRequisitions)
    {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let keeper = access::allowed(&user.actor, Permission::ManageStock);
    let (warehouses, parts, regions, engineers) = match (
        user.tenant.warehouses(&user.actor).await,
        user.tenant.parts(&user.actor, "", 1000).await,
        user.tenant.regions().await,
        user.tenant.users(Some(loopdesk_core::Role::Engineer)).await,
    ) {
        (Ok(w), Ok(p), Ok(r), Ok(e)) => (w, p, r, e),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return super::failure(lang, &e)
        }
    };
    let chosen = chosen
        .filter(|c| warehouses.iter().any(|w| w.id == *c))
        .or_else(|| warehouses.first().map(|w| w.id));
    let (stock, ledger) = match chosen {
        Some(w) => match (
            user.tenant.stock(&user.actor, Some(w), None, 1000).await,
            user.tenant.ledger(&user.actor, Some(w), None, 50).await,
        ) {
            (Ok(s), Ok(l)) => (s, l),
            (Err(e), _) | (_, Err(e)) => return super::failure(lang, &e),
        },
        None => (Vec::new(), Vec::new()),
    };
    let low = user.tenant.low_stock(&user.actor).await.unwrap_or_default();
    let offset = match user.tenant.utc_offset().await {
        Ok(o) => o,
        Err(e) => return super::failure(lang, &e),
    };
    let failed = |form: &str| matches!(&error, Some((f, _)) if *f == form);
    let err = |form: &str| match &error {
        Some((f, reason)) if *f == form => html! { p.field-error role="alert" { (reason) } },
        _ => html! {},
    };
    let title = t(lang, "page.stock.title");
    let key = uuid::Uuid::new_v4().to_string();
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            @if !low.is_empty() {
                div.card role="status" {
                    p.error { (t(lang, "page.stock.low")) }
                    ul { @for l in &low { li { (l.warehouse) " · " (l.sku) " " (l.name) ": " (l.available) " < " (l.min_available) } } }
                }
            }
            @if warehouses.is_empty() {
                p.notice { (t(lang, "page.stock.no_warehouses")) }
            } @else {
                form.inline method="get" action="/stock" {
                    label for="warehouse" { (t(lang, "page.stock.warehouse")) }
                    select #warehouse name="warehouse" {
                        @for w in &warehouses {
                            option value=(w.id) selected[Some(w.id) == chosen] { (w.name) " (" (t(lang, &format!("page.stock.kind.{}", w.kind.as_str()))) ")" }
                        }
                    }
                    button type="submit" { (t(lang, "page.stock.show")) }
                }
                table {
                    thead { tr { th { (t(lang, "page.stock.sku")) } th { (t(lang, "page.admin.name")) } th { (t(lang, "page.van.on_hand")) } th { (t(lang, "page.van.reserved")) } th { (t(lang, "page.van.available")) } } }
                    tbody { @for s in &stock { tr {
                        td { (s.sku) }
                        td { (parts.iter().find(|p| p.sku == s.sku).map(|p| p.name.as_str()).unwrap_or("")) }
                        td { (s.on_hand) } td { (s.reserved) } td { (s.available) }
                    } } }
                }
                @if stock.is_empty() { p.muted { (t(lang, "page.stock.empty")) } }
            }
            @if keeper {
                datalist #parts { @for p in &parts { option value=(p.sku) { (p.name) } } }
                @if let Some(w) = chosen {
                    div.actions {
                        details.card open[failed("receive")] {
                            summary { a { (t(lang, "page.stock.receive")) } }
                            form method="post" action="/stock/movements" {
                                input type="hidden" name="kind" value="receive";
                                input type="hidden" name="warehouse" value=(w);
                                input type="hidden" name="submission" value=(key);
                                (err("receive"))
                                label for="receive-sku" { (t(lang, "page.stock.sku")) }
                                input #receive-sku name="sku" list="parts" required;
                                label for="receive-qty" { (t(lang, "page.van.qty")) }
                                input #receive-qty name="qty" type="number" min="1" required;
                                label for="receive-reason" { (t(lang, "page.stock.note")) }
                                input #receive-reason name="reason" placeholder=(t(lang, "page.stock.receive_hint"));
                                p { button type="submit" { (t(lang, "page.stock.receive")) } }
                            }
                        }
                        details.card open[failed("threshold")] {
                            summary { a { (t(lang, "page.stock.threshold")) } }
                            form method="post" action="/stock/thresholds" {
                                input type="hidden" name="warehouse" value=(w);
                                (err("threshold"))
                                label for="threshold-sku" { (t(lang, "page.stock.sku")) }
                                input #threshold-sku name="sku" list="parts" required;
                                label for="threshold-min" { (t(lang, "page.stock.min_available")) }
                                input #threshold-min name="min_available" type="number" min="0" placeholder=(t(lang, "page.stock.threshold_clear"));
                                p { button type="submit" { (t(lang, "page.desk.save")) } }
                            }
                        }
                        @if warehouses.len() > 1 {
                            details.card open[failed("transfer")] {
                                summary { a { (t(lang, "page.stock.transfer")) } }
                                form method="post" action="/stock/movements" {
                                    input type="hidden" name="kind" value="transfer";
                                    input type="hidden" name="warehouse" value=(w);
                                    input type="hidden" name="submission" value=(key);
                                    (err("transfer"))
                                    label for="transfer-sku" { (t(lang, "page.stock.sku")) }
                                    input #transfer-sku name="sku" list="parts" required;
                                    label for="transfer-qty" { (t(lang, "page.van.qty")) }
                                    input #transfer-qty name="qty" type="number" min="1" required;
                                    label for="transfer-to" { (t(lang, "page.stock.to")) }
                                    select #transfer-to name="to" required {
                                        @for o in warehouses.iter().filter(|o| o.id != w) { option value=(o.id) { (o.name) } }
                                    }
                                    p { button type="submit" { (t(lang, "page.stock.transfer")) } }
                                }
                            }
                        }
                    }
                }
                div.actions {
                    details.card open[failed("warehouse")] {
                        summary { a { (t(lang, "page.stock.new_warehouse")) } }
                        form method="post" action="/stock/warehouses" {
                            (err("warehouse"))
                            label for="wh-name" { (t(lang, "page.admin.name")) }
                            input #wh-name name="name" required maxlength="200";
                            label for="wh-kind" { (t(lang, "page.stock.kind")) }
                            select #wh-kind name="kind" {
                                @for k in ["central", "regional", "van"] { option value=(k) { (t(lang, &format!("page.stock.kind.{k}"))) } }
                            }
                            label for="wh-region" { (t(lang, "page.desk.region")) }
                            select #wh-region name="region_id" {
                                option value="" { "—" }
                                @for (id, name) in &regions { option value=(id) { (name) } }
                            }
                            label for="wh-engineer" { (t(lang, "page.stock.van_of")) }
                            select #wh-engineer name="engineer_id" {
                                option value="" { "—" }
                                @for e in engineers.iter().filter(|e| e.active) { option value=(e.id) { (e.display_name) } }
                            }
                            p { button type="submit" { (t(lang, "page.admin.add")) } }
                        }
                    }
                    details.card open[failed("part")] {
                        summary { a { (t(lang, "page.stock.new_part")) } }
                        form method="post" action="/stock/parts" {
                            (err("part"))
                            label for="part-sku" { (t(lang, "page.stock.sku")) }
                            input #part-sku name="sku" required maxlength="64";
                            label for="part-name" { (t(lang, "page.admin.name")) }
                            input #part-name name="name" required maxlength="200";
                            label for="part-unit" { (t(lang, "page.stock.unit")) }
                            input #part-unit name="unit" maxlength="16" placeholder="个";
                            label for="part-price" { (t(lang, "page.stock.price")) }
                            input #part-price name="price" inputmode="decimal";
                            p { button type="submit" { (t(lang, "page.admin.add")) } }
                        }
                    }
                    p {
                        a.button.quiet href="/stock/parts" { (t(lang, "page.parts.title")) } " "
                        a.button.quiet href="/stock/import" { (t(lang, "page.stock.import")) }
                    }
                }
            }
            @if chosen.is_some() {
                h2 { (t(lang, "page.stock.movements")) }
                ul.events {
                    @for l in &ledger {
                        li {
                            span.muted { (super::local_time(offset, l.at)) " " }
                            (t(lang, &format!("page.stock.move.{}", l.kind))) " · " (l.sku) " "
                            (format!("{:+}", l.on_hand_delta))
                            @if l.reserved_delta != 0 { " (" (t(lang, "page.van.reserved")) " " (format!("{:+}", l.reserved_delta)) ")" }
                            @if let Some(r) = &l.reason { span.muted { " · " (r) } }
                        }
                    }
                }
            }
        },
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// What a refused stock form says: the field and the reason, or the shortfall.
fn refusal(lang: Lang, e: &StoreError) -> Option<String> {
    match e {
        StoreError::InsufficientStock { sku, available, .. } => Some(tf(
            lang,
            "page.stock.short",
            &[("sku", sku), ("available", &available.to_string())],
        )),
        other => super::refusal(lang, other),
    }
}

/// A movement from the stock page.
#[derive(Deserialize)]
pub struct MovementForm {
    kind: String,
    warehouse: String,
    sku: String,
    qty: String,
    to: Option<String>,
    reason: Option<String>,
    submission: Option<String>,
}

/// Receives goods into the warehouse shown, or transfers them to another; then the page again.
/// The form's key makes a second press record nothing more.
pub async fn move_stock(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<MovementForm>,
) -> Response {
    let warehouse = loopdesk_core::WarehouseId::parse(f.warehouse.trim());
    let form = if f.kind == "transfer" {
        "transfer"
    } else {
        "receive"
    };
    let Some(qty) = f.qty.trim().parse::<i64>().ok().filter(|q| *q > 0) else {
        let why = format!(
            "{}: {}",
            t(lang, "page.van.qty"),
            t(lang, "error.invalid_number")
        );
        return levels_page(&user, lang, warehouse, Some((form, why))).await;
    };
    let to =
        f.to.as_deref()
            .and_then(|t| loopdesk_core::WarehouseId::parse(t.trim()));
    let movement = if form == "transfer" {
        loopdesk_core::inventory::MovementRequest {
            kind: "transfer".into(),
            qty,
            from: warehouse,
            to,
            ticket: None,
            reason: f.reason.clone().filter(|r| !r.trim().is_empty()),
        }
    } else {
        loopdesk_core::inventory::MovementRequest {
            kind: "receive".into(),
            qty,
            from: None,
            to: warehouse,
            ticket: None,
            reason: f.reason.clone().filter(|r| !r.trim().is_empty()),
        }
    };
    let key = f.submission.as_deref().map(str::trim).unwrap_or("");
    let idem = (!key.is_empty() && key.len() <= 100).then(|| loopdesk_store::Idempotency {
        key: format!("stock-page:{key}"),
        request_hash: format!("stock-page:{key}"),
    });
    let input = loopdesk_store::StockMovementInput {
        sku: f.sku.trim().to_owned(),
        movement,
    };
    match user
        .tenant
        .record_movement(&user.actor, input, idem, state.clock.now())
        .await
    {
        Ok(_) => match warehouse {
            Some(w) => Redirect::to(&format!("/stock?warehouse={w}")).into_response(),
            None => Redirect::to("/stock").into_response(),
        },
        Err(e) => match refusal(lang, &e) {
            Some(why) => levels_page(&user, lang, warehouse, Some((form, why))).await,
            None => super::failure(lang, &e),
        },
    }
}

/// A warehouse from the stock page.
#[derive(Deserialize)]
pub struct WarehouseForm {
    name: String,
    kind: String,
    region_id: Option<String>,
    engineer_id: Option<String>,
}

/// Adds a warehouse; then the page with it chosen.
pub async fn add_warehouse(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<WarehouseForm>,
) -> Response {
    let id = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let new = loopdesk_core::inventory::NewWarehouse {
        name: f.name,
        kind: f.kind,
        engineer_id: id(&f.engineer_id).and_then(|e| loopdesk_core::UserId::parse(&e)),
        region_id: id(&f.region_id).and_then(|r| loopdesk_core::RegionId::parse(&r)),
        lat: None,
        lon: None,
    };
    match user
        .tenant
        .create_warehouse(&user.actor, new, state.clock.now())
        .await
    {
        Ok(w) => Redirect::to(&format!("/stock?warehouse={}", w.id)).into_response(),
        Err(e) => match refusal(lang, &e) {
            Some(why) => levels_page(&user, lang, None, Some(("warehouse", why))).await,
            None => super::failure(lang, &e),
        },
    }
}

/// A part from the stock page.
#[derive(Deserialize)]
pub struct PartForm {
    sku: String,
    name: String,
    unit: Option<String>,
    price: Option<String>,
}

/// Adds a part to the catalogue; then the page again.
pub async fn add_part(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<PartForm>,
) -> Response {
    let price = match f.price.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match p.parse::<f64>() {
            Ok(v) => Some(v),
            Err(_) => {
                let why = format!(
                    "{}: {}",
                    t(lang, "page.stock.price"),
                    t(lang, "error.invalid_number")
                );
                return levels_page(&user, lang, None, Some(("part", why))).await;
            }
        },
    };
    let new = loopdesk_core::inventory::NewPart {
        sku: f.sku,
        name: f.name,
        unit: f.unit.filter(|u| !u.trim().is_empty()),
        cost: None,
        price,
        models: Vec::new(),
    };
    match user
        .tenant
        .create_part(&user.actor, new, state.clock.now())
        .await
    {
        Ok(_) => Redirect::to("/stock").into_response(),
        Err(e) => match refusal(lang, &e) {
            Some(why) => levels_page(&user, lang, None, Some(("part", why))).await,
            None => super::failure(lang, &e),
        },
    }
}

/// A low-stock level from the stock page: empty clears it.
#[derive(Deserialize)]
pub struct ThresholdForm {
    warehouse: String,
    sku: String,
    min_available: Option<String>,
}

/// Sets or clears the level under which a part counts as low in the warehouse shown.
pub async fn set_threshold(
    PageUser { user, lang }: PageUser,
    Form(f): Form<ThresholdForm>,
) -> Response {
    let Some(warehouse) = loopdesk_core::WarehouseId::parse(f.warehouse.trim()) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let min = match f
        .min_available
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        None => None,
        Some(m) => match m.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                let why = format!(
                    "{}: {}",
                    t(lang, "page.stock.min_available"),
                    t(lang, "error.invalid_number")
                );
                return levels_page(&user, lang, Some(warehouse), Some(("threshold", why))).await;
            }
        },
    };
    match user
        .tenant
        .set_threshold(&user.actor, warehouse, f.sku.trim(), min)
        .await
    {
        Ok(()) => Redirect::to(&format!("/stock?warehouse={warehouse}")).into_response(),
        Err(e) => match refusal(lang, &e) {
            Some(why) => levels_page(&user, lang, Some(warehouse), Some(("threshold", why))).await,
            None => super::failure(lang, &e),
        },
    }
}

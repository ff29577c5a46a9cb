//! The agent's console (客服): the queue with SLA colours, and phone intake — type the caller's
//! number and see at once who it is, their sites, equipment with warranty, and their tickets;
//! record the request from there, so the customer says it only once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::asset;
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::kpi::Cell;
use loopdesk_core::ticket::views::{Sort, SortKey, View};
use loopdesk_core::ticket::{Channel, MoveCommand};
use loopdesk_core::{
    AssetId, CallId, CustomerId, RegionId, Role, SavedViewId, SiteId, Status, TeamId, TicketId,
    UserId,
};
use loopdesk_store::{
    CustomerDetail, Idempotency, NewTicket, PriorityChange, StoreError, TicketFilter,
    TransitionRequest,
};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{page, PageQuery, PageUser};
use crate::extract::CurrentUser;
use crate::state::AppState;

fn staff_only(user: &CurrentUser, lang: Lang) -> Option<Response> {
    (!access::allowed(&user.actor, Permission::CreateTicket)
        || user
            .auth
            .user
            .roles
            .contains(&loopdesk_core::Role::Customer))
    .then(|| super::failure(lang, &StoreError::Forbidden))
}

/// What the queue is asked for: a view, filters, an order, a page. Every value is text as the
/// form sends it; what does not parse is left out (a link from an old bookmark still opens).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct QueueQuery {
    view: String,
    priority: String,
    q: String,
    sort: String,
    region: String,
    team: String,
    category: String,
    channel: String,
    /// An engineer's id, or `none` for tickets without one.
    assignee: String,
    customer: String,
    /// Created on or after this day (`YYYY-MM-DD`, the tenant's time).
    from: String,
    /// Created on or before this day.
    to: String,
    /// Resolution due by the end of this day.
    due_by: String,
    cursor: String,
    /// The saved view this is (highlighted in the list).
    saved: String,
    /// After a bulk action: how many were done.
    done: String,
    /// After a bulk action: `number:reason-key` of those refused, comma-separated.
    refused: String,
}

impl QueueQuery {
    /// The filters and order as a query string (no page, no outcome), for links and saving.
    fn filters(&self) -> Vec<(&'static str, &str)> {
        [
            ("view", &self.view),
            ("priority", &self.priority),
            ("q", &self.q),
            ("sort", &self.sort),
            ("region", &self.region),
            ("team", &self.team),
            ("category", &self.category),
            ("channel", &self.channel),
            ("assignee", &self.assignee),
            ("customer", &self.customer),
            ("from", &self.from),
            ("to", &self.to),
            ("due_by", &self.due_by),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.trim()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    fn query_string(&self) -> String {
        serde_urlencoded::to_string(self.filters()).unwrap_or_default()
    }

    /// This query with another value for one filter (empty: without it).
    fn with(&self, key: &str, value: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .filters()
            .into_iter()
            .filter(|(k, _)| *k != key)
            .collect();
        if !value.is_empty() {
            pairs.push((key, value));
        }
        format!(
            "/desk?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }

    /// Any filter beyond the view, priority, words and engineer (the "more" panel opens).
    fn more_filters(&self) -> bool {
        [
            &self.region,
            &self.team,
            &self.category,
            &self.channel,
            &self.customer,
            &self.from,
            &self.to,
            &self.due_by,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

/// The start of a local day in UTC, `days` after the day `text` names.
fn day_start(text: &str, offset: FixedOffset, days: i64) -> Option<DateTime<Utc>> {
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    let start = (day + chrono::Duration::days(days)).and_hms_opt(0, 0, 0)?;
    start
        .and_local_timezone(offset)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The store's filter of a view (core's `View::filter`) for this reader, with the page's own
/// filters and order.
fn view_filter(
    user: &CurrentUser,
    view: View,
    q: &QueueQuery,
    now: DateTime<Utc>,
    offset: FixedOffset,
) -> TicketFilter {
    let v = view.filter();
    let assignee = q.assignee.trim();
    TicketFilter {
        status: v.statuses.to_vec(),
        sla_state: v.sla_state,
        unassigned: v.unassigned || assignee == "none",
        assignee_id: UserId::parse(assignee),
        mine: if v.mine { user.actor.user_id() } else { None },
        closed_from: v
            .closed_within_days
            .map(|d| now - chrono::Duration::days(d)),
        priority: q.priority.parse().ok().filter(|p| (1..=4).contains(p)),
        q: Some(q.q.trim().to_owned()).filter(|q| !q.is_empty()),
        region_id: RegionId::parse(q.region.trim()),
        team_id: TeamId::parse(q.team.trim()),
        category: Some(q.category.trim().to_owned()).filter(|c| !c.is_empty()),
        channel: Channel::parse(q.channel.trim()),
        customer_id: CustomerId::parse(q.customer.trim()),
        created_from: day_start(&q.from, offset, 0),
        created_to: day_start(&q.to, offset, 1),
        due_to: day_start(&q.due_by, offset, 1),
        sort: Some(Sort::parse(q.sort.trim()).unwrap_or(view.sort())),
        limit: Some(100),
        ..TicketFilter::default()
    }
}

/// The lists the filter and bulk controls choose from.
struct Choices {
    engineers: Vec<(UserId, String)>,
    teams: Vec<(TeamId, String)>,
    regions: Vec<(RegionId, String)>,
    categories: Vec<(String, String)>,
}

async fn choices(user: &CurrentUser) -> Result<Choices, StoreError> {
    let t = &user.tenant;
    let (engineers, categories, teams, regions) = tokio::try_join!(
        t.users(Some(Role::Engineer)),
        t.categories(),
        t.teams(),
        t.regions(),
    )?;
    Ok(Choices {
        engineers: engineers
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect(),
        teams,
        regions,
        categories: categories.into_iter().map(|c| (c.code, c.name)).collect(),
    })
}

/// The queue: one view at a time (the eight of core's `View`, each with its count, then the
/// reader's saved views and those their team shares), filtered by anything a ticket has,
/// ordered by any column (a click on its header), a hundred rows a page by keyset; rows can be
/// selected for a bulk action and the whole view downloaded. Keys: `j`/`k`, `Enter`, `x`, `a`,
/// `?`.
pub async fn queue(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<QueueQuery>,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    match queue_page(&state, &user, lang, &q).await {
        Ok(res) => res,
        Err(StoreError::Invalid(_)) => Redirect::to("/desk").into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// The views' counts, `{"open": 12, …}`: read after the page, which does not wait for them
/// (they cost a pass over the tickets the reader may see).
pub async fn counts(State(state): State<AppState>, PageUser { user, lang }: PageUser) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    let now = state.clock.now();
    let read = async {
        let offset = user.tenant.utc_offset().await?;
        let plain = QueueQuery::default();
        let each: Vec<TicketFilter> = View::ALL
            .iter()
            .map(|v| view_filter(&user, *v, &plain, now, offset))
            .collect();
        user.tenant.count_each(&user.actor, &each).await
    };
    match read.await {
        Ok(counts) => {
            let body: serde_json::Map<String, serde_json::Value> = View::ALL
                .iter()
                .zip(counts)
                .map(|(v, n)| (v.as_str().to_owned(), n.into()))
                .collect();
            (
                [(axum::http::header::CACHE_CONTROL, "no-store")],
                axum::Json(body),
            )
                .into_response()
        }
        Err(e) => super::failure(lang, &e),
    }
}

async fn queue_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    q: &QueueQuery,
) -> Result<Response, StoreError> {
    let live = super::live::queue_url(user).await?;
    let now = state.clock.now();
    let offset = user.tenant.utc_offset().await?;
    let view = View::parse(&q.view).unwrap_or(View::Open);
    // Links keep the view, also when the page was opened without one.
    let q = &QueueQuery {
        view: view.as_str().to_owned(),
        ..q.clone()
    };
    let sort = Sort::parse(q.sort.trim()).unwrap_or(view.sort());
    let mut filter = view_filter(user, view, q, now, offset);
    filter.cursor = Some(q.cursor.clone()).filter(|c| !c.is_empty());
    // The page and the lists to choose from are independent reads: at once. The views'
    // counts come after the page, from `/desk/counts`.
    let callbacks = async {
        if access::allowed(&user.actor, Permission::Calls) {
            user.tenant.open_callbacks(&user.actor).await
        } else {
            Ok(0)
        }
    };
    let (page_of, saved, choices, callbacks) = tokio::try_join!(
        user.tenant.tickets_for(&user.actor, &filter),
        user.tenant.saved_views(&user.actor),
        choices(user),
        callbacks,
    )?;
    let items = page_of.items;
    let ids: Vec<_> = items.iter().map(|tk| tk.id).collect();
    let names = user.tenant.list_names(&ids).await?;
    let customer_name = match CustomerId::parse(q.customer.trim()) {
        Some(c) => user.tenant.customer_name(&user.actor, c).await?,
        None => None,
    };
    let when = |at: DateTime<Utc>| at.with_timezone(&offset).format("%m-%d %H:%M").to_string();
    let here = q.query_string();
    let next = page_of
        .next_cursor
        .map(|c| format!("/desk?{here}&cursor={}", super::query_value(&c)));
    let refused: Vec<(&str, &str)> = q
        .refused
        .split(',')
        .filter_map(|r| r.split_once(':'))
        .filter(|(_, key)| key.starts_with("error.") || key.starts_with("page."))
        .collect();
    let title = t(lang, "page.desk.queue");
    let header = |key: SortKey, label: &str| {
        let next = sort.clicked(key);
        let arrow = match (sort.key == key, sort.descending) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        };
        html! {
            a href=(q.with("sort", &next.as_string())) aria-sort=[(sort.key == key).then_some(if sort.descending { "descending" } else { "ascending" })] {
                (label) (arrow)
            }
        }
    };
    let body = html! {
        h1 { (title) }
        p.notice data-live=(live) hidden { (t(lang, "page.live.changed")) }
        p.actions {
            a.button href="/desk/intake" { (t(lang, "page.desk.intake")) }
            @if callbacks > 0 {
                " " a.button.quiet href="/desk/calls" {
                    (t(lang, "page.calls.view.callbacks")) " " span.badge.breached { (callbacks) }
                }
            }
            " " a href={ "/desk/export?" (here) "&format=csv" } download { (t(lang, "page.desk.export_csv")) }
            " · " a href={ "/desk/export?" (here) "&format=xlsx" } download { (t(lang, "page.desk.export_xlsx")) }
            " · " button.linkish type="button" data-keys-help { (t(lang, "page.desk.keys")) }
        }
        nav.views aria-label=(t(lang, "page.desk.views")) data-counts="/desk/counts" {
            @for v in View::ALL {
                a href={ "/desk?view=" (v.as_str()) } aria-current=[(v == view && q.saved.is_empty()).then_some("page")] {
                    (t(lang, &v.label_key())) " " span.count data-view=(v.as_str()) {}
                }
            }
        }
        @if !saved.is_empty() {
            nav.views.saved aria-label=(t(lang, "page.desk.saved_views")) {
                @for sv in &saved {
                    span.saved-view {
                        a href={ "/desk?" (sv.query) "&saved=" (sv.id) } aria-current=[(q.saved == sv.id.to_string()).then_some("page")] {
                            (sv.name)
                            @if sv.team_id.is_some() { " " span.badge { (t(lang, "page.desk.shared")) } }
                        }
                        @if sv.mine {
                            form.inline method="post" action={ "/desk/views/" (sv.id) "/delete" } {
                                button.linkish type="submit" title=(t(lang, "page.desk.delete_view")) aria-label={ (t(lang, "page.desk.delete_view")) " " (sv.name) } { "×" }
                            }
                        }
                    }
                }
            }
        }
        form.filters method="get" action="/desk" {
            input type="hidden" name="view" value=(view.as_str());
            @if !q.sort.is_empty() { input type="hidden" name="sort" value=(q.sort); }
            select name="priority" aria-label=(t(lang, "page.ticket.priority")) {
                option value="" { (t(lang, "page.desk.any_priority")) }
                @for p in 1..=4_i64 { option value=(p) selected[q.priority == p.to_string()] { "P" (p) } }
            }
            select name="assignee" aria-label=(t(lang, "page.desk.assignee")) {
                option value="" { (t(lang, "page.desk.any_engineer")) }
                option value="none" selected[q.assignee == "none"] { (t(lang, "page.desk.no_engineer")) }
                @for (id, name) in &choices.engineers { option value=(id) selected[q.assignee == id.to_string()] { (name) } }
            }
            input type="search" name="q" value=(q.q) placeholder=(t(lang, "page.search.placeholder")) aria-label=(t(lang, "page.search.placeholder"));
            details.more open[q.more_filters()] {
                summary { (t(lang, "page.desk.more_filters")) }
                div.filter-grid {
                    label { (t(lang, "page.desk.region"))
                        select name="region" {
                            option value="" { (t(lang, "page.desk.any")) }
                            @for (id, name) in &choices.regions { option value=(id) selected[q.region == id.to_string()] { (name) } }
                        }
                    }
                    label { (t(lang, "page.desk.team"))
                        select name="team" {
                            option value="" { (t(lang, "page.desk.any")) }
                            @for (id, name) in &choices.teams { option value=(id) selected[q.team == id.to_string()] { (name) } }
                        }
                    }
                    label { (t(lang, "page.desk.category"))
                        select name="category" {
                            option value="" { (t(lang, "page.desk.any")) }
                            @for (code, name) in &choices.categories { option value=(code) selected[q.category == *code] { (name) } }
                        }
                    }
                    label { (t(lang, "page.desk.channel"))
                        select name="channel" {
                            option value="" { (t(lang, "page.desk.any")) }
                            @for c in Channel::ALL { option value=(c.as_str()) selected[q.channel == c.as_str()] { (t(lang, &format!("channel.{}", c.as_str()))) } }
                        }
                    }
                    label { (t(lang, "page.desk.created_from")) input type="date" name="from" value=(q.from); }
                    label { (t(lang, "page.desk.created_to")) input type="date" name="to" value=(q.to); }
                    label { (t(lang, "page.desk.due_by")) input type="date" name="due_by" value=(q.due_by); }
                    @if let Some(name) = &customer_name {
                        label { (t(lang, "page.desk.customer"))
                            span.chip { (name) " " a href=(q.with("customer", "")) aria-label=(t(lang, "page.desk.clear")) { "×" } }
                            input type="hidden" name="customer" value=(q.customer);
                        }
                    }
                }
            }
            button type="submit" { (t(lang, "page.desk.filter")) }
            " " a href={ "/desk?view=" (view.as_str()) } { (t(lang, "page.desk.clear")) }
        }
        details.save-view {
            summary { (t(lang, "page.desk.save_view")) }
            form.inline method="post" action="/desk/views" {
                input type="hidden" name="query" value=(here);
                input name="name" required maxlength="60" aria-label=(t(lang, "page.desk.view_name")) placeholder=(t(lang, "page.desk.view_name"));
                label.check { input type="checkbox" name="shared" value="1"; " " (t(lang, "page.desk.share_team")) }
                button type="submit" { (t(lang, "page.desk.save")) }
            }
        }
        @if !q.done.is_empty() {
            p.notice role="status" { (tf(lang, "page.desk.bulk_done", &[("count", &q.done)])) }
        }
        @if !refused.is_empty() {
            div.error role="alert" {
                p { (tf(lang, "page.desk.bulk_refused", &[("count", &refused.len().to_string())])) }
                ul { @for (number, key) in &refused { li { (number) ": " (t(lang, key)) } } }
            }
        }
        @if items.is_empty() { p.muted { (t(lang, "page.desk.empty")) } }
        @else {
            form #bulk method="post" action="/desk/bulk" {
                input type="hidden" name="back" value={ "/desk?" (here) };
                div.bulk-bar {
                    span { (t(lang, "page.desk.selected")) " " output #selected-count { "0" } }
                    select name="engineer_id" aria-label=(t(lang, "page.desk.assignee")) {
                        option value="" { (t(lang, "page.desk.pick_engineer")) }
                        @for (id, name) in &choices.engineers { option value=(id) { (name) } }
                    }
                    button type="submit" name="action" value="assign" { (t(lang, "page.desk.bulk_assign")) }
                    select name="team_id" aria-label=(t(lang, "page.desk.team")) {
                        option value="" { (t(lang, "page.desk.pick_team")) }
                        @for (id, name) in &choices.teams { option value=(id) { (name) } }
                    }
                    button type="submit" name="action" value="team" { (t(lang, "page.desk.bulk_team")) }
                    select name="priority" aria-label=(t(lang, "page.ticket.priority")) {
                        @for p in 1..=4_i64 { option value=(p) selected[p == 3] { "P" (p) } }
                    }
                    button type="submit" name="action" value="priority" { (t(lang, "page.desk.bulk_priority")) }
                    input name="reason" maxlength="500" aria-label=(t(lang, "page.desk.reason")) placeholder=(t(lang, "page.desk.reason"));
                    button.danger type="submit" name="action" value="cancel" { (t(lang, "page.desk.bulk_cancel")) }
                }
                table.queue data-now=(now.timestamp_millis()) data-left=(t(lang, "page.desk.due_left")) data-over=(t(lang, "page.desk.due_over")) data-day=(t(lang, "page.unit.d")) data-hour=(t(lang, "page.unit.h")) data-minute=(t(lang, "page.unit.min")) {
                    thead { tr {
                        th { input type="checkbox" data-select-all aria-label=(t(lang, "page.desk.select_all")); }
                        th { (header(SortKey::Number, t(lang, "page.ticket.number"))) }
                        th { (header(SortKey::Urgency, t(lang, "page.desk.urgency"))) }
                        th { (t(lang, "page.ticket.subject")) }
                        th.wide { (header(SortKey::Customer, t(lang, "page.desk.customer"))) }
                        th { (header(SortKey::Status, t(lang, "page.ticket.status"))) }
                        th.wide { (header(SortKey::Assignee, t(lang, "page.desk.assignee"))) }
                        th { (header(SortKey::Due, t(lang, "page.desk.due"))) }
                        th.wide { (header(SortKey::Created, t(lang, "page.desk.created"))) }
                        th.wide { (header(SortKey::Updated, t(lang, "page.desk.updated"))) }
                    } }
                    tbody {
                        @for tk in &items {
                            @let (customer, engineer) = names.get(&tk.id).cloned().unwrap_or_default();
                            tr data-ticket=(tk.id) {
                                td { input type="checkbox" name="ids" value={ (tk.id) "." (tk.version) } aria-label=(tk.number); }
                                td { a href={ "/t/" (tk.id) } { (tk.number) } }
                                td { span class={ "badge p" (tk.priority) } { "P" (tk.priority) } }
                                td { (tk.subject) }
                                td.wide {
                                    @if let (Some(name), Some(c)) = (&customer, tk.customer_id) {
                                        a.quiet href=(q.with("customer", &c.to_string())) { (name) }
                                    }
                                }
                                td { span.badge { (t(lang, tk.status.label_key())) } }
                                td.wide { (engineer.unwrap_or_default()) }
                                td {
                                    span class={ "badge " (tk.sla.state.as_str()) } title=(t(lang, &format!("page.sla.{}", tk.sla.state.as_str()))) {
                                        @match tk.sla.resolution_due {
                                            Some(d) if tk.status.is_open() => time data-due=(d.timestamp_millis()) datetime=(d.to_rfc3339()) { (when(d)) },
                                            Some(d) => (when(d)),
                                            None => "—",
                                        }
                                    }
                                }
                                td.wide { (when(tk.created_at)) }
                                td.wide { (when(tk.updated_at)) }
                            }
                        }
                    }
                }
            }
        }
        p {
            @if !q.cursor.is_empty() { a href={ "/desk?" (here) } { (t(lang, "page.desk.first")) } " " }
            @if let Some(n) = &next { a.button href=(n) { (t(lang, "page.desk.next")) } }
        }
        dialog #keys-help {
            h2 { (t(lang, "page.desk.keys")) }
            dl.keys {
                @for (key, what) in [("/", "page.keys.search"), ("j / k", "page.keys.move"), ("Enter", "page.keys.open"), ("x", "page.keys.select"), ("a", "page.keys.assign"), ("?", "page.keys.help")] {
                    dt { kbd { (key) } } dd { (t(lang, what)) }
                }
            }
            form method="dialog" { button { (t(lang, "page.desk.close")) } }
        }
    };
    Ok(page(lang, title, Some(&user.auth.user), body))
}

/// A view to save, as posted.
#[derive(Deserialize)]
pub struct SaveViewForm {
    name: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    shared: String,
}

/// Saves the queue's current filters under a name, for the reader or their team; then opens it.
pub async fn save_view(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<SaveViewForm>,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    let shared = !f.shared.is_empty();
    match user
        .tenant
        .save_view(&user.actor, &f.name, &f.query, shared, state.clock.now())
        .await
    {
        Ok(v) => Redirect::to(&format!("/desk?{}&saved={}", v.query, v.id)).into_response(),
        Err(StoreError::Invalid(e)) => {
            let mut res = super::message(lang, t(lang, "page.desk.save_view"), t(lang, e.reason));
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// Deletes one of the reader's saved views.
pub async fn delete_view(
    PageUser { user, lang }: PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let Some(id) = SavedViewId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    match user.tenant.delete_view(&user.actor, id).await {
        Ok(()) => Redirect::to("/desk").into_response(),
        Err(e) => super::failure(lang, &e),
    }
}

/// The longest list one download holds.
const EXPORT_ROWS: usize = 10_000;

/// The view as it is filtered and ordered, as CSV or Excel (`format`), up to 10,000 rows:
/// headers in the reader's language, times in the tenant's.
pub async fn export(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<QueueQuery>,
    PageQuery(format): PageQuery<ExportFormat>,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    match export_rows(&state, &user, lang, &q).await {
        Ok((header, rows)) => {
            let view = View::parse(&q.view).unwrap_or(View::Open);
            let day = state.clock.now().format("%Y%m%d");
            let name = format!("tickets-{}-{day}", view.as_str());
            match crate::export::download(&name, Some(format.format.as_str()), &header, &rows) {
                Ok(res) => res,
                Err(e) => e.into_response(),
            }
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// `?format=` of a download.
#[derive(Deserialize)]
pub struct ExportFormat {
    #[serde(default)]
    format: String,
}

async fn export_rows(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    q: &QueueQuery,
) -> Result<(Vec<String>, Vec<Vec<Cell>>), StoreError> {
    let offset = user.tenant.utc_offset().await?;
    let view = View::parse(&q.view).unwrap_or(View::Open);
    let mut filter = view_filter(user, view, q, state.clock.now(), offset);
    filter.limit = Some(200);
    let when = |at: Option<DateTime<Utc>>| {
        at.map_or(Cell::Empty, |at| Cell::Text(super::local_time(offset, at)))
    };
    let header = [
        "page.ticket.number",
        "page.ticket.subject",
        "page.desk.customer",
        "page.ticket.status",
        "page.ticket.priority",
        "page.desk.assignee",
        "page.desk.category",
        "page.desk.channel",
        "page.desk.created",
        "page.desk.updated",
        "page.desk.due",
        "page.desk.sla",
    ]
    .iter()
    .map(|k| t(lang, k).to_owned())
    .collect();
    let mut rows = Vec::new();
    loop {
        let page_of = user.tenant.tickets_for(&user.actor, &filter).await?;
        let ids: Vec<_> = page_of.items.iter().map(|tk| tk.id).collect();
        let names = user.tenant.list_names(&ids).await?;
        for tk in page_of.items {
            let (customer, engineer) = names.get(&tk.id).cloned().unwrap_or_default();
            let text = |s: Option<String>| s.map_or(Cell::Empty, Cell::Text);
            rows.push(vec![
                Cell::Text(tk.number),
                Cell::Text(tk.subject),
                text(customer),
                Cell::Text(t(lang, tk.status.label_key()).to_owned()),
                Cell::Number(tk.priority as f64),
                text(engineer),
                text(tk.category),
                Cell::Text(t(lang, &format!("channel.{}", tk.channel.as_str())).to_owned()),
                when(Some(tk.created_at)),
                when(Some(tk.updated_at)),
                when(tk.sla.resolution_due),
                Cell::Text(t(lang, &format!("page.sla.{}", tk.sla.state.as_str())).to_owned()),
            ]);
        }
        match page_of.next_cursor {
            Some(c) if rows.len() < EXPORT_ROWS => filter.cursor = Some(c),
            _ => break,
        }
    }
    rows.truncate(EXPORT_ROWS);
    Ok((header, rows))
}

/// What a bulk action did to one ticket: done, or refused with the reason's key.
async fn bulk_one(
    state: &AppState,
    user: &CurrentUser,
    action: &BulkAction,
    id: TicketId,
    version: i64,
) -> Result<(), StoreError> {
    let now = state.clock.now();
    let tenant = &user.tenant;
    match action {
        BulkAction::Assign(engineer, note) => tenant
            .hand_assign(&user.actor, id, *engineer, note, now)
            .await
            .map(drop),
        BulkAction::Team(team, note) => {
            tenant
                .transfer_team(&user.actor, id, *team, note.as_deref(), now)
                .await
        }
        BulkAction::Priority(priority, reason) => {
            let change = PriorityChange {
                version,
                priority: *priority,
                reason: reason.clone(),
            };
            tenant
                .change_priority(&user.actor, id, change, now)
                .await
                .map(drop)
        }
        BulkAction::Cancel(reason) => {
            let req = TransitionRequest {
                version,
                command: MoveCommand {
                    to: Some(Status::Cancelled),
                    reason: reason.clone(),
                    ..MoveCommand::default()
                },
            };
            tenant
                .transition(&user.actor, id, req, None, now)
                .await
                .map(drop)
        }
    }
}

/// A bulk action with what it needs.
enum BulkAction {
    Assign(UserId, String),
    Team(TeamId, Option<String>),
    Priority(i64, Option<String>),
    Cancel(Option<String>),
}

/// The key of why a ticket was refused, for the list after a bulk action.
fn refusal_key(e: &StoreError) -> &'static str {
    match e {
        StoreError::Invalid(f) => f.reason,
        StoreError::Stale { .. } => "page.desk.changed_meanwhile",
        StoreError::Transition(_) => "page.ticket.move_refused",
        StoreError::Forbidden => "error.forbidden",
        StoreError::NotFound => "error.not_found",
        _ => "error.internal",
    }
}

/// Applies one action to the selected rows (`ids`, each `id.version` as the row showed it):
/// each ticket on its own, by the same rules as on its page, so one refusal (it moved on
/// meanwhile, the move is not allowed) stops nothing else; back to the queue with how many
/// were done and which were refused, and why.
pub async fn bulk(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    body: axum::body::Bytes,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let back = field("back")
        .filter(|b| b.starts_with("/desk") && b.bytes().all(|c| c.is_ascii_graphic()))
        .unwrap_or_else(|| "/desk".to_owned());
    let reason = field("reason").map(|r| r.chars().take(500).collect::<String>());
    let action = match field("action").as_deref() {
        Some("assign") => field("engineer_id")
            .and_then(|e| UserId::parse(&e))
            .map(|e| BulkAction::Assign(e, reason.clone().unwrap_or_default())),
        Some("team") => field("team_id")
            .and_then(|t| TeamId::parse(&t))
            .map(|t| BulkAction::Team(t, reason.clone())),
        Some("priority") => field("priority")
            .and_then(|p| p.parse().ok())
            .map(|p| BulkAction::Priority(p, reason.clone())),
        Some("cancel") => Some(BulkAction::Cancel(reason.clone())),
        _ => None,
    };
    let Some(action) = action else {
        return bulk_refused(lang, "page.desk.bulk_incomplete");
    };
    let rows: Vec<(TicketId, i64)> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| {
            let (id, version) = v.split_once('.')?;
            Some((TicketId::parse(id)?, version.parse().ok()?))
        })
        .take(200)
        .collect();
    if rows.is_empty() {
        return bulk_refused(lang, "page.desk.bulk_none");
    }
    let mut done = 0;
    let mut refused = Vec::new();
    for (id, version) in rows {
        match bulk_one(&state, &user, &action, id, version).await {
            Ok(()) => done += 1,
            Err(e) => refused.push((id, refusal_key(&e))),
        }
    }
    let ids: Vec<TicketId> = refused.iter().map(|(id, _)| *id).collect();
    let numbers = match user.tenant.ticket_numbers(&user.actor, &ids).await {
        Ok(n) => n,
        Err(e) => return super::failure(lang, &e),
    };
    let refused: Vec<String> = refused
        .into_iter()
        .map(|(id, key)| {
            let number = numbers.get(&id).cloned().unwrap_or_else(|| id.to_string());
            format!("{number}:{key}")
        })
        .collect();
    let mut to = format!(
        "{back}{}done={done}",
        if back.contains('?') { "&" } else { "?" }
    );
    if !refused.is_empty() {
        to.push_str(&format!(
            "&refused={}",
            super::query_value(&refused.join(","))
        ));
    }
    Redirect::to(&to).into_response()
}

fn bulk_refused(lang: Lang, key: &str) -> Response {
    let mut res = super::message(lang, t(lang, "page.desk.queue"), t(lang, key));
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    res
}

/// Who is calling, and the call they are on (from the caller's card).
#[derive(Deserialize)]
pub struct IntakeQuery {
    phone: Option<String>,
    call: Option<String>,
}

/// What the agent typed about the request, kept when a form comes back with an error.
#[derive(Default, Clone)]
struct Draft {
    subject: String,
    description: String,
    priority: String,
    category: String,
}

fn caller(
    lang: Lang,
    offset: chrono::FixedOffset,
    today: chrono::NaiveDate,
    d: &CustomerDetail,
    phone: &str,
    call: Option<CallId>,
    (draft, categories): (&Draft, &[(String, String)]),
) -> Markup {
    let c = &d.customer;
    html! {
        div.card {
            h2 { (c.name) " " span.badge { (c.tier) } }
            ul { @for k in &c.contacts { li { (k.name) @if let Some(p) = &k.phone { " · " (p) } } } }
            @if !d.open_tickets.is_empty() {
                h3 { (tf(lang, "page.desk.open_tickets", &[("count", &d.open_tickets.len().to_string())])) }
                ul.events {
                    @for tk in &d.open_tickets {
                        li {
                            a href={ "/t/" (tk.id) } { (tk.number) } " " (tk.subject) " "
                            span.badge { (t(lang, tk.status.label_key())) }
                        }
                    }
                }
            }
            h3 { (t(lang, "page.desk.assets")) }
            ul {
                @for a in &d.assets {
                    @let until = a.warranty_until.as_deref().and_then(|u| u.parse().ok());
                    @let open = d.open_tickets.iter().filter(|tk| tk.asset_id == Some(a.id)).count();
                    li {
                        a href={ "/assets/" (a.id) } { (a.model) " · " (a.serial) }
                        @if let Some(w) = asset::warranty_on(until, today) { " " span.badge { (t(lang, &format!("page.warranty.{}", w.as_str()))) } }
                        @if open > 0 { " " span.badge.warning { (tf(lang, "page.desk.open_on_asset", &[("count", &open.to_string())])) } }
                    }
                }
            }
            h3 { (t(lang, "page.desk.tickets")) }
            ul.events {
                // The open ones stand above.
                @for tk in d.recent_tickets.iter().filter(|tk| !tk.status.is_open()) {
                    li {
                        span.muted { (super::local_time(offset, tk.created_at)) " " }
                        a href={ "/t/" (tk.id) } { (tk.number) } " " (tk.subject) " "
                        span.badge { (t(lang, tk.status.label_key())) }
                    }
                }
            }
            form method="post" action="/desk/intake" data-triage="/desk/intake/triage" {
                input type="hidden" name="customer_id" value=(c.id);
                input type="hidden" name="phone" value=(phone);
                @if let Some(call) = call { input type="hidden" name="call" value=(call); }
                input type="hidden" name="submission" value=(uuid::Uuid::new_v4());
                @if d.sites.len() > 1 {
                    label for={ "site-" (c.id) } { (t(lang, "page.desk.site")) }
                    select id={ "site-" (c.id) } name="site_id" {
                        @for s in &d.sites { option value=(s.id) { (s.name) " · " (s.address) } }
                    }
                } @else if let Some(s) = d.sites.first() {
                    input type="hidden" name="site_id" value=(s.id);
                }
                @if !d.assets.is_empty() {
                    label for={ "asset-" (c.id) } { (t(lang, "page.request.asset")) }
                    select id={ "asset-" (c.id) } name="asset_id" {
                        option value="" { "—" }
                        @for a in &d.assets { option value=(a.id) { (a.model) " · " (a.serial) } }
                    }
                }
                (request_fields(lang, &c.id.to_string(), draft, categories))
                p { button type="submit" { (t(lang, "page.desk.record")) } }
            }
        }
    }
}

/// The request's own fields: subject, description, kind of request, urgency (ids suffixed by
/// `key`, one form per customer found), and the triage panel the page fills while the agent
/// types (pages::triage).
fn request_fields(lang: Lang, key: &str, draft: &Draft, categories: &[(String, String)]) -> Markup {
    let priority = if draft.priority.is_empty() {
        "3"
    } else {
        draft.priority.as_str()
    };
    html! {
        label for={ "subject-" (key) } { (t(lang, "page.request.subject")) }
        input id={ "subject-" (key) } name="subject" required maxlength="200" value=(draft.subject);
        label for={ "description-" (key) } { (t(lang, "page.request.description")) }
        textarea id={ "description-" (key) } name="description" maxlength="10000" { (draft.description) }
        div.triage-panel aria-live="polite" {}
        @if !categories.is_empty() {
            label for={ "category-" (key) } { (t(lang, "page.request.category")) }
            select id={ "category-" (key) } name="category" {
                option value="" { "—" }
                @for (code, name) in categories {
                    option value=(code) selected[*code == draft.category] { (name) }
                }
            }
        }
        label for={ "priority-" (key) } { (t(lang, "page.request.urgency")) }
        select id={ "priority-" (key) } name="priority" {
            @for (v, k) in [("1", "page.urgency.1"), ("2", "page.urgency.2"), ("3", "page.urgency.3"), ("4", "page.urgency.4")] {
                option value=(v) selected[v == priority] { (t(lang, k)) }
            }
        }
    }
}

/// A caller nobody knows: the customer, a contact on this number and a site, typed during the
/// call together with the request, and recorded with one press.
fn new_caller(
    lang: Lang,
    categories: &[(String, String)],
    regions: &[(RegionId, String)],
    phone: &str,
    call: Option<CallId>,
    f: &NewCallerForm,
    error: Option<(&str, &str)>,
) -> Markup {
    html! {
        div.card.new-caller {
            h2 { (t(lang, "page.desk.new_caller")) }
            p.muted {
                (t(lang, "page.desk.unknown_caller")) " "
                a href={ "/customers/new?then=intake&phone=" (super::query_value(phone)) } { (t(lang, "page.desk.full_form")) }
            }
            form method="post" action="/desk/intake/new" data-triage="/desk/intake/triage" {
                input type="hidden" name="phone" value=(phone);
                @if let Some(call) = call { input type="hidden" name="call" value=(call); }
                input type="hidden" name="submission" value=(if f.submission.is_empty() { uuid::Uuid::new_v4().to_string() } else { f.submission.clone() });
                @if let Some((field, reason)) = error {
                    p.error role="alert" { (super::field_label(lang, field)) ": " (t(lang, reason)) }
                }
                label for="new-name" { (t(lang, "page.desk.customer_name")) }
                input #new-name name="name" required maxlength="200" value=(f.name) autofocus;
                div.row {
                    div {
                        label for="new-kind" { (t(lang, "page.customers.kind")) }
                        select #new-kind name="kind" {
                            @for k in ["person", "company"] {
                                option value=(k) selected[k == f.kind] { (t(lang, &format!("page.customers.kind.{k}"))) }
                            }
                        }
                    }
                    div {
                        label for="new-region" { (t(lang, "page.desk.region")) }
                        select #new-region name="region_id" {
                            option value="" { "—" }
                            @for (id, name) in regions {
                                @let id = id.to_string();
                                option value=(id) selected[id == f.region_id] { (name) }
                            }
                        }
                    }
                }
                label for="new-contact" { (t(lang, "page.customers.contact_name")) }
                input #new-contact name="contact_name" maxlength="200" value=(f.contact_name)
                    placeholder=(t(lang, "page.desk.contact_same"));
                label for="new-address" { (t(lang, "page.customers.address")) }
                input #new-address name="address" maxlength="500" value=(f.address);
                (request_fields(lang, "new", &Draft {
                    subject: f.subject.clone(),
                    description: f.description.clone(),
                    priority: f.priority.clone(),
                    category: f.category.clone(),
                }, categories))
                p { button type="submit" { (t(lang, "page.desk.create_and_record")) } }
            }
        }
    }
}

/// Phone intake: the caller's number finds the customer and everything about them.
pub async fn intake(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    PageQuery(q): PageQuery<IntakeQuery>,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    let typed = Typed {
        call: q.call.as_deref().and_then(CallId::parse),
        ..Typed::default()
    };
    intake_page(&state, &user, lang, q.phone.as_deref().unwrap_or(""), typed).await
}

/// What came back with a form: the error, and what was typed.
#[derive(Default)]
struct Typed<'a> {
    /// A request for a known caller that was refused: the reason.
    error: Option<&'a str>,
    /// The request as typed.
    draft: Draft,
    /// A new caller's form as typed, and its error (field, reason).
    new_caller: Option<(&'a NewCallerForm, (&'a str, &'a str))>,
    /// The call the request comes from.
    call: Option<CallId>,
}

async fn intake_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    phone: &str,
    typed: Typed<'_>,
) -> Response {
    let error = typed.error;
    let call = typed.call;
    let phone = phone.trim();
    let mut found = Vec::new();
    let mut phone_error = None;
    if !phone.is_empty() {
        match user.tenant.customers_by_phone(phone, None).await {
            Ok(cs) => {
                for c in cs {
                    match user.tenant.customer_detail(&user.actor, c.id).await {
                        Ok(d) => found.push(d),
                        Err(e) => return super::failure(lang, &e),
                    }
                }
            }
            Err(StoreError::Invalid(e)) => phone_error = Some(e.reason),
            Err(e) => return super::failure(lang, &e),
        }
    }
    let offset = match user.tenant.utc_offset().await {
        Ok(o) => o,
        Err(e) => return super::failure(lang, &e),
    };
    let today = state.clock.now().with_timezone(&offset).date_naive();
    let unknown = !phone.is_empty() && phone_error.is_none() && found.is_empty();
    let regions = if unknown {
        match user.tenant.regions().await {
            Ok(r) => r,
            Err(e) => return super::failure(lang, &e),
        }
    } else {
        Vec::new()
    };
    let categories: Vec<(String, String)> = match user.tenant.categories().await {
        Ok(c) => c.into_iter().map(|c| (c.code, c.name)).collect(),
        Err(e) => return super::failure(lang, &e),
    };
    let blank = NewCallerForm::default();
    let (caller_form, caller_error) = match typed.new_caller {
        Some((f, e)) => (f, Some(e)),
        None => (&blank, None),
    };
    let title = t(lang, "page.desk.intake");
    let mut res = page(
        lang,
        title,
        Some(&user.auth.user),
        html! {
            h1 { (title) }
            form.card method="get" action="/desk/intake" {
                label for="phone" { (t(lang, "page.desk.phone")) }
                input #phone name="phone" type="tel" value=(phone) autofocus[!unknown];
                @if let Some(r) = phone_error { p.field-error role="alert" { (t(lang, r)) } }
                p { button type="submit" { (t(lang, "page.desk.look_up")) } }
            }
            @if let Some(e) = error { p.error role="alert" { (t(lang, e)) } }
            @if unknown && access::allowed(&user.actor, Permission::WriteCustomers) {
                (new_caller(lang, &categories, &regions, phone, call, caller_form, caller_error))
            } @else if unknown {
                p.muted { (t(lang, "page.desk.unknown_caller")) }
            }
            @for d in &found { (caller(lang, offset, today, d, phone, call, (&typed.draft, &categories))) }
        },
    );
    if error.is_some() || phone_error.is_some() || caller_error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// A request recorded at intake.
#[derive(Deserialize)]
pub struct IntakeForm {
    customer_id: String,
    phone: String,
    site_id: Option<String>,
    asset_id: Option<String>,
    subject: String,
    description: String,
    priority: Option<String>,
    /// The kind of request (a category code), when chosen.
    #[serde(default)]
    category: Option<String>,
    submission: String,
    /// The call it comes from.
    call: Option<String>,
}

/// Records the caller's request, prefilled from what intake found; then its page.
pub async fn record(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<IntakeForm>,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    let id = |text: &Option<String>| {
        text.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let new = NewTicket {
        subject: f.subject.clone(),
        description: f.description.clone(),
        priority: f
            .priority
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(3),
        channel: Channel::Phone,
        customer_id: CustomerId::parse(f.customer_id.trim()),
        contact_phone: Some(f.phone.clone()).filter(|p| !p.trim().is_empty()),
        site_id: id(&f.site_id).and_then(|s| SiteId::parse(&s)),
        asset_id: id(&f.asset_id).and_then(|a| AssetId::parse(&a)),
        category: id(&f.category),
        fields: None,
    };
    let call = f.call.as_deref().map(str::trim).and_then(CallId::parse);
    let key = f.submission.trim();
    let idem = (!key.is_empty() && key.len() <= 100).then(|| Idempotency {
        key: format!("intake:{key}"),
        request_hash: format!("intake:{key}"),
    });
    match user
        .tenant
        .create_ticket(&user.actor, new, idem, state.clock.now())
        .await
    {
        Ok((ticket, _)) => {
            // The call shows on the ticket, and its callback (a missed call's) is done.
            if let Some(call) = call {
                if let Err(e) = user
                    .tenant
                    .link_call(
                        &user.actor,
                        call,
                        ticket.id,
                        ticket.customer_id,
                        state.clock.now(),
                    )
                    .await
                {
                    tracing::warn!(error = %e, %call, "the call could not be put on its ticket");
                }
            }
            Redirect::to(&format!("/t/{}", ticket.id)).into_response()
        }
        Err(StoreError::Invalid(e)) => {
            let typed = Typed {
                error: Some(e.reason),
                draft: Draft {
                    subject: f.subject,
                    description: f.description,
                    priority: f.priority.unwrap_or_default(),
                    category: f.category.unwrap_or_default(),
                },
                new_caller: None,
                call,
            };
            intake_page(&state, &user, lang, &f.phone, typed).await
        }
        Err(e) => super::failure(lang, &e),
    }
}

/// A new caller and their request, as typed at intake.
#[derive(Deserialize, Default, Clone)]
pub struct NewCallerForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    region_id: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    submission: String,
    #[serde(default)]
    call: Option<String>,
}

/// The new caller's customer: the one already on this number (a second press of the form),
/// else a new one with a contact on the number and a site at the address given. The request
/// is checked first: a missing subject makes nobody.
async fn new_caller_customer(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    f: &NewCallerForm,
) -> Result<CustomerId, StoreError> {
    loopdesk_core::validate::required_text(
        "subject",
        &f.subject,
        loopdesk_core::validate::MAX_SUBJECT,
    )?;
    if let Some(known) = user
        .tenant
        .customers_by_phone(&f.phone, None)
        .await?
        .first()
    {
        return Ok(known.id);
    }
    let trimmed = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let new = loopdesk_store::NewCustomer {
        name: f.name.clone(),
        kind: trimmed(&f.kind),
        tier: None,
        region_id: RegionId::parse(f.region_id.trim()),
        tags: Vec::new(),
        contacts: vec![loopdesk_store::NewContact {
            name: trimmed(&f.contact_name).unwrap_or_else(|| f.name.trim().to_owned()),
            phone: Some(f.phone.clone()),
            ..loopdesk_store::NewContact::default()
        }],
        sites: trimmed(&f.address)
            .map(|address| loopdesk_store::NewSite {
                name: t(lang, "page.customers.main_site").to_owned(),
                address,
                ..loopdesk_store::NewSite::default()
            })
            .into_iter()
            .collect(),
    };
    user.tenant.create_customer(new, state.clock.now()).await
}

/// Records a new caller (customer, contact on the calling number, site when an address was
/// given) and then their request. A second press of the same form finds the customer the
/// first one made, by the number, and makes no second one. What was typed comes back with
/// the error when anything is refused.
pub async fn record_new_caller(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<NewCallerForm>,
) -> Response {
    if let Some(no) = staff_only(&user, lang) {
        return no;
    }
    if !access::allowed(&user.actor, Permission::WriteCustomers) {
        return super::failure(lang, &StoreError::Forbidden);
    }
    let customer = match new_caller_customer(&state, &user, lang, &f).await {
        Ok(id) => id,
        Err(StoreError::Invalid(e)) => {
            let typed = Typed {
                new_caller: Some((&f, (e.field, e.reason))),
                call: f.call.as_deref().and_then(CallId::parse),
                ..Typed::default()
            };
            return intake_page(&state, &user, lang, &f.phone, typed).await;
        }
        Err(e) => return super::failure(lang, &e),
    };
    let detail = match user.tenant.customer_detail(&user.actor, customer).await {
        Ok(d) => d,
        Err(e) => return super::failure(lang, &e),
    };
    let form = IntakeForm {
        customer_id: customer.to_string(),
        phone: f.phone.clone(),
        site_id: detail.sites.first().map(|s| s.id.to_string()),
        asset_id: None,
        subject: f.subject.clone(),
        description: f.description.clone(),
        priority: Some(f.priority.clone()),
        category: Some(f.category.clone()),
        submission: f.submission.clone(),
        call: f.call.clone(),
    };
    record(State(state), PageUser { user, lang }, Form(form)).await
}

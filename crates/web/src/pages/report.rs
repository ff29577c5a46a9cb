//! The work report on the engineer's phone: what was done, photos before and after from the
//! camera, parts used, labour, and the customer's signature on the screen. A refused report
//! comes back with what is missing and keeps every photo already sent.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use loopdesk_core::event::{pending_rework, EventKind};
use loopdesk_core::i18n::{t, Lang};
use loopdesk_core::ticket::transitions::{AttachmentKind, ChecklistItem, PartUsed, ReportInput};
use loopdesk_core::ticket::{MoveCommand, TransitionError};
use loopdesk_core::{AttachmentId, Status, TicketId};
use loopdesk_store::{Idempotency, StoreError, TicketDetail, TransitionRequest, VanPart};
use maud::{html, Markup};

use super::layout::{page, PageUser};
use crate::api::attachments::save_upload;
use crate::extract::CurrentUser;
use crate::state::AppState;

/// What the form carried (and, after a refusal, what it keeps).
#[derive(Default)]
struct ReportForm {
    version: i64,
    resolution: String,
    labour: String,
    parts: Vec<(String, String)>,
    before: Vec<AttachmentId>,
    after: Vec<AttachmentId>,
    signature: Option<AttachmentId>,
    /// The checklist's items, and those ticked.
    checklist: Vec<String>,
    done: Vec<String>,
    /// The form's own key: sent twice (from the phone's offline queue), it is recorded once.
    submission: String,
    /// When the report was made and sent, by the phone's clock (set by the offline queue).
    client_at_text: String,
    client_sent_at_text: String,
}

/// The parts in the engineer's van with some free, to choose from (none without a van).
async fn van_stock(user: &CurrentUser) -> Vec<VanPart> {
    user.tenant.van_parts(&user.actor).await.unwrap_or_default()
}

fn form(lang: Lang, id: TicketId, f: &ReportForm, problems: &[String], van: &[VanPart]) -> Markup {
    let part = |i: usize| f.parts.get(i).cloned().unwrap_or_default();
    html! {
        @if !problems.is_empty() {
            div.card role="alert" {
                p.error { (t(lang, "page.report.incomplete")) }
                ul { @for p in problems { li.error { (p) } } }
            }
        }
        p.notice data-queued=(t(lang, "page.offline.queued")) hidden {}
        p.error data-refused=(t(lang, "page.offline.refused")) hidden {}
        form.card method="post" action={ "/m/t/" (id) "/report" } enctype="multipart/form-data" data-offline {
            input type="hidden" name="submission" value=(f.submission);
            input type="hidden" name="version" value=(f.version);
            @for a in &f.before { input type="hidden" name="kept_before" value=(a); }
            @for a in &f.after { input type="hidden" name="kept_after" value=(a); }
            @if let Some(a) = f.signature { input type="hidden" name="kept_signature" value=(a); }
            @if !f.checklist.is_empty() {
                fieldset {
                    legend { (t(lang, "page.report.checklist")) }
                    @for item in &f.checklist {
                        input type="hidden" name="checklist" value=(item);
                        label { input type="checkbox" name="done" value=(item) checked[f.done.contains(item)]; " " (item) }
                    }
                }
            }
            label for="resolution" { (t(lang, "page.report.resolution")) }
            textarea #resolution name="resolution" required maxlength="10000" { (f.resolution) }
            label for="before" { (t(lang, "page.report.before")) " (" (f.before.len()) ")" }
            input #before type="file" name="before" accept="image/*" capture="environment" multiple;
            label for="after" { (t(lang, "page.report.after")) " (" (f.after.len()) ")" }
            input #after type="file" name="after" accept="image/*" capture="environment" multiple;
            label { (t(lang, "page.report.parts")) }
            // Parts come from the van: the list offers what is in it, found by SKU or name
            // (the store refuses a SKU it does not know, or more than the van holds). Where
            // the browser reads barcodes, a photo of the part's label fills the SKU in.
            datalist #van-parts {
                @for s in van { option value=(s.sku) { (s.name) " · " (t(lang, "page.report.in_van")) " " (s.available) } }
            }
            @if van.is_empty() { p.muted { (t(lang, "page.report.van_empty")) } }
            p.error data-scan-failed=(t(lang, "page.report.scan_failed")) hidden {}
            @for i in 0..3 {
                div.row {
                    input name={ "sku_" (i) } list="van-parts" autocomplete="off" placeholder=(t(lang, "page.report.sku_or_name")) value=(part(i).0) aria-label=(t(lang, "page.stock.sku"));
                    input name={ "qty_" (i) } type="number" min="1" placeholder=(t(lang, "page.van.qty")) value=(part(i).1) aria-label=(t(lang, "page.van.qty"));
                    label.scan hidden {
                        (t(lang, "page.report.scan"))
                        input type="file" accept="image/*" capture="environment" data-scan={ "sku_" (i) } hidden;
                    }
                }
            }
            label for="labour" { (t(lang, "page.report.labour")) }
            input #labour name="labour" type="number" min="0" value=(f.labour);
            label for="pad" { (t(lang, "page.report.signature")) @if f.signature.is_some() { " ✓" } }
            canvas #pad.signature width="600" height="240" data-signature="signature" data-drawn="signature_ms" {}
            input #signature type="hidden" name="signature";
            input #signature_ms type="hidden" name="signature_ms";
            p { button.link type="button" data-clear="pad" { (t(lang, "page.report.clear")) } }
            p { button type="submit" { (t(lang, "page.report.submit")) } }
        }
    }
}

async fn report_page(
    lang: Lang,
    user: &CurrentUser,
    id: TicketId,
    number: &str,
    f: &ReportForm,
    problems: &[String],
    above: Option<Markup>,
) -> Response {
    let van = van_stock(user).await;
    let title = t(lang, "page.move.resolve");
    page(
        lang,
        title,
        Some(&user.auth.user),
        html! { h1 { (number) " · " (title) } (above.unwrap_or_default()) (form(lang, id, f, problems, &van)) },
    )
}

/// What a report says, for the reviewer: what was done, parts, labour, the checklist, and
/// the photos before and after (each opening large) with the signature.
pub fn summary(lang: Lang, r: &ReportInput) -> Markup {
    let photo = |id: &AttachmentId, label: &str| {
        html! {
            a href={ "/api/v1/attachments/" (id) } title=(label) {
                img src={ "/api/v1/attachments/" (id) "/thumbnail" } alt=(label) loading="lazy";
            }
        }
    };
    html! {
        div.report-summary {
            p { strong { (t(lang, "page.report.resolution")) "：" } (r.resolution) }
            @if !r.parts.is_empty() {
                p { strong { (t(lang, "page.report.parts")) "：" }
                    @for (i, p) in r.parts.iter().enumerate() { @if i > 0 { "，" } (p.sku) " × " (p.qty) } }
            }
            @if let Some(m) = r.labour_minutes {
                p { strong { (t(lang, "page.report.labour")) "：" } (m) }
            }
            @if !r.checklist.is_empty() {
                ul.checklist {
                    @for c in &r.checklist { li { @if c.done { "☑ " } @else { "☐ " } (c.item) } }
                }
            }
            div.photos {
                @for id in &r.before_photo_ids { (photo(id, t(lang, "page.report.before"))) }
                @for id in &r.after_photo_ids { (photo(id, t(lang, "page.report.after"))) }
                @if let Some(id) = &r.signature_id { (photo(id, t(lang, "page.report.signature"))) }
            }
        }
    }
}

/// A report a review sent back: the reviewer's note, who and when.
pub struct SentBack {
    /// What to redo.
    pub note: String,
    /// The reviewer's name.
    pub by: String,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The review's note when the ticket's last report was sent back and no report has been
/// sent since (the rework is still to do).
pub fn sent_back(d: &TicketDetail) -> Option<SentBack> {
    let kinds: Vec<EventKind> = d.events.iter().map(|e| e.kind).collect();
    let e = &d.events[pending_rework(d.ticket.status, &kinds)?];
    Some(SentBack {
        note: e
            .data
            .get("note")
            .and_then(|n| n.as_str())
            .unwrap_or("")
            .to_owned(),
        by: e.actor_name.clone().unwrap_or_default(),
        at: e.at,
    })
}

/// The reviewer's note on a report sent back, who and when; with a link to the report form
/// where the page is not the form itself.
pub fn rework_card(
    lang: Lang,
    offset: chrono::FixedOffset,
    back: &SentBack,
    form: Option<TicketId>,
) -> Markup {
    html! {
        div.card.rework role="alert" {
            p { strong { (t(lang, "page.report.sent_back")) } }
            p.rework-note { (back.note) }
            p.muted { (back.by) " · " (super::local_time(offset, back.at)) }
            @if let Some(id) = form {
                p { a.button href={ "/m/t/" (id) "/report" } { (t(lang, "page.report.rework")) } }
            }
        }
    }
}

/// The report form; after a review sent the report back, filled in with what was sent
/// (photos and signature kept), under the reviewer's note.
pub async fn show(PageUser { user, lang }: PageUser, Path(id): Path<String>) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let d = match user.tenant.ticket_for(&user.actor, id).await {
        Ok(d) => d,
        Err(e) => return super::failure(lang, &e),
    };
    let back = sent_back(&d);
    let sent = match back {
        Some(_) => match user.tenant.last_reports(&user.actor, &[id]).await {
            Ok(mut r) => r.remove(&id),
            Err(e) => return super::failure(lang, &e),
        },
        None => None,
    };
    let mut f = ReportForm {
        version: d.ticket.version,
        checklist: user
            .tenant
            .job_checklist(&d.ticket)
            .await
            .unwrap_or_default(),
        submission: uuid::Uuid::new_v4().to_string(),
        ..ReportForm::default()
    };
    if let Some(r) = sent {
        f.resolution = r.resolution;
        f.labour = r.labour_minutes.map(|m| m.to_string()).unwrap_or_default();
        f.parts = r
            .parts
            .into_iter()
            .map(|p| (p.sku, p.qty.to_string()))
            .collect();
        f.before = r.before_photo_ids;
        f.after = r.after_photo_ids;
        f.signature = r.signature_id;
        f.done = r
            .checklist
            .iter()
            .filter(|c| c.done)
            .map(|c| c.item.clone())
            .collect();
        for c in r.checklist {
            if !f.checklist.contains(&c.item) {
                f.checklist.push(c.item);
            }
        }
    }
    let above = match &back {
        Some(b) => match user.tenant.utc_offset().await {
            Ok(offset) => Some(rework_card(lang, offset, b, None)),
            Err(e) => return super::failure(lang, &e),
        },
        None => None,
    };
    report_page(lang, &user, id, &d.ticket.number, &f, &[], above).await
}

/// The problem `read_form` answers for a form already recorded.
const REPLAYED: &str = "\u{0}replayed";

/// The idempotency key of a report form.
fn report_key(submission: &str) -> String {
    format!("page-report:{submission}")
}

/// Reads the form: texts, kept uploads, and new files stored as they arrive.
async fn read_form(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: TicketId,
    mut multipart: Multipart,
) -> (ReportForm, Vec<String>) {
    let mut f = ReportForm::default();
    let mut parts: [(String, String); 3] = Default::default();
    let mut problems = Vec::new();
    // A signature drawn on this form, and how long it took (milliseconds of pen).
    let (mut drawn_now, mut drawn_ms) = (None, None);
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or("").to_owned();
        let filename = field.file_name().map(str::to_owned);
        let Ok(bytes) = field.bytes().await else {
            problems.push(t(lang, "error.payload_too_large").to_owned());
            continue;
        };
        let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
        let kept = || AttachmentId::parse(&text());
        match name.as_str() {
            "submission" => {
                f.submission = text();
                // Sent before (the answer was lost on the way): nothing is stored again.
                if f.submission.len() <= 64
                    && user
                        .tenant
                        .idempotency_used(&user.actor, &report_key(&f.submission))
                        .await
                        .unwrap_or(false)
                {
                    return (f, vec![REPLAYED.to_owned()]);
                }
            }
            "version" => f.version = text().parse().unwrap_or(0),
            "resolution" => f.resolution = text(),
            "labour" => f.labour = text(),
            "signature_ms" => drawn_ms = text().parse::<i64>().ok(),
            "client_at" => f.client_at_text = text(),
            "client_sent_at" => f.client_sent_at_text = text(),
            "kept_before" => f.before.extend(kept()),
            "kept_after" => f.after.extend(kept()),
            "kept_signature" => f.signature = kept().or(f.signature),
            "checklist" => f.checklist.push(text()),
            "done" => f.done.push(text()),
            n if n.starts_with("sku_") || n.starts_with("qty_") => {
                if let Some(slot) = n[4..].parse::<usize>().ok().and_then(|i| parts.get_mut(i)) {
                    if n.starts_with("sku_") {
                        slot.0 = text()
                    } else {
                        slot.1 = text()
                    }
                }
            }
            "before" | "after" if !bytes.is_empty() => {
                let kind = if name == "before" {
                    AttachmentKind::Before
                } else {
                    AttachmentKind::After
                };
                match save_upload(
                    state,
                    user,
                    id,
                    kind,
                    filename.as_deref().unwrap_or("photo"),
                    &bytes,
                )
                .await
                {
                    Ok(a) if kind == AttachmentKind::Before => f.before.push(a.id),
                    Ok(a) => f.after.push(a.id),
                    Err(e) => problems.push(e.message(lang)),
                }
            }
            "signature" if !bytes.is_empty() => {
                let png = text()
                    .strip_prefix("data:image/png;base64,")
                    .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
                match png {
                    Some(png) => match save_upload(
                        state,
                        user,
                        id,
                        AttachmentKind::Signature,
                        "signature.png",
                        &png,
                    )
                    .await
                    {
                        Ok(a) => {
                            f.signature = Some(a.id);
                            drawn_now = Some(a.id);
                        }
                        Err(e) => problems.push(e.message(lang)),
                    },
                    None => problems.push(t(lang, "error.invalid_value").to_owned()),
                }
            }
            _ => {}
        }
    }
    if let (Some(sig), Some(ms)) = (drawn_now, drawn_ms) {
        if let Err(e) = user.tenant.set_drawn_ms(sig, ms).await {
            tracing::warn!(error = %e, "keeping how long a signature took failed");
        }
    }
    f.parts = parts
        .into_iter()
        .filter(|(s, q)| !s.is_empty() || !q.is_empty())
        .collect();
    (f, problems)
}

/// Sends the report: photos and the signature are stored first, then the move to
/// `resolved` is made with them; refused, the form again with what is missing.
pub async fn submit(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Response {
    let Some(id) = TicketId::parse(&id) else {
        return super::failure(lang, &StoreError::NotFound);
    };
    let (mut f, mut problems) = read_form(&state, &user, lang, id, multipart).await;
    if problems.iter().any(|p| p == REPLAYED) {
        return Redirect::to(&format!("/m/t/{id}")).into_response();
    }
    let number = match user.tenant.ticket_for(&user.actor, id).await {
        Ok(d) => d.ticket.number,
        Err(e) => return super::failure(lang, &e),
    };
    if problems.is_empty() {
        let report = ReportInput {
            resolution: f.resolution.clone(),
            remote: false,
            before_photo_ids: f.before.clone(),
            after_photo_ids: f.after.clone(),
            signature_id: f.signature,
            parts: f
                .parts
                .iter()
                .map(|(sku, qty)| PartUsed {
                    sku: sku.clone(),
                    qty: qty.parse().unwrap_or(0),
                })
                .collect(),
            labour_minutes: f.labour.parse().ok(),
            checklist: f
                .checklist
                .iter()
                .map(|item| ChecklistItem {
                    item: item.clone(),
                    done: f.done.contains(item),
                })
                .collect(),
            ..ReportInput::default()
        };
        let req = TransitionRequest {
            version: f.version,
            command: MoveCommand {
                to: Some(Status::Resolved),
                report: Some(report),
                client_at: super::client_time(
                    &f.client_at_text,
                    &f.client_sent_at_text,
                    state.clock.now(),
                ),
                ..MoveCommand::default()
            },
        };
        let idem = (!f.submission.is_empty() && f.submission.len() <= 64).then(|| Idempotency {
            key: report_key(&f.submission),
            request_hash: report_key(&f.submission),
        });
        match user
            .tenant
            .transition(&user.actor, id, req, idem, state.clock.now())
            .await
        {
            Ok(_) => return Redirect::to(&format!("/m/t/{id}")).into_response(),
            Err(StoreError::Transition(TransitionError::IncompleteReport { missing })) => {
                problems.extend(
                    missing
                        .iter()
                        .map(|m| t(lang, &format!("page.report.missing.{m}")).to_owned()),
                );
            }
            Err(e) => problems.push(crate::error::ApiError::from(e).message(lang)),
        }
    }
    // Refused: the form again, under a new key for the corrected report.
    f.submission = uuid::Uuid::new_v4().to_string();
    let mut res = report_page(lang, &user, id, &number, &f, &problems, None).await;
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    res
}

//! What a ticket's service report says, read off the ticket, its parties, its last work
//! report and the report's pictures in the file store.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::ticket::transitions::{Actor, ConfirmedBy, ReportInput};
use loopdesk_core::{AttachmentId, TicketId};
use loopdesk_store::blobs::Blobs;
use loopdesk_store::{StoreError, TenantStore, Ticket, TicketParties};

use crate::ServiceReport;

/// Everything but the pictures, in `lang`, times at `offset`; `link` is the ticket's page and
/// `now` the time of printing.
#[allow(clippy::too_many_arguments)]
pub fn of_ticket(
    lang: Lang,
    offset: FixedOffset,
    company: &str,
    link: &str,
    now: DateTime<Utc>,
    tk: &Ticket,
    p: &TicketParties,
    report: &ReportInput,
) -> ServiceReport {
    let when = |at: DateTime<Utc>| {
        at.with_timezone(&offset)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let mut facts: Vec<(String, String)> = Vec::new();
    let mut row = |key: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            facts.push((t(lang, key).to_owned(), v));
        }
    };
    row("page.ticket.customer", p.customer_name.clone());
    let phone = p.contact_phone.clone().or_else(|| tk.contact_phone.clone());
    row(
        "page.ticket.contact",
        match (&p.contact_name, phone) {
            (Some(n), Some(ph)) => Some(format!("{n} {ph}")),
            (n, ph) => n.clone().or(ph),
        },
    );
    row(
        "page.ticket.site",
        p.site_address.clone().map(|a| match &p.site_name {
            Some(n) => format!("{n} · {a}"),
            None => a,
        }),
    );
    row(
        "page.ticket.asset",
        p.asset_model.clone().map(|m| match &p.asset_serial {
            Some(s) => format!("{m} · {s}"),
            None => m,
        }),
    );
    row(
        "page.ticket.category",
        p.category_name.clone().or_else(|| tk.category.clone()),
    );
    row("pdf.engineer", p.assignee_name.clone());
    row("pdf.created", Some(when(tk.created_at)));
    row("pdf.check_in", tk.check_in.as_ref().map(|c| when(c.at)));
    row("pdf.resolved", tk.resolved_at.map(when));
    let confirmation = tk.closed_at.map(|at| {
        let at = when(at);
        let key = match tk.confirmed_by.as_deref().and_then(ConfirmedBy::parse) {
            Some(ConfirmedBy::Agent) => "pdf.confirmed.agent",
            Some(ConfirmedBy::Auto) => "pdf.confirmed.auto",
            _ => "pdf.confirmed.customer",
        };
        tf(lang, key, &[("at", &at)])
    });
    let fault = if tk.description.is_empty() {
        tk.subject.clone()
    } else {
        format!("{}\n{}", tk.subject, tk.description)
    };
    ServiceReport {
        lang,
        company: company.to_owned(),
        number: tk.number.clone(),
        link: link.to_owned(),
        printed: when(now),
        facts,
        fault,
        remote: report.remote,
        resolution: report.resolution.clone(),
        checklist: report
            .checklist
            .iter()
            .map(|c| (c.item.clone(), c.done))
            .collect(),
        parts: report
            .parts
            .iter()
            .map(|p| (p.sku.clone(), p.qty))
            .collect(),
        labour_minutes: report.labour_minutes,
        before: Vec::new(),
        after: Vec::new(),
        signature: None,
        confirmation,
    }
}

/// A picture for the report: the small copy made at upload (`<key>.thumb.jpg`), else the file
/// itself when it is a JPEG or PNG of at most 2 MB (a signature, or a photo from before small
/// copies were kept); `None` when neither can be read.
async fn picture(blobs: &dyn Blobs, key: &str, small: bool) -> Option<Vec<u8>> {
    if small {
        if let Ok(bytes) = blobs.get(&format!("{key}.thumb.jpg")).await {
            return Some(bytes);
        }
    }
    let bytes = blobs.get(key).await.ok()?;
    let kind_ok = bytes.starts_with(b"\xFF\xD8\xFF") || bytes.starts_with(b"\x89PNG");
    (kind_ok && bytes.len() <= 2 * 1024 * 1024).then_some(bytes)
}

/// The pictures of `ids` among the ticket's files (`files`: id → storage key), in order.
async fn pictures(
    blobs: &dyn Blobs,
    files: &HashMap<AttachmentId, String>,
    ids: &[AttachmentId],
    small: bool,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for key in ids.iter().filter_map(|id| files.get(id)) {
        out.extend(picture(blobs, key, small).await);
    }
    out
}

/// The service report of ticket `id` as `actor` may print it, in `lang`, its QR code linking
/// to `link`: `Ok(None)` while the ticket has none to print (no report yet, or one still under
/// review for a customer); `NotFound` for a ticket the actor may not see.
pub async fn gather(
    tenant: &TenantStore,
    actor: &Actor,
    blobs: &dyn Blobs,
    id: TicketId,
    lang: Lang,
    link: &str,
    now: DateTime<Utc>,
) -> Result<Option<ServiceReport>, StoreError> {
    let sheet = tenant.service_sheet(actor, id).await?;
    let Some(report) = sheet.report else {
        return Ok(None);
    };
    let detail = tenant.ticket_for(actor, id).await?;
    let parties = tenant.ticket_parties(actor, id).await?;
    let offset = tenant.utc_offset().await?;
    let mut r = of_ticket(
        lang,
        offset,
        &sheet.company,
        link,
        now,
        &detail.ticket,
        &parties,
        &report,
    );
    // The ticket's files the reader may see, read once.
    let files: HashMap<AttachmentId, String> = tenant
        .ticket_attachments(actor, id)
        .await?
        .into_iter()
        .map(|a| (a.id, a.storage_key))
        .collect();
    r.before = pictures(blobs, &files, &report.before_photo_ids, true).await;
    r.after = pictures(blobs, &files, &report.after_photo_ids, true).await;
    r.signature = pictures(blobs, &files, report.signature_id.as_slice(), false)
        .await
        .pop();
    Ok(Some(r))
}

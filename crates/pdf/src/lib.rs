//! The service report (服务报告): what was wrong, what was done, with which parts and how long,
//! the photos, the customer's signature and confirmation — as a PDF Loopdesk makes itself, at
//! A4 or on an 80 mm receipt roll.
//!
//! [`ServiceReport`] holds what the report says (built from a ticket by [`facts::of_ticket`]);
//! [`render`] lays it out ([`layout`], pure and tested without a PDF) and draws it with krilla,
//! which embeds only the glyphs used of the [`Typeface`] (a CJK font from the system).

pub mod face;
pub mod facts;
mod layout;

use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect, Size};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::text::TextDirection;
use krilla::Document;
use loopdesk_core::i18n::{t, tf, Lang};

pub use face::Typeface;
use layout::{Op, Sheet};

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::TicketId;
use loopdesk_store::blobs::Blobs;
use loopdesk_store::{StoreError, TenantStore};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// No usable font.
    #[error("font: {0}")]
    Font(String),
    /// Drawing or writing the PDF failed.
    #[error("PDF: {0}")]
    Draw(String),
}

/// The font service reports are set in, read on first use: the file an operator named
/// (`path` or `path#face`), else the system's. A failed read is tried again next time.
#[derive(Debug)]
pub struct Fonts {
    spec: Option<String>,
    face: OnceLock<Arc<Typeface>>,
}

impl Fonts {
    /// Fonts from `spec` (none: the system's).
    pub fn new(spec: Option<String>) -> Fonts {
        Fonts {
            spec,
            face: OnceLock::new(),
        }
    }

    /// The typeface (blocking: reads the font file the first time).
    pub fn face(&self) -> Result<Arc<Typeface>, PdfError> {
        if let Some(face) = self.face.get() {
            return Ok(face.clone());
        }
        let face = Arc::new(Typeface::from_spec(self.spec.as_deref())?);
        tracing::info!(font = %face.origin.display(), "service reports set in this font");
        Ok(self.face.get_or_init(|| face).clone())
    }
}

/// Why a ticket's service report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the ticket failed (or it is not the reader's to see).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No font, or drawing failed.
    #[error(transparent)]
    Pdf(#[from] PdfError),
}

/// Ticket `id`'s service report as `actor` may print it: its file name and PDF, `None` while
/// there is none to print (see [`facts::gather`]). Drawing runs off the async threads.
#[allow(clippy::too_many_arguments)]
pub async fn make(
    tenant: &TenantStore,
    actor: &Actor,
    blobs: &dyn Blobs,
    fonts: Arc<Fonts>,
    id: TicketId,
    (lang, paper): (Lang, Paper),
    link: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, Vec<u8>)>, ReportError> {
    let Some(report) = facts::gather(tenant, actor, blobs, id, lang, link, now).await? else {
        return Ok(None);
    };
    let name = format!("{}.pdf", report.number);
    let pdf = tokio::task::spawn_blocking(move || render(&report, paper, &*fonts.face()?))
        .await
        .map_err(|e| PdfError::Draw(e.to_string()))??;
    Ok(Some((name, pdf)))
}

/// The paper a report is printed on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Paper {
    /// A4 portrait, in pages.
    #[default]
    A4,
    /// An 80 mm receipt roll: one page as long as the report.
    Receipt,
}

impl Paper {
    /// Reads `a4` or `receipt` (also `80mm`).
    pub fn parse(text: &str) -> Option<Paper> {
        match text {
            "a4" | "A4" => Some(Paper::A4),
            "receipt" | "80mm" => Some(Paper::Receipt),
            _ => None,
        }
    }
}

/// What a service report says.
#[derive(Clone, Debug, Default)]
pub struct ServiceReport {
    /// The language of its labels.
    pub lang: Lang,
    /// The service company (the tenant).
    pub company: String,
    /// The ticket's number.
    pub number: String,
    /// The ticket's page, for the QR code.
    pub link: String,
    /// When it was printed, local time.
    pub printed: String,
    /// Who, where and when: (label, value) rows.
    pub facts: Vec<(String, String)>,
    /// The fault as reported: subject, then description.
    pub fault: String,
    /// Fixed without a visit.
    pub remote: bool,
    /// What was done.
    pub resolution: String,
    /// The checklist: item and whether it was done.
    pub checklist: Vec<(String, bool)>,
    /// Parts used: SKU and quantity.
    pub parts: Vec<(String, i64)>,
    /// Labour, in minutes.
    pub labour_minutes: Option<i64>,
    /// Photos before the repair (JPEG or PNG).
    pub before: Vec<Vec<u8>>,
    /// Photos after the repair.
    pub after: Vec<Vec<u8>>,
    /// The customer's signature (PNG or JPEG).
    pub signature: Option<Vec<u8>>,
    /// How the fix was confirmed, when it was.
    pub confirmation: Option<String>,
}

/// A picture's pixel size, and where it goes in the report's list.
type Sized = (usize, u32, u32);

/// Reads a JPEG or PNG; `None` for anything else or a broken file (left out of the report).
fn picture(bytes: &[u8]) -> Option<Image> {
    let data: krilla::Data = bytes.to_vec().into();
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        Image::from_jpeg(data, true).ok()
    } else if bytes.starts_with(b"\x89PNG") {
        Image::from_png(data, true).ok()
    } else {
        None
    }
}

/// Makes the report's PDF on `paper`, set in `face`.
pub fn render(report: &ServiceReport, paper: Paper, face: &Typeface) -> Result<Vec<u8>, PdfError> {
    let mut images = Vec::new();
    let mut add = |bytes: &[u8]| -> Option<Sized> {
        let image = picture(bytes)?;
        let (w, h) = image.size();
        images.push(image);
        Some((images.len() - 1, w, h))
    };
    let before: Vec<Sized> = report.before.iter().filter_map(|b| add(b)).collect();
    let after: Vec<Sized> = report.after.iter().filter_map(|b| add(b)).collect();
    let signature = report.signature.as_deref().and_then(&mut add);

    let metrics = face.metrics()?;
    let sheet = compose(report, paper, &metrics, &before, &after, signature);
    draw(report, paper, face, &sheet, &images)
}

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;

/// Lays the report out.
fn compose<'m>(
    r: &ServiceReport,
    paper: Paper,
    measure: &'m dyn face::Measure,
    before: &[Sized],
    after: &[Sized],
    signature: Option<Sized>,
) -> Sheet<'m> {
    let lang = r.lang;
    let receipt = paper == Paper::Receipt;
    let mut s = match paper {
        Paper::A4 => Sheet::new(measure, 210.0 * MM, Some(297.0 * MM), 18.0 * MM, 12.0),
        Paper::Receipt => Sheet::new(measure, 80.0 * MM, None, 4.0 * MM, 0.0),
    };
    let (body, small, head) = if receipt {
        (8.0, 7.0, 10.0)
    } else {
        (10.0, 8.5, 12.0)
    };
    let cw = s.content_width();

    // Header: the company, the title and number; the QR code to the right (on a roll, under).
    let qr = if receipt { 0.0 } else { 72.0 };
    let text_w = cw - qr - if receipt { 0.0 } else { 10.0 };
    if !receipt {
        s.qr_at(s.margin + cw - qr, s.margin, qr);
    }
    s.paragraph(s.margin, text_w, body, 80, &r.company);
    s.paragraph(
        s.margin,
        text_w,
        if receipt { 14.0 } else { 20.0 },
        0,
        t(lang, "pdf.title"),
    );
    s.paragraph(
        s.margin,
        text_w,
        body,
        0,
        &tf(lang, "pdf.number", &[("number", &r.number)]),
    );
    s.paragraph(
        s.margin,
        text_w,
        small,
        100,
        &tf(lang, "pdf.printed", &[("at", &r.printed)]),
    );
    if receipt {
        let side = 30.0 * MM;
        s.gap(4.0);
        s.room(side);
        let (x, y) = (s.margin + (cw - side) / 2.0, s.y);
        s.qr_at(x, y, side);
        s.gap(side);
    } else {
        s.y = s.y.max(s.margin + qr);
    }
    s.gap(6.0);
    s.rule(1.2, 0);
    s.gap(6.0);

    let label_w = if receipt { 18.0 * MM } else { 28.0 * MM };
    s.pairs(body, label_w, &r.facts);

    s.heading(head, t(lang, "pdf.fault"));
    s.paragraph(s.margin, cw, body, 0, &r.fault);

    s.heading(head, t(lang, "pdf.work"));
    if r.remote {
        s.paragraph(s.margin, cw, small, 100, t(lang, "pdf.remote"));
    }
    let done = if r.resolution.is_empty() {
        t(lang, "pdf.none")
    } else {
        r.resolution.as_str()
    };
    s.paragraph(s.margin, cw, body, 0, done);
    if !r.checklist.is_empty() {
        s.gap(4.0);
        for (item, ok) in &r.checklist {
            let mark = if *ok { "√" } else { "×" };
            s.paragraph(s.margin, cw, body, 0, &format!("{mark} {item}"));
        }
    }

    s.heading(head, t(lang, "pdf.parts"));
    if r.parts.is_empty() {
        s.paragraph(s.margin, cw, body, 0, t(lang, "pdf.no_parts"));
    } else {
        let qty_w = if receipt { 14.0 * MM } else { 30.0 * MM };
        let header = [t(lang, "pdf.sku").to_owned(), t(lang, "pdf.qty").to_owned()];
        let rows: Vec<Vec<String>> = r
            .parts
            .iter()
            .map(|(sku, q)| vec![sku.clone(), q.to_string()])
            .collect();
        s.table(
            body,
            &[(0.0, cw - qty_w), (cw - qty_w, qty_w)],
            &header,
            &rows,
        );
    }
    if let Some(m) = r.labour_minutes {
        s.gap(3.0);
        s.paragraph(
            s.margin,
            cw,
            body,
            0,
            &tf(lang, "pdf.labour", &[("minutes", &m.to_string())]),
        );
    }

    let columns = if receipt { 2 } else { 3 };
    for (key, photos) in [("pdf.before", before), ("pdf.after", after)] {
        if !photos.is_empty() {
            s.heading(head, t(lang, key));
            s.pictures(columns, photos);
        }
    }

    // The confirmation stays in one piece: heading, signature and the words under it.
    let sig_h = if signature.is_some() {
        small * layout::LEADING + 25.0 * MM + 4.0
    } else {
        0.0
    };
    s.room(head * layout::LEADING * 2.0 + 4.0 + sig_h + body * layout::LEADING);
    s.heading(head, t(lang, "pdf.confirmation"));
    if let Some(sig) = signature {
        s.paragraph(s.margin, cw, small, 100, t(lang, "pdf.signature"));
        let w = if receipt { cw } else { 60.0 * MM };
        s.picture(w, 25.0 * MM, sig);
        s.gap(4.0);
    }
    let confirmed = r
        .confirmation
        .as_deref()
        .unwrap_or(t(lang, "pdf.unconfirmed"));
    s.paragraph(s.margin, cw, body, 0, confirmed);
    s
}

fn gray_fill(gray: u8) -> Fill {
    Fill {
        paint: luma::Color::new(gray).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

/// Draws the laid-out pages, with "page n of m" under each A4 page.
fn draw(
    r: &ServiceReport,
    paper: Paper,
    face: &Typeface,
    sheet: &Sheet<'_>,
    images: &[Image],
) -> Result<Vec<u8>, PdfError> {
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("{} {}", t(r.lang, "pdf.title"), r.number))
            .creator("Loopdesk".to_owned())
            .language(r.lang.tag().to_owned()),
    );
    let total = sheet.pages.len();
    let height = sheet.height.unwrap_or_else(|| sheet.roll_length());
    let settings = || {
        PageSettings::from_wh(sheet.width, height)
            .ok_or_else(|| PdfError::Draw(format!("page size {}x{height}", sheet.width)))
    };
    for (n, ops) in sheet.pages.iter().enumerate() {
        let mut page = doc.start_page_with(settings()?);
        let mut surface = page.surface();
        for op in ops {
            draw_op(&mut surface, face, op, r, images);
        }
        if paper == Paper::A4 {
            let text = tf(
                r.lang,
                "pdf.page",
                &[
                    ("n", &(n + 1).to_string()),
                    ("total", &total.to_string()),
                    ("number", &r.number),
                ],
            );
            let size = 8.0;
            let w = sheet.text_width(&text, size);
            let op = Op::Text {
                x: (sheet.width - w) / 2.0,
                y: height - sheet.margin / 2.0,
                size,
                gray: 120,
                text,
            };
            draw_op(&mut surface, face, &op, r, images);
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| PdfError::Draw(format!("{e:?}")))
}

fn draw_op(
    surface: &mut Surface<'_>,
    face: &Typeface,
    op: &Op,
    r: &ServiceReport,
    images: &[Image],
) {
    match op {
        Op::Text {
            x,
            y,
            size,
            gray,
            text,
        } => {
            surface.set_fill(Some(gray_fill(*gray)));
            surface.draw_text(
                Point::from_xy(*x, *y),
                face.font.clone(),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Op::Rect { x, y, w, h, gray } => {
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                let mut pb = PathBuilder::new();
                pb.push_rect(rect);
                if let Some(path) = pb.finish() {
                    surface.set_fill(Some(gray_fill(*gray)));
                    surface.draw_path(&path);
                }
            }
        }
        Op::Image { x, y, w, h, index } => {
            if let (Some(image), Some(size)) = (images.get(*index), Size::from_wh(*w, *h)) {
                surface.push_transform(&krilla::geom::Transform::from_translate(*x, *y));
                surface.draw_image(image.clone(), size);
                surface.pop();
            }
        }
        Op::Qr { x, y, side } => draw_qr(surface, &r.link, *x, *y, *side),
    }
}

/// The QR code of `link` (error correction M) as filled squares, runs of dark modules joined.
fn draw_qr(surface: &mut Surface<'_>, link: &str, x: f32, y: f32, side: f32) {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M)
    else {
        return;
    };
    let n = code.width();
    let colors = code.to_colors();
    let module = side / n as f32;
    let mut pb = PathBuilder::new();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == qrcode::Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                let rect = Rect::from_xywh(
                    x + start as f32 * module,
                    y + row as f32 * module,
                    (col - start) as f32 * module,
                    module,
                );
                if let Some(rect) = rect {
                    pb.push_rect(rect);
                }
            } else {
                col += 1;
            }
        }
    }
    if let Some(path) = pb.finish() {
        surface.set_fill(Some(gray_fill(0)));
        surface.draw_path(&path);
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

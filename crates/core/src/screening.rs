//! Screening a work report before it counts (issue 23): what in a report a supervisor should
//! look at, each finding with its reason, and which findings hold the report for review.
//!
//! A report is flagged when
//! - one picture is both a before and an after photo, or a photo came from another ticket
//!   (perceptual hashes, [`crate::photo`]);
//! - a part used is listed for other models than the equipment's (the parts catalogue's
//!   `models`; a part listed for no model fits any);
//! - the labour is far from what the category's reports usually take ([`LabourNorm`]);
//! - the customer's signature was drawn in under [`RUSHED_SIGNATURE_MS`] (a scribble, or
//!   the engineer's own hand);
//! - the check-in was outside the site's geofence, or the report came soon after it.
//!
//! Which findings send the report to review is the tenant's choice ([`Blocking`]); an
//! engineer's own request for review always does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::i18n::{t, tf, Lang};
use crate::ticket::transitions::{Flag, ReportInput, TicketFacts};
use crate::AttachmentId;

/// A signature drawn faster than this (milliseconds of pen on the screen) is flagged.
pub const RUSHED_SIGNATURE_MS: i64 = 500;
/// A category's newest reports its labour norm is taken from.
pub const NORM_REPORTS: i64 = 200;
/// Reports of a category needed before its labour has a norm.
pub const NORM_MIN_REPORTS: usize = 20;
/// Labour above `max(q3 + HIGH_IQR × IQR, HIGH_MEDIAN × median)` is far above the norm.
pub const HIGH_IQR: f64 = 3.0;
/// See [`HIGH_IQR`].
pub const HIGH_MEDIAN: f64 = 2.0;
/// Labour under `median / LOW_MEDIAN` is far below the norm.
pub const LOW_MEDIAN: f64 = 4.0;

/// What a category's reports usually take, in minutes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabourNorm {
    /// The lower quartile.
    pub q1: f64,
    /// The median.
    pub median: f64,
    /// The upper quartile.
    pub q3: f64,
    /// Reports it was taken from.
    pub n: usize,
}

impl LabourNorm {
    /// The norm of these labour times, when there are enough of them.
    pub fn of(minutes: &[i64]) -> Option<LabourNorm> {
        if minutes.len() < NORM_MIN_REPORTS {
            return None;
        }
        let mut v: Vec<f64> = minutes.iter().map(|m| *m as f64).collect();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let pos = q * (v.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
        };
        Some(LabourNorm {
            q1: at(0.25),
            median: at(0.5),
            q3: at(0.75),
            n: v.len(),
        })
    }

    /// True when `minutes` is far from the norm: far above its upper quartile and twice its
    /// median, or under a quarter of its median.
    pub fn far_from(&self, minutes: i64) -> bool {
        let m = minutes as f64;
        let high = (self.q3 + HIGH_IQR * (self.q3 - self.q1)).max(HIGH_MEDIAN * self.median);
        m > high || m < self.median / LOW_MEDIAN
    }
}

/// What screening a report needs beyond the ticket's own facts, gathered by the store only
/// for a move that carries a report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportFacts {
    /// The model of the ticket's equipment.
    pub asset_model: Option<String>,
    /// The models each part of the report is listed for (a part not in the catalogue is
    /// left out).
    pub part_models: Vec<(String, Vec<String>)>,
    /// The labour norm of the ticket's category.
    pub labour_norm: Option<LabourNorm>,
    /// How long each signature of the ticket was drawn, where the page measured it.
    pub signatures_drawn_ms: Vec<(AttachmentId, i64)>,
}

/// One thing screening found, with what it found it on (shown as its reason).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// The flag.
    pub flag: Flag,
    /// What the reason names (`sku`, `model`, `minutes`, `usual`, `ms` …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub about: BTreeMap<String, String>,
}

impl Finding {
    /// A finding that needs no more words than its flag.
    pub fn bare(flag: Flag) -> Finding {
        Finding {
            flag,
            about: BTreeMap::new(),
        }
    }

    fn with(flag: Flag, about: &[(&str, String)]) -> Finding {
        Finding {
            flag,
            about: about
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        }
    }

    /// Why, in words: the flag's reason filled with what it was found on.
    pub fn text(&self, lang: Lang) -> String {
        let key = format!("flag.reason.{}", self.flag.as_str());
        if self.about.is_empty() || !crate::i18n::has(&key) {
            return t(lang, &format!("page.flag.{}", self.flag.as_str())).to_owned();
        }
        let args: Vec<(&str, &str)> = self
            .about
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        tf(lang, &key, &args)
    }
}

/// The flags that hold a report for review, as a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking(u32);

impl Blocking {
    /// Holding nothing but what always holds.
    pub const NONE: Blocking = Blocking(0);

    /// The flags a tenant chooses among ([`Flag::ReviewRequested`] always blocks).
    pub const CHOOSABLE: [Flag; 7] = [
        Flag::CheckInOutsideGeofence,
        Flag::ShortVisit,
        Flag::SamePhotoBeforeAfter,
        Flag::PhotoReused,
        Flag::PartNotForModel,
        Flag::LabourOffNorm,
        Flag::SignatureRushed,
    ];

    fn bit(flag: Flag) -> u32 {
        1 << (flag as u32)
    }

    /// The set of these flags.
    pub fn of(flags: &[Flag]) -> Blocking {
        Blocking(flags.iter().fold(0, |b, f| b | Blocking::bit(*f)))
    }

    /// True when `flag` sends a report to review.
    pub fn holds(self, flag: Flag) -> bool {
        flag == Flag::ReviewRequested || self.0 & Blocking::bit(flag) != 0
    }

    /// The chosen flags, in [`Blocking::CHOOSABLE`]'s order.
    pub fn flags(self) -> Vec<Flag> {
        Blocking::CHOOSABLE
            .into_iter()
            .filter(|f| self.0 & Blocking::bit(*f) != 0)
            .collect()
    }
}

impl Default for Blocking {
    /// Evidence that the visit or its pictures are not what they claim, and a part that does
    /// not fit: to review. A short visit, unusual labour and a quick signature are shown to
    /// the reviewer but do not hold a report alone (a quick fix is a good fix).
    fn default() -> Self {
        Blocking::of(&[
            Flag::CheckInOutsideGeofence,
            Flag::SamePhotoBeforeAfter,
            Flag::PhotoReused,
            Flag::PartNotForModel,
        ])
    }
}

/// The codes of the tenant's choice, checked: unknown or unchoosable names are refused.
pub fn parse_blocking(names: &[String]) -> Result<Blocking, crate::validate::FieldError> {
    let mut flags = Vec::with_capacity(names.len());
    for name in names {
        let flag = Blocking::CHOOSABLE
            .into_iter()
            .find(|f| f.as_str() == name.trim())
            .ok_or(crate::validate::FieldError {
                field: "blocking",
                reason: "error.invalid_value",
            })?;
        flags.push(flag);
    }
    Ok(Blocking::of(&flags))
}

fn same_model(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// What a report's evidence shows, besides the visit's own flags (geofence, short visit),
/// which the planner raises from the check-in.
pub fn screen(ticket: &TicketFacts, report: &ReportInput) -> Vec<Finding> {
    let mut found = Vec::new();
    if report.needs_review {
        found.push(Finding::bare(Flag::ReviewRequested));
    }
    // The photos must show the work: not one picture as both before and after, not a
    // picture taken from another ticket.
    let hash = |id: &AttachmentId| {
        ticket
            .photo_hashes
            .iter()
            .find(|(a, _)| a == id)
            .map(|(_, h)| *h)
    };
    let before: Vec<u64> = report.before_photo_ids.iter().filter_map(hash).collect();
    if report
        .after_photo_ids
        .iter()
        .filter_map(hash)
        .any(|a| before.iter().any(|b| crate::photo::alike(a, *b)))
    {
        found.push(Finding::bare(Flag::SamePhotoBeforeAfter));
    }
    if report
        .before_photo_ids
        .iter()
        .chain(&report.after_photo_ids)
        .any(|id| ticket.reused_photos.contains(id))
    {
        found.push(Finding::bare(Flag::PhotoReused));
    }
    let facts = &ticket.report;
    if let Some(model) = facts
        .asset_model
        .as_deref()
        .filter(|m| !m.trim().is_empty())
    {
        let misfits: Vec<&str> = report
            .parts
            .iter()
            .filter(|p| {
                facts.part_models.iter().any(|(sku, models)| {
                    sku == p.sku.trim()
                        && !models.is_empty()
                        && !models.iter().any(|m| same_model(m, model))
                })
            })
            .map(|p| p.sku.trim())
            .collect();
        if !misfits.is_empty() {
            found.push(Finding::with(
                Flag::PartNotForModel,
                &[("sku", misfits.join("、")), ("model", model.to_owned())],
            ));
        }
    }
    if let (Some(minutes), Some(norm)) = (report.labour_minutes, facts.labour_norm) {
        if norm.far_from(minutes) {
            found.push(Finding::with(
                Flag::LabourOffNorm,
                &[
                    ("minutes", minutes.to_string()),
                    ("q1", format!("{:.0}", norm.q1)),
                    ("q3", format!("{:.0}", norm.q3)),
                ],
            ));
        }
    }
    if let Some(sig) = &report.signature_id {
        let drawn = facts
            .signatures_drawn_ms
            .iter()
            .find(|(id, _)| id == sig)
            .map(|(_, ms)| *ms);
        if let Some(ms) = drawn.filter(|ms| *ms < RUSHED_SIGNATURE_MS) {
            found.push(Finding::with(
                Flag::SignatureRushed,
                &[("ms", ms.to_string())],
            ));
        }
    }
    found
}

#[cfg(test)]
#[path = "screening_tests.rs"]
mod tests;

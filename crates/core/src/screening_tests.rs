use super::*;
use crate::i18n::Lang;
use crate::ticket::transitions::PartUsed;

fn report(parts: &[&str], labour: Option<i64>, signature: Option<AttachmentId>) -> ReportInput {
    ReportInput {
        resolution: "更换电容".into(),
        parts: parts
            .iter()
            .map(|s| PartUsed {
                sku: (*s).into(),
                qty: 1,
            })
            .collect(),
        labour_minutes: labour,
        signature_id: signature,
        ..ReportInput::default()
    }
}

fn flags(found: &[Finding]) -> Vec<Flag> {
    found.iter().map(|f| f.flag).collect()
}

#[test]
fn the_norm_needs_twenty_reports_and_flags_far_above_and_far_below_only() {
    assert_eq!(LabourNorm::of(&[60; 19]), None);
    let minutes: Vec<i64> = (0..40).map(|i| 40 + i % 41).collect();
    let norm = LabourNorm::of(&minutes).unwrap();
    assert_eq!(norm.n, 40);
    assert!((norm.median - 59.5).abs() < 1e-9, "{norm:?}");
    assert!(norm.q1 < norm.median && norm.median < norm.q3);
    // Within the spread, and up to twice the median: usual.
    for m in [15, 40, 60, 80, 119] {
        assert!(!norm.far_from(m), "{m} against {norm:?}");
    }
    // A day for a 60-minute job, or five minutes for it.
    assert!(norm.far_from(480));
    assert!(norm.far_from(5));
}

#[test]
fn a_part_listed_for_other_models_only_is_named_with_the_model() {
    let mut t = crate::ticket::TicketFacts::new_ticket(None);
    t.report = ReportFacts {
        asset_model: Some("X9".into()),
        part_models: vec![
            ("CAP-35UF".into(), vec!["x9".into(), "X7".into()]),
            ("FAN-A1".into(), vec!["K3".into()]),
            ("SCREW".into(), vec![]),
        ],
        ..ReportFacts::default()
    };
    // Listed for the model (in any case), listed for none, not in the catalogue: fine.
    let ok = screen(&t, &report(&["CAP-35UF", "SCREW", "UNKNOWN"], None, None));
    assert!(ok.is_empty(), "{ok:?}");
    let found = screen(&t, &report(&["CAP-35UF", "FAN-A1"], None, None));
    assert_eq!(flags(&found), vec![Flag::PartNotForModel]);
    assert_eq!(found[0].about["sku"], "FAN-A1");
    assert_eq!(found[0].about["model"], "X9");
    assert_eq!(found[0].text(Lang::ZhCn), "配件 FAN-A1 不适用于设备型号 X9");
    // No equipment on the ticket: nothing to compare with.
    t.report.asset_model = None;
    assert!(screen(&t, &report(&["FAN-A1"], None, None)).is_empty());
}

#[test]
fn labour_and_a_signature_drawn_in_a_moment_are_found_with_their_figures() {
    let sig = AttachmentId::new();
    let mut t = crate::ticket::TicketFacts::new_ticket(None);
    let usual: Vec<i64> = (0..30).map(|i| 50 + i % 20).collect();
    t.report.labour_norm = LabourNorm::of(&usual);
    t.report.signatures_drawn_ms = vec![(sig, 320)];
    let found = screen(&t, &report(&[], Some(600), Some(sig)));
    assert_eq!(
        flags(&found),
        vec![Flag::LabourOffNorm, Flag::SignatureRushed]
    );
    assert_eq!(found[0].about["minutes"], "600");
    assert!(
        found[0].text(Lang::En).contains("600"),
        "{}",
        found[0].text(Lang::En)
    );
    assert_eq!(found[1].about["ms"], "320");
    // Usual labour, a signature drawn for two seconds, or not measured at all: nothing.
    t.report.signatures_drawn_ms = vec![(sig, 2_000)];
    assert!(screen(&t, &report(&[], Some(60), Some(sig))).is_empty());
    t.report.signatures_drawn_ms.clear();
    assert!(screen(&t, &report(&[], None, Some(sig))).is_empty());
}

#[test]
fn the_tenant_chooses_what_holds_a_report_but_a_request_for_review_always_does() {
    let default = Blocking::default();
    assert!(default.holds(Flag::PartNotForModel));
    assert!(!default.holds(Flag::ShortVisit) && !default.holds(Flag::SignatureRushed));
    assert!(Blocking::NONE.holds(Flag::ReviewRequested));
    assert!(!Blocking::NONE.holds(Flag::CheckInOutsideGeofence));
    let chosen = parse_blocking(&["short_visit".into(), " signature_rushed ".into()]).unwrap();
    assert_eq!(
        chosen.flags(),
        vec![Flag::ShortVisit, Flag::SignatureRushed]
    );
    assert!(!chosen.holds(Flag::PhotoReused));
    for bad in ["review_requested", "nonsense"] {
        let e = parse_blocking(&[bad.into()]).unwrap_err();
        assert_eq!(e.field, "blocking");
    }
}

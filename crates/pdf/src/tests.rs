use super::*;

/// The system's CJK font; `None` (the test says so and passes) only where no font is
/// installed and CI is not asking for the full suite.
fn face() -> Option<Typeface> {
    match Typeface::system() {
        Ok(face) => Some(face),
        Err(e) if std::env::var_os("LOOPDESK_REQUIRE_BROWSER").is_none() => {
            eprintln!("skipped: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

fn report() -> ServiceReport {
    ServiceReport {
        lang: Lang::ZhCn,
        company: "华东制冷服务有限公司".into(),
        number: "WO-20261205-0042".into(),
        link: "https://desk.example.com/t/0193".into(),
        printed: "2026-12-05 10:30".into(),
        facts: vec![
            ("客户".into(), "上海明珠酒店".into()),
            ("设备".into(), "KFR-35GW · SN123".into()),
        ],
        fault: "空调不制冷\n室外机不启动".into(),
        resolution: "更换压缩机启动电容，试机正常".into(),
        checklist: vec![("清洗滤网".into(), true), ("检查冷媒".into(), false)],
        parts: vec![("CAP-35UF".into(), 2)],
        labour_minutes: Some(45),
        confirmation: Some("客户已于 2026-12-05 11:00 确认修复".into()),
        ..ServiceReport::default()
    }
}

#[test]
fn a_report_embeds_a_subset_of_the_font_not_all_of_it() {
    let Some(face) = face() else { return };
    let font_size = std::fs::metadata(&face.origin)
        .map(|m| m.len())
        .unwrap_or(0);
    for paper in [Paper::A4, Paper::Receipt] {
        let pdf = render(&report(), paper, &face).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{paper:?}");
        // The whole font is megabytes; the glyphs of one report are a few kilobytes.
        assert!(
            (pdf.len() as u64) < 150_000 && (pdf.len() as u64) < font_size / 10,
            "{paper:?}: {} bytes with a font of {font_size}",
            pdf.len()
        );
    }
}

#[test]
fn broken_pictures_are_left_out_not_fatal() {
    let Some(face) = face() else { return };
    let mut r = report();
    r.before = vec![b"not a picture".to_vec(), b"\xFF\xD8\xFFbroken".to_vec()];
    r.signature = Some(b"\x89PNGbroken".to_vec());
    let pdf = render(&r, Paper::A4, &face).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
}

#[test]
fn paper_names() {
    assert_eq!(Paper::parse("a4"), Some(Paper::A4));
    assert_eq!(Paper::parse("80mm"), Some(Paper::Receipt));
    assert_eq!(Paper::parse("receipt"), Some(Paper::Receipt));
    assert_eq!(Paper::parse("letter"), None);
}

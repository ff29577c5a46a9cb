use super::*;

/// Ideographs a full em, everything else half.
struct Fixed;

impl Measure for Fixed {
    fn advance(&self, ch: char) -> f32 {
        if is_wide(ch) {
            1.0
        } else {
            0.5
        }
    }
}

fn width(text: &str) -> f32 {
    text.chars().map(|c| Fixed.advance(c)).sum()
}

#[test]
fn chinese_breaks_between_any_two_ideographs_and_loses_nothing() {
    let text = "空调不制冷，室外机不启动。检查压缩机电容后更换，试机正常。";
    let lines = wrap(&Fixed, text, 1.0, 7.0);
    assert!(lines.len() >= 4, "{lines:?}");
    for line in &lines {
        // A closing mark may hang one em past the measure.
        let inner = line.trim_end_matches(closes);
        assert!(width(inner) <= 7.0, "{line} is too wide");
    }
    assert_eq!(lines.concat(), text);
}

#[test]
fn closing_punctuation_never_starts_a_line() {
    for w in 2..12 {
        let lines = wrap(
            &Fixed,
            "更换电容，试机正常。客户确认！（完）",
            1.0,
            w as f32,
        );
        for line in &lines {
            let first = line.chars().next();
            assert!(!first.is_some_and(closes), "width {w}: {lines:?}");
        }
    }
}

#[test]
fn latin_words_stay_whole_and_overlong_ones_are_cut() {
    let lines = wrap(&Fixed, "replace the capacitor CBB65-35uF now", 1.0, 8.0);
    assert_eq!(lines, ["replace the", "capacitor", "CBB65-35uF now"]);
    // A word wider than the column is cut where it must be.
    assert_eq!(wrap(&Fixed, "CBB65-35uF", 1.0, 3.0), ["CBB65-", "35uF"]);
    // Words that fit are never split.
    for word in ["replace", "the", "now"] {
        assert!(
            lines.iter().any(|l| l.split(' ').any(|w| w == word)),
            "{word} split: {lines:?}"
        );
    }
    let mixed = wrap(&Fixed, "型号 KFR-35GW 压缩机", 1.0, 6.0);
    assert!(mixed.iter().any(|l| l.contains("KFR-35GW")), "{mixed:?}");
}

#[test]
fn newlines_break_and_empty_text_is_one_empty_line() {
    assert_eq!(
        wrap(&Fixed, "第一行\n第二行", 1.0, 100.0),
        ["第一行", "第二行"]
    );
    assert_eq!(wrap(&Fixed, "", 1.0, 100.0), [""]);
}

#[test]
fn a_long_report_runs_onto_further_pages_and_never_below_the_margin() {
    let mut s = Sheet::new(&Fixed, 595.0, Some(842.0), 50.0, 12.0);
    let long = "压缩机启动电容失效，更换后试机正常。".repeat(400);
    s.heading(12.0, "处理结果");
    s.paragraph(50.0, s.content_width(), 10.0, 0, &long);
    s.pictures(
        3,
        &[
            (0, 4000, 3000),
            (1, 3000, 4000),
            (2, 100, 100),
            (3, 640, 480),
        ],
    );
    assert!(s.pages.len() >= 3, "{} pages", s.pages.len());
    let bottom = 842.0 - 50.0 - 12.0;
    for (n, page) in s.pages.iter().enumerate() {
        assert!(!page.is_empty(), "page {n} is empty");
        for op in page {
            let (top, low) = match op {
                Op::Text { y, size, .. } => (y - size * ASCENT, *y),
                Op::Rect { y, h, .. } | Op::Image { y, h, .. } => (*y, y + h),
                Op::Qr { y, side, .. } => (*y, y + side),
            };
            assert!(
                top >= 50.0 - 1e-3 && low <= bottom + 1e-3,
                "page {n}: {op:?}"
            );
        }
    }
    // Pictures keep their proportions inside a 4:3 cell.
    let images: Vec<&Op> = s
        .pages
        .iter()
        .flatten()
        .filter(|o| matches!(o, Op::Image { .. }))
        .collect();
    assert_eq!(images.len(), 4);
    for op in images {
        if let Op::Image { w, h, index, .. } = op {
            let want = [4.0 / 3.0, 3.0 / 4.0, 1.0, 4.0 / 3.0][*index];
            assert!((w / h - want).abs() < 0.01, "{op:?}");
        }
    }
}

#[test]
fn a_roll_is_one_page_as_long_as_its_content() {
    let mut s = Sheet::new(&Fixed, 226.0, None, 11.0, 0.0);
    s.paragraph(11.0, s.content_width(), 8.0, 0, &"更换电容。".repeat(300));
    assert_eq!(s.pages.len(), 1);
    let lowest = s.pages[0]
        .iter()
        .filter_map(|o| match o {
            Op::Text { y, .. } => Some(*y),
            _ => None,
        })
        .fold(0.0_f32, f32::max);
    assert!(s.roll_length() > lowest && s.roll_length() < lowest + 40.0);
}

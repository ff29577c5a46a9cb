//! Charts drawn by the server as inline SVG: no script, no library, readable in print.

use maud::{html, Markup, PreEscaped};

use super::escape;

// The drawing's own units are close to the pixels it is shown at (a third of the page on a
// desktop, the whole width of a phone), so its text stays at least 11 px on screen.
const W: f64 = 340.0;
const H: f64 = 200.0;
const LEFT: f64 = 68.0;
const BOTTOM: f64 = 26.0;
const TOP: f64 = 12.0;
/// The text size, in the drawing's units.
const TEXT: f64 = 14.0;

/// A series over labelled points (`None`: no value there), with how to write a value.
pub struct Series<'a> {
    /// The chart's accessible name.
    pub title: &'a str,
    /// Label and value of each point, in order.
    pub points: Vec<(String, Option<f64>)>,
    /// Writes a value for the axis and the tooltips.
    pub format: &'a dyn Fn(f64) -> String,
    /// `line` or `bars`.
    pub bars: bool,
    /// A horizontal reference line (a target), if any.
    pub target: Option<f64>,
}

/// One series as a line or bar chart, the y axis from 0 to the largest value (or 1 for
/// fractions that stay under it).
pub fn chart(s: &Series<'_>) -> Markup {
    let values: Vec<f64> = s.points.iter().filter_map(|p| p.1).collect();
    if values.is_empty() {
        return html! {};
    }
    let top = values
        .iter()
        .copied()
        .chain(s.target)
        .fold(0.0_f64, f64::max)
        .max(f64::EPSILON);
    let n = s.points.len().max(1) as f64;
    let step = (W - LEFT - 8.0) / n;
    let x = |i: usize| LEFT + step * (i as f64 + 0.5);
    let y = |v: f64| H - BOTTOM - (v / top) * (H - BOTTOM - TOP);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\">",
        escape(s.title)
    );
    for frac in [0.0, 0.5, 1.0] {
        let v = top * frac;
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#d9e2ec\"/>\
             <text x=\"{}\" y=\"{:.1}\" font-size=\"{TEXT}\" text-anchor=\"end\">{}</text>",
            W - 4.0,
            LEFT - 4.0,
            y(v) + 3.0,
            escape(&(s.format)(v)),
            yy = y(v),
        ));
    }
    if let Some(t) = s.target {
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#b42318\" stroke-dasharray=\"5 4\"/>",
            W - 4.0,
            yy = y(t),
        ));
    }
    // Labels under every point when they fit, else under every k-th.
    let every = s.points.len().div_ceil(5).max(1);
    let mut line = String::new();
    for (i, (label, v)) in s.points.iter().enumerate() {
        if i % every == 0 {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"{TEXT}\" text-anchor=\"middle\">{}</text>",
                x(i),
                H - 6.0,
                escape(label)
            ));
        }
        let Some(v) = v else { continue };
        let tip = format!("{} {}", escape(label), escape(&(s.format)(*v)));
        if s.bars {
            let h = (H - BOTTOM) - y(*v);
            svg.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#0b6bcb\"><title>{tip}</title></rect>",
                x(i) - step * 0.35,
                y(*v),
                step * 0.7,
            ));
        } else {
            line.push_str(&format!("{:.1},{:.1} ", x(i), y(*v)));
            svg.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#0b6bcb\"><title>{tip}</title></circle>",
                x(i),
                y(*v)
            ));
        }
    }
    if !line.is_empty() {
        svg.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#0b6bcb\" stroke-width=\"2\"/>",
            line.trim_end()
        ));
    }
    svg.push_str("</svg>");
    html! { figure { figcaption { (s.title) } (PreEscaped(svg)) } }
}

/// A card's small trend: this period's points as a line, the previous period's (the same
/// buckets one period earlier) faint behind it, both on one scale from 0; hover text on each
/// point of this period. Nothing when this period has no value.
pub fn sparkline(
    title: &str,
    now: &[(String, Option<f64>)],
    before: &[Option<f64>],
    format: &dyn Fn(f64) -> String,
) -> Markup {
    const SW: f64 = 160.0;
    const SH: f64 = 36.0;
    let top = now
        .iter()
        .filter_map(|p| p.1)
        .chain(before.iter().flatten().copied())
        .fold(0.0_f64, f64::max);
    if now.iter().all(|p| p.1.is_none()) || top <= 0.0 {
        return html! {};
    }
    let n = now.len().max(before.len()).max(2) as f64;
    let x = |i: usize| 2.0 + (SW - 4.0) * i as f64 / (n - 1.0);
    let y = |v: f64| SH - 3.0 - (v / top) * (SH - 6.0);
    let line = |points: Vec<(usize, f64)>| {
        points
            .iter()
            .map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(*v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let then = line(
        before
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((i, (*v)?)))
            .collect(),
    );
    let current: Vec<(usize, f64)> = now
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i, p.1?)))
        .collect();
    let mut svg = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {SW} {SH}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\">\
         <polyline points=\"{then}\" fill=\"none\" stroke=\"#9fb3c8\" stroke-width=\"1.5\" stroke-dasharray=\"3 2\"/>\
         <polyline points=\"{}\" fill=\"none\" stroke=\"#0b6bcb\" stroke-width=\"2\"/>",
        escape(title),
        line(current.clone())
    );
    for (i, v) in current {
        svg.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#0b6bcb\"><title>{} {}</title></circle>",
            x(i),
            y(v),
            escape(&now[i].0),
            escape(&format(v))
        ));
    }
    svg.push_str("</svg>");
    html! { (PreEscaped(svg)) }
}

#[cfg(test)]
mod spark_tests {
    use super::sparkline;

    #[test]
    fn a_card_trend_draws_this_period_over_the_last_and_nothing_without_values() {
        let now = vec![
            ("11-30".to_owned(), Some(0.5)),
            ("12-01".to_owned(), None),
            ("12-02".to_owned(), Some(1.0)),
        ];
        let before = vec![Some(0.25), Some(0.75), None];
        let pct = |v: f64| format!("{:.0}%", v * 100.0);
        let svg = sparkline("结案率", &now, &before, &pct).into_string();
        assert_eq!(
            svg.matches("<polyline").count(),
            2,
            "this period and the last"
        );
        assert!(
            svg.contains("<title>11-30 50%</title>") && svg.contains("<title>12-02 100%</title>")
        );
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "a point per value, none for the gap"
        );
        let empty = vec![("11-30".to_owned(), None)];
        assert_eq!(sparkline("x", &empty, &before, &pct).into_string(), "");
    }
}

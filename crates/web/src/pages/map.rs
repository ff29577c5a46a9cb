//! The regions drawn as a map by the server (inline SVG, no script, no tiles): each region's
//! outline filled on a continuous colour scale by a figure, with a legend, its name and
//! value written on it, hover text, and people or orders as dots on top.

use loopdesk_core::region_shape::Shape;
use maud::{html, Markup, PreEscaped};

use super::escape;

/// The drawing's width in its own units; its text stays ≥ 11 px on a 360 px phone.
const W: f64 = 420.0;
const PAD: f64 = 10.0;
const TEXT: f64 = 14.0;
const LEGEND: f64 = 44.0;
/// The scale's ends: a pale and a deep blue.
const LOW: (f64, f64, f64) = (222.0, 235.0, 247.0);
const HIGH: (f64, f64, f64) = (8.0, 81.0, 156.0);

/// A region on the map.
pub struct Area<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its outline.
    pub shape: &'a Shape,
    /// The figure it is coloured by, if it has one.
    pub value: Option<f64>,
    /// Where clicking it leads.
    pub href: Option<String>,
}

/// A dot on the map: an engineer or an order.
pub struct Dot {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// What hovering says.
    pub title: String,
    /// `engineer` or `order` (its colour).
    pub kind: &'static str,
}

/// What the map says about itself.
pub struct Legend<'a> {
    /// The map's accessible name.
    pub title: &'a str,
    /// Writes a figure.
    pub format: &'a dyn Fn(f64) -> String,
    /// Said where a region has no figure.
    pub no_value: &'a str,
}

/// A colour on the scale, `t` from 0 (palest) to 1 (deepest).
pub fn mix(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let c = |a: f64, b: f64| (a + (b - a) * t).round();
    format!(
        "rgb({},{},{})",
        c(LOW.0, HIGH.0),
        c(LOW.1, HIGH.1),
        c(LOW.2, HIGH.2)
    )
}

/// The map, or nothing when no region has an outline.
pub fn region_map(areas: &[Area<'_>], dots: &[Dot], legend: &Legend<'_>) -> Markup {
    let Some((west, south, east, north)) = areas
        .iter()
        .filter_map(|a| a.shape.bounds())
        .reduce(|(w, s, e, n), (w2, s2, e2, n2)| (w.min(w2), s.min(s2), e.max(e2), n.max(n2)))
    else {
        return html! {};
    };
    // An equirectangular view, its width shrunk by the cosine of the middle latitude so
    // shapes keep their proportions at Shanghai's latitude as at any other.
    let squeeze = ((south + north) / 2.0).to_radians().cos().max(0.05);
    let (span_x, span_y) = (
        ((east - west) * squeeze).max(1e-6),
        (north - south).max(1e-6),
    );
    let scale = (W - 2.0 * PAD) / span_x;
    let height = (span_y * scale + 2.0 * PAD).clamp(120.0, 520.0);
    let scale = scale.min((height - 2.0 * PAD) / span_y);
    let x = |lon: f64| PAD + (lon - west) * squeeze * scale;
    let y = |lat: f64| PAD + (north - lat) * scale;
    let values: Vec<f64> = areas.iter().filter_map(|a| a.value).collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    let share = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
    let total = height + LEGEND;
    let mut svg = format!(
        "<svg class=\"map\" viewBox=\"0 0 {W} {total:.0}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\">",
        escape(legend.title)
    );
    let mut labels = String::new();
    for a in areas {
        let mut d = String::new();
        for ring in a.shape.polygons.iter().flatten() {
            for (i, (lon, lat)) in ring.iter().enumerate() {
                let cmd = if i == 0 { 'M' } else { 'L' };
                d.push_str(&format!("{cmd}{:.1} {:.1}", x(*lon), y(*lat)));
            }
            d.push('Z');
        }
        let (fill, said) = match a.value {
            Some(v) => (mix(share(v)), (legend.format)(v)),
            None => ("#eef1f4".to_owned(), legend.no_value.to_owned()),
        };
        let shape = format!(
            "<path d=\"{d}\" fill=\"{fill}\" fill-rule=\"evenodd\" stroke=\"#fff\" stroke-width=\"1.5\"><title>{}: {}</title></path>",
            escape(a.name),
            escape(&said)
        );
        match &a.href {
            Some(href) => svg.push_str(&format!("<a href=\"{}\">{shape}</a>", escape(href))),
            None => svg.push_str(&shape),
        }
        // The name and the figure at the middle of the largest outline, dark on pale; a
        // line too wide for the region is left to the hover text.
        let room = a
            .shape
            .bounds()
            .map_or(0.0, |(w, _, e, _)| x(e) - x(w) - 4.0);
        if let Some((cx, cy)) = middle(a.shape).filter(|_| width(a.name) <= room) {
            let said = if width(&said) <= room {
                said
            } else {
                String::new()
            };
            let ink = if a.value.is_some_and(|v| share(v) > 0.55) {
                "#fff"
            } else {
                "#1f2933"
            };
            labels.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{TEXT}\" text-anchor=\"middle\" fill=\"{ink}\" pointer-events=\"none\">{}<tspan x=\"{:.1}\" dy=\"{:.1}\" font-weight=\"bold\">{}</tspan></text>",
                x(cx),
                y(cy) - 2.0,
                escape(a.name),
                x(cx),
                TEXT + 1.0,
                escape(&said)
            ));
        }
    }
    svg.push_str(&labels);
    for dot in dots {
        let fill = if dot.kind == "order" {
            "#d64545"
        } else {
            "#1f2933"
        };
        svg.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4.5\" fill=\"{fill}\" stroke=\"#fff\" stroke-width=\"1.5\"><title>{}</title></circle>",
            x(dot.lon),
            y(dot.lat),
            escape(&dot.title)
        ));
    }
    // The legend: the scale in five steps, its ends written under it.
    if !values.is_empty() {
        let top = height + 8.0;
        let step = (W - 2.0 * PAD) / 5.0;
        for i in 0..5 {
            svg.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{top:.1}\" width=\"{step:.1}\" height=\"10\" fill=\"{}\"/>",
                PAD + step * f64::from(i),
                mix(f64::from(i) / 4.0)
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{PAD}\" y=\"{:.1}\" font-size=\"{TEXT}\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{TEXT}\" text-anchor=\"end\">{}</text>",
            top + 10.0 + TEXT + 2.0,
            escape(&(legend.format)(lo)),
            W - PAD,
            top + 10.0 + TEXT + 2.0,
            escape(&(legend.format)(hi))
        ));
    }
    svg.push_str("</svg>");
    html! { figure.map { (PreEscaped(svg)) } }
}

/// About how wide a line of text is drawn, in the drawing's units: a Chinese character is
/// as wide as the text is high, a Latin one a little over half.
fn width(text: &str) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { TEXT * 0.6 } else { TEXT })
        .sum()
}

/// The middle of a shape's largest outline (the mean of its points: near enough for a
/// label on a district).
fn middle(shape: &Shape) -> Option<(f64, f64)> {
    let outer = shape
        .polygons
        .iter()
        .filter_map(|rings| rings.first())
        .max_by_key(|ring| ring.len())?;
    let n = outer.len().saturating_sub(1).max(1) as f64;
    let (sx, sy) = outer
        .iter()
        .take(outer.len().saturating_sub(1).max(1))
        .fold((0.0, 0.0), |(sx, sy), (lon, lat)| (sx + lon, sy + lat));
    Some((sx / n, sy / n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(w: f64, s: f64) -> Shape {
        let text = format!(
            r#"{{"type":"Polygon","coordinates":[[[{w},{s}],[{e},{s}],[{e},{n}],[{w},{n}],[{w},{s}]]]}}"#,
            e = w + 0.1,
            n = s + 0.1
        );
        Shape::parse(&text).unwrap()
    }

    #[test]
    fn regions_are_filled_by_their_figure_and_labelled() {
        let (a, b, c) = (
            square(121.4, 31.1),
            square(121.5, 31.1),
            square(121.4, 31.2),
        );
        let areas = [
            Area {
                name: "徐汇",
                shape: &a,
                value: Some(0.5),
                href: Some("/x?a=1&b=2".into()),
            },
            Area {
                name: "浦东",
                shape: &b,
                value: Some(0.9),
                href: None,
            },
            Area {
                name: "<静安>",
                shape: &c,
                value: None,
                href: None,
            },
        ];
        let dots = [Dot {
            lat: 31.15,
            lon: 121.45,
            title: "王工".into(),
            kind: "engineer",
        }];
        let fmt = |v: f64| format!("{:.0}%", v * 100.0);
        let legend = Legend {
            title: "结案率",
            format: &fmt,
            no_value: "无数据",
        };
        let svg = region_map(&areas, &dots, &legend).into_string();
        assert!(
            svg.contains(&format!("fill=\"{}\"", mix(0.0))),
            "the lowest is palest"
        );
        assert!(
            svg.contains(&format!("fill=\"{}\"", mix(1.0))),
            "the highest is deepest"
        );
        assert!(svg.contains("<title>浦东: 90%</title>") && svg.contains("无数据"));
        assert!(
            svg.contains("&lt;静安&gt;") && !svg.contains("<静安>"),
            "names are escaped"
        );
        assert!(svg.contains("href=\"/x?a=1&amp;b=2\""));
        assert!(svg.contains("<title>王工</title>"));
        assert!(
            svg.contains(">50%</text>") && svg.contains(">90%</text>"),
            "the legend's ends"
        );
        // Every text is at least the size that reads at 11 px on a phone.
        assert!(!svg.contains("font-size=\"1\"") && svg.contains(&format!("font-size=\"{TEXT}\"")));
        // Nothing drawn: no map.
        assert_eq!(region_map(&[], &dots, &legend).into_string(), "");
    }
}

//! Printable asset labels: a QR code of the asset's link, drawn as SVG, with its model and
//! serial number under it.

use qrcode::{Color, EcLevel, QrCode};

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The label for `link`: 4 modules of quiet zone around the code, each module one unit, the
/// whole 50 mm wide when printed; one path for all dark modules, each run of dark modules in a
/// row one rectangle, keeps the file small (a sheet of labels stays a light page).
pub fn asset_label(
    link: &str,
    model: &str,
    serial: &str,
) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M)?;
    let quiet = 4;
    let side = code.width() + 2 * quiet;
    let text_h = 10;
    let path = dark_modules(&code, quiet);
    let height = side + text_h;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {height}\" width=\"50mm\" \
         height=\"{mm:.1}mm\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{height}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/>\
         <text x=\"{mid}\" y=\"{t1}\" font-size=\"3.2\" text-anchor=\"middle\" font-family=\"sans-serif\">{model}</text>\
         <text x=\"{mid}\" y=\"{t2}\" font-size=\"3.2\" text-anchor=\"middle\" font-family=\"monospace\">{serial}</text>\
         </svg>",
        mm = 50.0 * height as f64 / side as f64,
        mid = side / 2,
        t1 = side + 3,
        t2 = side + 7,
        model = escape(model),
        serial = escape(serial),
    ))
}

/// One path for the dark modules of a code, each run of them in a row one rectangle, shifted
/// by `quiet` modules.
fn dark_modules(code: &QrCode, quiet: usize) -> String {
    let n = code.width();
    let colors = code.to_colors();
    let mut path = String::with_capacity(n * n * 2);
    for (y, row) in colors.chunks(n).enumerate() {
        let mut x = 0;
        while x < n {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < n && row[x] == Color::Dark {
                x += 1;
            }
            let run = x - start;
            path.push_str(&format!("M{} {}h{run}v1h-{run}z", start + quiet, y + quiet));
        }
    }
    path
}

/// A QR code of `text` alone, as SVG `size` CSS pixels wide (an authenticator app's address).
pub fn qr_svg(text: &str, size: u32) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    let quiet = 4;
    let side = code.width() + 2 * quiet;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" width=\"{size}\" \
         height=\"{size}\" shape-rendering=\"crispEdges\" role=\"img\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path d=\"{}\" fill=\"#000\"/></svg>",
        dark_modules(&code, quiet)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_carries_a_readable_code_and_escaped_text() {
        let svg = asset_label(
            "https://service.example.com/a/0123456789abcdef0123456789abcdef",
            "X1 <冷柜>",
            "SN&1",
        )
        .unwrap_or_default();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("X1 &lt;冷柜&gt;") && svg.contains("SN&amp;1"));
        // A version-4 code (33 modules) at level M for a 62-byte link, plus the quiet zone.
        assert!(svg.contains("viewBox=\"0 0 41 51\""), "{svg}");
        // The three finder patterns, read back from the path's runs: a dark 7×7 ring, a
        // light ring inside it, a dark 3×3 centre.
        let dark = dark_modules(&svg);
        for (fx, fy) in [(4, 4), (4 + 26, 4), (4, 4 + 26)] {
            for dy in 0..7 {
                for dx in 0..7 {
                    let ring = dx == 0 || dy == 0 || dx == 6 || dy == 6;
                    let centre = (2..=4).contains(&dx) && (2..=4).contains(&dy);
                    assert_eq!(
                        dark.contains(&(fx + dx, fy + dy)),
                        ring || centre,
                        "finder at {fx},{fy}: module {dx},{dy}"
                    );
                }
            }
        }
        // Nothing dark in the quiet zone.
        assert!(dark
            .iter()
            .all(|&(x, y)| (4..37).contains(&x) && (4..37).contains(&y)));
    }

    /// The modules the label's path paints, from its `M{x} {y}h{run}v1h-{run}z` runs.
    fn dark_modules(svg: &str) -> std::collections::HashSet<(usize, usize)> {
        let start = svg.find("<path d=\"").map_or(0, |i| i + 9);
        let end = svg[start..].find('"').map_or(start, |i| start + i);
        let mut dark = std::collections::HashSet::new();
        for run in svg[start..end].split('z').filter(|r| !r.is_empty()) {
            let nums: Vec<usize> = run
                .split(|c: char| !c.is_ascii_digit())
                .filter(|p| !p.is_empty())
                .filter_map(|p| p.parse().ok())
                .collect();
            if let [x, y, w, 1, w2] = nums[..] {
                assert_eq!(w, w2, "run {run}");
                dark.extend((x..x + w).map(|x| (x, y)));
            } else {
                panic!("unexpected run {run}");
            }
        }
        dark
    }
}

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
/// whole 50 mm wide when printed; one path for all dark modules keeps the file small.
pub fn asset_label(
    link: &str,
    model: &str,
    serial: &str,
) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M)?;
    let n = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let side = n + 2 * quiet;
    let text_h = 10;
    let mut path = String::with_capacity(n * n * 4);
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (x, y) = (i % n + quiet, i / n + quiet);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
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
        // The three finder patterns: the top-left module of each is dark.
        for (x, y) in [(4, 4), (4 + 26, 4), (4, 4 + 26)] {
            assert!(
                svg.contains(&format!("M{x} {y}h1v1h-1z")),
                "finder at {x},{y}"
            );
        }
    }
}

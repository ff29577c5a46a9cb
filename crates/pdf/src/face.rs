//! The typeface a report is set in: one CJK font with Latin glyphs, read from the system (or a
//! file the operator names), embedded in each PDF as a subset of the glyphs it uses.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skrifa::instance::{LocationRef, Size};
use skrifa::MetadataProvider;

use crate::PdfError;

/// Where Debian and most Linux systems keep a CJK font, with the face to use in a collection
/// (Noto Sans CJK's collection holds JP, KR, SC … in that order: 2 is Simplified Chinese).
pub const SYSTEM_FONTS: &[(&str, u32)] = &[
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
        0,
    ),
    (
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        0,
    ),
];

/// A font ready to measure and draw text with.
#[derive(Clone)]
pub struct Typeface {
    data: Arc<Vec<u8>>,
    index: u32,
    pub(crate) font: krilla::text::Font,
    /// Where it was read from (for the log).
    pub origin: PathBuf,
}

impl std::fmt::Debug for Typeface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Typeface")
            .field("origin", &self.origin)
            .field("index", &self.index)
            .finish()
    }
}

impl Typeface {
    /// The font in `path` (a TrueType/OpenType file, or face `index` of a collection), checked
    /// to hold Chinese glyphs.
    pub fn load(path: &Path, index: u32) -> Result<Typeface, PdfError> {
        let data =
            std::fs::read(path).map_err(|e| PdfError::Font(format!("{}: {e}", path.display())))?;
        let data = Arc::new(data);
        let font = skrifa::FontRef::from_index(&data, index)
            .map_err(|e| PdfError::Font(format!("{}: {e}", path.display())))?;
        // 服: a font without it cannot set a Chinese report.
        if font.charmap().map('服').is_none() {
            return Err(PdfError::Font(format!(
                "{}: no Chinese glyphs",
                path.display()
            )));
        }
        let font = krilla::text::Font::new(data.clone().into(), index)
            .ok_or_else(|| PdfError::Font(format!("{}: unreadable", path.display())))?;
        Ok(Typeface {
            data,
            index,
            font,
            origin: path.to_owned(),
        })
    }

    /// The first of the [`SYSTEM_FONTS`] this system has.
    pub fn system() -> Result<Typeface, PdfError> {
        SYSTEM_FONTS
            .iter()
            .find_map(|(path, index)| Typeface::load(Path::new(path), *index).ok())
            .ok_or_else(|| {
                PdfError::Font(
                    "no CJK font found (install fonts-wqy-microhei or fonts-noto-cjk, or name one)"
                        .to_owned(),
                )
            })
    }

    /// The font an operator named (`path`, or `path#face` for a face of a collection), else
    /// the system's.
    pub fn from_spec(spec: Option<&str>) -> Result<Typeface, PdfError> {
        let Some(spec) = spec else {
            return Typeface::system();
        };
        match spec.rsplit_once('#').map(|(p, n)| (p, n.parse::<u32>())) {
            Some((path, Ok(face))) => Typeface::load(Path::new(path), face),
            _ => Typeface::load(Path::new(spec), 0),
        }
    }

    /// Advances of characters, in ems.
    pub(crate) fn metrics(&self) -> Result<Metrics<'_>, PdfError> {
        let font = skrifa::FontRef::from_index(&self.data, self.index)
            .map_err(|e| PdfError::Font(e.to_string()))?;
        let upem = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        Ok(Metrics {
            charmap: font.charmap(),
            glyphs: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            upem: upem.max(1.0),
        })
    }
}

/// How wide a character is set, in ems.
pub(crate) trait Measure {
    /// The advance of `ch` at 1 pt, in pt.
    fn advance(&self, ch: char) -> f32;
}

/// A font's own advances.
pub(crate) struct Metrics<'a> {
    charmap: skrifa::charmap::Charmap<'a>,
    glyphs: skrifa::metrics::GlyphMetrics<'a>,
    upem: f32,
}

impl Measure for Metrics<'_> {
    fn advance(&self, ch: char) -> f32 {
        self.charmap
            .map(ch)
            .and_then(|g| self.glyphs.advance_width(g))
            .map_or_else(|| fallback_advance(ch), |a| a / self.upem)
    }
}

/// The advance of a character the font lacks (drawn as its "missing" box): a full em for
/// ideographs and full-width forms, 0.6 em for the rest.
pub(crate) fn fallback_advance(ch: char) -> f32 {
    if is_wide(ch) {
        1.0
    } else {
        0.6
    }
}

/// Ideographs, kana, hangul and full-width forms: set a full em wide, and a line may break
/// before or after any of them.
pub(crate) fn is_wide(ch: char) -> bool {
    matches!(u32::from(ch),
        0x1100..=0x11FF | 0x2E80..=0x303F | 0x3040..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFF)
}

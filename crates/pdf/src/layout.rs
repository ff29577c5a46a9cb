//! Laying a report out: text broken into lines (between any two ideographs, at spaces between
//! Latin words, never before closing punctuation), blocks stacked down the page and carried
//! to a new page where they would cross the bottom margin. The result is a list of drawing
//! operations per page, with nothing of the PDF in it, so it is tested without one.

use crate::face::{is_wide, Measure};

/// One thing to draw, in points from the page's top-left corner.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Op {
    /// A line of text; `y` is its baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        gray: u8,
        text: String,
    },
    /// A filled rectangle (rules and table shading).
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: u8,
    },
    /// Picture `index` of the report's pictures, scaled into the box.
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        index: usize,
    },
    /// The QR code, a square of side `side`.
    Qr { x: f32, y: f32, side: f32 },
}

/// Lines are set at this multiple of the font size.
pub(crate) const LEADING: f32 = 1.45;
/// The baseline sits this far (in ems) below the top of a line.
const ASCENT: f32 = 0.95;

/// Characters that never start a line (they hang at the end of the one before).
fn closes(ch: char) -> bool {
    "，。、；：！？）》」』】〕〉”’,.;:!?)]}%·…".contains(ch)
}

/// Breaks `text` into lines no wider than `width` at `size`; an explicit newline always
/// breaks. A line longer than the width only when a single closing mark hangs past it.
pub(crate) fn wrap(measure: &dyn Measure, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        let mut line_w = 0.0_f32;
        // Where the line may be broken: the byte length and width before the break, and
        // whether the break eats a space.
        let mut last_break: Option<(usize, f32)> = None;
        let mut prev: Option<char> = None;
        for ch in para.chars() {
            let ch = if ch == '\t' { ' ' } else { ch };
            let w = measure.advance(ch) * size;
            if let Some(p) = prev {
                if ch == ' ' || (is_wide(ch) || is_wide(p)) && !closes(ch) {
                    last_break = Some((line.len(), line_w));
                }
            }
            if line_w + w > width && !line.is_empty() && !closes(ch) {
                match last_break.filter(|(at, _)| *at > 0) {
                    Some((at, _)) => {
                        let rest = line.split_off(at);
                        lines.push(line.trim_end().to_owned());
                        line = rest.trim_start().to_owned();
                    }
                    None => lines.push(std::mem::take(&mut line)),
                }
                line_w = line.chars().map(|c| measure.advance(c) * size).sum();
                last_break = None;
                if ch == ' ' && line.is_empty() {
                    prev = None;
                    continue;
                }
            }
            line.push(ch);
            line_w += w;
            prev = Some(ch);
        }
        lines.push(line.trim_end().to_owned());
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Pages being filled from the top down.
pub(crate) struct Sheet<'m> {
    /// Page width.
    pub width: f32,
    /// Page height; `None` for a roll (one page as long as its content).
    pub height: Option<f32>,
    /// Margin on every side.
    pub margin: f32,
    /// Room kept free at the bottom of each page (the footer).
    pub footer: f32,
    /// What each page draws.
    pub pages: Vec<Vec<Op>>,
    /// The top of the next block.
    pub y: f32,
    measure: &'m dyn Measure,
}

impl<'m> Sheet<'m> {
    pub(crate) fn new(
        measure: &'m dyn Measure,
        width: f32,
        height: Option<f32>,
        margin: f32,
        footer: f32,
    ) -> Sheet<'m> {
        Sheet {
            width,
            height,
            margin,
            footer,
            pages: vec![Vec::new()],
            y: margin,
            measure,
        }
    }

    /// The width between the margins.
    pub(crate) fn content_width(&self) -> f32 {
        self.width - 2.0 * self.margin
    }

    /// The lowest a block may reach on this page.
    pub(crate) fn bottom(&self) -> f32 {
        self.height
            .map_or(f32::INFINITY, |h| h - self.margin - self.footer)
    }

    /// Makes room for `h` points: a new page when they would cross the bottom (unless the
    /// page is still empty, where nothing better can be done).
    pub(crate) fn room(&mut self, h: f32) {
        if self.y + h > self.bottom() && self.y > self.margin {
            self.pages.push(Vec::new());
            self.y = self.margin;
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// Space below the last block.
    pub(crate) fn gap(&mut self, h: f32) {
        self.y += h;
    }

    /// The lines `text` breaks into in a column `width` wide.
    pub(crate) fn lines(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        wrap(self.measure, text, size, width)
    }

    /// Width of a text set on one line.
    pub(crate) fn text_width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.measure.advance(c) * size).sum()
    }

    /// A paragraph at `x`, `width` wide; lines carry over to the next page one by one.
    pub(crate) fn paragraph(&mut self, x: f32, width: f32, size: f32, gray: u8, text: &str) {
        for line in self.lines(text, size, width) {
            self.line(x, size, gray, line);
        }
    }

    /// One line of text at `x`.
    pub(crate) fn line(&mut self, x: f32, size: f32, gray: u8, text: String) {
        let h = size * LEADING;
        self.room(h);
        if !text.is_empty() {
            let y = self.y + size * ASCENT;
            self.push(Op::Text {
                x,
                y,
                size,
                gray,
                text,
            });
        }
        self.y += h;
    }

    /// A section heading with a rule under it, kept with at least one line of what follows.
    pub(crate) fn heading(&mut self, size: f32, text: &str) {
        self.room(size * LEADING * 2.0 + 4.0);
        self.gap(size * 0.5);
        self.line(self.margin, size, 0, text.to_owned());
        self.rule(0.6, 120);
        self.gap(3.0);
    }

    /// A full-width rule `thickness` thick.
    pub(crate) fn rule(&mut self, thickness: f32, gray: u8) {
        self.room(thickness);
        let (x, y, w) = (self.margin, self.y, self.content_width());
        self.push(Op::Rect {
            x,
            y,
            w,
            h: thickness,
            gray,
        });
        self.y += thickness;
    }

    /// Label and value rows: labels in a column `label_w` wide, values wrapped beside them.
    pub(crate) fn pairs(&mut self, size: f32, label_w: f32, rows: &[(String, String)]) {
        let value_x = self.margin + label_w;
        let value_w = self.content_width() - label_w;
        for (label, value) in rows {
            let labels = self.lines(label, size, label_w - 4.0);
            let values = self.lines(value, size, value_w);
            let n = labels.len().max(values.len());
            for i in 0..n {
                let h = size * LEADING;
                self.room(h);
                let y = self.y + size * ASCENT;
                if let Some(l) = labels.get(i).filter(|l| !l.is_empty()) {
                    self.push(Op::Text {
                        x: self.margin,
                        y,
                        size,
                        gray: 100,
                        text: l.clone(),
                    });
                }
                if let Some(v) = values.get(i).filter(|v| !v.is_empty()) {
                    self.push(Op::Text {
                        x: value_x,
                        y,
                        size,
                        gray: 0,
                        text: v.clone(),
                    });
                }
                self.y += h;
            }
        }
    }

    /// A table: a shaded header row, then rows; `columns` are (x offset, width) pairs.
    pub(crate) fn table(
        &mut self,
        size: f32,
        columns: &[(f32, f32)],
        header: &[String],
        rows: &[Vec<String>],
    ) {
        let h = size * LEADING;
        self.room(h * 2.0);
        let (x, y, w) = (self.margin, self.y, self.content_width());
        self.push(Op::Rect {
            x,
            y,
            w,
            h,
            gray: 235,
        });
        self.cells(size, columns, header, 60);
        for row in rows {
            self.cells(size, columns, row, 0);
        }
    }

    fn cells(&mut self, size: f32, columns: &[(f32, f32)], cells: &[String], gray: u8) {
        let wrapped: Vec<Vec<String>> = columns
            .iter()
            .zip(cells)
            .map(|((_, w), text)| self.lines(text, size, w - 4.0))
            .collect();
        let n = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for i in 0..n {
            let h = size * LEADING;
            self.room(h);
            let y = self.y + size * ASCENT;
            for ((cx, _), lines) in columns.iter().zip(&wrapped) {
                if let Some(text) = lines.get(i).filter(|t| !t.is_empty()) {
                    self.push(Op::Text {
                        x: self.margin + cx + 2.0,
                        y,
                        size,
                        gray,
                        text: text.clone(),
                    });
                }
            }
            self.y += h;
        }
    }

    /// Pictures in rows of `columns`, each scaled into a 4:3 cell; `sizes` are their pixel
    /// sizes with their index among the report's pictures.
    pub(crate) fn pictures(&mut self, columns: usize, sizes: &[(usize, u32, u32)]) {
        let columns = columns.max(1);
        let gap = 6.0;
        let cell_w = (self.content_width() - gap * (columns as f32 - 1.0)) / columns as f32;
        let cell_h = cell_w * 0.75;
        for row in sizes.chunks(columns) {
            self.room(cell_h);
            for (i, (index, pw, ph)) in row.iter().enumerate() {
                let (pw, ph) = ((*pw).max(1) as f32, (*ph).max(1) as f32);
                let scale = (cell_w / pw).min(cell_h / ph);
                let (w, h) = (pw * scale, ph * scale);
                let x = self.margin + i as f32 * (cell_w + gap) + (cell_w - w) / 2.0;
                let y = self.y + (cell_h - h) / 2.0;
                self.push(Op::Image {
                    x,
                    y,
                    w,
                    h,
                    index: *index,
                });
            }
            self.y += cell_h + gap;
        }
    }

    /// One picture at most `max_w` by `max_h`, at the left margin.
    pub(crate) fn picture(&mut self, max_w: f32, max_h: f32, (index, pw, ph): (usize, u32, u32)) {
        let (pw, ph) = (pw.max(1) as f32, ph.max(1) as f32);
        let scale = (max_w / pw).min(max_h / ph);
        let (w, h) = (pw * scale, ph * scale);
        self.room(h);
        let (x, y) = (self.margin, self.y);
        self.push(Op::Image { x, y, w, h, index });
        self.y += h;
    }

    /// The QR code at `x`, `y` on the current page (it does not move the flow).
    pub(crate) fn qr_at(&mut self, x: f32, y: f32, side: f32) {
        self.push(Op::Qr { x, y, side });
    }

    /// The page's length for a roll: down to the last block and a margin.
    pub(crate) fn roll_length(&self) -> f32 {
        self.y + self.margin
    }
}

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;

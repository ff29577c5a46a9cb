//! Showing a match: the text HTML-escaped, the query's words in `<mark>`.

use super::words::fold;

/// `text` with `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        _ => out.push(c),
    }
}

/// The whole of `text`, escaped, with every occurrence of `words` marked.
pub fn title_html(text: &str, words: &[String]) -> String {
    let chars: Vec<char> = text.chars().map(flat).collect();
    let marks = marks(&chars, words);
    render(&chars, &marks, 0, chars.len())
}

/// Whether `word` occurs in `text` as the highlighting marks it.
pub(super) fn occurs(text: &str, word: &str) -> bool {
    let chars: Vec<char> = text.chars().map(flat).collect();
    marks(&chars, std::slice::from_ref(&word.to_owned()))
        .iter()
        .any(|m| *m)
}

/// A window of at most `width` characters of `text` around the first occurrence of one of
/// `words`, escaped, every occurrence marked, `…` where it was cut. `None` when none occurs.
pub fn highlight(text: &str, words: &[String], width: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().map(flat).collect();
    let marks = marks(&chars, words);
    let first = marks.iter().position(|m| *m)?;
    let start = first.saturating_sub(width / 4);
    let end = (start + width).min(chars.len());
    let start = end.saturating_sub(width).min(start);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&render(&chars, &marks, start, end));
    if end < chars.len() {
        out.push('…');
    }
    Some(out)
}

/// Line breaks and tabs as spaces: a snippet is one line.
fn flat(c: char) -> char {
    if c.is_whitespace() {
        ' '
    } else {
        c
    }
}

/// Which characters of `text` belong to an occurrence of one of `words`. Words of letters
/// and digits match whole (not `com` inside `computer`); Chinese words anywhere; a long
/// number also across the spaces and dashes it is written with.
fn marks(text: &[char], words: &[String]) -> Vec<bool> {
    let folded: Vec<char> = text.iter().map(|c| fold(*c)).collect();
    let mut marked = vec![false; text.len()];
    for word in words {
        let w: Vec<char> = word.chars().collect();
        if w.is_empty() {
            continue;
        }
        let spaced = w.len() >= 7 && w.iter().all(char::is_ascii_digit);
        let latin = w.iter().all(|c| c.is_alphanumeric() && c.is_ascii());
        for i in 0..folded.len() {
            let end = if spaced {
                match_digits(&folded, i, &w)
            } else {
                (folded[i..].starts_with(&w)).then_some(i + w.len())
            };
            let Some(end) = end else { continue };
            let boundary = |k: Option<&char>| k.is_none_or(|c| !c.is_ascii_alphanumeric());
            let whole =
                boundary(i.checked_sub(1).and_then(|p| folded.get(p))) && boundary(folded.get(end));
            if latin && !whole {
                continue;
            }
            for m in &mut marked[i..end] {
                *m = true;
            }
        }
    }
    marked
}

/// Where the digits `w` end when they start at `i`, dashes and spaces between them allowed.
fn match_digits(text: &[char], i: usize, w: &[char]) -> Option<usize> {
    let mut k = i;
    let mut n = 0;
    while n < w.len() {
        let c = *text.get(k)?;
        if c == w[n] {
            n += 1;
        } else if n == 0 || !matches!(c, '-' | ' ' | '.') {
            return None;
        }
        k += 1;
    }
    Some(k)
}

fn render(text: &[char], marks: &[bool], start: usize, end: usize) -> String {
    let mut out = String::new();
    let mut open = false;
    for i in start..end {
        if marks[i] && !open {
            out.push_str("<mark>");
            open = true;
        } else if !marks[i] && open {
            out.push_str("</mark>");
            open = false;
        }
        push_escaped(&mut out, text[i]);
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

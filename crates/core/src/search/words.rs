//! Cutting text into the words an index holds and a query asks for.

use jieba_rs::Jieba;
use std::collections::HashSet;
use std::sync::LazyLock;

/// The segmenter, with jieba's own dictionary: built once (a fraction of a second), shared.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Longest word kept, in characters: longer runs are noise (encoded data, keyboard mashing).
const MAX_WORD: usize = 64;

/// Chinese function words that say nothing about a ticket: left out of the index and of
/// queries, so that 空调不制冷 asks for 空调 and 制冷.
const STOPWORDS: &[&str] = &[
    "一下", "一个", "不", "也", "了", "他", "你", "和", "呢", "吗", "吧", "呀", "啊", "在", "她",
    "它", "就", "很", "您", "我", "或", "把", "是", "没", "的", "给", "被", "请", "还", "这", "那",
    "都", "及", "与", "又", "而", "着", "们",
];

/// The words of one document, by weight: the title counts most, internal notes least (and
/// only staff may find a document by them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Weighted {
    /// Title words (a ticket's number and subject, a customer's name, an asset's model and serial).
    pub title: Vec<String>,
    /// Everything else a document's readers may see.
    pub body: Vec<String>,
    /// Internal notes.
    pub internal: Vec<String>,
}

impl Weighted {
    /// How many words in all.
    pub fn len(&self) -> usize {
        self.title.len() + self.body.len() + self.internal.len()
    }

    /// True when the document has no word at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The words of a document made of these texts, in order, repeats kept (they weigh in the
/// ranking).
pub fn document_words(title: &[&str], body: &[&str], internal: &[&str]) -> Weighted {
    let cut = |texts: &[&str]| {
        let mut out = Vec::new();
        for t in texts {
            cut_into(t, false, &mut out);
        }
        out
    };
    Weighted {
        title: cut(title),
        body: cut(body),
        internal: cut(internal),
    }
}

/// The distinct words a query asks for, all of which a match must hold. Empty when the
/// query has no word (only punctuation or function words).
pub fn query_words(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    cut_into(query, true, &mut out);
    let mut seen = HashSet::new();
    out.retain(|w| seen.insert(w.clone()));
    out
}

/// The words of a text in reading order, repeats kept (jieba's precise mode, function words
/// left out, a phone number as its digits): what a classifier counts.
pub fn text_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    cut_into(text, true, &mut out);
    out
}

/// Lower case, and full-width ASCII (Ｗ０１, typed with a Chinese input method) as ASCII.
pub(crate) fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    c.to_lowercase().next().unwrap_or(c)
}

/// Chinese, Japanese and Korean ideographs: segmented by jieba.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Cjk,
    Word,
    Gap,
}

fn class(c: char) -> Class {
    if is_cjk(c) {
        Class::Cjk
    } else if c.is_alphanumeric() {
        Class::Word
    } else {
        Class::Gap
    }
}

fn cut_into(text: &str, query: bool, out: &mut Vec<String>) {
    let mut folded: Vec<char> = text.chars().map(fold).collect();
    let phones = phone_spans(&folded);
    for span in &phones {
        if query {
            // The query asks for the number, not for the groups it was typed in.
            for c in &mut folded[span.start..span.end] {
                *c = ' ';
            }
        }
    }
    let mut i = 0;
    while i < folded.len() {
        let kind = class(folded[i]);
        let start = i;
        while i < folded.len() && class(folded[i]) == kind {
            i += 1;
        }
        let run: String = folded[start..i].iter().collect();
        match kind {
            Class::Gap => {}
            Class::Word => push_word(out, &run),
            // A document is cut in search mode (a long word also yields its dictionary
            // parts); a query in precise mode, the way jieba's search engines do it: the
            // query's word is then among the document's words, and it asks no part twice
            // (办公区 is found whole; 办公 finds it too).
            Class::Cjk if query => {
                for token in JIEBA.cut(&run, false) {
                    push_word(out, token.word);
                }
            }
            Class::Cjk => {
                for token in JIEBA.cut_for_search(&run, false) {
                    push_word(out, token.word);
                }
            }
        }
    }
    out.extend(phones.into_iter().map(|p| p.digits));
}

fn push_word(out: &mut Vec<String>, word: &str) {
    if word.is_empty() || word.chars().count() > MAX_WORD || STOPWORDS.contains(&word) {
        return;
    }
    out.push(word.to_owned());
}

/// A phone number found in text: where it stands (in characters) and its digits.
struct PhoneSpan {
    start: usize,
    end: usize,
    digits: String,
}

/// Characters that may stand between the digit groups of a phone number.
fn phone_joiner(c: char) -> bool {
    matches!(c, '-' | ' ' | '(' | ')' | '.' | '+')
}

/// Phone numbers written in groups or with a country prefix (`138-0013-8000`,
/// `+86 13800138000`, `(010) 1234 5678`): 7 to 15 digits, not glued to a letter. A number
/// written as one plain run of digits is a word already and needs no second spelling.
fn phone_spans(text: &[char]) -> Vec<PhoneSpan> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        let glued = i > 0 && text[i - 1].is_alphanumeric();
        let starts = c.is_ascii_digit() || (matches!(c, '+' | '(') && next_is_digit(text, i));
        if !starts || glued {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut digits = String::new();
        let mut groups = 0;
        let mut in_group = false;
        let mut j = i;
        while j < text.len() && (text[j].is_ascii_digit() || phone_joiner(text[j])) {
            if text[j].is_ascii_digit() {
                digits.push(text[j]);
                if !in_group {
                    groups += 1;
                }
                in_group = true;
                end = j + 1;
            } else {
                in_group = false;
            }
            j += 1;
        }
        let followed = end < text.len() && text[end].is_alphanumeric();
        let prefixed = text[start] == '+';
        let digits = without_country_prefix(&digits, prefixed);
        let plain_run = groups == 1 && digits.len() == end - start;
        if (7..=15).contains(&digits.len()) && !followed && !plain_run {
            spans.push(PhoneSpan { start, end, digits });
        }
        i = j.max(i + 1);
    }
    spans
}

fn next_is_digit(text: &[char], i: usize) -> bool {
    text.get(i + 1).is_some_and(char::is_ascii_digit)
}

/// A mainland number without its +86 / 0086 prefix.
fn without_country_prefix(digits: &str, plus: bool) -> String {
    if let Some(rest) = digits.strip_prefix("0086").filter(|r| r.len() >= 7) {
        return rest.to_owned();
    }
    match digits.strip_prefix("86") {
        Some(rest) if rest.len() == 11 || (plus && rest.len() >= 7) => rest.to_owned(),
        _ => digits.to_owned(),
    }
}

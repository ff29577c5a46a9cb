//! What a classifier reads of a request: its words (jieba, as search cuts them) and the
//! two-character runs of its Chinese text. The words carry the meaning a reader sees and the
//! explanation shows; the character pairs catch what the dictionary does not know (a model
//! name, a local word, a typo) and what jieba cuts differently in two phrasings of one fault.

use crate::search::{fold, is_cjk, text_words};

/// Marks a character pair, so that the pair 制冷 and the word 制冷 are two features.
const PAIR: char = '\u{2}';

/// The features of a request, repeats kept: the subject's twice (it is what the requester
/// chose to say first), then the description's.
pub fn features(subject: &str, description: &str) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..2 {
        push_text(subject, &mut out);
    }
    push_text(description, &mut out);
    out
}

fn push_text(text: &str, out: &mut Vec<String>) {
    out.extend(text_words(text));
    let mut previous: Option<char> = None;
    for c in text.chars().map(fold) {
        if !is_cjk(c) {
            previous = None;
            continue;
        }
        if let Some(p) = previous {
            let mut pair = String::with_capacity(7);
            pair.push(PAIR);
            pair.push(p);
            pair.push(c);
            out.push(pair);
        }
        previous = Some(c);
    }
}

/// How a feature reads to a person: a word as it is, a character pair without its mark.
pub fn shown(feature: &str) -> &str {
    feature.strip_prefix(PAIR).unwrap_or(feature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_character_pairs_of_subject_and_description() {
        let f = features("空调不制冷", "X9 机组");
        let words: Vec<&str> = f
            .iter()
            .filter(|w| !w.starts_with(PAIR))
            .map(|w| w.as_str())
            .collect();
        // The subject counts twice; the particle 不 is no word.
        assert_eq!(words.iter().filter(|w| **w == "空调").count(), 2);
        assert!(!words.contains(&"不"));
        assert!(words.contains(&"x9"));
        let pairs: Vec<&str> = f
            .iter()
            .filter(|w| w.starts_with(PAIR))
            .map(|w| shown(w))
            .collect();
        assert!(pairs.contains(&"不制"));
        assert!(pairs.contains(&"机组"));
        // A pair never spans Latin text or a gap.
        assert!(!pairs.iter().any(|p| p.contains('9') || p.contains(' ')));
    }
}

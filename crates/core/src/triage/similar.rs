//! How alike two requests read: the cosine of their feature counts (words and character
//! pairs, sub-linear). Used for duplicates: a request is shown the same customer's or the
//! same asset's recent tickets that read alike, with a merge action on the ticket page.

use std::collections::HashMap;

use super::features::features;

/// Tickets created this many days before a request are compared with it.
pub const DUPLICATE_DAYS: i64 = 14;

/// Least similarity shown as a possible duplicate.
pub const DUPLICATE_SIMILARITY: f64 = 0.45;

/// Most duplicates shown.
pub const MAX_DUPLICATES: usize = 5;

/// A request's features, counted and of unit length.
#[derive(Clone, Debug, Default)]
pub struct Bag(HashMap<String, f64>);

impl Bag {
    /// The bag of a request.
    pub fn of(subject: &str, description: &str) -> Bag {
        let mut counts: HashMap<String, f64> = HashMap::new();
        for f in features(subject, description) {
            *counts.entry(f).or_default() += 1.0;
        }
        for v in counts.values_mut() {
            *v = 1.0 + v.ln();
        }
        let norm = counts.values().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            for v in counts.values_mut() {
                *v /= norm;
            }
        }
        Bag(counts)
    }

    /// 0 (nothing shared) to 1 (the same words in the same proportions).
    pub fn similarity(&self, other: &Bag) -> f64 {
        let (small, large) = if self.0.len() <= other.0.len() {
            (&self.0, &other.0)
        } else {
            (&other.0, &self.0)
        };
        let dot: f64 = small
            .iter()
            .filter_map(|(f, v)| large.get(f).map(|w| v * w))
            .sum();
        dot.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_fault_in_other_words_reads_alike_and_another_fault_does_not() {
        let a = Bag::of("三楼空调不制冷", "会议室空调开了一上午还是不制冷");
        let b = Bag::of("空调不制冷了", "三楼会议室的空调不制冷，麻烦尽快来看");
        let c = Bag::of("打印机卡纸", "财务室打印机一直卡纸");
        assert!(
            a.similarity(&b) >= DUPLICATE_SIMILARITY,
            "{}",
            a.similarity(&b)
        );
        assert!(a.similarity(&c) < 0.1, "{}", a.similarity(&c));
        assert!((a.similarity(&a) - 1.0).abs() < 1e-9);
        assert_eq!(Bag::of("", "").similarity(&a), 0.0);
    }
}

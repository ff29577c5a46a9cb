//! Urgency and negative sentiment from a shipped lexicon: the words a customer uses when they
//! are in a hurry (尽快, 马上, 着急) or about to escalate (投诉, 12315, 曝光, 律师), each with a
//! weight; a negation just before a word cancels it (不急, 不用着急), a degree word doubles it
//! (非常着急). The seeds' rule — three or more urgency signals predict an escalation — is the
//! `High` level; an escalation word is `Critical`. Every result names the words that drove it.

use serde::Serialize;

/// How urgent a message reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nothing out of the ordinary.
    Normal,
    /// In a hurry: three signals or more, or their weight.
    High,
    /// About to escalate outside (a complaint to the authorities, the press, a lawyer).
    Critical,
}

impl Level {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Normal => "normal",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// What a message's words say of its urgency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Urgency {
    /// The level.
    pub level: Level,
    /// 0 (calm) to 1 (as urgent as words get).
    pub score: f64,
    /// The words that drove it, as written, in order (a degree word with its word: 非常着急).
    pub signals: Vec<String>,
}

/// What a word means here.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Hurry.
    Hurry(f64),
    /// An escalation outside: always critical.
    Escalation(f64),
    /// Displeasure (sentiment only).
    Negative(f64),
    /// Contentment (sentiment only).
    Positive(f64),
}

/// The lexicon. Longer entries win over the shorter ones inside them (着急 over 急).
const WORDS: &[(&str, Kind)] = &[
    ("尽快", Kind::Hurry(1.0)),
    ("尽早", Kind::Hurry(1.0)),
    ("马上", Kind::Hurry(1.0)),
    ("立刻", Kind::Hurry(1.0)),
    ("立即", Kind::Hurry(1.0)),
    ("赶紧", Kind::Hurry(1.0)),
    ("赶快", Kind::Hurry(1.0)),
    ("着急", Kind::Hurry(1.0)),
    ("紧急", Kind::Hurry(1.0)),
    ("加急", Kind::Hurry(1.0)),
    ("十万火急", Kind::Hurry(2.0)),
    ("急", Kind::Hurry(0.5)),
    ("催", Kind::Hurry(0.5)),
    ("今天必须", Kind::Hurry(1.0)),
    ("一直没人", Kind::Hurry(1.0)),
    ("没人管", Kind::Hurry(1.0)),
    ("没人来", Kind::Hurry(1.0)),
    ("还没来", Kind::Hurry(1.0)),
    ("好几天", Kind::Hurry(1.0)),
    ("第二次", Kind::Hurry(0.5)),
    ("又坏", Kind::Hurry(0.5)),
    ("停产", Kind::Hurry(1.5)),
    ("停业", Kind::Hurry(1.5)),
    ("没法营业", Kind::Hurry(1.5)),
    ("漏电", Kind::Hurry(1.5)),
    ("冒烟", Kind::Hurry(1.5)),
    ("着火", Kind::Hurry(2.0)),
    ("困在", Kind::Hurry(2.0)),
    ("urgent", Kind::Hurry(1.0)),
    ("asap", Kind::Hurry(1.0)),
    ("投诉", Kind::Hurry(2.0)),
    ("差评", Kind::Hurry(1.0)),
    ("退货", Kind::Hurry(1.5)),
    ("退款", Kind::Hurry(1.5)),
    ("12315", Kind::Escalation(3.0)),
    ("12345", Kind::Escalation(3.0)),
    ("消协", Kind::Escalation(3.0)),
    ("曝光", Kind::Escalation(3.0)),
    ("媒体", Kind::Escalation(3.0)),
    ("律师", Kind::Escalation(3.0)),
    ("起诉", Kind::Escalation(3.0)),
    ("法院", Kind::Escalation(3.0)),
    ("工商局", Kind::Escalation(3.0)),
    ("市场监管", Kind::Escalation(3.0)),
    ("失望", Kind::Negative(1.0)),
    ("生气", Kind::Negative(1.0)),
    ("气死", Kind::Negative(1.5)),
    ("不满", Kind::Negative(1.0)),
    ("垃圾", Kind::Negative(1.5)),
    ("糟糕", Kind::Negative(1.0)),
    ("太慢", Kind::Negative(1.0)),
    ("敷衍", Kind::Negative(1.5)),
    ("态度差", Kind::Negative(1.5)),
    ("态度恶劣", Kind::Negative(2.0)),
    ("坑人", Kind::Negative(1.5)),
    ("骗", Kind::Negative(1.0)),
    ("恶心", Kind::Negative(1.5)),
    ("无语", Kind::Negative(1.0)),
    ("离谱", Kind::Negative(1.0)),
    ("满意", Kind::Positive(1.0)),
    ("谢谢", Kind::Positive(0.5)),
    ("感谢", Kind::Positive(0.5)),
    ("辛苦", Kind::Positive(0.5)),
    ("好评", Kind::Positive(1.0)),
    ("专业", Kind::Positive(0.5)),
    ("及时", Kind::Positive(0.5)),
    ("点赞", Kind::Positive(1.0)),
    // General words of displeasure and contentment, written from common usage (not learned
    // from any corpus): what a customer says of a product or a service.
    ("不好", Kind::Negative(1.0)),
    ("不行", Kind::Negative(1.0)),
    ("很差", Kind::Negative(1.0)),
    ("太差", Kind::Negative(1.0)),
    ("质量差", Kind::Negative(1.0)),
    ("差劲", Kind::Negative(1.0)),
    ("后悔", Kind::Negative(1.0)),
    ("上当", Kind::Negative(1.0)),
    ("难用", Kind::Negative(1.0)),
    ("难看", Kind::Negative(1.0)),
    ("难吃", Kind::Negative(1.0)),
    ("难受", Kind::Negative(1.0)),
    ("破损", Kind::Negative(1.0)),
    ("破旧", Kind::Negative(1.0)),
    ("损坏", Kind::Negative(1.0)),
    ("坏了", Kind::Negative(1.0)),
    ("毛病", Kind::Negative(1.0)),
    ("郁闷", Kind::Negative(1.0)),
    ("烦人", Kind::Negative(1.0)),
    ("不值", Kind::Negative(1.0)),
    ("不推荐", Kind::Negative(1.0)),
    ("别买", Kind::Negative(1.0)),
    ("浪费", Kind::Negative(1.0)),
    ("假货", Kind::Negative(1.0)),
    ("盗版", Kind::Negative(1.0)),
    ("欺骗", Kind::Negative(1.0)),
    ("忽悠", Kind::Negative(1.0)),
    ("不负责", Kind::Negative(1.0)),
    ("拖延", Kind::Negative(1.0)),
    ("推诿", Kind::Negative(1.0)),
    ("太贵", Kind::Negative(1.0)),
    ("不怎么样", Kind::Negative(1.0)),
    ("可惜", Kind::Negative(1.0)),
    ("遗憾", Kind::Negative(1.0)),
    ("不舒服", Kind::Negative(1.0)),
    ("粗糙", Kind::Negative(1.0)),
    ("劣质", Kind::Negative(1.0)),
    ("残次", Kind::Negative(1.0)),
    ("脏", Kind::Negative(1.0)),
    ("臭", Kind::Negative(1.0)),
    ("吵", Kind::Negative(1.0)),
    ("差", Kind::Negative(1.0)),
    ("没用", Kind::Negative(1.0)),
    ("失败", Kind::Negative(1.0)),
    ("退换", Kind::Negative(1.0)),
    ("投诉无门", Kind::Negative(1.0)),
    ("不错", Kind::Positive(1.0)),
    ("很好", Kind::Positive(1.0)),
    ("挺好", Kind::Positive(1.0)),
    ("喜欢", Kind::Positive(1.0)),
    ("推荐", Kind::Positive(1.0)),
    ("值得", Kind::Positive(1.0)),
    ("超值", Kind::Positive(1.0)),
    ("实惠", Kind::Positive(1.0)),
    ("划算", Kind::Positive(1.0)),
    ("正品", Kind::Positive(1.0)),
    ("精美", Kind::Positive(1.0)),
    ("漂亮", Kind::Positive(1.0)),
    ("舒服", Kind::Positive(1.0)),
    ("方便", Kind::Positive(1.0)),
    ("好用", Kind::Positive(1.0)),
    ("好看", Kind::Positive(1.0)),
    ("好吃", Kind::Positive(1.0)),
    ("清晰", Kind::Positive(1.0)),
    ("流畅", Kind::Positive(1.0)),
    ("迅速", Kind::Positive(1.0)),
    ("耐心", Kind::Positive(1.0)),
    ("热情", Kind::Positive(1.0)),
    ("周到", Kind::Positive(1.0)),
    ("认真", Kind::Positive(1.0)),
    ("负责", Kind::Positive(1.0)),
    ("靠谱", Kind::Positive(1.0)),
    ("放心", Kind::Positive(1.0)),
    ("完美", Kind::Positive(1.0)),
    ("棒", Kind::Positive(1.0)),
    ("赞", Kind::Positive(1.0)),
    ("惊喜", Kind::Positive(1.0)),
    ("开心", Kind::Positive(1.0)),
    ("高兴", Kind::Positive(1.0)),
    ("物美价廉", Kind::Positive(1.0)),
    ("性价比高", Kind::Positive(1.0)),
];

/// Words that turn the next one around, when they stand just before it.
const NEGATIONS: &[&str] = &[
    "不用",
    "不必",
    "无需",
    "不需要",
    "别",
    "没有",
    "没",
    "不",
    "not ",
    "no ",
];

/// Words that make the next one count double.
const DEGREES: &[&str] = &[
    "非常", "特别", "十分", "极其", "超级", "真的", "实在", "太", "很", "好",
];

/// One word found: where, what, and whether it was turned around or doubled.
struct Found {
    word: String,
    kind: Kind,
    negated: bool,
    degree: Option<&'static str>,
}

/// The text lowercased as characters (Latin words match in any case).
fn chars_of(text: &str) -> Vec<char> {
    text.chars().flat_map(char::to_lowercase).collect()
}

fn ends_with(before: &[char], word: &str) -> bool {
    let w: Vec<char> = word.chars().collect();
    before.len() >= w.len() && before[before.len() - w.len()..] == w[..]
}

/// The lexicon as characters by their first character, longest words first: made once, so a
/// text is read in one pass.
type Entry = (Vec<char>, &'static str, Kind);
static LEXICON: std::sync::LazyLock<std::collections::HashMap<char, Vec<Entry>>> =
    std::sync::LazyLock::new(|| {
        let mut by_first: std::collections::HashMap<char, Vec<Entry>> = Default::default();
        for (w, k) in WORDS {
            let chars: Vec<char> = w.chars().collect();
            if let Some(first) = chars.first() {
                by_first.entry(*first).or_default().push((chars, *w, *k));
            }
        }
        for words in by_first.values_mut() {
            words.sort_by_key(|(c, _, _)| std::cmp::Reverse(c.len()));
        }
        by_first
    });

/// Every lexicon word in the text, longest first at each place.
fn find(text: &str) -> Vec<Found> {
    let chars = chars_of(text);
    let words = &*LEXICON;
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let hit = words.get(&chars[i]).and_then(|ws| {
            ws.iter()
                .find(|(w, _, _)| chars.len() - i >= w.len() && chars[i..i + w.len()] == w[..])
        });
        let Some((w, word, kind)) = hit else {
            i += 1;
            continue;
        };
        // A Latin or numeric word stands alone: 12345 inside a serial number is no hotline.
        let alnum = |c: Option<&char>| c.is_some_and(char::is_ascii_alphanumeric);
        if w[0].is_ascii_alphanumeric()
            && (alnum(i.checked_sub(1).and_then(|b| chars.get(b))) || alnum(chars.get(i + w.len())))
        {
            i += 1;
            continue;
        }
        // What stands just before: a degree word, then a negation, or either alone
        // (不太急, 非常着急, 不急).
        let before = &chars[..i];
        let degree = DEGREES.iter().copied().find(|d| ends_with(before, d));
        let rest = match degree {
            Some(d) => &before[..before.len() - d.chars().count()],
            None => before,
        };
        let negated = NEGATIONS.iter().any(|n| ends_with(rest, n))
            || NEGATIONS.iter().any(|n| ends_with(before, n));
        out.push(Found {
            word: (*word).to_owned(),
            kind: *kind,
            negated,
            degree: degree.filter(|_| !negated),
        });
        i += w.len();
    }
    out
}

/// Repeated exclamation marks (！！ or !!) count as one more signal.
fn exclaims(text: &str) -> bool {
    text.contains("！！") || text.contains("!!") || text.contains("！!") || text.contains("!！")
}

/// Weights above which a message reads as high: the seeds' three signals.
const HIGH_WEIGHT: f64 = 3.0;

/// How urgent `text` reads.
pub fn urgency(text: &str) -> Urgency {
    let mut weight = 0.0;
    let mut signals = Vec::new();
    let mut critical = false;
    for f in find(text) {
        let (w, escalation) = match f.kind {
            Kind::Hurry(w) => (w, false),
            Kind::Escalation(w) => (w, true),
            Kind::Negative(_) | Kind::Positive(_) => continue,
        };
        if f.negated {
            continue;
        }
        let times = if f.degree.is_some() { 2.0 } else { 1.0 };
        weight += w * times;
        critical |= escalation;
        signals.push(match f.degree {
            Some(d) => format!("{d}{}", f.word),
            None => f.word,
        });
    }
    if exclaims(text) && !signals.is_empty() {
        weight += 0.5;
        signals.push("！！".to_owned());
    }
    let level = if critical {
        Level::Critical
    } else if weight >= HIGH_WEIGHT || signals.len() >= 3 {
        Level::High
    } else {
        Level::Normal
    };
    Urgency {
        level,
        score: 1.0 - (-weight / HIGH_WEIGHT).exp(),
        signals,
    }
}

/// The event a customer's words make when they read high or critical (the seeds' rule: three
/// urgency signals predict an escalation), `source` saying where they were said (`request`,
/// `comment`, `survey`); none for calm words.
pub fn signalled(text: &str, source: &str) -> Option<crate::event::payload::UrgencySignalled> {
    let u = urgency(text);
    (u.level >= Level::High).then(|| crate::event::payload::UrgencySignalled {
        level: u.level.as_str().to_owned(),
        signals: u.signals,
        source: source.to_owned(),
    })
}

/// How negative `text` reads, 0 to 1, from the lexicon alone (the tenant's learned model
/// refines it once trained): displeasure and escalation words against contentment, each
/// turned around by a negation (不满意 is displeasure) and doubled by a degree word. No word
/// either way reads as 0.5.
pub fn negative(text: &str) -> f64 {
    let mut score = 0.0;
    for f in find(text) {
        let times = if f.degree.is_some() { 2.0 } else { 1.0 };
        let sign = if f.negated { -1.0 } else { 1.0 };
        score += times
            * sign
            * match f.kind {
                Kind::Negative(w) => w,
                Kind::Escalation(w) => w / 2.0,
                Kind::Hurry(w) => w / 4.0,
                Kind::Positive(w) => -w,
            };
    }
    1.0 / (1.0 + (-score).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calm_words_are_normal_and_say_nothing() {
        let u = urgency("三楼空调不制冷，下午有人在");
        assert_eq!(u.level, Level::Normal);
        assert!(u.signals.is_empty());
        assert!(u.score.abs() < 1e-9);
    }

    #[test]
    fn three_hurry_signals_are_high_and_named_in_order() {
        let u = urgency("空调坏了，请尽快派人，我们非常着急，马上要开业了");
        assert_eq!(u.level, Level::High);
        assert_eq!(u.signals, vec!["尽快", "非常着急", "马上"]);
        let one = urgency("请尽快处理");
        assert_eq!(one.level, Level::Normal);
        assert!(u.score > one.score && one.score > 0.0);
    }

    #[test]
    fn an_escalation_word_is_critical() {
        let u = urgency("再不来修我就打12315投诉！！");
        assert_eq!(u.level, Level::Critical);
        assert_eq!(u.signals, vec!["12315", "投诉", "！！"]);
        assert_eq!(urgency("我要找律师").level, Level::Critical);
        assert_eq!(urgency("Please fix ASAP").signals, vec!["asap"]);
        // Digits inside a serial number or a phone number are no hotline.
        assert_eq!(
            urgency("序列号 SN123456789，电话 13812315000").level,
            Level::Normal
        );
        assert_eq!(urgency("打了12345也没用").level, Level::Critical);
    }

    #[test]
    fn a_negation_cancels_and_the_longest_word_wins() {
        // 不急 / 不用着急 / 不太急: nothing; 着急 is one signal, not 着急 and 急.
        for calm in ["不急，慢慢来", "不用着急", "不太急", "没有投诉的意思"] {
            let u = urgency(calm);
            assert!(u.signals.is_empty(), "{calm}: {:?}", u.signals);
        }
        assert_eq!(urgency("很着急").signals, vec!["很着急"]);
        assert_eq!(urgency("十万火急").signals, vec!["十万火急"]);
    }

    #[test]
    fn negative_reads_displeasure_against_contentment() {
        let angry = negative("服务态度差，非常失望，我要投诉");
        let happy = negative("师傅很专业，非常满意，谢谢");
        let plain = negative("空调不制冷");
        assert!(angry > 0.9, "{angry}");
        assert!(happy < 0.1, "{happy}");
        assert!((plain - 0.5).abs() < 1e-9, "{plain}");
        // 不满意 is displeasure, not contentment.
        assert!(negative("不满意") > 0.5);
    }
}

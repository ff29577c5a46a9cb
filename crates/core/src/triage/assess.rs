//! One request triaged: what the tenant's models suggest (category, priority, team), how
//! urgent and how unhappy it reads, and which recent tickets it may repeat. The rules of what
//! is suggested live here; the models and the candidates come from the store.

use super::classifier::{Classifier, Suggestion};
use super::features::features;
use super::similar::{Bag, DUPLICATE_SIMILARITY, MAX_DUPLICATES};
use super::urgency::{negative, urgency, Urgency};
use crate::validate::FieldError;

/// What a model is trained to suggest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// The ticket's category code.
    Category,
    /// Its priority, 1 to 4.
    Priority,
    /// The team it goes to.
    Team,
    /// Whether a customer's words are negative (from survey comments and their scores).
    Sentiment,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 4] = [
        Target::Category,
        Target::Priority,
        Target::Team,
        Target::Sentiment,
    ];

    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Category => "category",
            Target::Priority => "priority",
            Target::Team => "team",
            Target::Sentiment => "sentiment",
        }
    }

    /// The target named `s`.
    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The class of a sentiment example: a survey's CSAT of 1–2 is negative, 4–5 positive, 3
/// says nothing either way.
pub fn sentiment_label(csat: i64) -> Option<&'static str> {
    match csat {
        1 | 2 => Some(NEGATIVE),
        4 | 5 => Some("positive"),
        _ => None,
    }
}

/// The negative class of the sentiment model.
pub const NEGATIVE: &str = "negative";

/// Least confidence for a suggestion to be offered to a person typing a request (the API
/// answers every suggestion; a page shows only those worth a look).
pub const SHOWN_CONFIDENCE: f64 = 0.05;

/// Least confidence for a suggested priority to be offered: a priority guessed at random
/// would be worse than the agent's own default.
pub const SHOWN_PRIORITY_CONFIDENCE: f64 = 0.5;

/// A negative reading from this on is shown to the person typing the request.
pub const UNHAPPY: f64 = 0.75;

/// Most category suggestions.
pub const MAX_CATEGORIES: usize = 3;

/// The request to triage, checked.
#[derive(Clone, Debug)]
pub struct Request {
    /// Subject (never empty).
    pub subject: String,
    /// Description.
    pub description: String,
}

/// Longest text read, in characters: beyond this a request says nothing more that matters,
/// and the cost grows with it.
pub const MAX_TEXT: usize = 20_000;

impl Request {
    /// A request from what was posted; an empty subject is refused.
    pub fn new(subject: &str, description: Option<&str>) -> Result<Request, FieldError> {
        let subject = subject.trim();
        if subject.is_empty() {
            return Err(FieldError {
                field: "subject",
                reason: "error.required",
            });
        }
        let cut = |s: &str| s.chars().take(MAX_TEXT).collect::<String>();
        Ok(Request {
            subject: cut(subject),
            description: cut(description.unwrap_or("").trim()),
        })
    }
}

/// The tenant's models, those it has.
#[derive(Clone, Copy, Debug, Default)]
pub struct Models<'a> {
    /// Category.
    pub category: Option<&'a Classifier>,
    /// Priority.
    pub priority: Option<&'a Classifier>,
    /// Team.
    pub team: Option<&'a Classifier>,
    /// Sentiment.
    pub sentiment: Option<&'a Classifier>,
}

/// What the tenant has today, to keep suggestions to what exists.
#[derive(Clone, Copy, Debug)]
pub struct Known<'a> {
    /// Category codes.
    pub categories: &'a [String],
    /// Team ids.
    pub teams: &'a [String],
}

/// A recent ticket a request may repeat.
#[derive(Clone, Debug)]
pub struct Candidate<T> {
    /// The ticket (its id and number, whatever the caller needs back).
    pub ticket: T,
    /// Its subject.
    pub subject: String,
    /// Its description.
    pub description: String,
}

/// The triage of one request.
#[derive(Clone, Debug)]
pub struct Assessment<T> {
    /// Up to [`MAX_CATEGORIES`] categories, best first (empty without a category model).
    pub categories: Vec<Suggestion>,
    /// The priority (1–4) suggested, with its confidence and words.
    pub priority: Option<(i64, Suggestion)>,
    /// The team suggested.
    pub team: Option<Suggestion>,
    /// How urgent it reads.
    pub urgency: Urgency,
    /// 0..1: how negative it reads (the tenant's sentiment model, else the shipped lexicon).
    pub negative: f64,
    /// Tickets it may repeat, most alike first, with their similarity.
    pub duplicates: Vec<(T, f64)>,
}

/// Triages `request`.
pub fn assess<T>(
    request: &Request,
    models: Models<'_>,
    known: Known<'_>,
    candidates: Vec<Candidate<T>>,
) -> Assessment<T> {
    let f = features(&request.subject, &request.description);
    let categories = models
        .category
        .map(|m| {
            let mut s = m.suggest(&f, m.classes().len());
            s.retain(|s| known.categories.contains(&s.class));
            s.truncate(MAX_CATEGORIES);
            s
        })
        .unwrap_or_default();
    let priority = models
        .priority
        .and_then(|m| m.suggest(&f, 1).into_iter().next())
        .and_then(|s| {
            let p = s
                .class
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=4).contains(p))?;
            Some((p, s))
        });
    let team = models.team.and_then(|m| {
        m.suggest(&f, m.classes().len())
            .into_iter()
            .find(|s| known.teams.contains(&s.class))
    });
    let text = format!("{}\n{}", request.subject, request.description);
    let negative = match models.sentiment {
        Some(m) => m
            .classes()
            .iter()
            .position(|c| c == NEGATIVE)
            .and_then(|i| m.probabilities(&f).get(i).copied())
            .unwrap_or_else(|| negative(&text)),
        None => negative(&text),
    };
    let bag = Bag::of(&request.subject, &request.description);
    let mut duplicates: Vec<(T, f64)> = candidates
        .into_iter()
        .map(|c| {
            let s = bag.similarity(&Bag::of(&c.subject, &c.description));
            (c.ticket, s)
        })
        .filter(|(_, s)| *s >= DUPLICATE_SIMILARITY)
        .collect();
    duplicates.sort_by(|a, b| b.1.total_cmp(&a.1));
    duplicates.truncate(MAX_DUPLICATES);
    Assessment {
        categories,
        priority,
        team,
        urgency: urgency(&text),
        negative,
        duplicates,
    }
}

/// The lowest confidence a tenant may let the model set a category on its own at: below an
/// even chance the guess would more often be wrong than right.
pub const MIN_AUTO_THRESHOLD: f64 = 0.5;

/// The category the model may set on its own: its best suggestion, when the tenant has turned
/// that on (`threshold`) and the model is at least that sure.
pub fn auto_category(categories: &[Suggestion], threshold: Option<f64>) -> Option<&Suggestion> {
    let t = threshold?;
    categories.first().filter(|s| s.confidence >= t)
}

/// Checks a tenant's threshold for setting categories automatically.
pub fn auto_threshold(value: f64) -> Result<f64, FieldError> {
    if value.is_finite() && (MIN_AUTO_THRESHOLD..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError {
            field: "auto_category_above",
            reason: "error.auto_threshold",
        })
    }
}

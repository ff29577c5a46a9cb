//! The knowledge base (issue 23): articles written by the people who fix things — often
//! drafted with one click from a ticket's resolution (存为知识) — reviewed before they are
//! published, suggested to agents at intake, to engineers on the job and to customers before
//! they file (an article that solves it is counted as a deflection), with helpful / not helpful
//! feedback per reader.

use crate::access::{self, Permission};
use crate::ticket::transitions::Actor;
use crate::triage::similar::Bag;
use crate::validate::{self, FieldError};
use crate::Role;

/// Longest title.
pub const MAX_TITLE: usize = 200;
/// Longest body (Markdown).
pub const MAX_BODY: usize = 50_000;
/// Articles suggested for a request at most.
pub const MAX_SUGGESTED: usize = 3;
/// Least relevance suggested.
pub const MIN_SCORE: f64 = 0.15;
/// Characters of a body read for matching (the start says what it is about).
pub const MATCHED_CHARS: usize = 2_000;

/// Where an article is in its review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArticleState {
    /// Being written.
    Draft,
    /// Waiting for a reviewer.
    Review,
    /// Readable by its audience and suggested.
    Published,
    /// Kept, no longer shown.
    Archived,
}

impl ArticleState {
    /// Every state.
    pub const ALL: [ArticleState; 4] = [
        ArticleState::Draft,
        ArticleState::Review,
        ArticleState::Published,
        ArticleState::Archived,
    ];

    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleState::Draft => "draft",
            ArticleState::Review => "review",
            ArticleState::Published => "published",
            ArticleState::Archived => "archived",
        }
    }

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<ArticleState> {
        ArticleState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Who may read an article once published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Customers too (the portal).
    Public,
    /// Staff only.
    Internal,
}

impl Visibility {
    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<Visibility> {
        match text {
            "public" => Some(Visibility::Public),
            "internal" => Some(Visibility::Internal),
            _ => None,
        }
    }
}

/// A visibility as asked for (`public` or `internal`; nothing asked: internal).
pub fn visibility(text: Option<&str>) -> Result<Visibility, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Visibility::Internal),
        Some(t) => Visibility::parse(t).ok_or(FieldError {
            field: "visibility",
            reason: "error.invalid_value",
        }),
    }
}

/// The articles a reader may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readable {
    /// Every article, in every state (those who write them).
    All,
    /// The published ones (other staff).
    Published,
    /// The published public ones (customers).
    PublishedPublic,
}

/// What `actor` may read of the knowledge base.
pub fn readable(actor: &Actor) -> Readable {
    if actor.has(Role::Customer) && !access::allowed(actor, Permission::InternalNotes) {
        Readable::PublishedPublic
    } else if access::allowed(actor, Permission::WriteArticles) {
        Readable::All
    } else {
        Readable::Published
    }
}

/// Whether an article may move from `from` to `to`, and whether that takes a reviewer:
/// a writer sends a draft to review (or back to draft); a reviewer publishes, sends back,
/// archives and brings back. Publishing straight from a draft is a reviewer's too.
pub fn may_move(from: ArticleState, to: ArticleState, reviewer: bool) -> Result<(), FieldError> {
    use ArticleState::*;
    let writer_may = matches!((from, to), (Draft, Review) | (Review, Draft));
    let reviewer_may = matches!(
        (from, to),
        (Draft | Review, Published)
            | (Review, Draft)
            | (Published, Archived | Draft)
            | (Archived, Draft)
    );
    if from == to || writer_may || (reviewer && reviewer_may) {
        return Ok(());
    }
    Err(FieldError {
        field: "state",
        reason: if reviewer_may {
            "error.article_reviewer_only"
        } else {
            "error.article_move"
        },
    })
}

/// Whether an article's text may be changed in `state`: what readers see (published or
/// archived) is changed by a reviewer only — a writer asks for it to be sent back first.
pub fn may_rewrite(state: ArticleState, reviewer: bool) -> Result<(), FieldError> {
    if reviewer || matches!(state, ArticleState::Draft | ArticleState::Review) {
        Ok(())
    } else {
        Err(FieldError {
            field: "body",
            reason: "error.article_published",
        })
    }
}

/// An article's text, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArticleText {
    /// Title.
    pub title: String,
    /// Body, Markdown.
    pub body: String,
}

/// Checks a title and body.
pub fn text(title: &str, body: &str) -> Result<ArticleText, FieldError> {
    let title = validate::required_text("title", title, MAX_TITLE)?;
    let body = validate::required_text("body", body, MAX_BODY)?;
    Ok(ArticleText { title, body })
}

/// A draft from a ticket's resolution: the fault as the customer told it, what fixed it and
/// the parts it took, for its writer to tidy before review.
pub fn draft_from_resolution(
    subject: &str,
    description: &str,
    resolution: &str,
    parts: &[String],
    headings: (&str, &str, &str),
) -> ArticleText {
    let (symptom, fix, used) = headings;
    let mut body = format!("## {symptom}\n\n");
    let told = description.trim();
    body.push_str(if told.is_empty() {
        subject.trim()
    } else {
        told
    });
    body.push_str(&format!("\n\n## {fix}\n\n{}\n", resolution.trim()));
    if !parts.is_empty() {
        body.push_str(&format!("\n## {used}\n\n"));
        for p in parts {
            body.push_str(&format!("- {p}\n"));
        }
    }
    let title: String = subject.trim().chars().take(MAX_TITLE).collect();
    ArticleText { title, body }
}

/// An article ready to be weighed against requests: its words counted once (a tenant's
/// published articles are kept so between changes), and what it is about.
#[derive(Clone, Debug)]
pub struct Prepared<T> {
    /// Whatever names the article for the caller.
    pub key: T,
    /// The likeness bag of its title (counted twice) and its body's start.
    pub bag: Bag,
    /// The category code it is about.
    pub category: Option<String>,
    /// The equipment model it is about.
    pub model: Option<String>,
}

impl<T> Prepared<T> {
    /// An article's words counted: the title twice, the body's first [`MATCHED_CHARS`].
    pub fn new(key: T, title: &str, body: &str, about: (Option<String>, Option<String>)) -> Self {
        let start: String = body.chars().take(MATCHED_CHARS).collect();
        Prepared {
            key,
            bag: Bag::of(&format!("{title} {title}"), &start),
            category: about.0,
            model: about.1,
        }
    }
}

/// A request as suggestions weigh it: its words, and its category and equipment model where
/// known.
pub struct Asked<'a> {
    /// Subject.
    pub subject: &'a str,
    /// Description.
    pub description: &'a str,
    /// The category code.
    pub category: Option<&'a str>,
    /// The equipment's model.
    pub model: Option<&'a str>,
}

/// An article about the request's own category or model weighs this much more …
pub const SAME_ABOUT: f64 = 1.3;
/// … and one about another model (both known) this much.
pub const OTHER_MODEL: f64 = 0.5;

/// How well an article answers a request: the likeness of their words, raised when the
/// article is about the request's category or equipment model, lowered when it is about
/// another model; 0..1.
pub fn relevance<T>(request: &Bag, asked: &Asked<'_>, article: &Prepared<T>) -> f64 {
    let same = |a: Option<&str>, b: Option<&String>| matches!((a, b), (Some(a), Some(b)) if a.trim().eq_ignore_ascii_case(b.trim()));
    let mut score = request.similarity(&article.bag);
    if same(asked.category, article.category.as_ref()) {
        score *= SAME_ABOUT;
    }
    if same(asked.model, article.model.as_ref()) {
        score *= SAME_ABOUT;
    } else if asked.model.is_some() && article.model.is_some() {
        score *= OTHER_MODEL;
    }
    score.min(1.0)
}

/// The articles to suggest: those at least [`MIN_SCORE`] relevant, best first, at most
/// [`MAX_SUGGESTED`].
pub fn suggest<'a, T: Clone + 'a>(
    asked: &Asked<'_>,
    articles: impl IntoIterator<Item = &'a Prepared<T>>,
) -> Vec<(T, f64)> {
    let request = Bag::of(asked.subject, asked.description);
    let mut scored: Vec<(T, f64)> = articles
        .into_iter()
        .map(|a| (a.key.clone(), relevance(&request, asked, a)))
        .filter(|(_, s)| *s >= MIN_SCORE)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.truncate(MAX_SUGGESTED);
    scored
}

#[cfg(test)]
#[path = "knowledge_tests.rs"]
mod tests;

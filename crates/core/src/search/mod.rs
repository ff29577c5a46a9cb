//! Search: how text becomes the words an index holds and a query asks for, who may find
//! what, and how a match is shown.
//!
//! Both databases index words this module cut, never their own parsers' (SQLite's tokenizer
//! and PostgreSQL's text search configurations know nothing of Chinese), so a document and
//! a query are cut by the same rules on either backend:
//! - Chinese runs are segmented by jieba without the HMM, so a name jieba does not know
//!   falls apart into characters in the document and in the query alike: documents in search
//!   mode (long words also yield their dictionary sub-words), queries in precise mode (the
//!   whole word, which the document holds too: fewer words to intersect);
//! - Latin letters and digits are words as typed, lower-cased, split at punctuation: a
//!   ticket number or a serial is the AND of its parts;
//! - a phone number in any spelling (`138-0013-8000`, `+86 138 0013 8000`) is also one
//!   digits-only word without the country prefix; a query holding one asks for that word;
//! - particles (的, 了, 不 …) are not words: 空调不制冷 asks for 空调 AND 制冷.
//!
//! A query is the AND of its words. [`relevance`] orders the documents holding them all,
//! [`highlight`] marks them in the original text.

mod document;
mod highlight;
mod scope;
mod words;

pub use document::{ArticleText, AssetText, CustomerText, Document, TicketText, SNIPPET_WIDTH};
pub use highlight::{escape_html, highlight, title_html};
pub use scope::SearchScope;
pub use words::{document_words, query_words, text_words, Weighted};
pub(crate) use words::{fold, is_cjk};

/// Longest query accepted, in characters.
pub const MAX_QUERY: usize = 200;

/// How much a word in a document's title (subject, name, serial) weighs against one
/// only in its body or internal notes.
pub const TITLE_WEIGHT: f64 = 5.0;

/// The relevance of a document holding every one of a query's `words`, `in_title` of them
/// in its title, from 1/[`TITLE_WEIGHT`] (all only in the body) to 1 (all in the title).
/// Among documents of equal relevance the newer comes first.
///
/// Every candidate holds every word (a query is their AND), so what sets documents apart
/// is where the words stand, not how rare they are: BM25's inverse document frequency
/// would weigh every candidate alike, and its term counts rarely differ in a ticket's few
/// lines. Computing this needs no pass over each word's whole posting list, which BM25's
/// document counts do on every query.
pub fn relevance(words: usize, in_title: usize) -> f64 {
    if words == 0 {
        return 0.0;
    }
    let in_title = in_title.min(words) as f64;
    let words = words as f64;
    (in_title * TITLE_WEIGHT + (words - in_title)) / (words * TITLE_WEIGHT)
}

/// How many of a query's words a title holds where the title would mark them (its parts: a
/// ticket's number and subject, a customer's name, an asset's model and serial). No
/// segmenting: a ranking reads two hundred titles per query.
pub fn in_title(title: &[&str], query: &[String]) -> usize {
    query
        .iter()
        .filter(|w| title.iter().any(|part| highlight::occurs(part, w)))
        .count()
}

/// What a search can find.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A ticket: number, subject, description, replies, notes, the work report.
    Ticket,
    /// A customer with its contacts and sites.
    Customer,
    /// A piece of equipment: model, serial, site.
    Asset,
    /// A knowledge article.
    Article,
}

impl Kind {
    /// Every kind, in the order results of equal rank are shown.
    pub const ALL: [Kind; 4] = [Kind::Ticket, Kind::Customer, Kind::Asset, Kind::Article];

    /// The name in the API and in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ticket => "ticket",
            Kind::Customer => "customer",
            Kind::Asset => "asset",
            Kind::Article => "article",
        }
    }

    /// The kind an API or index name stands for.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

//! What each kind of document holds, by weight, and how a hit on it is shown.

use super::highlight::{escape_html, highlight, title_html};
use super::words::{document_words, Weighted};

/// Characters of text shown around a match.
pub const SNIPPET_WIDTH: usize = 120;

/// The searchable text of one ticket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketText {
    /// `WO-…` (empty until the ticket is numbered in its transaction).
    pub number: String,
    /// Subject.
    pub subject: String,
    /// Description.
    pub description: String,
    /// The customer's name.
    pub customer: Option<String>,
    /// The contact's name.
    pub contact: Option<String>,
    /// The caller's phone.
    pub phone: Option<String>,
    /// Public replies, oldest first.
    pub replies: Vec<String>,
    /// The resolutions of the work reports, oldest first.
    pub resolutions: Vec<String>,
    /// Internal notes (staff only), oldest first.
    pub notes: Vec<String>,
    /// The numbers of the duplicates merged into it (found by either number).
    pub merged: Vec<String>,
}

/// The searchable text of one customer: its name, its people and its sites.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerText {
    /// Name.
    pub name: String,
    /// Contacts' names, phones, e-mail addresses and WeChat ids.
    pub contacts: Vec<String>,
    /// Sites' names and addresses.
    pub sites: Vec<String>,
}

/// The searchable text of one piece of equipment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssetText {
    /// Model.
    pub model: String,
    /// Serial number.
    pub serial: String,
    /// The site's name and address.
    pub site: String,
    /// The owner's name.
    pub customer: String,
}

/// The searchable text of one knowledge article.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArticleText {
    /// Title.
    pub title: String,
    /// Body, Markdown.
    pub body: String,
    /// The category code and the model it is about.
    pub about: Vec<String>,
}

/// Markdown as the text a reader sees, for a snippet: headings', lists' and quotes' marks
/// and emphasis left out, lines joined.
fn markdown_plain(body: &str) -> String {
    body.lines()
        .map(|l| {
            l.trim()
                .trim_start_matches(['#', '>', '-', '*', '+'])
                .trim()
                .replace("**", "")
                .replace('`', "")
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A document as the index and a result list see it.
pub trait Document {
    /// Its words, by weight.
    fn words(&self) -> Weighted;
    /// Its title as HTML, the query's words marked.
    fn title_html(&self, query: &[String]) -> String;
    /// A line of its text around the first match, as HTML; the opening of its text when the
    /// match is in the title only. Internal notes are shown only when `internal`.
    fn snippet_html(&self, query: &[String], internal: bool) -> String;
}

fn strs(v: &[String]) -> impl Iterator<Item = &str> {
    v.iter().map(String::as_str)
}

/// The first of `texts` holding a word of the query, shown around it; else the first
/// non-empty text's opening.
fn snippet<'a>(texts: impl Iterator<Item = &'a str>, query: &[String]) -> String {
    let texts: Vec<&str> = texts.collect();
    if let Some(s) = texts
        .iter()
        .find_map(|t| highlight(t, query, SNIPPET_WIDTH))
    {
        return s;
    }
    let first = texts
        .into_iter()
        .find(|t| !t.trim().is_empty())
        .unwrap_or("");
    let opening: String = first.chars().take(SNIPPET_WIDTH).collect();
    let mut out = escape_html(&opening.replace(char::is_whitespace, " "));
    if first.chars().count() > SNIPPET_WIDTH {
        out.push('…');
    }
    out
}

impl Document for TicketText {
    fn words(&self) -> Weighted {
        let mut body: Vec<&str> = vec![&self.description];
        body.extend(self.customer.as_deref());
        body.extend(self.contact.as_deref());
        body.extend(self.phone.as_deref());
        body.extend(strs(&self.replies));
        body.extend(strs(&self.resolutions));
        body.extend(strs(&self.merged));
        let notes: Vec<&str> = strs(&self.notes).collect();
        document_words(&[&self.number, &self.subject], &body, &notes)
    }

    fn title_html(&self, query: &[String]) -> String {
        title_html(&self.subject, query)
    }

    fn snippet_html(&self, query: &[String], internal: bool) -> String {
        let notes: &[String] = if internal { &self.notes } else { &[] };
        // Who called, on one line: a hit on the phone shows whose it is.
        let parties = [&self.customer, &self.contact, &self.phone]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" · ");
        let texts = std::iter::once(self.description.as_str())
            .chain(strs(&self.replies))
            .chain(strs(&self.resolutions))
            .chain(strs(notes))
            .chain(std::iter::once(parties.as_str()))
            .chain(strs(&self.merged));
        snippet(texts, query)
    }
}

impl Document for CustomerText {
    fn words(&self) -> Weighted {
        let body: Vec<&str> = strs(&self.contacts).chain(strs(&self.sites)).collect();
        document_words(&[&self.name], &body, &[])
    }

    fn title_html(&self, query: &[String]) -> String {
        title_html(&self.name, query)
    }

    fn snippet_html(&self, query: &[String], _internal: bool) -> String {
        snippet(strs(&self.contacts).chain(strs(&self.sites)), query)
    }
}

impl Document for AssetText {
    fn words(&self) -> Weighted {
        document_words(
            &[&self.model, &self.serial],
            &[&self.site, &self.customer],
            &[],
        )
    }

    fn title_html(&self, query: &[String]) -> String {
        title_html(&format!("{} · {}", self.model, self.serial), query)
    }

    fn snippet_html(&self, query: &[String], _internal: bool) -> String {
        snippet(
            [self.customer.as_str(), self.site.as_str()].into_iter(),
            query,
        )
    }
}

impl Document for ArticleText {
    fn words(&self) -> Weighted {
        let mut body: Vec<&str> = vec![&self.body];
        body.extend(strs(&self.about));
        document_words(&[&self.title], &body, &[])
    }

    fn title_html(&self, query: &[String]) -> String {
        title_html(&self.title, query)
    }

    fn snippet_html(&self, query: &[String], _internal: bool) -> String {
        let plain = markdown_plain(&self.body);
        snippet(std::iter::once(plain.as_str()), query)
    }
}

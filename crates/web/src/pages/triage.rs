//! The triage panel beside a request being typed (phone intake): while the agent types, the
//! form posts what it holds here, and the answer is the panel drawn again — the suggested
//! category and urgency (one press puts them in the form), the words behind them, urgency
//! signals, an unhappy customer, and the same customer's or asset's recent tickets that read
//! alike. Drawn on the server, so every word comes from the translation table.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_core::triage::assess::{SHOWN_CONFIDENCE, SHOWN_PRIORITY_CONFIDENCE, UNHAPPY};
use loopdesk_core::triage::urgency::Level;
use loopdesk_core::triage::Request;
use loopdesk_core::{AssetId, CustomerId};
use loopdesk_store::{ArticleQuery, StoreError, Triaged};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::PageUser;
use crate::state::AppState;

/// What the request form holds so far.
#[derive(Deserialize)]
pub struct TriageForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    description: String,
    customer_id: Option<String>,
    asset_id: Option<String>,
}

/// The panel for what the form holds (empty while there is no subject).
pub async fn panel(
    State(state): State<AppState>,
    PageUser { user, lang }: PageUser,
    Form(f): Form<TriageForm>,
) -> Response {
    let Ok(request) = Request::new(&f.subject, Some(&f.description)) else {
        return Html(String::new()).into_response();
    };
    let customer = f
        .customer_id
        .as_deref()
        .and_then(|c| CustomerId::parse(c.trim()));
    let asset = f.asset_id.as_deref().and_then(|a| AssetId::parse(a.trim()));
    let triaged = match user
        .tenant
        .triage(&user.actor, &request, customer, asset, state.clock.now())
        .await
    {
        Ok(t) => t,
        Err(StoreError::Forbidden) => return StatusCode::NO_CONTENT.into_response(),
        Err(e) => return super::failure(lang, &e),
    };
    let name_of = |code: &str| {
        triaged
            .category_names
            .iter()
            .find(|(c, _)| c == code)
            .map_or(code.to_owned(), |(_, name)| name.clone())
    };
    let articles = match user
        .tenant
        .suggest_articles(
            &user.actor,
            ArticleQuery {
                subject: &request.subject,
                description: &request.description,
                category: None,
                asset_id: asset,
            },
        )
        .await
    {
        Ok(a) => a,
        Err(e) => return super::failure(lang, &e),
    };
    let panel = maud::html! {
        (draw(lang, &triaged, &name_of))
        (super::knowledge::suggestions(lang, &articles))
    };
    Html(panel.into_string()).into_response()
}

fn percent(x: f64) -> String {
    format!("{:.0}", (x * 100.0).clamp(0.0, 100.0))
}

fn because(lang: Lang, words: &[String]) -> Markup {
    html! {
        @if !words.is_empty() {
            " " span.muted { (t(lang, "page.triage.because")) " " (words.join("、")) }
        }
    }
}

fn draw(lang: Lang, triaged: &Triaged, name_of: &dyn Fn(&str) -> String) -> Markup {
    let a = &triaged.assessment;
    let categories: Vec<_> = a
        .categories
        .iter()
        .filter(|s| s.confidence >= SHOWN_CONFIDENCE)
        .collect();
    let priority = a
        .priority
        .as_ref()
        .filter(|(_, s)| s.confidence >= SHOWN_PRIORITY_CONFIDENCE);
    html! {
        div.triage-found {
            @if !categories.is_empty() {
                p {
                    strong { (t(lang, "page.triage.category")) } " "
                    @for s in &categories {
                        button.chip type="button" data-apply="category" data-value=(s.class)
                            title=(s.words.join("、")) {
                            (name_of(&s.class)) " " (percent(s.confidence)) "%"
                        }
                        " "
                    }
                    @if let Some(best) = categories.first() { (because(lang, &best.words)) }
                }
            }
            @if let Some((p, s)) = priority {
                p {
                    strong { (t(lang, "page.triage.priority")) } " "
                    button.chip type="button" data-apply="priority" data-value=(p) {
                        (t(lang, &format!("page.urgency.{p}"))) " " (percent(s.confidence)) "%"
                    }
                    (because(lang, &s.words))
                }
            }
            @if a.urgency.level != Level::Normal {
                p.urgent {
                    span.badge.(if a.urgency.level == Level::Critical { "danger" } else { "warning" }) {
                        (t(lang, &format!("page.triage.level.{}", a.urgency.level.as_str())))
                    }
                    " " (a.urgency.signals.join("、"))
                }
            }
            @if a.negative >= UNHAPPY {
                p { span.badge.warning { (t(lang, "page.triage.negative")) } }
            }
            @if !a.duplicates.is_empty() {
                p { strong { (t(lang, "page.triage.duplicates")) } }
                ul {
                    @for ((id, number), similarity) in &a.duplicates {
                        li {
                            a href={ "/t/" (id) } target="_blank" { (number) } " "
                            span.muted { (tf(lang, "page.triage.similar", &[("pct", &percent(*similarity))])) }
                        }
                    }
                }
            }
        }
    }
}

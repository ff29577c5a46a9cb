//! The survey page behind a signed link: the customer rates the service without signing in.

use super::layout::PageQuery;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use loopdesk_core::followup::{self, SurveyAnswer, SurveyClosed};
use loopdesk_core::i18n::{t, tf, Lang};
use loopdesk_store::{StoreError, SurveyView};
use serde::Deserialize;

use super::escape;
use crate::state::AppState;

/// `?lang=en` switches the page's language.
#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// The form as posted.
#[derive(Deserialize)]
pub struct SurveyForm {
    csat: Option<String>,
    nps: Option<String>,
    comment: Option<String>,
}

fn page(lang: Lang, status: StatusCode, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/static/survey.css\">\
         </head><body><h1>{title}</h1>{body}</body></html>",
        tag = lang.tag(),
        title = escape(t(lang, "survey.page.title")),
    );
    (status, Html(html)).into_response()
}

fn choice(name: &str, range: std::ops::RangeInclusive<i64>) -> String {
    range
        .map(|v| {
            format!(
                "<label><input type=\"radio\" name=\"{name}\" value=\"{v}\" required> {v}</label>"
            )
        })
        .collect()
}

fn form(lang: Lang, s: &SurveyView, error: Option<&str>) -> String {
    let intro = tf(
        lang,
        "survey.page.intro",
        &[("number", &s.number), ("subject", &s.subject)],
    );
    let error = error
        .map(|e| format!("<p class=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    format!(
        "<p>{intro}</p>{error}<form method=\"post\">\
         <fieldset><legend>{csat}</legend>{csat_choice}</fieldset>\
         <fieldset><legend>{nps}</legend>{nps_choice}</fieldset>\
         <p><label for=\"comment\">{comment}</label><br><textarea id=\"comment\" name=\"comment\" maxlength=\"2000\"></textarea></p>\
         <button type=\"submit\">{submit}</button></form>",
        intro = escape(&intro),
        csat = escape(t(lang, "survey.page.csat")),
        nps = escape(t(lang, "survey.page.nps")),
        comment = escape(t(lang, "survey.page.comment")),
        submit = escape(t(lang, "survey.page.submit")),
        csat_choice = choice("csat", 1..=5),
        nps_choice = choice("nps", 0..=10),
    )
}

/// The language: `?lang=` if given, else the contact's.
fn language(q: &LangQuery, s: Option<&SurveyView>) -> Lang {
    q.lang
        .as_deref()
        .and_then(Lang::from_tag)
        .or_else(|| s.and_then(|s| Lang::from_tag(&s.lang)))
        .unwrap_or_default()
}

/// The page for an error the store answered.
fn refused(lang: Lang, e: &StoreError) -> Response {
    match e {
        StoreError::Refused { reason, gone } => {
            let status = if *gone {
                StatusCode::GONE
            } else {
                StatusCode::CONFLICT
            };
            page(lang, status, &format!("<p>{}</p>", escape(t(lang, reason))))
        }
        StoreError::NotFound => page(
            lang,
            StatusCode::NOT_FOUND,
            &format!("<p>{}</p>", escape(t(lang, "error.survey_link"))),
        ),
        StoreError::Invalid(f) => page(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("<p class=\"error\">{}</p>", escape(t(lang, f.reason))),
        ),
        other => {
            tracing::error!(error = %other, "survey page failed");
            page(
                lang,
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("<p>{}</p>", escape(t(lang, "error.internal"))),
            )
        }
    }
}

/// `GET /survey/{token}`: the form, or why it cannot be answered.
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PageQuery(q): PageQuery<LangQuery>,
) -> Response {
    match state.store.survey(&token).await {
        Ok(s) => {
            let lang = language(&q, Some(&s));
            let answered = s.answered_at.is_some();
            match followup::survey_open(answered, s.expires_at, state.clock.now()) {
                Ok(()) => page(lang, StatusCode::OK, &form(lang, &s, None)),
                Err(SurveyClosed::Answered) => page(
                    lang,
                    StatusCode::OK,
                    &format!("<p>{}</p>", escape(t(lang, "survey.page.thanks"))),
                ),
                Err(SurveyClosed::Expired) => refused(
                    lang,
                    &StoreError::Refused {
                        reason: "error.survey_expired",
                        gone: true,
                    },
                ),
            }
        }
        Err(e) => refused(language(&q, None), &e),
    }
}

/// `POST /survey/{token}`: records the answer and thanks the customer; a missing or
/// out-of-range score shows the form again with the reason.
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PageQuery(q): PageQuery<LangQuery>,
    Form(f): Form<SurveyForm>,
) -> Response {
    let survey = match state.store.survey(&token).await {
        Ok(s) => s,
        Err(e) => return refused(language(&q, None), &e),
    };
    let lang = language(&q, Some(&survey));
    let number = |v: &Option<String>| v.as_deref().and_then(|s| s.trim().parse::<i64>().ok());
    let (Some(csat), Some(nps)) = (number(&f.csat), number(&f.nps)) else {
        let reason = t(lang, "survey.page.missing");
        return page(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form(lang, &survey, Some(reason)),
        );
    };
    let answer = SurveyAnswer {
        csat,
        nps,
        comment: f.comment,
    };
    match state
        .store
        .answer_survey(&token, answer, state.clock.now())
        .await
    {
        Ok(_) => page(
            lang,
            StatusCode::OK,
            &format!("<p>{}</p>", escape(t(lang, "survey.page.thanks"))),
        ),
        Err(StoreError::Invalid(e)) => page(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form(lang, &survey, Some(t(lang, e.reason))),
        ),
        Err(e) => refused(lang, &e),
    }
}

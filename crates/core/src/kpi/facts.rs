//! A ticket's KPI facts: its events folded, oldest first, into what every KPI needs.

use crate::event::payload::{MoveData, Payload};
use crate::event::{By, EventKind};
use crate::ticket::status::Status;
use crate::ticket::transitions::{ConfirmedBy, MoveKind};
use serde::{Deserialize, Serialize};

use super::*;

/// How a ticket was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// When.
    pub at: i64,
    /// On the customer's own confirmation (not an agent's word for them, not an auto-close).
    pub by_customer: bool,
}

/// Travel or on-site time of one engineer on a ticket, `[start, end)` in ms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// The engineer (user id).
    pub engineer: String,
    /// Start.
    pub start: i64,
    /// End.
    pub end: i64,
}

/// A survey answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// 1–5.
    pub csat: Option<i64>,
    /// 0–10.
    pub nps: Option<i64>,
}

/// What the KPIs need of one ticket, folded from its events.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    /// Created.
    pub created_at: i64,
    /// The first response: the first event that answers the customer
    /// ([`Event::answers_customer`], the one rule the SLA keeps too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_response_at: Option<i64>,
    /// The first check-in on site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_arrival_at: Option<i64>,
    /// The last move to `resolved` (kept after a reopen: the reopen rate counts those).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<i64>,
    /// Whether the last work report was a remote fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<bool>,
    /// Assignment moves (派工, 转派, re-dispatch).
    #[serde(skip_serializing_if = "is_zero")]
    pub assignments: u32,
    /// Check-ins on site.
    #[serde(skip_serializing_if = "is_zero")]
    pub visits: u32,
    /// Moves from `resolved` or `closed` back to `in_progress`.
    #[serde(skip_serializing_if = "is_zero")]
    pub reopens: u32,
    /// The current closure, if the ticket is closed now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<Closure>,
    /// When it was cancelled, if it is cancelled now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<i64>,
    /// The engineer last assigned (user id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engineer: Option<String>,
    /// Times the customer asked about progress.
    #[serde(skip_serializing_if = "is_zero")]
    pub chases: u32,
    /// Surveys sent.
    #[serde(skip_serializing_if = "is_zero")]
    pub surveys_sent: u32,
    /// Survey answers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
    /// Engineers' travel (出发 → 到场) and on-site (到场 → leaving) time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub work: Vec<Span>,
    /// A span still running: (engineer, start).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) open_span: Option<(String, i64)>,
}

impl Facts {
    /// The facts of a ticket created at `created_at`, before any other event.
    pub fn new(created_at: i64) -> Facts {
        Facts {
            created_at,
            ..Facts::default()
        }
    }

    /// Folds events, oldest first.
    pub fn from_events<'a>(created_at: i64, events: impl IntoIterator<Item = Event<'a>>) -> Facts {
        let mut facts = Facts::new(created_at);
        for e in events {
            facts.apply(&e);
        }
        facts
    }

    /// Takes one more event into account.
    pub fn apply(&mut self, e: &Event<'_>) {
        if self.first_response_at.is_none() && e.answers_customer() {
            self.first_response_at = Some(e.at);
        }
        match e.payload {
            Payload::Move(MoveKind::Assign | MoveKind::Reassign | MoveKind::Redispatch, d) => {
                self.assignments += 1;
                if let Some(a) = d.assignee_id {
                    self.engineer = Some(a.to_string());
                }
            }
            Payload::Move(MoveKind::CheckIn, _) => {
                self.visits += 1;
                // An arrival is an engineer's own check-in; one the system records (a ticket
                // migrated from another system, whose arrival time was not kept) is a visit
                // without a known time.
                if e.by != By::System {
                    self.first_arrival_at.get_or_insert(e.at);
                }
            }
            Payload::Move(MoveKind::Resolve, d) => self.remote = d.remote,
            Payload::Chased(_) => self.chases += 1,
            Payload::SurveySent(_) => self.surveys_sent += 1,
            Payload::SurveyAnswered(a) => self.ratings.push(Rating {
                csat: a.csat,
                nps: a.nps,
            }),
            _ => {}
        }
        let Some(to) = e.to else { return };
        if to == Status::Resolved {
            self.resolved_at = Some(e.at);
        }
        if e.kind() == EventKind::Reopen {
            self.reopens += 1;
        }
        self.closed = (to == Status::Closed).then(|| Closure {
            at: e.at,
            by_customer: matches!(
                e.payload,
                Payload::Move(MoveKind::Confirm, MoveData { confirmation: Some(c), .. })
                    if c.by == ConfirmedBy::Customer
            ),
        });
        self.cancelled_at = (to == Status::Cancelled).then_some(e.at);
        self.track_work(e, to);
    }

    /// Travel runs from 出发 to the check-in; on-site time from the check-in until the ticket
    /// leaves `on_site`/`in_progress` (resolved, waiting, re-dispatched, cancelled …).
    fn track_work(&mut self, e: &Event<'_>, to: Status) {
        let engineer = self.engineer.clone();
        let keeps = match e.kind() {
            EventKind::CheckIn => false,
            _ => matches!(
                (self.open_span.is_some(), to),
                (true, Status::EnRoute | Status::OnSite | Status::InProgress)
            ),
        };
        if !keeps {
            if let Some((who, start)) = self.open_span.take() {
                if e.at > start {
                    self.work.push(Span {
                        engineer: who,
                        start,
                        end: e.at,
                    });
                }
            }
        }
        if matches!(e.kind(), EventKind::Depart | EventKind::CheckIn) {
            if let Some(who) = engineer {
                self.open_span = Some((who, e.at));
            }
        }
    }
}

pub(crate) fn is_zero(n: &u32) -> bool {
    *n == 0
}

//! The queue's views (视图): the named lists agents and dispatchers work from, each a filter
//! over the tickets the reader may see. Defined here once; the desk shows each with its count.

use crate::sla::SlaState;
use crate::Status;

/// A view of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    /// 全部未结: every open ticket.
    Open,
    /// 我的工单: open tickets the reader recorded or is assigned.
    Mine,
    /// 未派工: open tickets with no engineer.
    Unassigned,
    /// 等待配件.
    WaitingParts,
    /// 即将超时: open, the SLA clock in warning.
    AtRisk,
    /// 已超时: open, a promise broken.
    Breached,
    /// 待客户确认: resolved, waiting for the customer's word.
    AwaitingCustomer,
    /// 已关闭（近30天）.
    RecentlyClosed,
}

/// What a view selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewFilter {
    /// Any of these statuses.
    pub statuses: &'static [Status],
    /// Only tickets in this SLA state.
    pub sla_state: Option<SlaState>,
    /// Only tickets the reader recorded or is assigned.
    pub mine: bool,
    /// Only tickets without an engineer.
    pub unassigned: bool,
    /// Only tickets closed within this many days.
    pub closed_within_days: Option<i64>,
}

impl View {
    /// Every view, in the order the desk shows them.
    pub const ALL: [View; 8] = [
        View::Open,
        View::Mine,
        View::Unassigned,
        View::WaitingParts,
        View::AtRisk,
        View::Breached,
        View::AwaitingCustomer,
        View::RecentlyClosed,
    ];

    /// The code name (`?view=`).
    pub fn as_str(self) -> &'static str {
        match self {
            View::Open => "open",
            View::Mine => "mine",
            View::Unassigned => "unassigned",
            View::WaitingParts => "waiting_parts",
            View::AtRisk => "at_risk",
            View::Breached => "breached",
            View::AwaitingCustomer => "awaiting_customer",
            View::RecentlyClosed => "recently_closed",
        }
    }

    /// Reads a code name.
    pub fn parse(text: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.as_str() == text)
    }

    /// The translation key of its name.
    pub fn label_key(self) -> String {
        format!("view.{}", self.as_str())
    }

    /// What it selects.
    pub fn filter(self) -> ViewFilter {
        let open = ViewFilter {
            statuses: &Status::OPEN,
            sla_state: None,
            mine: false,
            unassigned: false,
            closed_within_days: None,
        };
        match self {
            View::Open => open,
            View::Mine => ViewFilter { mine: true, ..open },
            View::Unassigned => ViewFilter {
                unassigned: true,
                ..open
            },
            View::WaitingParts => ViewFilter {
                statuses: &[Status::WaitingParts],
                ..open
            },
            View::AtRisk => ViewFilter {
                sla_state: Some(SlaState::Warning),
                ..open
            },
            View::Breached => ViewFilter {
                sla_state: Some(SlaState::Breached),
                ..open
            },
            View::AwaitingCustomer => ViewFilter {
                statuses: &[Status::Resolved],
                ..open
            },
            View::RecentlyClosed => ViewFilter {
                statuses: &[Status::Closed],
                closed_within_days: Some(30),
                ..open
            },
        }
    }

    /// Open work is ordered most urgent first; closed work newest first.
    pub fn by_urgency(self) -> bool {
        self != View::RecentlyClosed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_view_round_trips_and_has_a_name() {
        for v in View::ALL {
            assert_eq!(View::parse(v.as_str()), Some(v));
            assert!(crate::i18n::has(&v.label_key()), "{v:?}");
        }
        assert_eq!(View::parse("all"), None);
    }

    #[test]
    fn views_of_open_work_select_open_statuses_only() {
        for v in View::ALL {
            let f = v.filter();
            let open = f.statuses.iter().all(|s| s.is_open());
            assert_eq!(open, v != View::RecentlyClosed, "{v:?}");
            assert_eq!(v.by_urgency(), open, "{v:?}");
        }
        assert_eq!(View::RecentlyClosed.filter().closed_within_days, Some(30));
        assert!(View::Unassigned.filter().unassigned && !View::Open.filter().unassigned);
    }
}

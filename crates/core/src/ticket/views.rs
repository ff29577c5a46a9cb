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

    /// The order it opens in.
    pub fn sort(self) -> Sort {
        if self.by_urgency() {
            Sort::natural(SortKey::Urgency)
        } else {
            Sort::natural(SortKey::Updated)
        }
    }
}

/// A column a list of tickets can be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// Most urgent first: priority, then the sooner resolution due (none last), then the older.
    Urgency,
    /// The ticket number.
    Number,
    /// Priority, P1 first.
    Priority,
    /// Status, in the order of the lifecycle.
    Status,
    /// The customer's name.
    Customer,
    /// The engineer's name.
    Assignee,
    /// When the resolution is due (none last).
    Due,
    /// When it was recorded.
    Created,
    /// When it last changed.
    Updated,
}

impl SortKey {
    /// Every key.
    pub const ALL: [SortKey; 9] = [
        SortKey::Urgency,
        SortKey::Number,
        SortKey::Priority,
        SortKey::Status,
        SortKey::Customer,
        SortKey::Assignee,
        SortKey::Due,
        SortKey::Created,
        SortKey::Updated,
    ];

    /// The code name (`?sort=`).
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Urgency => "urgency",
            SortKey::Number => "number",
            SortKey::Priority => "priority",
            SortKey::Status => "status",
            SortKey::Customer => "customer",
            SortKey::Assignee => "assignee",
            SortKey::Due => "due",
            SortKey::Created => "created",
            SortKey::Updated => "updated",
        }
    }

    /// Times are read newest first when a column is first clicked; everything else from the top.
    pub fn natural_descending(self) -> bool {
        matches!(self, SortKey::Created | SortKey::Updated)
    }
}

/// An order of a ticket list: a key and its direction. Written `due` or `-due` (descending).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sort {
    /// The column.
    pub key: SortKey,
    /// Largest first.
    pub descending: bool,
}

impl Sort {
    /// The key in the direction a first click gives.
    pub fn natural(key: SortKey) -> Sort {
        Sort {
            key,
            descending: key.natural_descending(),
        }
    }

    /// Reads `key` or `-key`.
    pub fn parse(text: &str) -> Option<Sort> {
        let (descending, name) = match text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, text),
        };
        let key = SortKey::ALL.into_iter().find(|k| k.as_str() == name)?;
        Some(Sort { key, descending })
    }

    /// The written form.
    pub fn as_string(self) -> String {
        format!(
            "{}{}",
            if self.descending { "-" } else { "" },
            self.key.as_str()
        )
    }

    /// What clicking `key`'s column header gives: the same column turns round, another one
    /// starts in its natural direction.
    pub fn clicked(self, key: SortKey) -> Sort {
        if self.key == key {
            Sort {
                key,
                descending: !self.descending,
            }
        } else {
            Sort::natural(key)
        }
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

    #[test]
    fn sorts_are_written_and_read_back_and_a_second_click_turns_round() {
        for key in SortKey::ALL {
            for descending in [false, true] {
                let s = Sort { key, descending };
                assert_eq!(Sort::parse(&s.as_string()), Some(s));
            }
        }
        assert_eq!(Sort::parse("-due").map(|s| s.descending), Some(true));
        assert_eq!(Sort::parse("colour"), None);
        assert_eq!(Sort::parse("--due"), None);
        let by_due = Sort::natural(SortKey::Due);
        assert!(!by_due.descending);
        assert!(by_due.clicked(SortKey::Due).descending);
        assert_eq!(
            by_due.clicked(SortKey::Created),
            Sort::natural(SortKey::Created)
        );
        assert!(Sort::natural(SortKey::Created).descending, "newest first");
        assert_eq!(View::Open.sort().key, SortKey::Urgency);
        assert_eq!(View::RecentlyClosed.sort(), Sort::natural(SortKey::Updated));
    }
}

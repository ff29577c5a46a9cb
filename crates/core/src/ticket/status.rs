//! Ticket statuses, with exactly the code names of DESIGN §1.

use serde::{Deserialize, Serialize};

/// Where a ticket stands in the closed loop.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 已受理
    New,
    /// 已派工
    Assigned,
    /// 已接单
    Accepted,
    /// 已出发
    EnRoute,
    /// 已到场
    OnSite,
    /// 处理中
    InProgress,
    /// 等待配件
    WaitingParts,
    /// 等待客户
    WaitingCustomer,
    /// 已完成待确认
    Resolved,
    /// 复核中
    InReview,
    /// 已关闭
    Closed,
    /// 已取消
    Cancelled,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 12] = [
        Status::New,
        Status::Assigned,
        Status::Accepted,
        Status::EnRoute,
        Status::OnSite,
        Status::InProgress,
        Status::WaitingParts,
        Status::WaitingCustomer,
        Status::Resolved,
        Status::InReview,
        Status::Closed,
        Status::Cancelled,
    ];

    /// The milestones a customer follows on the progress timeline: 已受理 → 已派工 →
    /// 工程师出发 → 已到场 → 处理中 → 已完成待确认 → 已关闭.
    pub const MILESTONES: [Status; 7] = [
        Status::New,
        Status::Assigned,
        Status::EnRoute,
        Status::OnSite,
        Status::InProgress,
        Status::Resolved,
        Status::Closed,
    ];

    /// Whether a ticket in this status has a service report to print: once the engineer's
    /// report stands — resolved (waiting for the customer) or closed. While a supervisor
    /// reviews it, staff may print it; the customer may not (it may still be sent back).
    pub fn prints_service_report(self, staff: bool) -> bool {
        matches!(self, Status::Resolved | Status::Closed) || staff && self == Status::InReview
    }

    /// How far along [`Status::MILESTONES`] a ticket in this status has come (the index of
    /// the last milestone reached); none for a cancelled ticket. Waiting and review count as
    /// being worked on.
    pub fn milestone(self) -> Option<usize> {
        match self {
            Status::New => Some(0),
            Status::Assigned | Status::Accepted => Some(1),
            Status::EnRoute => Some(2),
            Status::OnSite => Some(3),
            Status::InProgress
            | Status::WaitingParts
            | Status::WaitingCustomer
            | Status::InReview => Some(4),
            Status::Resolved => Some(5),
            Status::Closed => Some(6),
            Status::Cancelled => None,
        }
    }

    /// Every status a ticket can still move out of.
    pub const OPEN: [Status; 10] = [
        Status::New,
        Status::Assigned,
        Status::Accepted,
        Status::EnRoute,
        Status::OnSite,
        Status::InProgress,
        Status::WaitingParts,
        Status::WaitingCustomer,
        Status::Resolved,
        Status::InReview,
    ];

    /// The code name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Assigned => "assigned",
            Status::Accepted => "accepted",
            Status::EnRoute => "en_route",
            Status::OnSite => "on_site",
            Status::InProgress => "in_progress",
            Status::WaitingParts => "waiting_parts",
            Status::WaitingCustomer => "waiting_customer",
            Status::Resolved => "resolved",
            Status::InReview => "in_review",
            Status::Closed => "closed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Parses a code name.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// True until the ticket is closed or cancelled.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Closed | Status::Cancelled)
    }

    /// The translation key of the status's label (see [`crate::i18n`]).
    pub fn label_key(self) -> &'static str {
        match self {
            Status::New => "status.new",
            Status::Assigned => "status.assigned",
            Status::Accepted => "status.accepted",
            Status::EnRoute => "status.en_route",
            Status::OnSite => "status.on_site",
            Status::InProgress => "status.in_progress",
            Status::WaitingParts => "status.waiting_parts",
            Status::WaitingCustomer => "status.waiting_customer",
            Status::Resolved => "status.resolved",
            Status::InReview => "status.in_review",
            Status::Closed => "status.closed",
            Status::Cancelled => "status.cancelled",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_code_name() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(Status::parse("done"), None);
    }

    #[test]
    fn open_statuses_are_all_but_closed_and_cancelled() {
        let open: Vec<_> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(open, Status::OPEN.to_vec());
    }

    #[test]
    fn a_service_report_prints_once_the_report_stands_and_for_staff_under_review() {
        let customer: Vec<_> = Status::ALL
            .into_iter()
            .filter(|s| s.prints_service_report(false))
            .collect();
        assert_eq!(customer, [Status::Resolved, Status::Closed]);
        let staff: Vec<_> = Status::ALL
            .into_iter()
            .filter(|s| s.prints_service_report(true))
            .collect();
        assert_eq!(staff, [Status::Resolved, Status::InReview, Status::Closed]);
    }
}

//! Merging a duplicate (合并重复工单): the same request recorded twice — the customer called
//! and wrote, two people at one site called. The duplicate is cancelled by the transition
//! table's cancel move (so only those who may cancel may merge) and points at the ticket it
//! went into; its files follow, both numbers stay findable. Only a duplicate nobody has
//! worked on yet can go: once an engineer has been on site, or a report exists, it is a case
//! of its own.

use crate::validate::FieldError;
use crate::{CustomerId, Status, TicketId};

/// What the merge rule reads of each ticket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MergeSide {
    /// The ticket.
    pub id: TicketId,
    /// Its status.
    pub status: Status,
    /// Its customer.
    pub customer_id: Option<CustomerId>,
    /// Visits made so far.
    pub visit_count: i64,
    /// The ticket it already went into, if any.
    pub merged_into: Option<TicketId>,
}

/// The statuses a duplicate may be in: recorded or on its way, nothing done on site.
pub const MERGEABLE: [Status; 5] = [
    Status::New,
    Status::Assigned,
    Status::Accepted,
    Status::EnRoute,
    Status::WaitingCustomer,
];

/// Whether `duplicate` may go into `target` (the table still decides who may cancel it).
pub fn check(duplicate: MergeSide, target: MergeSide) -> Result<(), FieldError> {
    let refuse = |reason| {
        Err(FieldError {
            field: "into",
            reason,
        })
    };
    if duplicate.id == target.id {
        return refuse("error.merge_self");
    }
    if !target.status.is_open() || target.merged_into.is_some() {
        return refuse("error.merge_target_closed");
    }
    if !duplicate.status.is_open() || duplicate.merged_into.is_some() {
        return refuse("error.merge_closed");
    }
    if !MERGEABLE.contains(&duplicate.status) || duplicate.visit_count > 0 {
        return refuse("error.merge_worked");
    }
    match (duplicate.customer_id, target.customer_id) {
        (Some(a), Some(b)) if a != b => refuse("error.merge_other_customer"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(status: Status, customer: Option<CustomerId>) -> MergeSide {
        MergeSide {
            id: TicketId::new(),
            status,
            customer_id: customer,
            visit_count: 0,
            merged_into: None,
        }
    }

    #[test]
    fn a_fresh_duplicate_of_the_same_customer_goes_into_an_open_ticket() {
        let c = Some(CustomerId::new());
        for s in MERGEABLE {
            assert_eq!(check(side(s, c), side(Status::OnSite, c)), Ok(()), "{s:?}");
        }
        // A ticket without a customer (a caller not yet known) may go into one with.
        assert_eq!(check(side(Status::New, None), side(Status::New, c)), Ok(()));
    }

    #[test]
    fn what_may_not_be_merged_says_why() {
        let c = Some(CustomerId::new());
        let one = side(Status::New, c);
        let reason = |d, t| check(d, t).map_err(|e| e.reason).err();
        assert_eq!(reason(one, one), Some("error.merge_self"));
        assert_eq!(
            reason(one, side(Status::Closed, c)),
            Some("error.merge_target_closed")
        );
        let gone = MergeSide {
            merged_into: Some(TicketId::new()),
            ..side(Status::New, c)
        };
        assert_eq!(reason(one, gone), Some("error.merge_target_closed"));
        for done in [Status::Closed, Status::Cancelled] {
            assert_eq!(
                reason(side(done, c), side(Status::New, c)),
                Some("error.merge_closed"),
                "{done:?}"
            );
        }
        assert_eq!(
            reason(gone, one),
            Some("error.merge_closed"),
            "merged already"
        );
        for worked in [Status::OnSite, Status::InProgress, Status::Resolved] {
            assert_eq!(
                reason(side(worked, c), side(Status::New, c)),
                Some("error.merge_worked"),
                "{worked:?}"
            );
        }
        let visited = MergeSide {
            visit_count: 1,
            ..side(Status::Assigned, c)
        };
        assert_eq!(
            reason(visited, side(Status::New, c)),
            Some("error.merge_worked")
        );
        assert_eq!(
            reason(
                side(Status::New, c),
                side(Status::New, Some(CustomerId::new()))
            ),
            Some("error.merge_other_customer")
        );
        assert_eq!(check(one, one).map_err(|e| e.field), Err("into"));
    }
}

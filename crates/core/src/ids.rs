//! Typed identifiers. Every entity id is a UUID (v7, so ids sort by creation time and
//! keep B-tree inserts local) wrapped in its own type, so a customer id can never be
//! passed where a ticket id is expected.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// Wraps an existing UUID.
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            /// The UUID inside.
            pub fn uuid(&self) -> Uuid {
                self.0
            }
            /// Parses the canonical text form; `None` when it is not a UUID.
            pub fn parse(text: &str) -> Option<Self> {
                Uuid::parse_str(text).ok().map(Self)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// An organisation using Loopdesk.
    TenantId,
    /// A person who signs in (staff, engineer or a customer's contact).
    UserId,
    /// A customer (company or person).
    CustomerId,
    /// A contact person of a customer.
    ContactId,
    /// A customer's site (address with coordinates).
    SiteId,
    /// A piece of equipment at a site.
    AssetId,
    /// A work order.
    TicketId,
    /// A team or department.
    TeamId,
    /// A service region.
    RegionId,
    /// An uploaded file.
    AttachmentId,
    /// A comment on a ticket.
    CommentId,
    /// An SLA policy.
    SlaPolicyId,
    /// A business calendar.
    CalendarId,
    /// A webhook endpoint.
    WebhookId,
    /// A job (or an outbox entry) in the queue.
    JobId,
    /// A spare part (one SKU).
    PartId,
    /// A place stock is kept: central store, regional pool or an engineer's van.
    WarehouseId,
    /// One stock movement (one or two ledger lines).
    MovementId,
    /// A request for parts for a ticket (申领).
    RequisitionId,
    /// A product model in the catalogue.
    ModelId,
    /// A service contract (维保合同).
    ContractId,
    /// A preventive maintenance plan.
    PlanId,
    /// A saved view of the queue (a name and its filters).
    SavedViewId,
    /// A way in for customers' messages: a mailbox, a phone line, a WeCom/WeChat/DingTalk app.
    ChannelId,
    /// One message that came in on a channel (whatever became of it).
    InboundId,
    /// One phone call a phone channel reported.
    CallId,
    /// A problem record (问题单): the root-cause follow-up of tickets that recur.
    ProblemId,
    /// A knowledge article.
    ArticleId,
);

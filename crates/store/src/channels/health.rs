//! A channel's health for admins: its last day by outcome (a phone line: by how its calls
//! went), the last message, what waits in quarantine, the mailbox's fetching, and the last
//! two weeks day by day in the tenant's time.

use chrono::{DateTime, Utc};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::ChannelId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{from_ms, ms, StoreError, TenantStore};

/// Counts per outcome, for a channel's health.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ChannelHealth {
    /// The channel.
    pub channel_id: ChannelId,
    /// Messages per outcome in the last 24 hours.
    pub last_day: std::collections::BTreeMap<String, i64>,
    /// The last message taken in (any outcome but quarantined).
    pub last_received_at: Option<DateTime<Utc>>,
    /// Messages held in quarantine now.
    pub quarantined: i64,
    /// The mailbox was last fetched without an error (IMAP).
    pub last_fetch_at: Option<DateTime<Utc>>,
    /// Why fetching the mailbox failed, while it fails.
    pub fetch_error: Option<String>,
    /// Fetches failed in a row.
    pub fetch_failures: i64,
    /// A phone line's calls in the last 24 hours, by how they went (`ringing`, `answered`,
    /// `ended`, `missed`).
    pub calls_last_day: std::collections::BTreeMap<String, i64>,
    /// A phone line's last call.
    pub last_call_at: Option<DateTime<Utc>>,
    /// Day by day, the last [`HEALTH_DAYS`] days in the tenant's time, oldest first:
    /// messages taken in (any outcome) and requests opened; a phone line's calls and the
    /// calls a ticket was recorded from.
    pub daily: Vec<ChannelDay>,
}

/// Days of a channel's health shown day by day.
pub const HEALTH_DAYS: i64 = 14;

/// One day of a channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChannelDay {
    /// The day (YYYY-MM-DD, the tenant's time).
    #[schema(value_type = String)]
    pub day: chrono::NaiveDate,
    /// Messages taken in (a phone line: calls).
    pub received: i64,
    /// Requests opened (`created`; a phone line: calls a ticket was recorded from).
    pub opened: i64,
}

/// Channels' counts by day, from `first` (days since 1970-01-01 in the tenant's time).
struct ChannelDays {
    first: i64,
    rows: Vec<(String, i64, i64, i64)>,
}

impl ChannelDays {
    /// One channel's days, every one of them (none missing), oldest first.
    fn of(&self, channel: &str) -> Vec<ChannelDay> {
        (self.first..self.first + HEALTH_DAYS)
            .filter_map(|d| {
                let day = DateTime::from_timestamp(d * 86_400, 0)?.date_naive();
                let (received, opened) = self
                    .rows
                    .iter()
                    .filter(|r| r.0 == channel && r.1 == d)
                    .fold((0, 0), |(a, b), r| (a + r.2, b + r.3));
                Some(ChannelDay {
                    day,
                    received,
                    opened,
                })
            })
            .collect()
    }
}

impl TenantStore {
    /// Each channel's health: outcomes in the 24 hours before `now`, the last message taken
    /// in, and what waits in quarantine.
    pub async fn channel_health(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<ChannelHealth>, StoreError> {
        Self::may_manage_channels(actor)?;
        let since = ms(now - chrono::Duration::hours(24));
        let counts: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT channel_id, outcome, COUNT(*) FROM inbound_messages WHERE tenant_id = $1 \
             AND received_at >= $2 GROUP BY channel_id, outcome",
        )
        .bind(self.tid())
        .bind(since)
        .fetch_all(&self.store.read)
        .await?;
        let last: Vec<(String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT channel_id, MAX(CASE WHEN outcome <> 'quarantined' THEN received_at END), \
             SUM(CASE WHEN raw_key IS NOT NULL THEN 1 ELSE 0 END) FROM inbound_messages \
             WHERE tenant_id = $1 GROUP BY channel_id",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        let cursors: Vec<(String, Option<i64>, Option<String>, i64)> = sqlx::query_as(
            "SELECT channel_id, last_ok_at, last_error, failures FROM channel_cursors WHERE tenant_id = $1",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        let calls: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT channel_id, state, COUNT(*), MAX(seen_at) FROM calls WHERE tenant_id = $1 \
             AND seen_at >= $2 GROUP BY channel_id, state",
        )
        .bind(self.tid())
        .bind(since)
        .fetch_all(&self.store.read)
        .await?;
        let days = self.channel_days(now).await?;
        let mut out: Vec<ChannelHealth> = Vec::new();
        for c in self.channels(actor).await? {
            let key = c.id.to_string();
            let mut h = ChannelHealth {
                channel_id: c.id,
                ..ChannelHealth::default()
            };
            for (_, outcome, n) in counts.iter().filter(|(ch, _, _)| *ch == key) {
                h.last_day.insert(outcome.clone(), *n);
            }
            if let Some((_, at, held)) = last.iter().find(|(ch, _, _)| *ch == key) {
                h.last_received_at = at.map(from_ms);
                h.quarantined = *held;
            }
            h.daily = days.of(&key);
            for (_, state, n, at) in calls.iter().filter(|c| c.0 == key) {
                h.calls_last_day.insert(state.clone(), *n);
                h.last_call_at = h.last_call_at.max(Some(from_ms(*at)));
            }
            if let Some((_, ok, error, failures)) = cursors.iter().find(|c| c.0 == key) {
                h.last_fetch_at = ok.map(from_ms);
                h.fetch_error = error.clone().filter(|_| *failures > 0);
                h.fetch_failures = *failures;
            }
            out.push(h);
        }
        Ok(out)
    }

    /// Each channel's messages and calls per day (the tenant's days), the last
    /// [`HEALTH_DAYS`] days up to `now`'s.
    async fn channel_days(&self, now: DateTime<Utc>) -> Result<ChannelDays, StoreError> {
        const DAY: i64 = 86_400_000;
        let offset = i64::from(self.utc_offset().await?.local_minus_utc()) * 1000;
        let today = (ms(now) + offset).div_euclid(DAY);
        let first = today - (HEALTH_DAYS - 1);
        let since = first * DAY - offset;
        let mut rows: Vec<(String, i64, i64, i64)> = Vec::new();
        for sql in [
            "SELECT channel_id, (received_at + $2) / 86400000, COUNT(*), \
             SUM(CASE WHEN outcome = 'created' THEN 1 ELSE 0 END) FROM inbound_messages \
             WHERE tenant_id = $1 AND received_at >= $3 GROUP BY 1, 2",
            "SELECT channel_id, (seen_at + $2) / 86400000, COUNT(*), \
             SUM(CASE WHEN ticket_id IS NOT NULL THEN 1 ELSE 0 END) FROM calls \
             WHERE tenant_id = $1 AND seen_at >= $3 GROUP BY 1, 2",
        ] {
            let got: Vec<(String, i64, i64, i64)> = sqlx::query_as(sql)
                .bind(self.tid())
                .bind(offset)
                .bind(since)
                .fetch_all(&self.store.read)
                .await?;
            rows.extend(got);
        }
        Ok(ChannelDays { first, rows })
    }
}

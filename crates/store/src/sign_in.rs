//! The sign-in guard's counts (core's [`login`] rules decide; these rows remember), in the
//! database so that every instance behind a load balancer meets the same limits. Not scoped to
//! a tenant: an account is counted by its user name whatever tenant an attempt names, and an
//! address across every account it tries.

use chrono::{DateTime, Utc};
use loopdesk_core::login::{self, Subject, Tally};

use crate::{from_ms, ms, Store, StoreError};

/// A tally as stored, with the revision a change must start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredTally {
    /// The counts.
    pub tally: Tally,
    /// Moves on every write (optimistic locking between instances).
    pub rev: i64,
}

fn subject_code(subject: Subject) -> &'static str {
    match subject {
        Subject::Account => "account",
        Subject::Address => "address",
    }
}

type TallyRow = (i64, i64, Option<i64>, i64, i64, i64);

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

impl Store {
    /// The tally of an account or address, if any is kept.
    pub async fn sign_in_tally(
        &self,
        subject: Subject,
        key: &str,
    ) -> Result<Option<StoredTally>, StoreError> {
        let row: Option<TallyRow> = sqlx::query_as(
            "SELECT failures, last_at, blocked_until, refused, alerted, rev \
             FROM sign_in_tallies WHERE subject = $1 AND key = $2",
        )
        .bind(subject_code(subject))
        .bind(key)
        .fetch_optional(&self.write)
        .await?;
        Ok(row.map(
            |(failures, last, blocked, refused, alerted, rev)| StoredTally {
                tally: Tally {
                    failures: count(failures),
                    last: from_ms(last),
                    blocked_until: blocked.map(from_ms),
                    refused: count(refused),
                    alerted: alerted != 0,
                },
                rev,
            },
        ))
    }

    /// Stores `tally` if the stored one is still at `was` (none: there was none); false when
    /// another instance wrote first (read again and retry).
    pub async fn swap_sign_in_tally(
        &self,
        subject: Subject,
        key: &str,
        was: Option<i64>,
        tally: &Tally,
    ) -> Result<bool, StoreError> {
        let blocked = tally.blocked_until.map(ms);
        let done = match was {
            None => sqlx::query(
                "INSERT INTO sign_in_tallies \
                 (subject, key, failures, last_at, blocked_until, refused, alerted, rev) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1) ON CONFLICT DO NOTHING",
            )
            .bind(subject_code(subject))
            .bind(key)
            .bind(i64::from(tally.failures))
            .bind(ms(tally.last))
            .bind(blocked)
            .bind(i64::from(tally.refused))
            .bind(i64::from(tally.alerted))
            .execute(&self.write)
            .await?
            .rows_affected(),
            Some(rev) => sqlx::query(
                "UPDATE sign_in_tallies SET failures = $3, last_at = $4, blocked_until = $5, \
                 refused = $6, alerted = $7, rev = rev + 1 \
                 WHERE subject = $1 AND key = $2 AND rev = $8",
            )
            .bind(subject_code(subject))
            .bind(key)
            .bind(i64::from(tally.failures))
            .bind(ms(tally.last))
            .bind(blocked)
            .bind(i64::from(tally.refused))
            .bind(i64::from(tally.alerted))
            .bind(rev)
            .execute(&self.write)
            .await?
            .rows_affected(),
        };
        Ok(done == 1)
    }

    /// Forgets an account's or address's tally (a success forgets the account's).
    pub async fn forget_sign_in_tally(
        &self,
        subject: Subject,
        key: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_tallies WHERE subject = $1 AND key = $2")
            .bind(subject_code(subject))
            .bind(key)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Counts one attempt under `key` in its current minute, in one statement (two instances
    /// counting at once both count); answers the attempts so far this minute and when the
    /// minute began.
    pub async fn count_sign_in_attempt(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(u32, DateTime<Utc>), StoreError> {
        let minute_ago = ms(now) - 60_000;
        let (attempts, start): (i64, i64) = sqlx::query_as(
            "INSERT INTO sign_in_attempts (key, window_start, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             attempts = CASE WHEN sign_in_attempts.window_start <= $3 THEN 1 \
                             ELSE sign_in_attempts.attempts + 1 END, \
             window_start = CASE WHEN sign_in_attempts.window_start <= $3 THEN $2 \
                                 ELSE sign_in_attempts.window_start END \
             RETURNING attempts, window_start",
        )
        .bind(key)
        .bind(ms(now))
        .bind(minute_ago)
        .fetch_one(&self.write)
        .await?;
        Ok((count(attempts), from_ms(start)))
    }

    /// Forgets counts nobody needs any more: minutes past and tallies the rules forget.
    pub async fn prune_sign_in(
        &self,
        rules: &login::Rules,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let minutes = sqlx::query("DELETE FROM sign_in_attempts WHERE window_start <= $1")
            .bind(ms(now) - 60_000)
            .execute(&self.write)
            .await?
            .rows_affected();
        let tallies = sqlx::query("DELETE FROM sign_in_tallies WHERE last_at <= $1")
            .bind(ms(now - rules.forget_after))
            .execute(&self.write)
            .await?
            .rows_affected();
        Ok(minutes + tallies)
    }
}

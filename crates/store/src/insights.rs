//! Recurring problems (`GET /api/v1/insights/problems`): the tickets of a window and of its
//! baseline windows read with what they concentrate on (model, region, channel, tier, site),
//! their words cut, and core's [`insights::problems`] asked; names put to codes and ids here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use loopdesk_core::access;
use loopdesk_core::insights::{self, Attribute, ProblemTicket, Signal};
use loopdesk_core::validate::FieldError;
use loopdesk_core::{RegionId, TicketId};

use crate::sql::Sql;
use crate::{ms, StoreError, TenantStore};

/// Longest window looked at.
pub const MAX_WINDOW_DAYS: i64 = 92;
/// Ticket ids listed per problem at most.
const LISTED: usize = 50;
/// Characters of a description read for its words.
const READ_CHARS: usize = 500;

/// One recurring problem, named.
#[derive(Clone, Debug, PartialEq)]
pub struct ProblemItem {
    /// `category:<code>` or `term:<word>`.
    pub key: String,
    /// The category's name, or the word with the words that go with it (打开 · 闪退).
    pub label: String,
    /// A category or a word.
    pub signal: Signal,
    /// Tickets in the window.
    pub count: usize,
    /// Expected from the baseline.
    pub expected: f64,
    /// How many times the expected.
    pub lift: f64,
    /// What its tickets concentrate on.
    pub concentration: Vec<ShareItem>,
    /// Its tickets, newest first (at most 50).
    pub tickets: Vec<ProblemTicketRef>,
}

/// A ticket of a problem, as a list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProblemTicketRef {
    /// Its id.
    pub id: TicketId,
    /// Its number.
    pub number: String,
    /// Its subject.
    pub subject: String,
}

/// An attribute value a problem's tickets concentrate on, named where the store knows the name
/// (a region, a site, a model, a category); channels and tiers are named by the caller's
/// language.
#[derive(Clone, Debug, PartialEq)]
pub struct ShareItem {
    /// Which attribute.
    pub attribute: Attribute,
    /// Its value (an id or a code).
    pub value: String,
    /// Its name, when the store has one.
    pub label: Option<String>,
    /// Share of the problem's tickets.
    pub share: f64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    number: String,
    created_at: i64,
    category: Option<String>,
    subject: String,
    description: String,
    channel: String,
    region_id: Option<String>,
    site_id: Option<String>,
    tier: Option<String>,
    model: Option<String>,
}

impl TenantStore {
    /// The recurring problems of `[from, to)` (supervisor — their region's tickets —, manager,
    /// admin), most significant first.
    pub async fn problems(
        &self,
        actor: &loopdesk_core::ticket::Actor,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ProblemItem>, StoreError> {
        self.problems_in(actor, None, from, to).await
    }

    /// [`TenantStore::problems`] among one region's tickets (`None`: all the actor may see;
    /// a supervisor's own region whatever is asked).
    pub async fn problems_in(
        &self,
        actor: &loopdesk_core::ticket::Actor,
        region: Option<RegionId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ProblemItem>, StoreError> {
        let Some(scope) = access::insight_scope(actor) else {
            return Err(StoreError::Forbidden);
        };
        let region = scope.or(region);
        if to <= from {
            return Err(FieldError {
                field: "to",
                reason: "error.ends_before_start",
            }
            .into());
        }
        if to - from > chrono::Duration::days(MAX_WINDOW_DAYS) {
            return Err(FieldError {
                field: "from",
                reason: "error.window_too_long",
            }
            .into());
        }
        let (from, to) = (ms(from), ms(to));
        let start = insights::baseline_windows(from, to)
            .iter()
            .map(|(s, _)| *s)
            .min()
            .unwrap_or(from);
        let tid = self.tid();
        let backend = self.store.backend;
        let region = region.map(|r| r.to_string());
        let mut sql = Sql::new(
            "SELECT t.id, t.number, t.created_at, t.category, t.subject, t.description, t.channel, \
             t.region_id, t.site_id, c.tier, a.model FROM tickets t \
             LEFT JOIN customers c ON c.id = t.customer_id \
             LEFT JOIN assets a ON a.id = t.asset_id \
             WHERE t.merged_into IS NULL AND t.tenant_id = ",
        );
        sql.text(&tid)
            .push(" AND t.created_at >= ")
            .int(start)
            .push(" AND t.created_at < ")
            .int(to);
        if let Some(r) = &region {
            sql.push(" AND t.region_id = ").text(r);
        }
        let rows: Vec<Row> = sql
            .positional_for(backend)
            .query_as()
            .fetch_all(&self.store.read)
            .await?;
        // Where the history begins: before the earliest baseline window if any ticket is older
        // (one row found by the (tenant, created) index), else at the first ticket read.
        let mut older =
            Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM tickets t WHERE t.tenant_id = ");
        older.text(&tid).push(" AND t.created_at < ").int(start);
        if let Some(r) = &region {
            older.push(" AND t.region_id = ").text(r);
        }
        older.push(" LIMIT 1) o");
        let (older,): (i64,) = older
            .positional_for(backend)
            .query_as()
            .fetch_one(&self.store.read)
            .await?;
        let history_from = match older {
            0 => rows.iter().map(|r| r.created_at).min(),
            _ => Some(i64::MIN),
        };
        // Cutting the words of a few weeks of tickets takes a moment: off the async threads.
        let (rows, found) = tokio::task::spawn_blocking(move || {
            let tickets: Vec<ProblemTicket> = rows.iter().map(problem_ticket).collect();
            let found = insights::problems(&tickets, from, to, history_from.unwrap_or(from));
            (rows, found)
        })
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let names = self.names().await?;
        Ok(found
            .into_iter()
            .map(|p| {
                let label = match p.signal {
                    Signal::Category => names
                        .get(&(Attribute::Category, p.value.clone()))
                        .cloned()
                        .unwrap_or_else(|| p.value.clone()),
                    Signal::Term => std::iter::once(p.value.as_str())
                        .chain(p.related.iter().take(2).map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(" · "),
                };
                let mut listed: Vec<&Row> = p.tickets.iter().map(|i| &rows[*i]).collect();
                listed.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
                ProblemItem {
                    key: p.key(),
                    label,
                    signal: p.signal,
                    count: p.count,
                    expected: p.expected,
                    lift: p.lift,
                    concentration: p
                        .concentration
                        .into_iter()
                        .map(|s| ShareItem {
                            label: names.get(&(s.attribute, s.value.clone())).cloned(),
                            attribute: s.attribute,
                            value: s.value,
                            share: s.share,
                        })
                        .collect(),
                    tickets: listed
                        .into_iter()
                        .take(LISTED)
                        .filter_map(|r| {
                            Some(ProblemTicketRef {
                                id: TicketId::parse(&r.id)?,
                                number: r.number.clone(),
                                subject: r.subject.clone(),
                            })
                        })
                        .collect(),
                }
            })
            .collect())
    }

    /// The names of the tenant's categories, regions, sites and models, by attribute and value.
    async fn names(&self) -> Result<HashMap<(Attribute, String), String>, StoreError> {
        let mut names = HashMap::new();
        for (attribute, sql) in [
            (
                Attribute::Category,
                "SELECT code, name FROM categories WHERE tenant_id = $1",
            ),
            (
                Attribute::Region,
                "SELECT id, name FROM regions WHERE tenant_id = $1",
            ),
            (
                Attribute::Site,
                "SELECT id, name FROM sites WHERE tenant_id = $1",
            ),
            (
                Attribute::AssetModel,
                "SELECT code, name FROM product_models WHERE tenant_id = $1",
            ),
        ] {
            let rows: Vec<(String, String)> = sqlx::query_as(sql)
                .bind(self.tid())
                .fetch_all(&self.store.read)
                .await?;
            names.extend(rows.into_iter().map(|(v, n)| ((attribute, v), n)));
        }
        Ok(names)
    }
}

fn problem_ticket(r: &Row) -> ProblemTicket {
    let description: String = r.description.chars().take(READ_CHARS).collect();
    let mut attributes = vec![(Attribute::Channel, r.channel.clone())];
    for (attribute, value) in [
        (Attribute::AssetModel, &r.model),
        (Attribute::Region, &r.region_id),
        (Attribute::CustomerTier, &r.tier),
        (Attribute::Site, &r.site_id),
    ] {
        if let Some(v) = value {
            attributes.push((attribute, v.clone()));
        }
    }
    ProblemTicket {
        at: r.created_at,
        category: r.category.clone(),
        words: insights::words(&r.subject, &description),
        attributes,
    }
}

/// Someone the morning alert of recurring problems may go to.
#[derive(Clone, Debug)]
pub struct AlertReader {
    /// Their address.
    pub email: String,
    /// Their language.
    pub lang: loopdesk_core::i18n::Lang,
    /// Their roles (whom it goes to is core's `insights::alert::receives`).
    pub roles: loopdesk_core::Roles,
    /// A supervisor's region: they hear of its problems only.
    pub region_id: Option<RegionId>,
}

impl TenantStore {
    /// The day of the last morning alert of recurring problems sent (`2026-12-08`), if any.
    pub async fn problems_alert_sent(&self) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT problems_alert_day FROM tenants WHERE id = $1")
                .bind(self.tid())
                .fetch_one(&self.store.read)
                .await?,
        )
    }

    /// The active users with an e-mail address, with their region.
    pub async fn alert_readers(&self) -> Result<Vec<AlertReader>, StoreError> {
        let users: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT email, lang, roles, region_id FROM users \
             WHERE tenant_id = $1 AND active = 1 AND email IS NOT NULL",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        users
            .into_iter()
            .map(|(email, lang, roles, region)| {
                Ok(AlertReader {
                    email,
                    lang: loopdesk_core::i18n::Lang::from_tag(&lang).unwrap_or_default(),
                    roles: loopdesk_core::Roles::from_csv(&roles).map_err(StoreError::Corrupt)?,
                    region_id: region.as_deref().and_then(RegionId::parse),
                })
            })
            .collect()
    }

    /// Marks `day`'s alert sent and queues its mails, in one transaction; false (and nothing
    /// queued) when another runner sent it already.
    pub async fn send_problems_alert(
        &self,
        day: &str,
        mails: Vec<crate::NewJob>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.claim_and_queue(
            crate::kpi::report::SentColumn::ProblemsAlertDay,
            day,
            mails,
            now,
        )
        .await
    }
}

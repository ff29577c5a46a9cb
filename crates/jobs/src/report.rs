//! The weekly KPI report: on Monday from 08:00 local time, last week's KPIs (all tickets, then
//! per region) by mail to each tenant's managers with an address, in their language — once a
//! week, whichever runner gets there first. The week, who reads it and the message are core's
//! (`kpi::report_week`, `kpi::receives_weekly_report`, `kpi::report_message`). The morning
//! alert of recurring problems goes the same way, daily (`insights::alert`).

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use loopdesk_core::insights::alert;
use loopdesk_core::job::{self, Job};
use loopdesk_core::kpi::{self, schedule};
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_store::{KpiRequest, NewJob, Store, StoreError, TenantStore};

/// Queues the report of every tenant whose week is due; answers how many mails.
pub(crate) async fn weekly(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut queued = 0;
    for tenant in store.tenant_ids().await? {
        queued += weekly_for(&store.tenant(tenant), now).await?;
    }
    Ok(queued)
}

/// Queues one tenant's report when its week is due and not yet sent; answers how many mails.
async fn weekly_for(tenant: &TenantStore, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let offset = tenant.utc_offset().await?;
    let Some((from, to, week)) = kpi::report_week(now.timestamp_millis(), offset) else {
        return Ok(0);
    };
    if tenant.report_week_sent().await?.as_deref() == Some(week.as_str()) {
        return Ok(0);
    }
    let readers: Vec<_> = tenant
        .users_with_email()
        .await?
        .into_iter()
        .filter(|(_, _, roles)| kpi::receives_weekly_report(*roles))
        .collect();
    if readers.is_empty() {
        // Nobody to read it: the week stays open for a manager added later.
        return Ok(0);
    }
    let at = |ms: i64| Utc.timestamp_millis_opt(ms).single();
    let mut messages = HashMap::new();
    for (_, lang, _) in &readers {
        if messages.contains_key(lang) {
            continue;
        }
        let mut rows = Vec::new();
        for group_by in [None, Some("region")] {
            let request = KpiRequest {
                from: at(from),
                to: at(to),
                group_by: group_by.map(str::to_owned),
                ..KpiRequest::default()
            };
            let report = tenant.kpis(&Actor::System, request, *lang, now).await?;
            rows.extend(report.rows.into_iter().map(|r| (r.label, r.values)));
        }
        messages.insert(*lang, kpi::report_message(*lang, &week, &rows));
    }
    let tid = tenant.tenant_id();
    let mails: Vec<NewJob> = readers
        .iter()
        .filter_map(|(email, lang, _)| {
            let msg = messages.get(lang)?;
            let mail = job::Mail {
                to: email.clone(),
                subject: msg.subject.clone(),
                body: msg.body.clone(),
                service_report: None,
                csv: None,
                thread: None,
            };
            Some(
                NewJob::new(tid, Job::Mail(mail), now)
                    .keyed(format!("report:{tid}:{week}:{email}")),
            )
        })
        .collect();
    let queued = mails.len();
    Ok(if tenant.send_weekly_report(&week, mails, now).await? {
        queued
    } else {
        0
    })
}

/// Queues every scheduled report whose period is due and not yet sent, in its reader's
/// language, with the whole table attached; answers how many mails.
pub(crate) async fn scheduled(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut queued = 0;
    for tenant in store.tenant_ids().await? {
        let tenant = store.tenant(tenant);
        let offset = tenant.utc_offset().await?;
        for s in tenant.schedules_to_send().await? {
            let Some((from, to, period)) =
                schedule::due_period(s.frequency, now.timestamp_millis(), offset)
            else {
                continue;
            };
            if s.last_period.as_deref() == Some(period.as_str()) {
                continue;
            }
            let at = |ms: i64| Utc.timestamp_millis_opt(ms).single();
            let names: Vec<&str> = kpi::HEADLINE.iter().map(|m| m.as_str()).collect();
            let request = KpiRequest {
                from: at(from),
                to: at(to),
                metrics: Some(names.join(",")),
                group_by: (s.group_by != "all").then(|| s.group_by.clone()),
                ..KpiRequest::default()
            };
            let report = tenant.kpis(&Actor::System, request, s.lang, now).await?;
            let rows: Vec<_> = report
                .rows
                .into_iter()
                .map(|r| (r.label, r.values))
                .collect();
            let (msg, csv) =
                schedule::scheduled_mail(s.lang, s.frequency, &s.group_by, &period, &rows);
            let file = format!("kpis-{}-{period}.csv", s.group_by);
            let mail = job::Mail {
                to: s.email.clone(),
                subject: msg.subject,
                body: msg.body,
                service_report: None,
                csv: Some((file, csv)),
                thread: None,
            };
            let tid = tenant.tenant_id();
            let job =
                NewJob::new(tid, Job::Mail(mail), now).keyed(format!("schedule:{}:{period}", s.id));
            if tenant
                .send_scheduled_report(&s.id, &period, job, now)
                .await?
            {
                queued += 1;
            }
        }
    }
    Ok(queued)
}

/// Queues the morning alert of recurring problems of every tenant whose day is due; answers
/// how many mails.
pub(crate) async fn problems(
    store: &Store,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<usize, StoreError> {
    let mut queued = 0;
    for tenant in store.tenant_ids().await? {
        queued += problems_for(&store.tenant(tenant), now, public_url).await?;
    }
    Ok(queued)
}

/// One tenant's alert: each reader hears of the problems they may see (a supervisor of a
/// region, that region's), in their language, and nobody hears of none. The day is marked
/// sent even when there is nothing to say, so the problems are not looked for again till
/// tomorrow.
async fn problems_for(
    tenant: &TenantStore,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<usize, StoreError> {
    let offset = tenant.utc_offset().await?;
    let Some((from, to, day)) = alert::due(now.timestamp_millis(), offset) else {
        return Ok(0);
    };
    if tenant.problems_alert_sent().await?.as_deref() == Some(day.as_str()) {
        return Ok(0);
    }
    let readers: Vec<_> = tenant
        .alert_readers()
        .await?
        .into_iter()
        .filter(|r| alert::receives(r.roles))
        .collect();
    let at = |ms: i64| Utc.timestamp_millis_opt(ms).single();
    let (Some(from), Some(to)) = (at(from), at(to)) else {
        return Ok(0);
    };
    // A supervisor of a region hears of its problems; anyone else of the whole tenant's.
    let mut found = HashMap::new();
    for r in &readers {
        let region = alert::scope(r.roles, r.region_id);
        if let std::collections::hash_map::Entry::Vacant(e) = found.entry(region) {
            e.insert(tenant.problems_in(&Actor::System, region, from, to).await?);
        }
    }
    let link = format!("{}/insights", public_url.trim_end_matches('/'));
    let tid = tenant.tenant_id();
    let mails: Vec<NewJob> = readers
        .iter()
        .filter_map(|r| {
            let items = found
                .get(&alert::scope(r.roles, r.region_id))
                .filter(|items| !items.is_empty())?;
            let lines: Vec<alert::Line> = items
                .iter()
                .map(|p| alert::Line {
                    label: p.label.clone(),
                    count: p.count,
                    expected: p.expected,
                    top: p.concentration.first().map(|s| {
                        let name =
                            alert::value_label(r.lang, s.attribute, &s.value, s.label.as_deref());
                        (s.attribute, name, s.share)
                    }),
                })
                .collect();
            let msg = alert::message(r.lang, &day, &lines, &link);
            let mail = job::Mail {
                to: r.email.clone(),
                subject: msg.subject,
                body: msg.body,
                service_report: None,
                csv: None,
                thread: None,
            };
            Some(
                NewJob::new(tid, Job::Mail(mail), now)
                    .keyed(format!("problems:{tid}:{day}:{}", r.email)),
            )
        })
        .collect();
    let queued = mails.len();
    Ok(if tenant.send_problems_alert(&day, mails, now).await? {
        queued
    } else {
        0
    })
}

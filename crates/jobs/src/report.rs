//! The weekly KPI report: on Monday from 08:00 local time, last week's KPIs (all tickets, then
//! per region) by mail to each tenant's managers with an address, in their language — once a
//! week, whichever runner gets there first. The week, who reads it and the message are core's
//! (`kpi::report_week`, `kpi::receives_weekly_report`, `kpi::report_message`).

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
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

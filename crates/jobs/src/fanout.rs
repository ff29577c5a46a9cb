//! The fan-out of what the outbox published: one webhook delivery per subscribed endpoint,
//! the customer's notice of a milestone on the channel they chose (an e-mail, or a
//! `customer.notice` delivery for an SMS gateway or a chat bot), in-app notifications, and
//! e-mail to the staff who asked for it. Who hears what is decided in core (`notify`,
//! `followup`); everything is keyed by the publishing job's id, so a run repeated after a
//! crash adds nothing, and an event nobody listens to writes nothing.

use chrono::{DateTime, Utc};
use loopdesk_core::followup::{self, About, Channel, Message, Notice};
use loopdesk_core::job::{self, Job, Publish, StockAlert};
use loopdesk_core::notify::{self, Audience};
use loopdesk_core::{JobId, TenantId};
use loopdesk_store::{ActiveWebhook, NewJob, NewNotification, Store, StoreError, Ticket};
use serde_json::{json, Value};

/// What the runner can send besides webhooks and in-app notifications.
#[derive(Clone, Debug, Default)]
pub struct Outbound {
    /// E-mail is configured (an SMTP server to send through).
    pub mail: bool,
    /// Loopdesk's public base URL, for links in messages (the survey).
    pub public_url: String,
    /// Service reports can be made (the file store and a font are at hand): the closing
    /// notice by e-mail carries the ticket's.
    pub reports: bool,
}

/// One webhook delivery of `event` to `hook`, keyed by `delivery`, with its body.
fn delivery(
    tenant: TenantId,
    hook: &ActiveWebhook,
    event: &str,
    delivery: String,
    body: &Value,
    now: DateTime<Utc>,
) -> NewJob {
    let key = format!("wh:{delivery}");
    let d = job::Delivery {
        webhook_id: hook.id.clone(),
        delivery,
        event: event.to_owned(),
        body: body.to_string(),
    };
    NewJob::new(tenant, Job::Webhook(d), now)
        .attempts(hook.max_attempts)
        .keyed(key)
}

/// The body of a delivery about a ticket.
fn ticket_body(
    tenant: TenantId,
    id: &str,
    event: &str,
    at: Option<DateTime<Utc>>,
    ticket: &Ticket,
    data: &Value,
) -> Value {
    json!({ "id": id, "event": event, "at": at, "tenant": tenant, "ticket": ticket, "data": data })
}

/// One e-mail, once per publishing job and address, with a service report to attach.
fn mail(
    tenant: TenantId,
    origin: JobId,
    to: &str,
    msg: &Message,
    report: Option<job::ReportToAttach>,
    thread: Option<job::MailThread>,
    now: DateTime<Utc>,
) -> NewJob {
    let m = job::Mail {
        to: to.to_owned(),
        subject: msg.subject.clone(),
        body: msg.body.clone(),
        service_report: report,
        csv: None,
        thread,
    };
    NewJob::new(tenant, Job::Mail(m), now).keyed(format!("mail:{origin}:{to}"))
}

/// Fans out one `publish` job (`origin`) of `tenant`; `hooks` are the tenant's active
/// endpoints.
pub(crate) async fn publish(
    store: &Store,
    origin: JobId,
    tenant: TenantId,
    p: &Publish,
    hooks: &[ActiveWebhook],
    outbound: &Outbound,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let subscribed: Vec<&ActiveWebhook> = hooks
        .iter()
        .filter(|h| notify::subscribed(&h.events, &p.event))
        .collect();
    let notice = Notice::of_event(&p.event, &p.data);
    let notice_hooks: Vec<&ActiveWebhook> = match notice {
        Some(_) => hooks
            .iter()
            .filter(|h| notify::subscribed(&h.events, "customer.notice"))
            .collect(),
        None => Vec::new(),
    };
    let tell_customer = notice.is_some() && (outbound.mail || !notice_hooks.is_empty());
    let said = followup::reply_for_customer(&p.event, &p.data);
    let reply = said.filter(|_| outbound.mail);
    let audience = notify::in_app_audience(&p.event, &p.data);
    // A customer who last spoke in a chat hears back there: the milestone, or the reply (one
    // indexed read, and only for an event the customer would hear of).
    let chat = match notice.is_some() || said.is_some() {
        true => {
            store
                .tenant(tenant)
                .last_chat_from_customer(p.ticket_id)
                .await?
        }
        false => None,
    };
    if subscribed.is_empty()
        && audience == Audience::Nobody
        && !tell_customer
        && reply.is_none()
        && chat.is_none()
    {
        return Ok(());
    }
    let Some(ticket) = store.tenant(tenant).ticket_to_publish(p.ticket_id).await? else {
        return Ok(());
    };
    let at = chrono::TimeZone::timestamp_millis_opt(&Utc, p.at).single();
    let about = About {
        number: &ticket.number,
        subject: &ticket.subject,
        link: None,
    };
    let mut jobs = Vec::new();
    for hook in subscribed {
        let id = format!("{origin}-{}", hook.id);
        let body = ticket_body(tenant, &id, &p.event, at, &ticket, &p.data);
        jobs.push(delivery(tenant, hook, &p.event, id, &body, now));
    }
    // Mail about the ticket threads on it, answering the customer's last mail if they wrote.
    let last_mail = match (tell_customer || reply.is_some(), outbound.mail) {
        (true, true) => {
            store
                .tenant(tenant)
                .last_mail_from_customer(ticket.id)
                .await?
        }
        _ => None,
    };
    let thread = |automatic| job::MailThread {
        ticket_id: ticket.id,
        nonce: origin.to_string(),
        in_reply_to: last_mail.as_ref().map(|(id, _)| id.clone()),
        automatic,
    };
    // The customer as far as telling them needs, read once for every way they hear of it.
    let recipient = match tell_customer || reply.is_some() || chat.is_some() {
        true => store.customer_recipient(tenant, &ticket).await?,
        false => None,
    };
    let lang = recipient.as_ref().map(|r| r.lang).unwrap_or_default();
    let customer = match (notice, tell_customer) {
        (Some(notice), true) => recipient
            // A sender Loopdesk does not know hears back where they wrote from.
            .or_else(|| {
                last_mail.as_ref().map(|(_, from)| followup::Recipient {
                    email: Some(from.clone()),
                    ..followup::Recipient::default()
                })
            })
            .map(|r| (notice, r)),
        _ => None,
    };
    // The survey's link, for whichever way the customer hears of it.
    let link = match (notice, p.data["survey_id"].as_str()) {
        (Some(Notice::Survey), Some(survey)) if customer.is_some() || chat.is_some() => {
            Some(format!(
                "{}/survey/{}",
                outbound.public_url.trim_end_matches('/'),
                store.survey_token(tenant, survey).await?
            ))
        }
        _ => None,
    };
    if let Some((notice, r)) = customer {
        if let Some(to) = r.address() {
            let msg = followup::customer_message(
                r.lang,
                notice,
                About {
                    link: link.as_deref(),
                    ..about
                },
            );
            if r.channel == Channel::Email && outbound.mail {
                let report = (outbound.reports && notice.carries_service_report()).then(|| {
                    job::ReportToAttach {
                        ticket_id: ticket.id,
                        lang: r.lang.tag().to_owned(),
                    }
                });
                jobs.push(mail(
                    tenant,
                    origin,
                    to,
                    &msg,
                    report,
                    Some(thread(true)),
                    now,
                ));
            }
            let notice_data = json!({
                "notice": notice.as_str(),
                "channel": r.channel.as_str(),
                "to": to,
                "lang": r.lang.tag(),
                "subject": msg.subject,
                "text": msg.body,
                "link": link,
            });
            for hook in notice_hooks {
                let id = format!("{origin}-{}-notice", hook.id);
                let body = ticket_body(tenant, &id, "customer.notice", at, &ticket, &notice_data);
                jobs.push(delivery(tenant, hook, "customer.notice", id, &body, now));
            }
        }
    }
    // A public reply by staff goes back by mail to whoever last wrote on the ticket by mail
    // (the channel the customer used), in the customer's language.
    if let (Some(body), Some((_, to))) = (reply, &last_mail) {
        let msg = followup::reply_message(lang, about, body);
        jobs.push(mail(
            tenant,
            origin,
            to,
            &msg,
            None,
            Some(thread(false)),
            now,
        ));
    }
    if let Some((channel_id, to)) = chat {
        let said_here = match (notice, said) {
            (_, Some(body)) => Some(("reply", followup::chat_reply(about, body))),
            // The survey goes with its link; without one there is nothing to answer.
            (Some(n), None) if n != Notice::Survey || link.is_some() => {
                let about = About {
                    link: link.as_deref(),
                    ..about
                };
                let msg = followup::customer_message(lang, n, about);
                Some(("notice", followup::chat_text(&msg)))
            }
            _ => None,
        };
        if let Some((what, text)) = said_here {
            let template = match (notice, said) {
                (Some(n), None) => Some(followup::chat_template(
                    lang,
                    n,
                    About {
                        link: link.as_deref(),
                        ..about
                    },
                )),
                _ => None,
            };
            let send = job::ChatSend {
                channel_id,
                to: to.clone(),
                text,
                template,
            };
            jobs.push(
                NewJob::new(tenant, Job::Chat(send), now)
                    .keyed(format!("chat:{origin}:{what}:{to}")),
            );
        }
    }
    let staff = store.staff_to_notify(tenant, &audience, &ticket).await?;
    for person in staff.iter().filter(|p| p.mail && outbound.mail) {
        let (Some(to), Some(msg)) = (
            person.email.as_deref(),
            followup::staff_message(person.lang, &p.event, &p.data, about),
        ) else {
            continue;
        };
        jobs.push(mail(tenant, origin, to, &msg, None, None, now));
    }
    let bell = staff
        .iter()
        .map(|person| NewNotification {
            tenant,
            user: person.id,
            ticket: Some(ticket.id),
            event: p.event.clone(),
            data: json!({ "number": ticket.number, "data": p.data }),
            dedupe_key: format!("{origin}:{}", person.id),
        })
        .collect();
    store.enqueue(jobs, bell, now).await
}

/// Fans out a low-stock alert (`origin`): to every webhook subscribed to `stock.low`, and to
/// the bell of the supervisors of the warehouse's region (every supervisor when it has none)
/// and the admins.
pub(crate) async fn stock_alert(
    store: &Store,
    origin: JobId,
    tenant: TenantId,
    alert: &StockAlert,
    hooks: &[ActiveWebhook],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let data = Job::StockAlert(alert.clone()).payload();
    let at = chrono::TimeZone::timestamp_millis_opt(&Utc, alert.at).single();
    let jobs = hooks
        .iter()
        .filter(|h| notify::subscribed(&h.events, "stock.low"))
        .map(|hook| {
            let id = format!("{origin}-{}", hook.id);
            let body =
                json!({ "id": id, "event": "stock.low", "at": at, "tenant": tenant, "data": data });
            delivery(tenant, hook, "stock.low", id, &body, now)
        })
        .collect();
    let staff = store.stock_alert_staff(tenant, alert.warehouse_id).await?;
    let bell = staff
        .iter()
        .map(|person| NewNotification {
            tenant,
            user: person.id,
            ticket: None,
            event: "stock.low".into(),
            data: json!({ "data": data }),
            dedupe_key: format!("{origin}:{}", person.id),
        })
        .collect();
    store.enqueue(jobs, bell, now).await
}

//! Surveys after resolution: sent once per resolution, answered once through their signed
//! link, and what an answer sets off (remediation, the loyalty tag). The rules are in
//! `loopdesk_core::followup`.

use chrono::{DateTime, Utc};
use loopdesk_core::event::{payload, Payload};
use loopdesk_core::followup::{self, SurveyAnswer};
use loopdesk_core::i18n::Lang;
use loopdesk_core::{Status, TenantId, TicketId};
use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Transaction};
use utoipa::ToSchema;

use crate::events::{self, NewEvent};
use crate::rows::corrupt;
use crate::rows::parse_id;
use crate::tickets::open_remediation;
use crate::{from_ms, ms, Store, StoreError, TenantStore};

/// A survey as the person answering it sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SurveyView {
    /// The ticket number.
    pub number: String,
    /// The ticket's subject.
    pub subject: String,
    /// Until when it can be answered.
    pub expires_at: DateTime<Utc>,
    /// When it was answered, if it was.
    pub answered_at: Option<DateTime<Utc>>,
    /// The language of the contact it was sent to.
    pub lang: String,
}

#[derive(sqlx::FromRow)]
struct SurveyRow {
    tenant_id: String,
    ticket_id: String,
    expires_at: i64,
    answered_at: Option<i64>,
    survey_secret: Option<String>,
    number: String,
    subject: String,
    customer_id: Option<String>,
    lang: Option<String>,
}

impl SurveyRow {
    fn view(self) -> SurveyView {
        SurveyView {
            number: self.number,
            subject: self.subject,
            expires_at: from_ms(self.expires_at),
            answered_at: self.answered_at.map(from_ms),
            lang: self
                .lang
                .as_deref()
                .and_then(Lang::from_tag)
                .unwrap_or_default()
                .tag()
                .to_owned(),
        }
    }
}

impl Store {
    /// The key a tenant's survey links are signed with, made on first use.
    pub(crate) async fn survey_key(&self, tenant: &str) -> Result<String, StoreError> {
        let key: Option<Option<String>> =
            sqlx::query_scalar("SELECT survey_secret FROM tenants WHERE id = $1")
                .bind(tenant)
                .fetch_optional(&self.read)
                .await?;
        match key {
            None => Err(StoreError::NotFound),
            Some(Some(k)) => Ok(k),
            Some(None) => {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                // Whoever writes first wins; everyone reads the winner's key.
                sqlx::query(
                    "UPDATE tenants SET survey_secret = $1 WHERE id = $2 AND survey_secret IS NULL",
                )
                .bind(hex::encode(bytes))
                .bind(tenant)
                .execute(&self.write)
                .await?;
                sqlx::query_scalar::<_, Option<String>>(
                    "SELECT survey_secret FROM tenants WHERE id = $1",
                )
                .bind(tenant)
                .fetch_one(&self.write)
                .await?
                .ok_or_else(|| StoreError::Corrupt("survey_secret".into()))
            }
        }
    }

    /// The token of a survey's link.
    pub async fn survey_token(
        &self,
        tenant: TenantId,
        survey_id: &str,
    ) -> Result<String, StoreError> {
        Ok(followup::survey_token(
            &self.survey_key(&tenant.to_string()).await?,
            survey_id,
        ))
    }

    async fn survey_row(&self, token: &str) -> Result<(String, SurveyRow), StoreError> {
        let invalid = || StoreError::Refused {
            reason: "error.survey_link",
            gone: true,
        };
        let id = followup::survey_token_id(token).ok_or_else(invalid)?;
        let row: Option<SurveyRow> = sqlx::query_as(
            "SELECT s.tenant_id, s.ticket_id, s.expires_at, s.answered_at, n.survey_secret, t.number, \
             t.subject, t.customer_id, c.lang FROM surveys s JOIN tenants n ON n.id = s.tenant_id \
             JOIN tickets t ON t.id = s.ticket_id LEFT JOIN contacts c ON c.id = t.contact_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        let row = row.ok_or(StoreError::NotFound)?;
        let key = row.survey_secret.as_deref().ok_or(StoreError::NotFound)?;
        if !followup::verify_survey_token(key, token) {
            return Err(StoreError::NotFound);
        }
        Ok((id.to_owned(), row))
    }

    /// The survey a link names (no sign-in: the signed token is the credential).
    pub async fn survey(&self, token: &str) -> Result<SurveyView, StoreError> {
        let (_, row) = self.survey_row(token).await?;
        Ok(row.view())
    }

    /// Records the answer to a survey, once, before it expires; an event on the ticket,
    /// `survey.answered` to the outside world, and the triage: remediation for an unhappy
    /// customer, the loyalty tag for a delighted one.
    pub async fn answer_survey(
        &self,
        token: &str,
        answer: SurveyAnswer,
        now: DateTime<Utc>,
    ) -> Result<SurveyView, StoreError> {
        let answer = answer.checked()?;
        let (id, row) = self.survey_row(token).await?;
        followup::survey_open(row.answered_at.is_some(), from_ms(row.expires_at), now).map_err(
            |closed| match closed {
                followup::SurveyClosed::Answered => StoreError::Refused {
                    reason: "error.survey_answered",
                    gone: false,
                },
                followup::SurveyClosed::Expired => StoreError::Refused {
                    reason: "error.survey_expired",
                    gone: true,
                },
            },
        )?;
        let ticket = parse_id(&row.ticket_id, TicketId::parse)?;
        let tenant = row.tenant_id.clone();
        let mut tx = self.write.begin().await?;
        let answered = sqlx::query(
            "UPDATE surveys SET answered_at = $1, csat = $2, nps = $3, comment = $4 \
             WHERE id = $5 AND answered_at IS NULL",
        )
        .bind(ms(now))
        .bind(answer.csat)
        .bind(answer.nps)
        .bind(answer.comment.clone())
        .bind(&id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if answered != 1 {
            return Err(StoreError::Refused {
                reason: "error.survey_answered",
                gone: false,
            });
        }
        let answered = Payload::SurveyAnswered(payload::SurveyAnswered {
            survey_id: id.clone(),
            csat: Some(answer.csat),
            nps: Some(answer.nps),
            comment: answer.comment.clone(),
        });
        let event = NewEvent::system(ticket, answered, now);
        events::record(&mut tx, &tenant, event, Some("survey.answered")).await?;
        if let Some(comment) = answer.comment.as_deref() {
            crate::triage::signal_urgency(&mut tx, &tenant, comment, "survey", |p| NewEvent {
                by: loopdesk_core::event::By::Customer,
                ..NewEvent::system(ticket, p, now)
            })
            .await?;
        }
        let triage = followup::triage(&answer);
        if !triage.remediation.is_empty() {
            open_remediation(&mut tx, &tenant, ticket, &triage.remediation, now).await?;
        }
        if let (true, Some(customer)) = (triage.loyal, &row.customer_id) {
            tag_customer(&mut tx, &tenant, customer, followup::LOYALTY_TAG).await?;
        }
        tx.commit().await?;
        Ok(SurveyRow {
            answered_at: Some(ms(now)),
            ..row
        }
        .view())
    }
}

/// Adds a tag to a customer (once).
async fn tag_customer(
    tx: &mut Transaction<'_, Any>,
    tenant: &str,
    customer: &str,
    tag: &str,
) -> Result<(), StoreError> {
    let tags: Option<String> =
        sqlx::query_scalar("SELECT tags FROM customers WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(customer)
            .fetch_optional(&mut **tx)
            .await?;
    let Some(tags) = tags else { return Ok(()) };
    let mut tags: Vec<String> =
        serde_json::from_str(&tags).map_err(|_| StoreError::Corrupt("customer tags".into()))?;
    if tags.iter().any(|t| t == tag) {
        return Ok(());
    }
    tags.push(tag.to_owned());
    sqlx::query("UPDATE customers SET tags = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(json!(tags).to_string())
        .bind(tenant)
        .bind(customer)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl TenantStore {
    /// The token of the open survey on a ticket the actor may see, if there is one (not
    /// answered, not expired): the customer rates from the ticket's page with it.
    pub async fn open_survey_token(
        &self,
        actor: &loopdesk_core::ticket::transitions::Actor,
        ticket: TicketId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        if self.ticket_version(actor, ticket).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM surveys WHERE tenant_id = $1 AND ticket_id = $2 AND answered_at IS NULL \
             AND expires_at > $3 ORDER BY round DESC LIMIT 1",
        )
        .bind(self.tenant_id().to_string())
        .bind(ticket.to_string())
        .bind(ms(now))
        .fetch_optional(&self.store.read)
        .await?;
        match id {
            Some(id) => Ok(Some(self.store.survey_token(self.tenant_id(), &id).await?)),
            None => Ok(None),
        }
    }
}

impl TenantStore {
    /// Sends the survey of one resolution (the `survey` job): records it with its expiry and
    /// publishes `survey.sent`, once. Nothing when the ticket was reopened since (a new
    /// resolution brings its own survey) or cancelled, or when the fix is older than the
    /// survey's window.
    pub async fn send_survey(
        &self,
        ticket: TicketId,
        round: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tenant = &self.tid();
        let follow_up = self.settings().await?.follow_up;
        let mut tx = self.store.write.begin().await?;
        let row: Option<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT status, reopen_count, resolved_at FROM tickets WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(ticket.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((status, reopen_count, resolved_at)) = row else {
            return Ok(());
        };
        let status = Status::parse(&status).ok_or_else(|| corrupt("status"))?;
        if !followup::survey_still_due(status, reopen_count, round) {
            return Ok(());
        }
        if resolved_at.is_some_and(|r| !follow_up.survey_in_time(from_ms(r), now)) {
            return Ok(());
        }
        let id = uuid::Uuid::now_v7().to_string();
        let expires = follow_up.survey_expires(now);
        let added = sqlx::query(
            "INSERT INTO surveys (id, tenant_id, ticket_id, round, sent_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ticket_id, round) DO NOTHING",
        )
        .bind(&id)
        .bind(tenant)
        .bind(ticket.to_string())
        .bind(round)
        .bind(ms(now))
        .bind(ms(expires))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 1 {
            let sent = Payload::SurveySent(payload::SurveySent {
                survey_id: id.clone(),
                expires_at: from_ms(ms(expires)),
            });
            let event = NewEvent::system(ticket, sent, now);
            events::record(&mut tx, tenant, event, Some("survey.sent")).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

//! `chat` jobs: a message to a customer on the chat platform they wrote from (WeCom's
//! application message, WeChat's customer-service message), with the channel's access token
//! shared through the store and fetched again when the platform says it is no longer good.

use chrono::{DateTime, Duration, Utc};
use loopdesk_core::inbound::platform::{self, Answer};
use loopdesk_core::job::ChatSend;
use loopdesk_core::TenantId;
use loopdesk_store::InboundChannel;
use serde_json::Value;

use crate::{Done, JobFailure, Runner};

/// What an HTTP error says, without its address (which may carry the app's secret).
fn failure(e: reqwest::Error) -> JobFailure {
    JobFailure(e.without_url().to_string())
}

/// A platform's JSON answer to a request.
async fn answer_of(request: reqwest::RequestBuilder) -> Result<Value, JobFailure> {
    request
        .send()
        .await
        .map_err(failure)?
        .json()
        .await
        .map_err(failure)
}

impl Runner {
    /// Sends one chat message; a channel removed or paused meanwhile sends nothing.
    pub(crate) async fn chat(
        &self,
        tenant: TenantId,
        c: &ChatSend,
        now: DateTime<Utc>,
    ) -> Result<Done, JobFailure> {
        let channel = self
            .store
            .inbound_channel(c.channel_id)
            .await?
            .filter(|ch| ch.tenant == tenant && ch.active);
        let Some(channel) = channel else {
            tracing::info!(channel = %c.channel_id, "chat message dropped: the channel is gone or paused");
            return Ok(Done::Finished);
        };
        // A token the platform refuses is fetched once more; a second refusal is a failure.
        // A WeChat customer out of the 48 hours gets the notice as a template message.
        let mut as_template = false;
        for _ in 0..3 {
            let token = self.chat_token(&channel, now).await?;
            let request = match (&c.template, as_template) {
                (Some(t), true) => {
                    platform::template_request(channel.kind, &channel.setup, &token, &c.to, t)
                }
                _ => platform::send_request(channel.kind, &channel.setup, &token, &c.to, &c.text),
            };
            let Some((url, body)) = request else {
                return Err(JobFailure("the channel cannot send messages".into()));
            };
            let answer = answer_of(self.http.post(url).json(&body)).await?;
            match platform::read_answer(&answer) {
                Answer::Sent => return Ok(Done::Finished),
                Answer::TokenExpired => {
                    self.store.forget_channel_token(channel.id, &token).await?;
                }
                Answer::OutOfWindow if !as_template && c.template.is_some() => {
                    as_template = true;
                }
                Answer::OutOfWindow => {
                    // Trying again later cannot help: only the customer's next message opens
                    // the window again (a reply is no notice: it has no template).
                    tracing::info!(
                        channel = %channel.id,
                        "chat message not sent: the customer has not written within WeChat's 48 hours"
                    );
                    return Ok(Done::Finished);
                }
                Answer::Refused(code, words) => {
                    return Err(JobFailure(format!(
                        "the platform refused ({code}): {words}"
                    )))
                }
                Answer::Token(..) => return Err(JobFailure("an unexpected answer".into())),
            }
        }
        Err(JobFailure("the platform refused a fresh token".into()))
    }

    /// The channel's access token: the one kept while it is good, else a new one.
    async fn chat_token(
        &self,
        channel: &InboundChannel,
        now: DateTime<Utc>,
    ) -> Result<String, JobFailure> {
        let margin = Duration::seconds(platform::TOKEN_MARGIN_SECS);
        if let Some(token) = self.store.channel_token(channel.id, now + margin).await? {
            return Ok(token);
        }
        let url = platform::token_url(channel.kind, &channel.setup)
            .ok_or_else(|| JobFailure("the channel has no credentials to send with".into()))?;
        let answer = answer_of(self.http.get(url)).await?;
        match platform::read_answer(&answer) {
            Answer::Token(token, secs) => {
                self.store
                    .keep_channel_token(channel, &token, now + Duration::seconds(secs))
                    .await?;
                Ok(token)
            }
            Answer::Refused(code, words) => Err(JobFailure(format!(
                "the platform gave no token ({code}): {words}"
            ))),
            _ => Err(JobFailure("the platform gave no token".into())),
        }
    }
}

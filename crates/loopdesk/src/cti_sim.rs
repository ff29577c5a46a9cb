//! `loopdesk cti-sim`: plays one phone call against a running Loopdesk, as a PBX or a cloud
//! call centre would — `ringing`, then `answered` and `ended`, or `missed` — each event signed
//! with the phone channel's secret. For integrators to see the caller's card pop and the call
//! land in the log, and to read what their own PBX must send.

use std::time::Duration;

use anyhow::{bail, Context};
use chrono::SecondsFormat;
use loopdesk_core::clock::Clock;
use loopdesk_core::signing::body_signature;
use serde_json::json;

/// What call to play.
#[derive(clap::Args, Debug)]
pub struct CtiSimArgs {
    /// Loopdesk's address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The phone channel's id.
    #[arg(long)]
    pub channel: String,
    /// The phone channel's secret (shown once when it was made); or LOOPDESK_CTI_SECRET.
    #[arg(long, env = "LOOPDESK_CTI_SECRET", hide_env_values = true)]
    pub secret: String,
    /// The calling number.
    #[arg(long)]
    pub from: String,
    /// The called number (the hotline).
    #[arg(long, default_value = "400-800-0000")]
    pub to: String,
    /// The username of the agent whose phone rings.
    #[arg(long)]
    pub agent: Option<String>,
    /// Nobody picks up: `ringing`, then `missed`.
    #[arg(long)]
    pub missed: bool,
    /// Seconds it rings before it is answered or missed.
    #[arg(long, default_value_t = 3)]
    pub ring_seconds: u64,
    /// Seconds they talk.
    #[arg(long, default_value_t = 5)]
    pub talk_seconds: u64,
    /// A recording address to send with the end.
    #[arg(long)]
    pub recording_url: Option<String>,
    /// A transcript to send with the end.
    #[arg(long)]
    pub transcript: Option<String>,
    /// The call's id (a new one by default).
    #[arg(long)]
    pub call_id: Option<String>,
}

/// Plays the call; each event's answer is printed. A refused event stops it with the
/// server's error.
pub async fn run(args: CtiSimArgs) -> anyhow::Result<()> {
    let endpoint = format!(
        "{}/api/v1/channels/{}/events",
        args.url.trim_end_matches('/'),
        args.channel
    );
    let call_id = args
        .call_id
        .clone()
        .unwrap_or_else(|| format!("sim-{}", uuid::Uuid::new_v4().simple()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let mut steps = vec![("ringing", args.ring_seconds)];
    if args.missed {
        steps.push(("missed", 0));
    } else {
        steps.push(("answered", args.talk_seconds));
        steps.push(("ended", 0));
    }
    for (event, then_wait) in steps {
        let mut body = json!({
            "call_id": call_id,
            "event": event,
            "from": args.from,
            "to": args.to,
            "at": crate::SystemClock.now().to_rfc3339_opts(SecondsFormat::Secs, true),
        });
        if let Some(agent) = &args.agent {
            body["agent"] = json!(agent);
        }
        if matches!(event, "ended" | "missed") {
            if let Some(url) = &args.recording_url {
                body["recording_url"] = json!(url);
            }
            if let Some(text) = &args.transcript {
                body["transcript"] = json!(text);
            }
        }
        let raw = serde_json::to_vec(&body)?;
        let res = client
            .post(&endpoint)
            .header("content-type", "application/json")
            .header("x-loopdesk-signature", body_signature(&args.secret, &raw))
            .body(raw)
            .send()
            .await
            .with_context(|| format!("posting {event} to {endpoint}"))?;
        let status = res.status();
        let answer = res.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{event}: {status} {answer}");
        }
        println!("{event}: {answer}");
        if then_wait > 0 {
            tokio::time::sleep(Duration::from_secs(then_wait)).await;
        }
    }
    Ok(())
}

//! The service report a closing mail carries: made when the mail is sent (so it shows the
//! ticket as closed), from the file store and the font this runner was given.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use loopdesk_core::i18n::Lang;
use loopdesk_core::job::ReportToAttach;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::TenantId;
use loopdesk_pdf::{facts, Paper, Typeface};
use loopdesk_store::blobs::Blobs;
use loopdesk_store::Store;

/// What a runner needs to make service reports.
pub(crate) struct Reports {
    /// The uploaded files (photos and signatures).
    pub blobs: Arc<dyn Blobs>,
    /// The configured font (`path` or `path#face`; none: the system's).
    pub font: Option<String>,
    face: tokio::sync::OnceCell<Arc<Typeface>>,
}

impl Reports {
    pub(crate) fn new(blobs: Arc<dyn Blobs>, font: Option<String>) -> Reports {
        Reports {
            blobs,
            font,
            face: tokio::sync::OnceCell::new(),
        }
    }

    async fn face(&self) -> Result<Arc<Typeface>, String> {
        let font = self.font.clone();
        self.face
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || Typeface::from_spec(font.as_deref()))
                    .await
                    .map_err(|e| e.to_string())?
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .await
            .cloned()
    }

    /// The report's file name and PDF; `Ok(None)` when the ticket has none to print. An
    /// error is the runner's (the font, the database): the mail waits and is tried again.
    pub(crate) async fn make(
        &self,
        store: &Store,
        tenant: TenantId,
        want: &ReportToAttach,
        public_url: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, Vec<u8>)>, String> {
        let lang = Lang::from_tag(&want.lang).unwrap_or_default();
        let link = format!("{}/t/{}", public_url.trim_end_matches('/'), want.ticket_id);
        let tenant = store.tenant(tenant);
        let gathered = facts::gather(
            &tenant,
            &Actor::System,
            self.blobs.as_ref(),
            want.ticket_id,
            lang,
            &link,
            now,
        )
        .await;
        let report = match gathered {
            Ok(Some(r)) => r,
            Ok(None) | Err(loopdesk_store::StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let face = self.face().await?;
        let name = format!("{}.pdf", report.number);
        let pdf =
            tokio::task::spawn_blocking(move || loopdesk_pdf::render(&report, Paper::A4, &face))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        Ok(Some((name, pdf)))
    }
}

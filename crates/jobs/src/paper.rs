//! The service report a closing mail carries: made when the mail is sent (so it shows the
//! ticket as closed), from the file store and the font this runner was given.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use loopdesk_core::i18n::Lang;
use loopdesk_core::job::ReportToAttach;
use loopdesk_core::ticket::transitions::Actor;
use loopdesk_core::TenantId;
use loopdesk_pdf::{Fonts, Paper, ReportError};
use loopdesk_store::blobs::Blobs;
use loopdesk_store::Store;

/// What a runner needs to make service reports.
pub(crate) struct Reports {
    /// The uploaded files (photos and signatures).
    pub blobs: Arc<dyn Blobs>,
    /// The font, read on first use.
    pub fonts: Arc<Fonts>,
}

impl Reports {
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
        let made = loopdesk_pdf::make(
            &store.tenant(tenant),
            &Actor::System,
            self.blobs.as_ref(),
            self.fonts.clone(),
            want.ticket_id,
            (lang, Paper::A4),
            &link,
            now,
        )
        .await;
        match made {
            Ok(made) => Ok(made),
            Err(ReportError::Store(loopdesk_store::StoreError::NotFound)) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}

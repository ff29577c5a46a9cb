//! What bulk loads share (the history import, the stock ledger load): the writer's large
//! page cache for the length of a load.

use crate::{StoreError, TenantStore};

impl TenantStore {
    /// The writer's settings while it imports (`on`) and after
    /// ([`crate::Backend::import_settings`]).
    pub(crate) async fn import_cache(&self, on: bool) -> Result<(), StoreError> {
        for setting in self.store.backend.import_settings(on) {
            sqlx::query(setting).execute(&self.store.write).await?;
        }
        Ok(())
    }
}

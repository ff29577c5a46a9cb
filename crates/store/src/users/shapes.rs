//! Regions' outlines on the map.

use loopdesk_core::region_shape::Shape;
use loopdesk_core::RegionId;

use crate::rows::parse_id;
use crate::{StoreError, TenantStore};

/// A region with its outline, if one was drawn.
#[derive(Clone, Debug)]
pub struct RegionShape {
    /// Id.
    pub id: RegionId,
    /// Name.
    pub name: String,
    /// Outline.
    pub shape: Option<Shape>,
}

impl TenantStore {
    /// Sets (or with `None` clears) a region's outline. `NotFound` for no such region.
    pub async fn set_region_shape(
        &self,
        id: RegionId,
        shape: Option<&Shape>,
    ) -> Result<(), StoreError> {
        let json = shape.map(|s| s.to_geojson().to_string());
        let changed = sqlx::query("UPDATE regions SET shape = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(json)
            .bind(self.tid())
            .bind(id.to_string())
            .execute(&self.store.write)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Every region by name, with its outline.
    pub async fn region_shapes(&self) -> Result<Vec<RegionShape>, StoreError> {
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, name, shape FROM regions WHERE tenant_id = $1 ORDER BY name",
        )
        .bind(self.tid())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(id, name, shape)| {
                let shape = shape
                    .map(|s| {
                        Shape::parse(&s).map_err(|_| StoreError::Corrupt("region shape".into()))
                    })
                    .transpose()?;
                Ok(RegionShape {
                    id: parse_id(&id, RegionId::parse)?,
                    name,
                    shape,
                })
            })
            .collect()
    }
}

impl TenantStore {
    /// The regions that have an outline, with it.
    pub(crate) async fn drawn_regions(&self) -> Result<Vec<(RegionId, Shape)>, StoreError> {
        Ok(self
            .region_shapes()
            .await?
            .into_iter()
            .filter_map(|r| Some((r.id, r.shape?)))
            .collect())
    }
}

/// A site to store, placed in the drawn region its position lies in when it names none
/// (the customer's region remains the fallback, applied when the site is checked).
pub(crate) fn placed(
    mut site: loopdesk_core::customer::NewSite,
    drawn: &[(RegionId, Shape)],
) -> loopdesk_core::customer::NewSite {
    let position = site.lat.zip(site.lon);
    site.region_id =
        loopdesk_core::region_shape::site_region(site.region_id, position, drawn, None);
    site
}

impl TenantStore {
    /// The display names of these users (those that exist in the tenant).
    pub async fn display_names(
        &self,
        ids: &[loopdesk_core::UserId],
    ) -> Result<std::collections::HashMap<loopdesk_core::UserId, String>, StoreError> {
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut sql = crate::sql::Sql::new("SELECT id, display_name FROM users WHERE tenant_id = ");
        sql.text(self.tid());
        sql.id_list(" AND id", &ids);
        let rows: Vec<(String, String)> = sql.query_as().fetch_all(&self.store.read).await?;
        rows.into_iter()
            .map(|(id, name)| Ok((parse_id(&id, loopdesk_core::UserId::parse)?, name)))
            .collect()
    }
}

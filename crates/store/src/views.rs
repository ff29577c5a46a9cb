//! Saved views of the queue: a name and the desk's filters (its query string), the owner's
//! own or shared with the owner's team.

use chrono::{DateTime, Utc};
use loopdesk_core::access::{self, Permission};
use loopdesk_core::ticket::Actor;
use loopdesk_core::validate::{self, FieldError};
use loopdesk_core::{SavedViewId, TeamId, UserId};

use crate::rows::{parse_id, parse_opt_id};
use crate::{ms, StoreError, TenantStore};

/// The longest query string a view keeps.
const MAX_QUERY: usize = 2000;

/// A saved view as its reader sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedView {
    /// Its id.
    pub id: SavedViewId,
    /// Its name.
    pub name: String,
    /// The desk's query string (`view=open&priority=1…`), without a leading `?`.
    pub query: String,
    /// The team it is shared with, if any.
    pub team_id: Option<TeamId>,
    /// Who saved it.
    pub owner_id: UserId,
    /// The reader saved it (and may delete it).
    pub mine: bool,
}

impl TenantStore {
    /// Saves a view for the actor, shared with their team when `shared` (refused, on `shared`,
    /// for a user without a team).
    pub async fn save_view(
        &self,
        actor: &Actor,
        name: &str,
        query: &str,
        shared: bool,
        now: DateTime<Utc>,
    ) -> Result<SavedView, StoreError> {
        let me = staff(actor)?;
        let name = validate::required_text("name", name, 60)?;
        let query = query.trim().trim_start_matches('?');
        // A query string as the desk writes it: URL-encoded, printable ASCII only (it becomes
        // a link and a redirect's Location).
        if query.len() > MAX_QUERY || !query.bytes().all(|b| b.is_ascii_graphic() && b != b'#') {
            return Err(invalid("query"));
        }
        let team = if shared {
            let (team,): (Option<String>,) =
                sqlx::query_as("SELECT team_id FROM users WHERE tenant_id = $1 AND id = $2")
                    .bind(self.tid())
                    .bind(me.to_string())
                    .fetch_one(&self.store.read)
                    .await?;
            Some(parse_opt_id(team, TeamId::parse)?.ok_or_else(|| invalid("shared"))?)
        } else {
            None
        };
        let id = SavedViewId::new();
        sqlx::query(
            "INSERT INTO saved_views (id, tenant_id, owner_id, team_id, name, query, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(self.tid())
        .bind(me.to_string())
        .bind(team.map(|t| t.to_string()))
        .bind(&name)
        .bind(query)
        .bind(ms(now))
        .execute(&self.store.write)
        .await?;
        Ok(SavedView {
            id,
            name,
            query: query.to_owned(),
            team_id: team,
            owner_id: me,
            mine: true,
        })
    }

    /// The actor's own views and those shared with their team, by name.
    pub async fn saved_views(&self, actor: &Actor) -> Result<Vec<SavedView>, StoreError> {
        let me = staff(actor)?;
        let rows: Vec<(String, String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT id, name, query, team_id, owner_id FROM saved_views WHERE tenant_id = $1 \
             AND (owner_id = $2 OR team_id = (SELECT team_id FROM users WHERE id = $2)) \
             ORDER BY name, created_at",
        )
        .bind(self.tid())
        .bind(me.to_string())
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(id, name, query, team, owner)| {
                let owner_id = parse_id(&owner, UserId::parse)?;
                Ok(SavedView {
                    id: parse_id(&id, SavedViewId::parse)?,
                    name,
                    query,
                    team_id: parse_opt_id(team, TeamId::parse)?,
                    owner_id,
                    mine: owner_id == me,
                })
            })
            .collect()
    }

    /// Deletes a view: its owner's, or an administrator's for anyone. Another's view is
    /// `Forbidden` when the reader can see it, `NotFound` otherwise.
    pub async fn delete_view(&self, actor: &Actor, id: SavedViewId) -> Result<(), StoreError> {
        let views = self.saved_views(actor).await?;
        let admin = access::allowed(actor, Permission::ManageUsers);
        match views.iter().find(|v| v.id == id) {
            Some(v) if v.mine || admin => {}
            Some(_) => return Err(StoreError::Forbidden),
            None if admin => {}
            None => return Err(StoreError::NotFound),
        }
        let done = sqlx::query("DELETE FROM saved_views WHERE tenant_id = $1 AND id = $2")
            .bind(self.tid())
            .bind(id.to_string())
            .execute(&self.store.write)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

/// The acting staff member (views belong to people, not to the system).
fn staff(actor: &Actor) -> Result<UserId, StoreError> {
    match actor.user_id() {
        Some(me) if access::allowed(actor, Permission::SaveViews) => Ok(me),
        _ => Err(StoreError::Forbidden),
    }
}

fn invalid(field: &'static str) -> StoreError {
    StoreError::Invalid(FieldError {
        field,
        reason: "error.invalid_value",
    })
}

-- Saved views of the queue (issue 20): a name and the desk's filters as its query string,
-- the owner's own or shared with the owner's team.
CREATE TABLE saved_views (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    owner_id TEXT NOT NULL REFERENCES users (id),
    team_id TEXT REFERENCES teams (id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX saved_views_owner ON saved_views (tenant_id, owner_id);
CREATE INDEX saved_views_team ON saved_views (tenant_id, team_id) WHERE team_id IS NOT NULL;

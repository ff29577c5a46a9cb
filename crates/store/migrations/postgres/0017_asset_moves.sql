-- Equipment is edited and moved between sites from its card (issue 21): a version for
-- optimistic locking, and every move kept so the card shows where the asset has been.
ALTER TABLE assets ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE asset_moves (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    asset_id TEXT NOT NULL REFERENCES assets (id),
    from_customer_id TEXT NOT NULL,
    from_site_id TEXT NOT NULL,
    to_customer_id TEXT NOT NULL,
    to_site_id TEXT NOT NULL,
    note TEXT,
    moved_by TEXT REFERENCES users (id),
    at BIGINT NOT NULL
);
CREATE INDEX asset_moves_asset ON asset_moves (tenant_id, asset_id, at);

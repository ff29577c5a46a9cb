-- The chat platforms' access tokens (issue 22), shared by every job runner: a platform may
-- invalidate an older token when a newer one is fetched, so runners keep one per channel
-- instead of each fetching its own.
CREATE TABLE channel_tokens (
    channel_id TEXT PRIMARY KEY REFERENCES channels (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    token TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

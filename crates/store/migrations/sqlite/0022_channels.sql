-- Ways in for customers' messages (issue 22): a channel's shown settings and its secrets
-- (passwords, tokens, keys; never answered by any read but the one that checks them).
CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    secrets TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX channels_tenant ON channels (tenant_id, created_at);

-- Every message that came in on a channel, and what became of it: its Message-ID makes a
-- second delivery a duplicate; a quarantined one keeps its raw bytes in the file store.
CREATE TABLE inbound_messages (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    channel_id TEXT NOT NULL REFERENCES channels (id),
    message_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    ticket_id TEXT,
    sender TEXT,
    subject TEXT,
    files_skipped TEXT,
    raw_key TEXT,
    size_bytes BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (channel_id, message_id)
);
CREATE INDEX inbound_messages_channel ON inbound_messages (channel_id, received_at);
CREATE INDEX inbound_messages_thread ON inbound_messages (tenant_id, message_id);
CREATE INDEX inbound_messages_ticket ON inbound_messages (tenant_id, ticket_id, received_at);

-- A sender is found by their address, in any case.
CREATE INDEX contacts_tenant_email ON contacts (tenant_id, LOWER(email));

-- Where fetching a mailbox stands: the UIDs taken so far under the mailbox's UIDVALIDITY, how
-- the last attempts went, and which instance fetches it now (a lease, so that several
-- instances never fetch one mailbox at once).
CREATE TABLE channel_cursors (
    channel_id TEXT PRIMARY KEY REFERENCES channels (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    uid_validity BIGINT,
    last_uid BIGINT NOT NULL DEFAULT 0,
    last_ok_at BIGINT,
    last_error TEXT,
    failures BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT
);

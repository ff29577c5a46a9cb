-- Phone calls (issue 22): one row per call a phone channel reported, whatever order its
-- events came in (the PBX's call id is unique per channel). A missed inbound call holds a
-- callback (回电) until someone calls back or records the request. Calls are the customers'
-- history: they stay when their channel is removed.
CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    channel_id TEXT NOT NULL,
    call_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    from_number TEXT NOT NULL,
    to_number TEXT NOT NULL,
    customer_phone TEXT,
    customer_id TEXT,
    agent_name TEXT,
    agent_id TEXT,
    state TEXT NOT NULL,
    ringing_at BIGINT,
    answered_at BIGINT,
    ended_at BIGINT,
    missed INTEGER NOT NULL DEFAULT 0,
    recording_url TEXT,
    transcript TEXT,
    ticket_id TEXT,
    callback TEXT,
    callback_by TEXT,
    callback_at BIGINT,
    began_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (channel_id, call_id)
);
CREATE INDEX calls_tenant ON calls (tenant_id, began_at);
CREATE INDEX calls_agent ON calls (tenant_id, agent_id, updated_at);
CREATE INDEX calls_customer ON calls (tenant_id, customer_id, began_at);
CREATE INDEX calls_ticket ON calls (tenant_id, ticket_id);
CREATE INDEX calls_callback ON calls (tenant_id, callback, customer_phone);

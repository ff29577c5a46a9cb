-- Problem records (问题单, issue 23): the root-cause follow-up of a recurring problem, with
-- the tickets it links. `problem_key` is the problem found (`term:闪退`) it was opened from.
CREATE TABLE problem_records (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    title TEXT NOT NULL,
    problem_key TEXT,
    status TEXT NOT NULL,
    root_cause TEXT,
    created_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT,
    version BIGINT NOT NULL
);
CREATE INDEX problem_records_tenant ON problem_records (tenant_id, status, created_at);
CREATE TABLE problem_record_tickets (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    record_id TEXT NOT NULL REFERENCES problem_records (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (record_id, ticket_id)
);
CREATE INDEX problem_record_tickets_ticket ON problem_record_tickets (tenant_id, ticket_id);

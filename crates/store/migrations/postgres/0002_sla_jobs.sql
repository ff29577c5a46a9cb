-- SLA policies and calendars, the SLA state of each ticket, the job queue (which is also the
-- outbox: a change writes its `publish` job in its own transaction), webhook endpoints and
-- in-app notifications.

CREATE TABLE calendars (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX calendars_tenant_id ON calendars (tenant_id, id);

CREATE TABLE sla_policies (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    priority BIGINT,
    customer_tier TEXT,
    category TEXT,
    first_response_minutes BIGINT NOT NULL,
    arrival_minutes BIGINT,
    resolution_minutes BIGINT NOT NULL,
    warn_at DOUBLE PRECISION NOT NULL,
    calendar_id TEXT REFERENCES calendars (id),
    escalation TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sla_policies_tenant_id ON sla_policies (tenant_id, id);

-- `sla` holds the clock (start, pauses) and the due/warning moments as JSON; the columns
-- beside it are what queues sort and the scan searches by.
ALTER TABLE tickets ADD COLUMN sla_policy_id TEXT;
ALTER TABLE tickets ADD COLUMN sla TEXT;
ALTER TABLE tickets ADD COLUMN sla_state TEXT NOT NULL DEFAULT 'ok';
ALTER TABLE tickets ADD COLUMN sla_next_at BIGINT;
ALTER TABLE tickets ADD COLUMN resolution_due BIGINT;
ALTER TABLE tickets ADD COLUMN first_response_at BIGINT;
ALTER TABLE tickets ADD COLUMN first_arrival_at BIGINT;
CREATE INDEX tickets_sla_next ON tickets (sla_next_at) WHERE sla_next_at IS NOT NULL;

-- One row per ticket, target and mark (warning, breached, escalated:N): the primary key is
-- what makes each of them happen exactly once, whichever instance scans.
CREATE TABLE sla_marks (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, target, kind)
);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at BIGINT NOT NULL,
    lease_until BIGINT,
    locked_by TEXT,
    last_error TEXT,
    dedupe_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key);
CREATE INDEX jobs_ready ON jobs (status, run_at);
CREATE INDEX jobs_tenant ON jobs (tenant_id, status, created_at);

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    max_attempts BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX webhooks_tenant_id ON webhooks (tenant_id, id);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    ticket_id TEXT REFERENCES tickets (id),
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE UNIQUE INDEX notifications_dedupe ON notifications (dedupe_key);
CREATE INDEX notifications_user ON notifications (tenant_id, user_id, created_at);

-- Tenants created before this migration get the catch-all default policy.
INSERT INTO sla_policies (id, tenant_id, name, first_response_minutes, arrival_minutes,
    resolution_minutes, warn_at, escalation, created_at)
SELECT gen_random_uuid()::text, id, '默认 / Default', 60, 240, 1440, 0.75,
    '[{"level":1,"after_breach_minutes":0,"notify_roles":["supervisor"],"trigger":"breach"},{"level":2,"after_breach_minutes":60,"notify_roles":["manager"],"trigger":"breach"}]',
    created_at
FROM tenants;

-- Loopdesk foundation schema (PostgreSQL). Ids are UUID text; times are Unix milliseconds (UTC).
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    utc_offset_minutes BIGINT NOT NULL DEFAULT 480,
    reopen_window_days BIGINT NOT NULL DEFAULT 30,
    created_at BIGINT NOT NULL
);

CREATE TABLE regions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    region_id TEXT REFERENCES regions (id),
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    tier TEXT NOT NULL,
    region_id TEXT REFERENCES regions (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_tenant_name ON customers (tenant_id, name);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    name TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    wechat_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX contacts_tenant_phone ON contacts (tenant_id, phone);
CREATE INDEX contacts_customer ON contacts (tenant_id, customer_id);

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    region_id TEXT REFERENCES regions (id),
    geofence_m DOUBLE PRECISION NOT NULL DEFAULT 500,
    created_at BIGINT NOT NULL
);
CREATE INDEX sites_customer ON sites (tenant_id, customer_id);

CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    model TEXT NOT NULL,
    serial TEXT NOT NULL,
    installed_on TEXT,
    warranty_until TEXT,
    qr_token TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, serial)
);
CREATE INDEX assets_customer ON assets (tenant_id, customer_id);

CREATE TABLE categories (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    required_fields TEXT NOT NULL DEFAULT '[]',
    requires_review BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, code)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    customer_id TEXT REFERENCES customers (id),
    team_id TEXT REFERENCES teams (id),
    region_id TEXT REFERENCES regions (id),
    phone TEXT,
    email TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, username)
);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    number TEXT NOT NULL,
    channel TEXT NOT NULL,
    customer_id TEXT REFERENCES customers (id),
    contact_id TEXT REFERENCES contacts (id),
    contact_phone TEXT,
    site_id TEXT REFERENCES sites (id),
    asset_id TEXT REFERENCES assets (id),
    region_id TEXT REFERENCES regions (id),
    team_id TEXT REFERENCES teams (id),
    category TEXT,
    priority BIGINT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    assignee_id TEXT REFERENCES users (id),
    created_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    checked_in_at BIGINT,
    checkin_lat DOUBLE PRECISION,
    checkin_lon DOUBLE PRECISION,
    checkin_distance_m DOUBLE PRECISION,
    checkin_outside BIGINT NOT NULL DEFAULT 0,
    visit_count BIGINT NOT NULL DEFAULT 0,
    flags TEXT NOT NULL DEFAULT '[]',
    resolved_at BIGINT,
    closed_at BIGINT,
    confirmed_by TEXT,
    reopen_count BIGINT NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, number)
);
CREATE INDEX tickets_tenant_created ON tickets (tenant_id, created_at, id);
CREATE INDEX tickets_tenant_status ON tickets (tenant_id, status);
CREATE INDEX tickets_customer ON tickets (tenant_id, customer_id);
CREATE INDEX tickets_assignee ON tickets (tenant_id, assignee_id);

CREATE TABLE ticket_counters (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    day TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day)
);

CREATE TABLE ticket_assignments (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    first_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_assignments_user ON ticket_assignments (tenant_id, user_id);

-- The event log: append-only, the audit trail and the source of every KPI.
CREATE TABLE ticket_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    kind TEXT NOT NULL,
    actor_id TEXT REFERENCES users (id),
    at BIGINT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    internal BIGINT NOT NULL DEFAULT 0,
    data TEXT NOT NULL DEFAULT '{}'
);
-- Every lookup is tenant-scoped: the index carries the tenant so the planner never has
-- to intersect a tenant-wide index with a ticket index (it did, with stale statistics).
CREATE INDEX ticket_events_ticket ON ticket_events (tenant_id, ticket_id, id);
CREATE INDEX ticket_events_tenant_at ON ticket_events (tenant_id, at);
CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'ticket_events is append-only'; END $$;
CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events
FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();

CREATE TABLE comments (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    author_id TEXT REFERENCES users (id),
    body TEXT NOT NULL,
    internal BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX comments_ticket ON comments (tenant_id, ticket_id, created_at);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    uploaded_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_ticket ON attachments (tenant_id, ticket_id);

CREATE TABLE work_reports (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    submitted_by TEXT REFERENCES users (id),
    submitted_at BIGINT NOT NULL,
    remote BIGINT NOT NULL,
    resolution TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX work_reports_ticket ON work_reports (tenant_id, ticket_id, submitted_at);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE idempotency_keys (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, key)
);

-- Every lookup by id is tenant-scoped (`WHERE tenant_id = $1 AND id = $2`). An index on exactly
-- that pair wins over any tenant-prefixed index even in a generic plan made on an empty table
-- (without it, PostgreSQL walked all of a tenant's tickets per lookup). It is also the key a
-- tenant-sharded deployment (DESIGN §5) distributes on.
CREATE UNIQUE INDEX tickets_tenant_id ON tickets (tenant_id, id);
CREATE UNIQUE INDEX customers_tenant_id ON customers (tenant_id, id);
CREATE UNIQUE INDEX users_tenant_id ON users (tenant_id, id);
CREATE UNIQUE INDEX sites_tenant_id ON sites (tenant_id, id);
CREATE UNIQUE INDEX assets_tenant_id ON assets (tenant_id, id);
CREATE UNIQUE INDEX contacts_tenant_id ON contacts (tenant_id, id);
CREATE UNIQUE INDEX attachments_tenant_id ON attachments (tenant_id, id);

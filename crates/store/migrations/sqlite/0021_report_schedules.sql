-- Reports a manager chooses to receive by mail (issue 21): a grouping and how often; the
-- period last sent makes each one go exactly once, whichever runner gets there first.
CREATE TABLE report_schedules (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    group_by TEXT NOT NULL,
    frequency TEXT NOT NULL,
    last_period TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, group_by, frequency)
);
CREATE INDEX report_schedules_tenant ON report_schedules (tenant_id);

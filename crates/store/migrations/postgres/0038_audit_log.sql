-- The audit trail of admin and security actions (issue 24): who, when, from where, what
-- (the request as kept, secrets removed) and how it ended. Append-only: the database itself
-- refuses to change an entry; entries go only when the tenant's retention (at least 30 days)
-- has passed, removed by the nightly job.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    tenant_id TEXT REFERENCES tenants (id),
    at BIGINT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    address TEXT NOT NULL,
    action TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status BIGINT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at);
ALTER TABLE tenants ADD COLUMN audit_retention_days BIGINT;
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

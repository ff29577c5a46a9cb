-- Tickets migrated from another system (issue 23): the old system's id of each, so that a
-- line imported before is skipped when a file is sent again.
CREATE TABLE ticket_imports (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    external_id TEXT NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, external_id)
);
CREATE INDEX ticket_imports_ticket ON ticket_imports (ticket_id);

-- Each ticket's KPI facts (core::kpi::Facts as JSON), folded from its events and rewritten in
-- the same transaction as every event of the ticket. `mark` orders the changes for servers
-- that keep the KPI book in memory: on SQLite a per-tenant counter (one writer commits in
-- mark order), on PostgreSQL the writing transaction's id (read up to the oldest running one).
CREATE TABLE ticket_facts (
    tenant_id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    mark BIGINT NOT NULL,
    facts TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ticket_id)
) WITHOUT ROWID;
CREATE INDEX ticket_facts_mark ON ticket_facts (tenant_id, mark);

-- A ticket's maintenance due date (PM compliance) is looked up by ticket.
CREATE INDEX maintenance_visits_ticket ON maintenance_visits (tenant_id, ticket_id);

-- The closure-rate target of the dashboard's region heat map, in per mille.
ALTER TABLE tenants ADD COLUMN closure_target_permille BIGINT NOT NULL DEFAULT 900;

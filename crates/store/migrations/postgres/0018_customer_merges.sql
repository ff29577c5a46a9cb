-- Duplicate customers are merged from the customer's card (issue 21): the duplicate's rows
-- move to the survivor and the duplicate is removed; each merge is kept so the survivor's
-- card shows what it absorbed and an old link to the duplicate leads to the survivor.
CREATE TABLE customer_merges (
    merged_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    survivor_id TEXT NOT NULL REFERENCES customers (id),
    merged_name TEXT NOT NULL,
    merged_by TEXT REFERENCES users (id),
    at BIGINT NOT NULL
);
CREATE INDEX customer_merges_survivor ON customer_merges (tenant_id, survivor_id);

-- A duplicate merged into another ticket (issue 20) points at it; the other one lists it.
ALTER TABLE tickets ADD COLUMN merged_into TEXT REFERENCES tickets (id);
CREATE INDEX tickets_merged_into ON tickets (tenant_id, merged_into) WHERE merged_into IS NOT NULL;

-- Triage models (issue 23): one per tenant and target (category, priority, team,
-- sentiment), trained on the tenant's own tickets inside Loopdesk and kept here, so every
-- instance reads the same model. `model` is core's triage::Classifier as bytes; `holdout`
-- the JSON of its held-out check.
CREATE TABLE triage_models (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    target TEXT NOT NULL,
    trained_at BIGINT NOT NULL,
    trained_on BIGINT NOT NULL,
    classes BIGINT NOT NULL,
    holdout TEXT NOT NULL,
    model BLOB NOT NULL,
    PRIMARY KEY (tenant_id, target)
);

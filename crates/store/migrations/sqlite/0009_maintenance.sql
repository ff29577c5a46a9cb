-- Service contracts (维保合同) with the assets they cover, and preventive maintenance plans
-- with every visit they generated: one row per plan, asset and due date (or meter
-- threshold), so each is generated exactly once.
CREATE TABLE contracts (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    name TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    sla_tier TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE contract_assets (
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    asset_id TEXT NOT NULL REFERENCES assets (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    PRIMARY KEY (contract_id, asset_id)
);
CREATE INDEX contract_assets_asset ON contract_assets (tenant_id, asset_id);

CREATE TABLE maintenance_plans (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    asset_id TEXT REFERENCES assets (id),
    contract_id TEXT REFERENCES contracts (id),
    model TEXT,
    every_days BIGINT,
    every_meter BIGINT,
    starts_on TEXT,
    lead_days BIGINT NOT NULL,
    priority BIGINT NOT NULL,
    -- The local date the plan was made: due dates before it are not filled in.
    made_on TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX maintenance_plans_active ON maintenance_plans (active, tenant_id);

-- A meter plan counts from the meter reading it first saw on each asset.
CREATE TABLE maintenance_baselines (
    plan_id TEXT NOT NULL REFERENCES maintenance_plans (id),
    asset_id TEXT NOT NULL REFERENCES assets (id),
    meter BIGINT NOT NULL,
    PRIMARY KEY (plan_id, asset_id)
);

CREATE TABLE maintenance_visits (
    plan_id TEXT NOT NULL REFERENCES maintenance_plans (id),
    asset_id TEXT NOT NULL REFERENCES assets (id),
    due_key TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    due_on TEXT NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (plan_id, asset_id, due_key)
);
CREATE INDEX maintenance_visits_due ON maintenance_visits (tenant_id, due_on);

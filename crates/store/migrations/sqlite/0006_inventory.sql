-- Assets gain a catalogue, a status, free fields and meter readings; spare parts, warehouses
-- and an append-only stock ledger with the levels it sums to; requisitions (申领).

CREATE TABLE product_models (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    product_line TEXT,
    warranty_months BIGINT,
    skill TEXT,
    skill_level BIGINT,
    checklist TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, code)
);

ALTER TABLE assets ADD COLUMN status TEXT NOT NULL DEFAULT 'in_service';
ALTER TABLE assets ADD COLUMN meter BIGINT;
ALTER TABLE assets ADD COLUMN fields TEXT NOT NULL DEFAULT '{}';

CREATE TABLE asset_readings (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    asset_id TEXT NOT NULL REFERENCES assets (id),
    value BIGINT NOT NULL,
    ticket_id TEXT REFERENCES tickets (id),
    recorded_by TEXT REFERENCES users (id),
    at BIGINT NOT NULL
);
CREATE INDEX asset_readings_asset ON asset_readings (tenant_id, asset_id, at);
CREATE INDEX tickets_asset ON tickets (tenant_id, asset_id);

CREATE TABLE parts (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    cost_fen BIGINT,
    price_fen BIGINT,
    models TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, sku)
);

CREATE TABLE warehouses (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region_id TEXT REFERENCES regions (id),
    engineer_id TEXT REFERENCES users (id),
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);
-- One van per engineer.
CREATE UNIQUE INDEX warehouses_van ON warehouses (tenant_id, engineer_id);

-- The ledger: one line per warehouse a movement touches (a transfer writes two).
CREATE TABLE stock_movements (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    part_id TEXT NOT NULL REFERENCES parts (id),
    warehouse_id TEXT NOT NULL REFERENCES warehouses (id),
    on_hand_delta BIGINT NOT NULL,
    reserved_delta BIGINT NOT NULL,
    ticket_id TEXT REFERENCES tickets (id),
    reason TEXT,
    actor_id TEXT REFERENCES users (id),
    at BIGINT NOT NULL
);
CREATE INDEX stock_movements_pair ON stock_movements (tenant_id, warehouse_id, part_id, seq);
CREATE INDEX stock_movements_id ON stock_movements (id);
CREATE INDEX stock_movements_ticket ON stock_movements (tenant_id, ticket_id);
CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only'); END;
CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only'); END;

-- The sums of the ledger per warehouse and part, written in the same transaction as its lines.
CREATE TABLE stock_levels (
    warehouse_id TEXT NOT NULL REFERENCES warehouses (id),
    part_id TEXT NOT NULL REFERENCES parts (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    on_hand BIGINT NOT NULL,
    reserved BIGINT NOT NULL,
    PRIMARY KEY (warehouse_id, part_id)
);
CREATE INDEX stock_levels_part ON stock_levels (tenant_id, part_id);

-- What each ticket holds reserved in each warehouse (also a sum of the ledger).
CREATE TABLE stock_reservations (
    warehouse_id TEXT NOT NULL REFERENCES warehouses (id),
    part_id TEXT NOT NULL REFERENCES parts (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    qty BIGINT NOT NULL,
    PRIMARY KEY (warehouse_id, part_id, ticket_id)
);

CREATE TABLE stock_thresholds (
    warehouse_id TEXT NOT NULL REFERENCES warehouses (id),
    part_id TEXT NOT NULL REFERENCES parts (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    min_available BIGINT NOT NULL,
    PRIMARY KEY (warehouse_id, part_id)
);

CREATE TABLE requisitions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    requested_by TEXT REFERENCES users (id),
    van_id TEXT REFERENCES warehouses (id),
    status TEXT NOT NULL,
    value_fen BIGINT,
    note TEXT,
    decided_by TEXT REFERENCES users (id),
    decided_at BIGINT,
    decision_note TEXT,
    received_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX requisitions_status ON requisitions (tenant_id, status, created_at);
CREATE INDEX requisitions_ticket ON requisitions (tenant_id, ticket_id);

CREATE TABLE requisition_items (
    requisition_id TEXT NOT NULL REFERENCES requisitions (id),
    line BIGINT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    part_id TEXT NOT NULL REFERENCES parts (id),
    qty BIGINT NOT NULL,
    source_id TEXT REFERENCES warehouses (id),
    PRIMARY KEY (requisition_id, line)
);

-- Requisitions worth less than this (in fen) are approved without a supervisor.
ALTER TABLE tenants ADD COLUMN requisition_auto_approve_fen BIGINT;

-- Levels carry their part's SKU (SKUs never change), so a warehouse's stock is read in SKU
-- order from an index, and one part's stock across warehouses likewise, without a join.
ALTER TABLE stock_levels ADD COLUMN sku TEXT NOT NULL DEFAULT '';
UPDATE stock_levels SET sku = (SELECT p.sku FROM parts p WHERE p.id = stock_levels.part_id);
DROP INDEX stock_levels_part;
CREATE INDEX stock_levels_warehouse_sku ON stock_levels (tenant_id, warehouse_id, sku);
CREATE INDEX stock_levels_sku ON stock_levels (tenant_id, sku, warehouse_id);
-- The ledger is read by warehouse, newest first, and summed in full to check the levels; an
-- index by warehouse and time keeps its inserts at a few hundred hot spots instead of one
-- per warehouse and part.
DROP INDEX stock_movements_pair;
CREATE INDEX stock_movements_warehouse ON stock_movements (tenant_id, warehouse_id, seq);

-- Erasing a whole tenant (issue 24, `loopdesk tenant delete`): the append-only ledgers still
-- refuse every change, except the delete of rows of a tenant marked as being erased (which
-- happens in the same transaction as the delete).
ALTER TABLE tenants ADD COLUMN erasing_at BIGINT;
DROP TRIGGER ticket_events_no_delete;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
WHEN NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = OLD.tenant_id AND t.erasing_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
DROP TRIGGER stock_movements_no_delete;
CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements
WHEN NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = OLD.tenant_id AND t.erasing_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only'); END;

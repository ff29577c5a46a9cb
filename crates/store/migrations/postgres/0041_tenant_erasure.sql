-- Erasing a whole tenant (issue 24, `loopdesk tenant delete`): the append-only ledgers still
-- refuse every change, except the delete of rows of a tenant marked as being erased (which
-- happens in the same transaction as the delete).
ALTER TABLE tenants ADD COLUMN erasing_at BIGINT;
CREATE OR REPLACE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS
        (SELECT 1 FROM tenants t WHERE t.id = OLD.tenant_id AND t.erasing_at IS NOT NULL) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'ticket_events is append-only';
END $$;
CREATE OR REPLACE FUNCTION stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS
        (SELECT 1 FROM tenants t WHERE t.id = OLD.tenant_id AND t.erasing_at IS NOT NULL) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'stock_movements is append-only';
END $$;

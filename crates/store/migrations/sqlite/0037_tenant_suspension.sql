-- A platform operator suspends a tenant (`loopdesk tenant suspend`): nobody of it signs in and
-- its sessions are revoked until it is resumed; its data stays as it is.
ALTER TABLE tenants ADD COLUMN suspended_at BIGINT;

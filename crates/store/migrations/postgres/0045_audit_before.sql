-- The audit trail keeps what a changed thing was before the change (issue 24): the answer
-- the same address gave to a read just before the write (secrets masked), where it has one.
ALTER TABLE audit_log ADD COLUMN before_state TEXT;

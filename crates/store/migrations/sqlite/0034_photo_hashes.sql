-- Report screening (issue 23): each uploaded picture's difference hash, so that a report
-- whose before and after photos are one picture, or whose photo another ticket has, is held
-- for review. Looked up by value across the tenant's tickets.
ALTER TABLE attachments ADD COLUMN phash BIGINT;
CREATE INDEX attachments_phash ON attachments (tenant_id, phash) WHERE phash IS NOT NULL;

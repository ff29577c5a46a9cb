-- Report screening (issue 23): how long a signature was drawn (measured by the page), each
-- report's labour and its ticket's category at the time (the category's labour norm is read
-- from its newest reports by key), and the flags a tenant makes blocking (NULL: the default
-- set, core's `Blocking::default`). A report keeps what screening found in it, with the
-- figures (the reviewer reads why).
ALTER TABLE attachments ADD COLUMN drawn_ms BIGINT;
ALTER TABLE work_reports ADD COLUMN labour_minutes BIGINT;
ALTER TABLE work_reports ADD COLUMN category TEXT;
ALTER TABLE work_reports ADD COLUMN findings TEXT;
UPDATE work_reports SET
    labour_minutes = CAST(json_extract(body, '$.labour_minutes') AS INTEGER),
    category = (SELECT t.category FROM tickets t WHERE t.id = work_reports.ticket_id);
CREATE INDEX work_reports_labour ON work_reports (tenant_id, category, submitted_at)
    WHERE labour_minutes IS NOT NULL;
ALTER TABLE tenants ADD COLUMN screening_blocking TEXT;

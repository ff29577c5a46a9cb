-- The last week whose KPI report went out (`2026-W47`): the report goes once per week even
-- when finished jobs have long been cleaned up.
ALTER TABLE tenants ADD COLUMN kpi_report_week TEXT;

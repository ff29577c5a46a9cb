-- The morning alert of recurring problems (issue 23): the last day it was sent, so that it
-- goes once a day whichever job runner gets there first.
ALTER TABLE tenants ADD COLUMN problems_alert_day TEXT;

-- Regions get an outline (issue 21): a GeoJSON MultiPolygon drawn or imported by an admin,
-- for the dashboard's and dispatch board's maps and for placing a site in its region.
ALTER TABLE regions ADD COLUMN shape TEXT;

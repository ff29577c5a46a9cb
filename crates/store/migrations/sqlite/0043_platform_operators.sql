-- Platform operators (issue 24): the few users, of any tenant, who may create, suspend,
-- export and erase tenants over the API. None by default; only `loopdesk tenant operator`
-- (someone with the database) names them.
ALTER TABLE users ADD COLUMN platform_operator BIGINT NOT NULL DEFAULT 0;

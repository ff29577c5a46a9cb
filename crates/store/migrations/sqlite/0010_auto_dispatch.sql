-- How the tenant dispatches (`off`, `propose`, `auto`) and how long an engineer has to accept.
ALTER TABLE tenants ADD COLUMN dispatch_mode TEXT NOT NULL DEFAULT 'propose';
ALTER TABLE tenants ADD COLUMN accept_minutes BIGINT NOT NULL DEFAULT 15;

-- Several instances on one database (issue 24).
--
-- Every instance hears what changed, whichever instance (or tool) changed it: a tenant's
-- tickets or calls (its live pages look again) and a user's sign-ins (a revoked token stops
-- working on every instance at once). PostgreSQL sends a notification once per transaction
-- for the same channel and payload, so a write of many rows tells each tenant once.
CREATE FUNCTION loopdesk_tenant_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('loopdesk_changes', NEW.tenant_id);
    RETURN NULL;
END $$;

CREATE TRIGGER tickets_tell AFTER INSERT OR UPDATE ON tickets
    FOR EACH ROW EXECUTE FUNCTION loopdesk_tenant_changed();
CREATE TRIGGER calls_tell AFTER INSERT OR UPDATE ON calls
    FOR EACH ROW EXECUTE FUNCTION loopdesk_tenant_changed();

CREATE FUNCTION loopdesk_token_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('loopdesk_sessions', NEW.user_id);
    RETURN NULL;
END $$;

CREATE TRIGGER api_tokens_tell AFTER UPDATE OF revoked_at ON api_tokens
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION loopdesk_token_revoked();

CREATE FUNCTION loopdesk_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('loopdesk_sessions', NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER users_tell AFTER UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION loopdesk_user_changed();

-- Uploaded files every instance can read: in parts of at most 1 MiB, so a download streams
-- part by part instead of holding the whole file. The key is `tenant/attachment` (and derived
-- files beside it, such as `….thumb.jpg`).
CREATE TABLE blob_parts (
    key TEXT NOT NULL,
    part BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (key, part)
);

-- The sign-in guard's counts, shared by every instance (a guesser spread over instances by
-- the load balancer meets one limit): failures per account and per client address, and the
-- raw attempts per address and account in the current minute.
CREATE TABLE sign_in_tallies (
    subject TEXT NOT NULL,
    key TEXT NOT NULL,
    failures BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    blocked_until BIGINT,
    refused BIGINT NOT NULL,
    alerted BIGINT NOT NULL,
    rev BIGINT NOT NULL,
    PRIMARY KEY (subject, key)
);

CREATE TABLE sign_in_attempts (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    attempts BIGINT NOT NULL
);

-- Uploaded files in the database (issue 24), for an install that chooses it: in parts of at
-- most 1 MiB, so a download streams part by part. SQLite installs keep files in a directory
-- by default; PostgreSQL installs here, where every instance reads them.
CREATE TABLE blob_parts (
    key TEXT NOT NULL,
    part INTEGER NOT NULL,
    bytes BLOB NOT NULL,
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

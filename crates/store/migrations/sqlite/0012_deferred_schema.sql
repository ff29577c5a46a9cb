-- Indexes (and, on PostgreSQL, foreign keys) that a bulk history import into an empty database
-- drops while it loads and builds after: one sorted build instead of millions of inserts at
-- random places. `sql` is the next statement to run, `then_sql` the one after it (a foreign
-- key's validation); `checks` is 1 when `sql` is such a check, whose failure leaves the key
-- unvalidated rather than stopping the build. The next start finishes whatever an import that
-- never ended left here.
CREATE TABLE deferred_schema (
    name TEXT PRIMARY KEY,
    sql TEXT NOT NULL,
    then_sql TEXT,
    checks BIGINT NOT NULL DEFAULT 0
);

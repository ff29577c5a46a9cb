-- Secondary indexes that a bulk history import into an empty database drops while it loads and
-- builds after (one sorted build instead of millions of inserts at random places). The next
-- start builds whatever an import that never finished left here.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    sql TEXT NOT NULL
);

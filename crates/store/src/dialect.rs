//! Where SQLite and PostgreSQL differ, in one place.

use crate::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The connection pools a store opens.
pub(crate) enum Pools {
    /// One writer connection with settings of its own, and `readers` readers: SQLite's single
    /// writer never waits on the file lock, and WAL readers read beside it.
    Separate {
        /// Settings for the writer's connection only.
        writer_settings: &'static str,
        /// Settings for the readers' connections only.
        reader_settings: &'static str,
        /// Reader connections.
        readers: u32,
    },
    /// One pool for reads and writes, of this size: PostgreSQL.
    Shared(u32),
}

/// How the KPI book follows the marks of `ticket_facts` (see `facts_mark`).
pub(crate) struct MarkReading {
    /// Run first in the reading transaction.
    pub prepare: Option<&'static str>,
    /// The mark below which every writer had finished when the read began; the book reads
    /// from there again next time. `None`: the highest mark read is where to go on from.
    pub horizon: Option<&'static str>,
    /// Rows at the mark the book went on from are read again (`>=`), not passed over (`>`).
    pub inclusive: bool,
}

/// The database behind a [`crate::Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (the default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The backend a connection URL names.
    pub fn of_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Database(sqlx::Error::Configuration(
                format!("unsupported database URL (use sqlite:// or postgres://): {url}").into(),
            )))
        }
    }

    /// The backend of an open connection (or a transaction on one).
    pub(crate) fn of_connection(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }

    /// The mark of a change to `ticket_facts` made in the current transaction (`$1`: the
    /// tenant): on SQLite one more than the tenant's highest, since its one writer commits in
    /// that order; on PostgreSQL the transaction's id, which a reader orders against its
    /// snapshot's horizon (see `kpi_book`). Both take the tenant, so one call serves both.
    pub(crate) fn facts_mark(self) -> &'static str {
        match self {
            Backend::Sqlite => {
                "SELECT COALESCE(MAX(mark), 0) + 1 FROM ticket_facts WHERE tenant_id = $1"
            }
            Backend::Postgres => {
                "SELECT pg_current_xact_id()::text::bigint WHERE $1::text IS NOT NULL"
            }
        }
    }

    /// The migrations of this backend.
    pub(crate) fn migrator(self) -> &'static sqlx::migrate::Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// The pools a store opens with at most `max` connections.
    pub(crate) fn pools(self, max: u32) -> Pools {
        match self {
            Backend::Sqlite => {
                // sqlx runs each SQLite connection on a thread of its own with its own page
                // cache; more readers than twice the cores only cost memory.
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
                Pools::Separate {
                    writer_settings: SQLITE_WRITER_CACHE,
                    reader_settings: SQLITE_READER_MAP,
                    readers: max.clamp(1, 2 * cores),
                }
            }
            Backend::Postgres => Pools::Shared(max.max(2)),
        }
    }

    /// How the KPI book reads the facts changed since it last looked. On SQLite the one
    /// writer commits marks in order, so the highest mark read is where to go on from. On
    /// PostgreSQL a mark is a transaction id and transactions commit out of order: the book
    /// goes on from the oldest transaction still running when it read (its snapshot's
    /// horizon), reading the rows at that mark again. The sessions plan generically (see
    /// `session_settings`); planned for the mark at hand, the read is an index range of a few
    /// rows, generically a scan of every ticket (measured: 4 s a call at a million tickets).
    pub(crate) fn mark_reading(self) -> MarkReading {
        match self {
            Backend::Sqlite => MarkReading {
                prepare: None,
                horizon: None,
                inclusive: false,
            },
            Backend::Postgres => MarkReading {
                prepare: Some("SET LOCAL plan_cache_mode = force_custom_plan"),
                horizon: Some("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"),
                inclusive: true,
            },
        }
    }

    /// Whether the `$n` placeholders of a built statement are rewritten as `?` (SQLite, for
    /// statements with thousands of them).
    pub(crate) fn positional_placeholders(self) -> bool {
        self == Backend::Sqlite
    }

    /// Row lock for a read that precedes a write in the same transaction. SQLite needs
    /// none: its single writer connection serialises write transactions.
    pub fn for_update(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// After a rebuild has replaced every document: merges the full-text index into one segment,
    /// dropping the old copies a replace leaves behind until a merge (`None`: nothing to do).
    pub(crate) fn search_optimize(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => Some("INSERT INTO search_fts (search_fts) VALUES ('optimize')"),
            Backend::Postgres => None,
        }
    }

    /// Statements run on every new connection.
    pub fn session_settings(self) -> &'static str {
        match self {
            Backend::Sqlite => SQLITE_PRAGMAS,
            // Every Loopdesk query is a short, indexed lookup. Measured on the read path: JIT
            // compilation halved throughput, and re-planning a custom plan at every bind of a
            // prepared statement cost 5-10x its execution. A generic plan serves these queries
            // equally well; a future analytic query can `SET LOCAL plan_cache_mode` back.
            // Durability stays on: an acknowledged write is on disk.
            Backend::Postgres => {
                "SET jit = off; SET plan_cache_mode = force_generic_plan; SET synchronous_commit = on;"
            }
        }
    }

    /// A scalar subquery giving, as JSON text, the events of the ticket `t` in the outer query,
    /// oldest first, with their actor's name; internal events only when `internal`. Reading a
    /// ticket and its timeline is then one statement: the read path's cost is round trips.
    pub fn ticket_events_json(self, internal: bool) -> String {
        let only_public = if internal { "" } else { " AND e.internal = 0" };
        match self {
            Backend::Sqlite => format!(
                "(SELECT json_group_array(json_object('id', e.id, 'kind', e.kind, \
                 'actor_id', e.actor_id, 'actor_name', u.display_name, 'at', e.at, \
                 'from_status', e.from_status, 'to_status', e.to_status, 'internal', e.internal, \
                 'data', json(e.data)) ORDER BY e.id) \
                 FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id \
                 WHERE e.tenant_id = t.tenant_id AND e.ticket_id = t.id{only_public})"
            ),
            Backend::Postgres => format!(
                "(SELECT coalesce(json_agg(json_build_object('id', e.id, 'kind', e.kind, \
                 'actor_id', e.actor_id, 'actor_name', u.display_name, 'at', e.at, \
                 'from_status', e.from_status, 'to_status', e.to_status, 'internal', e.internal, \
                 'data', e.data::json) ORDER BY e.id), '[]')::text \
                 FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id \
                 WHERE e.tenant_id = t.tenant_id AND e.ticket_id = t.id{only_public})"
            ),
        }
    }

    /// Lets concurrent job runners pass over rows another one is claiming. SQLite's single
    /// writer serialises claims already.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// What a bulk import into an empty database may drop and build after the load, as
    /// `(name, drop, build, then)` statements: the non-unique indexes of the tables a history
    /// import fills, and on PostgreSQL their foreign keys, built back `NOT VALID` and then
    /// validated in one pass (PostgreSQL checks a foreign key row by row with a query of its
    /// own: three fifths of an import's time). SQLite cannot drop a constraint; an import
    /// batch switches its checks off for itself instead ([`Backend::row_key_checks`]).
    pub(crate) fn deferrable_schema(self) -> &'static str {
        match self {
            Backend::Sqlite => {
                "SELECT name, 'DROP INDEX \"' || replace(name, '\"', '\"\"') || '\"', sql, \
                 CAST(NULL AS TEXT) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND sql NOT LIKE 'CREATE UNIQUE%' \
                 AND tbl_name IN ('tickets', 'ticket_events', 'ticket_assignments', 'ticket_facts')"
            }
            Backend::Postgres => {
                "SELECT indexname::text, format('DROP INDEX %I', indexname), indexdef::text, \
                 NULL::text FROM pg_indexes \
                 WHERE schemaname = current_schema() AND indexdef NOT LIKE 'CREATE UNIQUE%' \
                 AND tablename IN ('tickets', 'ticket_events', 'ticket_assignments', 'ticket_facts') \
                 UNION ALL \
                 SELECT c.conname::text, \
                 format('ALTER TABLE %I DROP CONSTRAINT %I', r.relname, c.conname), \
                 format('ALTER TABLE %I ADD CONSTRAINT %I %s NOT VALID', r.relname, c.conname, \
                        pg_get_constraintdef(c.oid)), \
                 format('ALTER TABLE %I VALIDATE CONSTRAINT %I', r.relname, c.conname) \
                 FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid \
                 JOIN pg_namespace n ON n.oid = c.connamespace \
                 WHERE c.contype = 'f' AND n.nspname = current_schema() \
                 AND r.relname IN ('tickets', 'ticket_events', 'ticket_assignments', 'ticket_facts')"
            }
        }
    }

    /// The writer's settings while a history import runs (`on`) and after it.
    ///
    /// History arrives in no particular order, so its index inserts land anywhere: SQLite's
    /// one writer gets a 1 GiB page cache while it imports — the indexes a year of tickets
    /// touches at random — and the usual one after. The WAL is also copied into the database
    /// less often (every 256 MiB rather than every 4): the same index pages change in every
    /// batch, and each copy wrote them again — the import was waiting on the disk a quarter
    /// of its time.
    pub(crate) fn import_settings(self, on: bool) -> &'static [&'static str] {
        match (self, on) {
            (Backend::Sqlite, true) => &[
                "PRAGMA cache_size = -1048576",
                "PRAGMA wal_autocheckpoint = 65536",
                "PRAGMA mmap_size = 4294967296",
            ],
            (Backend::Sqlite, false) => &[
                SQLITE_WRITER_CACHE,
                "PRAGMA wal_autocheckpoint = 1000",
                "PRAGMA mmap_size = 0",
                "PRAGMA wal_checkpoint(PASSIVE)",
            ],
            (Backend::Postgres, _) => &[],
        }
    }

    /// Turns the connection's row-by-row foreign-key checks on or off, where that is a
    /// connection setting. SQLite looks up each key of each row on its own: 9 million events
    /// of 3 keys each for a year of history, a third of an import batch's time. An import
    /// batch checks everything it names at once instead (and PostgreSQL's keys are deferred
    /// for a bulk import, see [`Backend::deferrable_schema`]).
    pub(crate) fn row_key_checks(self, on: bool) -> Option<&'static str> {
        match (self, on) {
            (Backend::Sqlite, true) => Some("PRAGMA foreign_keys = ON"),
            (Backend::Sqlite, false) => Some("PRAGMA foreign_keys = OFF"),
            (Backend::Postgres, _) => None,
        }
    }

    /// Counts the tables named `$1` (0 or 1).
    pub(crate) fn table_count(self) -> &'static str {
        match self {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() \
                 AND tablename = $1"
            }
        }
    }

    /// Settings for a transaction that builds an index or checks a foreign key.
    ///
    /// PostgreSQL sorts in `maintenance_work_mem`, 64 MiB by default: a year of events spills
    /// to disk with that.
    ///
    /// SQLite sorts in one run as large as the page cache, on one thread: the import's 1 GiB
    /// cache made one sort of a year of events. With a small cache and helper threads it
    /// sorts runs of 32 MiB on every core and merges them (measured on a million tickets'
    /// events: 8.0 s instead of 14.2 s for the `(tenant_id, at)` index, on two cores).
    pub(crate) fn schema_build_settings(self) -> String {
        match self {
            Backend::Sqlite => {
                // SQLite's own ceiling for helper threads is 8.
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
                format!("PRAGMA threads = {cores}; PRAGMA cache_size = -32768")
            }
            Backend::Postgres => "SET LOCAL maintenance_work_mem = '512MB'".into(),
        }
    }

    /// What puts the connection back after [`Backend::schema_build_settings`]
    /// (PostgreSQL's `SET LOCAL` ends with its transaction).
    pub(crate) fn schema_build_reset(self) -> Option<String> {
        match self {
            Backend::Sqlite => Some(format!("PRAGMA threads = 0; {SQLITE_WRITER_CACHE}")),
            Backend::Postgres => None,
        }
    }

    /// Case-insensitive LIKE; its pattern comes from [`contains_pattern`] and is followed by
    /// [`LIKE_ESCAPE`].
    pub fn ilike(self) -> &'static str {
        match self {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        }
    }
}

/// Set on every SQLite connection: WAL for concurrent readers, FULL sync so an acknowledged
/// write survives a power cut, foreign keys on, and a wait instead of an error when busy.
pub const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// The one SQLite writer's page cache (readers keep SQLite's 2 MiB each and lean on the
/// kernel's cache): index inserts into a large table land anywhere, and with 2 MiB nearly
/// each one is a trip to the kernel. The cache only grows as far as it is used.
pub const SQLITE_WRITER_CACHE: &str = "PRAGMA cache_size = -16384";

/// The readers read the database file through a memory map (up to 4 GiB of address space,
/// not memory): a page the kernel holds costs a pointer, not a system call and a copy into
/// each reader's 2 MiB cache. Measured on search at a million tickets, where a ranked query
/// touches thousands of pages (see BENCHMARKS.md).
pub const SQLITE_READER_MAP: &str = "PRAGMA mmap_size = 4294967296";

/// Follows a `LIKE` pattern made by [`contains_pattern`]: the backslash escapes.
pub const LIKE_ESCAPE: &str = " ESCAPE '\\'";

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` in it as plain characters
/// (a search for `%` finds a literal percent sign, not everything).
pub fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

//! The state database's schema, one SQL script per version. A version is never edited once
//! released: changes go into a new script (see `migrate`).

/// Version 1: runs, their planned operations, operation attempts and published outputs.
pub const V1: &str = "
CREATE TABLE runs (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    target      TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    finished_at TEXT,
    outcome     TEXT,
    duration_ms INTEGER,
    throttle    INTEGER NOT NULL,
    pid         INTEGER NOT NULL
);
CREATE TABLE run_operations (
    run_id    TEXT    NOT NULL REFERENCES runs(id),
    position  INTEGER NOT NULL,
    module    TEXT    NOT NULL,
    operation TEXT    NOT NULL,
    PRIMARY KEY (run_id, position)
);
CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      TEXT    NOT NULL REFERENCES runs(id),
    module      TEXT    NOT NULL,
    operation   TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    started_at  TEXT,
    finished_at TEXT,
    duration_ms INTEGER,
    exit_code   INTEGER,
    pid         INTEGER,
    log_path    TEXT,
    error_class TEXT,
    error       TEXT,
    UNIQUE (run_id, operation, attempt)
);
CREATE INDEX attempts_by_operation ON attempts(operation, id);
CREATE TABLE outputs (
    operation    TEXT NOT NULL,
    name         TEXT NOT NULL,
    value        TEXT NOT NULL,
    module       TEXT NOT NULL,
    run_id       TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (operation, name)
);
";

/// Version 2: destructions. A deployment is destroyed by a completed `destroy` run; runs
/// before it (lower `seq`) belong to what was destroyed and no longer count as done.
pub const V2: &str = "
CREATE TABLE destructions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id       TEXT    NOT NULL REFERENCES runs(id),
    run_seq      INTEGER NOT NULL,
    destroyed_at TEXT    NOT NULL
);
";

/// Version 3: process groups of attempts a dead engine left running, kept until each group is
/// proven gone, so that no later run starts an operation while its previous attempt still runs.
pub const V3: &str = "
CREATE TABLE orphans (
    attempt_id INTEGER PRIMARY KEY REFERENCES attempts(id),
    operation  TEXT    NOT NULL,
    pid        INTEGER NOT NULL
);
";

/// Version 4: how many events of a run could not be written to the JSONL event log (a full
/// disk), so that a log with gaps is known to be incomplete.
pub const V4: &str = "
ALTER TABLE runs ADD COLUMN events_lost INTEGER NOT NULL DEFAULT 0;
";

/// Version 5: what each attempt ran, as a fingerprint (JSON of keyed hashes), and which of its
/// inputs had changed when it ran again (a JSON list of names). Attempts recorded before have
/// no fingerprint: they count as up to date, and the first fingerprint seen is adopted.
pub const V5: &str = "
ALTER TABLE attempts ADD COLUMN fingerprint TEXT;
ALTER TABLE attempts ADD COLUMN changed TEXT;
";

/// Every schema script in order; the schema version of a database is the number applied.
pub const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// The schema version this build writes.
pub fn current_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

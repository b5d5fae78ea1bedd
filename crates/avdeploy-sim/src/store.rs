//! The simulated subscription on disk: one SQLite database (WAL, immediate transactions) that many
//! concurrent `az` processes share safely.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use crate::error::SimError;

/// The database file inside the simulator directory.
pub const DB_FILE: &str = "sim.db";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS resources (
    key TEXT PRIMARY KEY, family TEXT NOT NULL, rg TEXT NOT NULL, parent TEXT NOT NULL,
    name TEXT NOT NULL, body TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS busy (key TEXT PRIMARY KEY, holder TEXT NOT NULL, until_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY CHECK (id = 1), tokens REAL NOT NULL, at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
";

const BUSY_TIMEOUT: Duration = Duration::from_secs(60);
const OPEN_TIMEOUT: Duration = Duration::from_secs(60);

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A stored resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Unique, case-insensitive key (see `Address::key` in the `resource` module).
    pub key: String,
    /// The command path of its family (`network vnet subnet`).
    pub family: String,
    /// Resource group, lower-case ("" for subscription-level objects).
    pub rg: String,
    /// Ancestor names joined with `/`, lower-case.
    pub parent: String,
    /// Its own name as given.
    pub name: String,
    /// The JSON Azure returns for it.
    pub body: Value,
}

/// An operation in progress that blocks overlapping ones.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Busy {
    /// What is busy (`vm:<rg>/<name>`, `vnet:<rg>/<name>`).
    pub key: String,
    /// Who holds it (process id and command).
    pub holder: String,
    /// When it ends, in Unix milliseconds.
    pub until_ms: i64,
}

/// A connection to the simulator's database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, SimError> {
        std::fs::create_dir_all(dir).map_err(|source| SimError::Dir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let deadline = Instant::now() + OPEN_TIMEOUT;
        let mut attempt: u64 = 0;
        loop {
            match Self::try_open(&path) {
                Ok(store) => return Ok(store),
                // Setting up a new database (journal mode, schema) can report "locked" at once
                // to concurrent openers instead of waiting for the busy handler.
                Err(error) if is_busy(&error) && Instant::now() < deadline => {
                    attempt += 1;
                    let jitter = u64::from(std::process::id()) % 7;
                    std::thread::sleep(Duration::from_millis(5 * attempt.min(20) + jitter));
                }
                Err(source) => return Err(SimError::Store { path, source }),
            }
        }
    }

    fn try_open(path: &Path) -> rusqlite::Result<Self> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.pragma_update(None, "journal_mode", "WAL")?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        tx.commit()?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn immediate<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, SimError> {
        let path = self.path.clone();
        let fail = |source| SimError::Store { path, source };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail.clone())?;
        let value = f(&tx).map_err(fail.clone())?;
        tx.commit().map_err(fail)?;
        Ok(value)
    }

    /// The resource stored under `key`.
    pub fn get(&mut self, key: &str) -> Result<Option<Record>, SimError> {
        let row = self.immediate(|tx| {
            tx.query_row(
                "SELECT key, family, rg, parent, name, body FROM resources WHERE key = ?1",
                [key],
                raw_record,
            )
            .optional()
        })?;
        row.map(parse_record).transpose()
    }

    /// Stores `record`, replacing one with the same key but keeping its place in lists.
    pub fn put(&mut self, record: &Record) -> Result<(), SimError> {
        let body = record.body.to_string();
        self.immediate(|tx| {
            tx.execute(
                "INSERT INTO resources (key, family, rg, parent, name, body, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT COALESCE(MAX(seq), 0) + 1 FROM resources))
                 ON CONFLICT(key) DO UPDATE SET body = excluded.body",
                params![
                    record.key,
                    record.family,
                    record.rg,
                    record.parent,
                    record.name,
                    body
                ],
            )
        })?;
        Ok(())
    }

    /// Deletes the resource under `key`; whether it existed.
    pub fn delete(&mut self, key: &str) -> Result<bool, SimError> {
        let n = self.immediate(|tx| tx.execute("DELETE FROM resources WHERE key = ?1", [key]))?;
        Ok(n > 0)
    }

    /// Deletes every resource in resource group `rg` (lower-case), as deleting the group does.
    pub fn delete_group_contents(&mut self, rg: &str) -> Result<usize, SimError> {
        self.immediate(|tx| tx.execute("DELETE FROM resources WHERE rg = ?1", [rg]))
    }

    /// Resources of `family`, optionally in one resource group and under one parent, in creation
    /// order.
    pub fn list(
        &mut self,
        family: &str,
        rg: Option<&str>,
        parent: Option<&str>,
    ) -> Result<Vec<Record>, SimError> {
        let rows = self.immediate(|tx| {
            let mut stmt = tx.prepare(
                "SELECT key, family, rg, parent, name, body FROM resources
                 WHERE family = ?1 AND (?2 IS NULL OR rg = ?2) AND (?3 IS NULL OR parent = ?3)
                 ORDER BY seq",
            )?;
            stmt.query_map(params![family, rg, parent], raw_record)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter().map(parse_record).collect()
    }

    /// The resource whose ARM `id` is `id` (case-insensitive, as Azure compares ids).
    pub fn find_id(&mut self, id: &str) -> Result<Option<Record>, SimError> {
        let row = self.immediate(|tx| {
            tx.query_row(
                "SELECT key, family, rg, parent, name, body FROM resources
                 WHERE lower(json_extract(body, '$.id')) = lower(?1) ORDER BY seq LIMIT 1",
                [id.trim_end_matches('/')],
                raw_record,
            )
            .optional()
        })?;
        row.map(parse_record).transpose()
    }

    /// Every stored resource, in creation order.
    pub fn all(&mut self) -> Result<Vec<Record>, SimError> {
        let rows = self.immediate(|tx| {
            let mut stmt = tx.prepare(
                "SELECT key, family, rg, parent, name, body FROM resources ORDER BY seq",
            )?;
            stmt.query_map([], raw_record)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter().map(parse_record).collect()
    }

    /// Marks `key` busy until `until_ms` unless another holder has it busy now; returns the
    /// current holder when refused.
    pub fn claim(&mut self, busy: &Busy, now_ms: i64) -> Result<Option<Busy>, SimError> {
        self.immediate(|tx| {
            tx.execute("DELETE FROM busy WHERE until_ms <= ?1", [now_ms])?;
            let current = tx
                .query_row(
                    "SELECT key, holder, until_ms FROM busy WHERE key = ?1",
                    [&busy.key],
                    |row| {
                        Ok(Busy {
                            key: row.get(0)?,
                            holder: row.get(1)?,
                            until_ms: row.get(2)?,
                        })
                    },
                )
                .optional()?;
            if current.is_none() {
                tx.execute(
                    "INSERT INTO busy (key, holder, until_ms) VALUES (?1, ?2, ?3)",
                    params![busy.key, busy.holder, busy.until_ms],
                )?;
            }
            Ok(current)
        })
    }

    /// Ends `holder`'s hold on `key`.
    pub fn release(&mut self, key: &str, holder: &str) -> Result<(), SimError> {
        self.immediate(|tx| {
            tx.execute(
                "DELETE FROM busy WHERE key = ?1 AND holder = ?2",
                params![key, holder],
            )
        })?;
        Ok(())
    }

    /// Operations still in progress at `now_ms`.
    pub fn busy(&mut self, now_ms: i64) -> Result<Vec<Busy>, SimError> {
        self.immediate(|tx| {
            let mut stmt = tx.prepare(
                "SELECT key, holder, until_ms FROM busy WHERE until_ms > ?1 ORDER BY key",
            )?;
            stmt.query_map([now_ms], |row| {
                Ok(Busy {
                    key: row.get(0)?,
                    holder: row.get(1)?,
                    until_ms: row.get(2)?,
                })
            })?
            .collect()
        })
    }

    /// Runs `update` on the write bucket's (tokens, last refill ms) atomically; `update` returns
    /// the new state and a result.
    pub fn with_bucket<T>(
        &mut self,
        initial: f64,
        update: impl FnOnce(f64, i64) -> (f64, i64, T),
    ) -> Result<T, SimError> {
        self.immediate(|tx| {
            let state: Option<(f64, i64)> = tx
                .query_row("SELECT tokens, at_ms FROM bucket WHERE id = 1", [], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?;
            let (tokens, at_ms) = state.unwrap_or((initial, i64::MIN));
            let (tokens, at_ms, result) = update(tokens, at_ms);
            tx.execute(
                "INSERT INTO bucket (id, tokens, at_ms) VALUES (1, ?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET tokens = excluded.tokens, at_ms = excluded.at_ms",
                params![tokens, at_ms],
            )?;
            Ok(result)
        })
    }

    /// Increments the counter `name` and returns its new value (1 the first time).
    pub fn bump(&mut self, name: &str) -> Result<i64, SimError> {
        self.immediate(|tx| {
            tx.query_row(
                "INSERT INTO counters (name, value) VALUES (?1, 1)
                 ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
                [name],
                |row| row.get(0),
            )
        })
    }

    /// Forgets everything: resources, operations in progress, bucket and counters.
    pub fn reset(&mut self) -> Result<(), SimError> {
        self.immediate(|tx| {
            tx.execute_batch(
                "DELETE FROM resources; DELETE FROM busy; DELETE FROM bucket; DELETE FROM counters;",
            )
        })
    }
}

type RawRecord = (String, String, String, String, String, String);

fn raw_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRecord> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn parse_record((key, family, rg, parent, name, body): RawRecord) -> Result<Record, SimError> {
    let body = serde_json::from_str(&body).map_err(|source| SimError::Corrupt {
        key: key.clone(),
        source,
    })?;
    Ok(Record {
        key,
        family,
        rg,
        parent,
        name,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, family: &str) -> Record {
        Record {
            key: key.into(),
            family: family.into(),
            rg: "rg".into(),
            parent: String::new(),
            name: key.into(),
            body: serde_json::json!({"name": key}),
        }
    }

    #[test]
    fn put_get_list_delete() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.put(&record("a", "vm")).unwrap();
        store.put(&record("b", "vm")).unwrap();
        store.put(&record("a", "vm")).unwrap();
        let names: Vec<String> = store
            .list("vm", Some("rg"), None)
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert!(store.delete("a").unwrap());
        assert!(store.get("a").unwrap().is_none());
        assert!(!store.delete("a").unwrap());
    }

    #[test]
    fn claims_block_others_until_released_or_expired() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let busy = |holder: &str, until_ms| Busy {
            key: "vm:rg/v".into(),
            holder: holder.into(),
            until_ms,
        };
        assert!(store.claim(&busy("p1", 100), 0).unwrap().is_none());
        assert_eq!(
            store.claim(&busy("p2", 200), 50).unwrap().unwrap().holder,
            "p1"
        );
        assert!(store.claim(&busy("p2", 300), 100).unwrap().is_none());
        store.release("vm:rg/v", "p2").unwrap();
        assert!(store.busy(0).unwrap().is_empty());
    }

    #[test]
    fn counters_count_from_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.bump("x").unwrap(), 1);
        assert_eq!(store.bump("x").unwrap(), 2);
        store.reset().unwrap();
        assert_eq!(store.bump("x").unwrap(), 1);
    }
}

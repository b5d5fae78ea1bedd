//! The SQLite state store (`.avdeploy/state.db`, WAL): opening, migrating, and recovering rows
//! left `running` by an engine that died. Reads live in `query`, writes in `recorder`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags};

use crate::base::layout::Layout;
use crate::exec::orphans::LeftRunning;
use crate::state::error::StateError;
use crate::state::lock_file::DeploymentLock;
use crate::state::migrate::{check_not_newer, migrate, schema_version};
use crate::state::schema::current_version;

/// How long a reader waits for the writer's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The file beside the database that keeps space free for the moment the disk fills up.
pub const RESERVE_FILE: &str = "reserve";

/// How much space the reserve keeps: room for the state writes of a few hundred events.
const RESERVE_BYTES: usize = 1 << 20;

/// What an attempt left `running` by a dead engine says as its error.
pub const ENGINE_GONE: &str = "the engine stopped while the operation was running";

/// An open state database.
#[derive(Debug)]
pub struct StateDb {
    pub(crate) conn: Connection,
    path: PathBuf,
    recovered: Vec<LeftRunning>,
    notices: Vec<String>,
    /// The schema version of the file (older than the current one only when read-only).
    pub(crate) version: i64,
}

impl StateDb {
    /// Opens the layout's state database for writing (creating and migrating it), then marks
    /// every attempt still `running` and every unfinished run as `interrupted`: holding `lock`
    /// proves that no engine owns them any more.
    pub fn open(layout: &Layout, lock: &DeploymentLock) -> Result<StateDb, StateError> {
        let _ = lock;
        let state_dir = layout.state_dir();
        std::fs::create_dir_all(&state_dir).map_err(|source| StateError::CreateDir {
            path: state_dir.clone(),
            source,
        })?;
        let path = layout.state_db();
        let notices = fresh_start(&path, layout)?;
        let open_error = |source| StateError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        conn.pragma_update_and_check(None, "journal_mode", "wal", |_| Ok(()))
            .map_err(open_error)?;
        // In WAL mode NORMAL keeps every transaction atomic and survives an engine crash
        // (kill -9); only a power loss may drop the last commits. FULL would fsync each event.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_error)?;
        migrate(&mut conn, &path)?;
        let mut store = StateDb {
            conn,
            path,
            recovered: Vec::new(),
            notices,
            version: current_version(),
        };
        store.recovered = store.recover_interrupted()?;
        store.keep_reserve();
        Ok(store)
    }

    /// Makes sure the reserve file exists, best effort: on a disk already too full for it, the
    /// store works without one.
    fn keep_reserve(&self) {
        let reserve = self.path.with_file_name(RESERVE_FILE);
        if std::fs::metadata(&reserve).is_ok_and(|meta| meta.len() == RESERVE_BYTES as u64) {
            return;
        }
        let temporary = self.path.with_file_name(format!("{RESERVE_FILE}.tmp"));
        let written = std::fs::write(&temporary, vec![0u8; RESERVE_BYTES])
            .and_then(|()| std::fs::rename(&temporary, &reserve));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }

    /// Frees the reserve so that the writes which follow a full disk can still be recorded;
    /// returns whether there was one to free.
    pub(crate) fn release_reserve(&self) -> bool {
        std::fs::remove_file(self.path.with_file_name(RESERVE_FILE)).is_ok()
    }

    /// Opens the state database for reading only, for `status` while a run may be writing.
    /// `None` when the deployment has no state yet. Never modifies the file: an older schema is
    /// read as it is.
    pub fn open_read_only(layout: &Layout) -> Result<Option<StateDb>, StateError> {
        let path = layout.state_db();
        match std::fs::metadata(&path) {
            Ok(meta) if !meta.is_file() => return Err(StateError::NotAFile { path }),
            Ok(meta) if meta.len() > 0 => {}
            _ => return Ok(None),
        }
        let open_error = |source| StateError::Open {
            path: path.clone(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        let found = schema_version(&conn)?;
        check_not_newer(found, &path)?;
        if found == 0 {
            return Ok(None);
        }
        // An older file is read as it is: what later versions added is simply absent from it.
        Ok(Some(StateDb {
            conn,
            path,
            recovered: Vec::new(),
            notices: Vec::new(),
            version: found,
        }))
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What [`StateDb::open`] has to tell about the database it found: a missing or empty one
    /// where earlier runs left traces, and where the old file was kept.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// The attempts [`StateDb::open`] found left `running` by a dead engine.
    pub fn recovered(&self) -> &[LeftRunning] {
        &self.recovered
    }

    /// Turns what a dead engine left behind into `interrupted`, in one transaction, and returns
    /// every process group that may still run an attempt: those it just changed, and those an
    /// earlier open found but never saw end (see [`StateDb::forget_orphans`]).
    fn recover_interrupted(&self) -> Result<Vec<LeftRunning>, StateError> {
        let action = "mark operations left running as interrupted";
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(StateError::sql(action))?;
        tx.execute(
            "INSERT OR IGNORE INTO orphans (attempt_id, operation, pid)
             SELECT id, operation, pid FROM attempts WHERE status = 'running' AND pid IS NOT NULL",
            [],
        )
        .and_then(|_| {
            tx.execute(
                "UPDATE attempts SET status = 'interrupted', error = COALESCE(error, ?1)
                 WHERE status = 'running'",
                [ENGINE_GONE],
            )
        })
        .and_then(|_| {
            tx.execute(
                "UPDATE runs SET outcome = 'interrupted' WHERE outcome IS NULL",
                [],
            )
        })
        .map_err(StateError::sql(action))?;
        let left = {
            let mut statement = tx
                .prepare(
                    "SELECT o.attempt_id, o.operation, o.pid, a.run_id FROM orphans o
                     JOIN attempts a ON a.id = o.attempt_id ORDER BY o.attempt_id",
                )
                .map_err(StateError::sql(action))?;
            let rows = statement
                .query_map([], |row| {
                    Ok(LeftRunning {
                        attempt: row.get(0)?,
                        operation: row.get(1)?,
                        pid: row.get(2)?,
                        run_id: row.get(3)?,
                    })
                })
                .map_err(StateError::sql(action))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(StateError::sql(action))?
        };
        tx.commit().map_err(StateError::sql(action))?;
        Ok(left)
    }

    /// Records that the process groups of `gone` have ended: their attempts are over, and no
    /// later open reports them again.
    pub fn forget_orphans(&mut self, gone: &[LeftRunning]) -> Result<(), StateError> {
        let action = "record that operations left running have ended";
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(StateError::sql(action))?;
        for orphan in gone {
            tx.execute(
                "DELETE FROM orphans WHERE attempt_id = ?1",
                [orphan.attempt],
            )
            .map_err(StateError::sql(action))?;
        }
        tx.commit().map_err(StateError::sql(action))?;
        self.recovered.retain(|left| !gone.contains(left));
        Ok(())
    }
}

/// Checks the database file before it is opened for writing. A folder is an error. An empty
/// file, or a missing one beside a leftover write-ahead log, is set aside (renamed with a
/// timestamp) and state starts from scratch; so does a missing one where earlier runs left
/// event logs. Each case returns a notice, so that a lost state is never silent.
fn fresh_start(path: &Path, layout: &Layout) -> Result<Vec<String>, StateError> {
    let file_error = |action| {
        move |source| StateError::File {
            action,
            path: path.to_owned(),
            source,
        }
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => Some(meta),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(file_error("inspect")(error)),
    };
    let stamp = Utc::now().format("%Y%m%d-%H%M%S");
    let mut notices = Vec::new();
    let mut set_aside = |from: &Path| -> Result<(), StateError> {
        let mut aside = from.as_os_str().to_owned();
        aside.push(format!(".{stamp}.old"));
        std::fs::rename(from, &aside).map_err(file_error("set aside"))?;
        notices.push(format!(
            "[!] kept `{}` aside as `{}`",
            from.display(),
            Path::new(&aside).display()
        ));
        Ok(())
    };
    match meta {
        Some(meta) if !meta.is_file() => Err(StateError::NotAFile {
            path: path.to_owned(),
        }),
        Some(meta) if meta.len() > 0 => Ok(notices),
        Some(_) => {
            set_aside(path)?;
            notices.insert(
                0,
                format!(
                    "[!] state database `{}` was empty: starting from scratch, so every operation counts as never run",
                    path.display()
                ),
            );
            Ok(notices)
        }
        None => {
            let wal = beside(path, "-wal");
            let traces = wal.exists() || earlier_event_logs(layout);
            if wal.exists() {
                set_aside(&wal)?;
            }
            let shm = beside(path, "-shm");
            if shm.exists() {
                let _ = std::fs::remove_file(&shm);
            }
            if traces {
                notices.insert(
                    0,
                    format!(
                        "[!] state database `{}` is missing although earlier runs left logs: starting from scratch, so every operation counts as never run",
                        path.display()
                    ),
                );
            }
            Ok(notices)
        }
    }
}

/// SQLite's file beside the database `path` with `suffix` appended to its name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Whether the layout's logs folder holds event logs of earlier runs.
fn earlier_event_logs(layout: &Layout) -> bool {
    std::fs::read_dir(layout.logs_dir()).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| Layout::is_event_log(&entry.path()))
    })
}

/// How timestamps are stored: RFC 3339, UTC, milliseconds.
pub(crate) fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads a stored timestamp.
pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, StateError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| StateError::InvalidValue {
            what: "timestamp",
            value: text.to_owned(),
        })
}

/// A duration in whole milliseconds, as stored.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::outcome::OperationStatus;
    use crate::model::outcome::RunOutcome;
    use crate::state::recorder::Recorder;
    use crate::state::recorder::tests::{at, layout, open, run_started, started};

    #[test]
    fn a_dead_engine_leaves_interrupted_rows_not_running_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let (_lock, store) = open(dir.path());
            let mut recorder = Recorder::new(store);
            recorder
                .record(&crate::exec::event::RunEvent::at(
                    run_started("r1").kind.clone(),
                    at(0),
                ))
                .expect("record");
            recorder
                .record(&crate::exec::event::RunEvent::at(
                    started("vnet", 1, 42).kind.clone(),
                    at(1),
                ))
                .expect("record");
        }
        let read_only = StateDb::open_read_only(&layout(dir.path()))
            .expect("open")
            .expect("exists");
        let before = read_only.operation_summaries().expect("summaries");
        assert_eq!(before[0].status, OperationStatus::Running);

        let (_lock, store) = open(dir.path());
        let summaries = store.operation_summaries().expect("summaries");
        assert_eq!(summaries[0].status, OperationStatus::Interrupted);
        assert_eq!(summaries[0].error.as_deref(), Some(ENGINE_GONE));
        let run = store.last_run().expect("query").expect("run");
        assert_eq!(run.outcome, Some(RunOutcome::Interrupted));
        assert_eq!(run.finished_at, None);
    }

    #[test]
    fn read_only_open_of_a_missing_database_is_none() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(
            StateDb::open_read_only(&layout(dir.path()))
                .expect("open")
                .is_none()
        );
        assert!(!layout(dir.path()).state_db().exists());
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        drop(open(dir.path()));
        let conn = Connection::open(layout(dir.path()).state_db()).expect("open");
        conn.pragma_update(None, "user_version", 99)
            .expect("set version");
        drop(conn);
        let err = StateDb::open_read_only(&layout(dir.path())).expect_err("newer schema");
        assert!(
            matches!(err, StateError::NewerSchema { found: 99, .. }),
            "{err}"
        );
    }
}

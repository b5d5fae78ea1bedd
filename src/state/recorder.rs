//! The only writer of state during a run: fed the engine's events, it records the run, every
//! attempt and every published output, each event in one transaction.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};

use crate::base::text;
use crate::exec::event::{EventKind, RunEvent};
use crate::model::fingerprint::Fingerprint;
use crate::model::operation::OperationKey;
use crate::model::outcome::OperationStatus;
use crate::state::db::{StateDb, format_time, millis};
use crate::state::error::StateError;
use crate::state::records::outcome_name;

/// Longest error excerpt kept in a state row, in characters.
const ERROR_EXCERPT_CHARS: usize = 500;

/// Writes a run's events into the state database.
#[derive(Debug)]
pub struct Recorder {
    store: StateDb,
    run_id: Option<String>,
}

/// The final fields of an attempt row.
struct FinishedAttempt<'a> {
    module: &'a str,
    operation: &'a str,
    attempt: u32,
    status: OperationStatus,
    exit_code: Option<i32>,
    duration: Option<Duration>,
    class: Option<&'a str>,
    error: Option<&'a str>,
}

impl Recorder {
    /// A recorder writing to `store`; the run and its plan come with its `RunStarted` event.
    pub fn new(store: StateDb) -> Self {
        Self {
            store,
            run_id: None,
        }
    }

    /// The store, for queries during or after the run.
    pub fn store(&self) -> &StateDb {
        &self.store
    }

    /// Gives the store back once the run is over.
    pub fn into_store(self) -> StateDb {
        self.store
    }

    /// Records one event at the time it happened, in one transaction. Events that change no
    /// state (heartbeats, progress, markers, stages, interrupts) are ignored.
    pub fn record(&mut self, event: &RunEvent) -> Result<(), StateError> {
        let now = event.at;
        match &event.kind {
            EventKind::RunStarted {
                run_id,
                target,
                throttle,
                plan,
                engine_pid,
                ..
            } => {
                self.run_id = Some(run_id.clone());
                let run = NewRun {
                    id: run_id,
                    target,
                    throttle: *throttle,
                    pid: *engine_pid,
                    plan,
                };
                self.write("record the start of the run", |tx, _| insert_run(tx, &run, now))
            }
            EventKind::OperationStarted {
                module,
                operation,
                attempt,
                pid,
                log_path,
                changed,
                fingerprint,
                ..
            } => {
                let fingerprint = fingerprint.as_deref().map(Fingerprint::to_json);
                let changed = (!changed.is_empty())
                    .then(|| serde_json::to_string(changed).unwrap_or_default());
                self.write("record the start of an attempt", |tx, run_id| {
                    tx.prepare_cached(
                        "INSERT INTO attempts (run_id, module, operation, attempt, status,
                                               started_at, pid, log_path, fingerprint, changed)
                         VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7, ?8, ?9)
                         ON CONFLICT (run_id, operation, attempt) DO UPDATE SET
                             status = 'running', started_at = ?5, pid = ?6, log_path = ?7,
                             fingerprint = ?8, changed = ?9",
                    )?
                    .execute(params![
                        run_id,
                        module,
                        operation,
                        attempt,
                        format_time(now),
                        pid,
                        log_path.to_string_lossy(),
                        fingerprint,
                        changed
                    ])
                    .map(drop)
                })
            }
            EventKind::AttemptFailedWillRetry {
                module,
                operation,
                attempt,
                class,
                message,
                exit_code,
                duration,
                ..
            } => self.end_attempt(
                &FinishedAttempt {
                    module,
                    operation,
                    attempt: *attempt,
                    status: OperationStatus::Failed,
                    exit_code: *exit_code,
                    duration: Some(*duration),
                    class: Some(class),
                    error: Some(message),
                },
                now,
            ),
            EventKind::OperationFinished {
                module,
                operation,
                attempt,
                status,
                exit_code,
                duration,
                class,
                error,
                ..
            } => {
                let started = !matches!(
                    status,
                    OperationStatus::Blocked | OperationStatus::Skipped
                );
                self.end_attempt(
                    &FinishedAttempt {
                        module,
                        operation,
                        attempt: if started { *attempt } else { 0 },
                        status: *status,
                        exit_code: *exit_code,
                        duration: started.then_some(*duration),
                        class: class.as_deref(),
                        error: error.as_deref(),
                    },
                    now,
                )
            }
            EventKind::OperationBlocked {
                module,
                operation,
                missing,
                ..
            } => {
                let error = text::blocked_text(missing);
                self.end_attempt(
                    &FinishedAttempt {
                        module,
                        operation,
                        attempt: 0,
                        status: OperationStatus::Blocked,
                        exit_code: None,
                        duration: None,
                        class: None,
                        error: Some(&error),
                    },
                    now,
                )
            }
            EventKind::OutputPublished {
                module,
                operation,
                name,
                value,
            } => {
                self.write("record a published output", |tx, run_id| {
                    tx.execute(
                        "INSERT INTO outputs (operation, name, value, module, run_id, published_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (operation, name) DO UPDATE SET
                             value = ?3, module = ?4, run_id = ?5, published_at = ?6",
                        params![operation, name, value, module, run_id, format_time(now)],
                    )
                    .map(drop)
                })
            }
            EventKind::RunFinished {
                outcome, duration, ..
            } => self.write("record the end of the run", |tx, run_id| {
                tx.execute(
                    "UPDATE runs SET outcome = ?2, finished_at = ?3, duration_ms = ?4 WHERE id = ?1",
                    params![run_id, outcome_name(*outcome), format_time(now), millis(*duration)],
                )?;
                // An attempt still running when its run ends can only have been cut short.
                tx.execute(
                    "UPDATE attempts SET status = 'interrupted', finished_at = ?2
                     WHERE run_id = ?1 AND status = 'running'",
                    params![run_id, format_time(now)],
                )
                .map(drop)
            }),
            EventKind::StageStarted { .. }
            | EventKind::Heartbeat { .. }
            | EventKind::Progress { .. }
            | EventKind::Marker { .. }
            | EventKind::StageFinished { .. }
            | EventKind::InterruptRequested { .. }
            | EventKind::KillRequested { .. } => Ok(()),
        }
    }

    fn end_attempt(&self, end: &FinishedAttempt<'_>, now: DateTime<Utc>) -> Result<(), StateError> {
        let action = format!("record the end of operation `{}`", end.operation);
        let error = end.error.map(excerpt);
        self.write(&action, |tx, run_id| {
            tx.prepare_cached(
                "INSERT INTO attempts (run_id, module, operation, attempt, status, finished_at,
                                       duration_ms, exit_code, error_class, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (run_id, operation, attempt) DO UPDATE SET
                     status = ?5, finished_at = ?6, duration_ms = ?7, exit_code = ?8,
                     error_class = ?9, error = ?10",
            )?
            .execute(params![
                run_id,
                end.module,
                end.operation,
                end.attempt,
                end.status.as_str(),
                format_time(now),
                end.duration.map(millis),
                end.exit_code,
                end.class,
                error
            ])
            .map(drop)
        })
    }

    /// Records that `count` more events of the run could not be written to the event log.
    pub fn record_events_lost(&self, count: u64) -> Result<(), StateError> {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        self.write("record events missing from the event log", |tx, run_id| {
            tx.execute(
                "UPDATE runs SET events_lost = events_lost + ?2 WHERE id = ?1",
                params![run_id, count],
            )
            .map(drop)
        })
    }

    /// Runs `write` in one transaction against the current run. When the disk is full, frees
    /// the store's reserve and tries once more: the write is then recorded, and
    /// [`StateError::DiskFull`] tells the caller to start nothing new.
    fn write(
        &self,
        action: &str,
        write: impl Fn(&Transaction<'_>, &str) -> rusqlite::Result<()>,
    ) -> Result<(), StateError> {
        match self.try_write(action, &write) {
            Err(StateError::Sql { source, .. })
                if is_disk_full(&source) && self.store.release_reserve() =>
            {
                self.try_write(action, &write)?;
                Err(StateError::DiskFull {
                    path: self.store.path().to_owned(),
                    source,
                })
            }
            other => other,
        }
    }

    fn try_write(
        &self,
        action: &str,
        write: &dyn Fn(&Transaction<'_>, &str) -> rusqlite::Result<()>,
    ) -> Result<(), StateError> {
        let run_id = self.run_id.as_deref().unwrap_or_default();
        let tx = self
            .store
            .conn
            .unchecked_transaction()
            .map_err(StateError::sql(action))?;
        write(&tx, run_id)
            .and_then(|()| tx.commit())
            .map_err(StateError::sql(action))
    }
}

/// Whether SQLite failed for want of space (or a failing write underneath it).
fn is_disk_full(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure)
    )
}

/// The row of a run that starts, and its plan.
struct NewRun<'a> {
    id: &'a str,
    target: &'a str,
    throttle: usize,
    pid: u32,
    plan: &'a [OperationKey],
}

fn insert_run(tx: &Transaction<'_>, run: &NewRun<'_>, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let run_id = run.id;
    tx.execute(
        "INSERT INTO runs (id, target, started_at, throttle, pid) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            run_id,
            run.target,
            format_time(now),
            i64::try_from(run.throttle).unwrap_or(i64::MAX),
            run.pid
        ],
    )?;
    let mut insert = tx.prepare(
        "INSERT INTO run_operations (run_id, position, module, operation) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (position, op) in run.plan.iter().enumerate() {
        insert.execute(params![
            run_id,
            i64::try_from(position).unwrap_or(i64::MAX),
            op.module,
            op.operation
        ])?;
    }
    Ok(())
}

/// The first [`ERROR_EXCERPT_CHARS`] characters of an error text.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(ERROR_EXCERPT_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::{Path, PathBuf};

    use chrono::TimeZone;

    use super::*;
    use crate::base::layout::Layout;
    use crate::model::outcome::RunOutcome;
    use crate::state::lock_file::DeploymentLock;

    /// A fixed instant plus `seconds`.
    pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
    }

    pub(crate) fn started(op: &str, attempt: u32, pid: u32) -> RunEvent {
        RunEvent::now(EventKind::OperationStarted {
            module: "01-networking".into(),
            operation: op.into(),
            attempt,
            pid,
            log_path: PathBuf::from(format!("artifacts/logs/{op}_{attempt}.log")),
            expected: Duration::from_secs(60),
            changed: Vec::new(),
            fingerprint: None,
        })
    }

    pub(crate) fn finished(op: &str, attempt: u32, status: OperationStatus) -> RunEvent {
        let failed = status != OperationStatus::Completed;
        RunEvent::now(EventKind::OperationFinished {
            module: "01-networking".into(),
            operation: op.into(),
            attempt,
            status,
            exit_code: Some(if failed { 1 } else { 0 }),
            duration: Duration::from_millis(1500),
            class: failed.then(|| "Quota".to_owned()),
            hint: None,
            error: failed.then(|| "ERROR: quota exceeded".to_owned()),
        })
    }

    pub(crate) fn run_started(run_id: &str) -> RunEvent {
        RunEvent::now(EventKind::RunStarted {
            run_id: run_id.into(),
            target: "01-networking".into(),
            operations: 3,
            throttle: 5,
            plan: plan(),
            engine_pid: std::process::id(),
        })
    }

    pub(crate) fn run_finished(run_id: &str, outcome: RunOutcome) -> RunEvent {
        RunEvent::now(EventKind::RunFinished {
            run_id: run_id.into(),
            outcome,
            duration: Duration::from_secs(30),
        })
    }

    pub(crate) fn plan() -> Vec<OperationKey> {
        ["vnet", "nsg", "peering"]
            .iter()
            .map(|op| OperationKey::new("01-networking", *op))
            .collect()
    }

    /// The layout of the deployment folder `dir` under the default config.
    pub(crate) fn layout(dir: &Path) -> Layout {
        Layout::new(dir, Path::new("config.yaml")).expect("layout")
    }

    pub(crate) fn open(dir: &Path) -> (DeploymentLock, StateDb) {
        let layout = layout(dir);
        let lock = DeploymentLock::acquire(&layout.state_dir()).expect("lock");
        let store = StateDb::open(&layout, &lock).expect("open store");
        (lock, store)
    }

    pub(crate) fn record_all(recorder: &mut Recorder, events: &[RunEvent]) {
        for (second, event) in (0..).zip(events) {
            recorder
                .record(&RunEvent::at(event.kind.clone(), at(second)))
                .expect("record");
        }
    }

    #[test]
    fn records_a_run_with_retries_outputs_and_blocked_operations() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (_lock, store) = open(dir.path());
        let mut recorder = Recorder::new(store);
        record_all(
            &mut recorder,
            &[
                run_started("r1"),
                started("vnet", 1, 100),
                RunEvent::now(EventKind::OutputPublished {
                    module: "01-networking".into(),
                    operation: "vnet".into(),
                    name: "VNET_ID".into(),
                    value: "/subscriptions/x/vnet".into(),
                }),
                finished("vnet", 1, OperationStatus::Completed),
                started("nsg", 1, 101),
                RunEvent::now(EventKind::AttemptFailedWillRetry {
                    module: "01-networking".into(),
                    operation: "nsg".into(),
                    attempt: 1,
                    max_attempts: 3,
                    delay: Duration::from_secs(5),
                    class: "AnotherOperationInProgress".into(),
                    message: "AnotherOperationInProgress".into(),
                    exit_code: Some(1),
                    duration: Duration::from_secs(2),
                }),
                started("nsg", 2, 102),
                finished("nsg", 2, OperationStatus::Failed),
                RunEvent::now(EventKind::OperationBlocked {
                    module: "01-networking".into(),
                    operation: "peering".into(),
                    missing: vec!["nsg".into()],
                    run_first: Vec::new(),
                }),
                run_finished("r1", RunOutcome::Failed),
            ],
        );
        let store = recorder.into_store();
        let completed = store.completed_operations().expect("completed");
        assert_eq!(completed, ["vnet".to_owned()].into_iter().collect());
        let outputs = store.outputs().expect("outputs");
        assert_eq!(outputs.len(), 1);
        assert_eq!(outputs[0].name, "VNET_ID");

        let summaries = store.operation_summaries().expect("summaries");
        let ops: Vec<_> = summaries.iter().map(|s| s.operation.as_str()).collect();
        assert_eq!(ops, ["vnet", "nsg", "peering"]);
        let nsg = &summaries[1];
        assert_eq!(nsg.status, OperationStatus::Failed);
        assert_eq!(nsg.attempts, 2);
        assert_eq!(nsg.error_class.as_deref(), Some("Quota"));
        assert_eq!(nsg.duration_ms, Some(1500));
        assert_eq!(
            nsg.log_path,
            Some(PathBuf::from("artifacts/logs/nsg_2.log"))
        );
        let peering = &summaries[2];
        assert_eq!(peering.status, OperationStatus::Blocked);
        assert_eq!(peering.attempts, 0);
        assert_eq!(
            peering.error.as_deref(),
            Some("requires nsg (not completed)")
        );

        let run = store.last_unfinished_run().expect("query").expect("run");
        assert_eq!(run.id, "r1");
        assert_eq!(run.outcome, Some(RunOutcome::Failed));
        assert_eq!(run.planned.len(), 3);
        assert_eq!(run.finished_at, Some(at(9)));
    }

    #[test]
    fn a_later_skip_does_not_hide_a_completion() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (_lock, store) = open(dir.path());
        let mut recorder = Recorder::new(store);
        record_all(
            &mut recorder,
            &[
                run_started("r1"),
                started("vnet", 1, 100),
                finished("vnet", 1, OperationStatus::Completed),
                run_finished("r1", RunOutcome::Completed),
                run_started("r2"),
                finished("vnet", 1, OperationStatus::Skipped),
                started("nsg", 1, 101),
                finished("nsg", 1, OperationStatus::Completed),
                run_finished("r2", RunOutcome::Interrupted),
            ],
        );
        let store = recorder.into_store();
        let completed = store.completed_operations().expect("completed");
        assert!(completed.contains("vnet") && completed.contains("nsg"));
        let summaries = store.operation_summaries().expect("summaries");
        assert_eq!(summaries[0].status, OperationStatus::Completed);
        assert_eq!(summaries[0].run_id.as_deref(), Some("r1"));
        assert_eq!(summaries[2].status, OperationStatus::Pending);
        assert_eq!(
            store.last_unfinished_run().expect("q").expect("run").id,
            "r2"
        );
        assert_eq!(store.last_run().expect("q").expect("run").id, "r2");
    }

    #[test]
    fn a_failed_retry_of_a_completed_operation_is_the_latest_attempt() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (_lock, store) = open(dir.path());
        let mut recorder = Recorder::new(store);
        record_all(
            &mut recorder,
            &[
                run_started("r1"),
                started("vnet", 1, 100),
                finished("vnet", 1, OperationStatus::Completed),
                run_finished("r1", RunOutcome::Completed),
                run_started("r2"),
                started("vnet", 1, 200),
                finished("vnet", 1, OperationStatus::TimedOut),
                run_finished("r2", RunOutcome::Failed),
            ],
        );
        let store = recorder.into_store();
        assert!(store.completed_operations().expect("completed").is_empty());
        let summaries = store.operation_summaries().expect("summaries");
        assert_eq!(summaries[0].status, OperationStatus::TimedOut);
        assert_eq!(summaries[0].attempts, 1);
    }
}

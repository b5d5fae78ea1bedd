//! Read queries over the state: what completed, published outputs, runs, and per-operation
//! summaries for `status` and `resume`.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use rusqlite::{OptionalExtension, Row};

use crate::model::instances::WHEN_FALSE;
use crate::model::operation::OperationKey;
use crate::model::outcome::OperationStatus;
use crate::state::db::{StateDb, parse_time};
use crate::state::error::StateError;
use crate::state::records::{OperationSummary, PublishedOutput, RunRecord, parse_outcome};

/// Statuses of rows that record an operation which never started (not attempts).
const NOT_STARTED: &str = "('blocked', 'skipped', 'pending')";

/// The runs that count: those from the latest `destroy` run on (`?1` is [`StateDb::live_from`]).
const LIVE_RUNS: &str = "(SELECT id FROM runs WHERE seq >= ?1)";

const RUN_COLUMNS: &str =
    "id, target, started_at, finished_at, outcome, duration_ms, throttle, pid, events_lost";

impl StateDb {
    /// Operations whose latest attempt, in any run since the deployment was last destroyed,
    /// completed. Rows of operations that never started (blocked, skipped) do not hide an
    /// earlier completion.
    pub fn completed_operations(&self) -> Result<HashSet<String>, StateError> {
        let sql = format!(
            "SELECT a.operation FROM attempts a
             WHERE a.status = 'completed' AND a.run_id IN {LIVE_RUNS} AND a.id = (
                 SELECT MAX(b.id) FROM attempts b
                 WHERE b.operation = a.operation AND b.status NOT IN {NOT_STARTED})"
        );
        let action = "read the completed operations";
        let live = self.live_from()?;
        let mut stmt = self.conn.prepare(&sql).map_err(StateError::sql(action))?;
        let rows = stmt
            .query_map([live], |row| row.get::<_, String>(0))
            .map_err(StateError::sql(action))?;
        rows.collect::<Result<_, _>>()
            .map_err(StateError::sql(action))
    }

    /// Operations whose latest row, since the deployment was last destroyed, skipped them
    /// because their `when:` was false (no attempt started after it).
    pub fn switched_off_operations(&self) -> Result<HashSet<String>, StateError> {
        let sql = format!(
            "SELECT a.operation FROM attempts a
             WHERE a.status = 'skipped' AND a.error = ?2 AND a.run_id IN {LIVE_RUNS} AND a.id = (
                 SELECT MAX(b.id) FROM attempts b
                 WHERE b.operation = a.operation
                   AND (b.status NOT IN {NOT_STARTED} OR (b.status = 'skipped' AND b.error = ?2)))"
        );
        let action = "read the operations switched off by when:";
        let live = self.live_from()?;
        let mut stmt = self.conn.prepare(&sql).map_err(StateError::sql(action))?;
        let rows = stmt
            .query_map(rusqlite::params![live, WHEN_FALSE], |row| {
                row.get::<_, String>(0)
            })
            .map_err(StateError::sql(action))?;
        rows.collect::<Result<_, _>>()
            .map_err(StateError::sql(action))
    }

    /// The status of each operation's latest attempt that started (blocked and skipped rows do
    /// not count), in the runs since the deployment was last destroyed.
    pub fn latest_statuses(&self) -> Result<HashMap<String, OperationStatus>, StateError> {
        let sql = format!(
            "SELECT a.operation, a.status FROM attempts a
             WHERE a.run_id IN {LIVE_RUNS} AND a.id = (
                 SELECT MAX(b.id) FROM attempts b
                 WHERE b.operation = a.operation AND b.status NOT IN {NOT_STARTED})"
        );
        let action = "read the latest attempts";
        let live = self.live_from()?;
        let mut stmt = self.conn.prepare(&sql).map_err(StateError::sql(action))?;
        let rows = stmt
            .query_map([live], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(StateError::sql(action))?;
        rows.map(|row| {
            let (operation, status) = row.map_err(StateError::sql(action))?;
            let status =
                status
                    .parse::<OperationStatus>()
                    .map_err(|_| StateError::InvalidValue {
                        what: "operation status",
                        value: status.clone(),
                    })?;
            Ok((operation, status))
        })
        .collect()
    }

    /// Every published output (the latest value per operation and name) whose operation completed
    /// in the run that published it, in publication order: a failed attempt's values are never
    /// passed on, nor those of a destroyed deployment.
    pub fn outputs(&self) -> Result<Vec<PublishedOutput>, StateError> {
        let action = "read the published outputs";
        let live = self.live_from()?;
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT o.operation, o.name, o.value, o.published_at FROM outputs o
                 WHERE o.run_id IN {LIVE_RUNS} AND EXISTS (SELECT 1 FROM attempts a
                               WHERE a.operation = o.operation AND a.run_id = o.run_id
                                 AND a.status = 'completed')
                 ORDER BY o.published_at, o.rowid"
            ))
            .map_err(StateError::sql(action))?;
        let rows = stmt
            .query_map([live], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .map_err(StateError::sql(action))?;
        rows.map(|row| {
            let (operation, name, value, published_at) = row.map_err(StateError::sql(action))?;
            Ok(PublishedOutput {
                operation,
                name,
                value,
                published_at: parse_time(&published_at)?,
            })
        })
        .collect()
    }

    /// The latest run, finished or not.
    pub fn last_run(&self) -> Result<Option<RunRecord>, StateError> {
        self.find_run("", "read the last run")
    }

    /// The latest run whose outcome is not `completed` (failed, interrupted, or still open),
    /// since the deployment was last destroyed.
    pub fn last_unfinished_run(&self) -> Result<Option<RunRecord>, StateError> {
        let live = self.live_from()?;
        self.find_run(
            &format!("WHERE (outcome IS NULL OR outcome <> 'completed') AND seq >= {live}"),
            "read the last unfinished run",
        )
    }

    /// The run with this id.
    pub fn run(&self, id: &str) -> Result<Option<RunRecord>, StateError> {
        self.find_run_with("WHERE id = ?1", [id], "read a run")
    }

    fn find_run(&self, filter: &str, action: &str) -> Result<Option<RunRecord>, StateError> {
        self.find_run_with(filter, [], action)
    }

    fn find_run_with(
        &self,
        filter: &str,
        params: impl rusqlite::Params,
        action: &str,
    ) -> Result<Option<RunRecord>, StateError> {
        // `events_lost` came with schema version 4.
        let columns = if self.version >= 4 {
            RUN_COLUMNS.to_owned()
        } else {
            RUN_COLUMNS.replace("events_lost", "0 AS events_lost")
        };
        let sql = format!("SELECT {columns} FROM runs {filter} ORDER BY seq DESC LIMIT 1");
        let raw = self
            .conn
            .query_row(&sql, params, RawRun::from_row)
            .optional()
            .map_err(StateError::sql(action))?;
        raw.map(|raw| {
            let planned = self.planned(&raw.id)?;
            raw.into_record(planned)
        })
        .transpose()
    }

    fn planned(&self, run_id: &str) -> Result<Vec<OperationKey>, StateError> {
        let action = format!("read the plan of run `{run_id}`");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT module, operation FROM run_operations WHERE run_id = ?1 ORDER BY position",
            )
            .map_err(StateError::sql(&*action))?;
        let rows = stmt
            .query_map([run_id], |row| {
                Ok(OperationKey {
                    module: row.get(0)?,
                    operation: row.get(1)?,
                })
            })
            .map_err(StateError::sql(&*action))?;
        rows.collect::<Result<_, _>>()
            .map_err(StateError::sql(action))
    }

    /// One summary per operation known to the state: the operations of the last run's plan
    /// first, in plan order (`pending` when never started), then any others.
    ///
    /// The summary shows the latest row of the operation, except that a completed attempt is
    /// not hidden by a later blocked or skipped row (matching [`StateDb::completed_operations`]).
    /// Its error class is the latest attempt's, or else that of the run's last failed attempt,
    /// so an operation that completed after retries still says what it retried.
    pub fn operation_summaries(&self) -> Result<Vec<OperationSummary>, StateError> {
        let mut found = self.latest_rows()?;
        let plan = self.last_run()?.map(|run| run.planned).unwrap_or_default();
        let mut summaries = Vec::with_capacity(found.len() + plan.len());
        let mut index: HashMap<String, usize> = HashMap::new();
        for (position, summary) in found.iter().enumerate() {
            index.insert(summary.operation.clone(), position);
        }
        let mut taken = vec![false; found.len()];
        for planned in plan {
            match index.get(&planned.operation) {
                Some(&position) if !taken[position] => {
                    taken[position] = true;
                    summaries.push(found[position].clone());
                }
                Some(_) => {}
                None => summaries.push(pending(planned)),
            }
        }
        for (position, summary) in found.drain(..).enumerate() {
            if !taken[position] {
                summaries.push(summary);
            }
        }
        Ok(summaries)
    }

    fn latest_rows(&self) -> Result<Vec<OperationSummary>, StateError> {
        let sql = format!(
            "WITH latest_real AS (
                 SELECT operation, MAX(id) AS id FROM attempts
                 WHERE status NOT IN {NOT_STARTED} AND run_id IN {LIVE_RUNS} GROUP BY operation),
             latest_any AS (SELECT operation, MAX(id) AS id FROM attempts
                            WHERE run_id IN {LIVE_RUNS} GROUP BY operation),
             chosen AS (
                 SELECT CASE WHEN r.status = 'completed' THEN r.id ELSE l.id END AS id
                 FROM latest_any l
                 LEFT JOIN latest_real lr ON lr.operation = l.operation
                 LEFT JOIN attempts r ON r.id = lr.id)
             SELECT a.module, a.operation, a.status, a.run_id, a.started_at, a.duration_ms,
                    a.exit_code,
                    COALESCE(a.error_class, (
                        SELECT f.error_class FROM attempts f
                        WHERE f.run_id = a.run_id AND f.operation = a.operation
                          AND f.error_class IS NOT NULL
                        ORDER BY f.id DESC LIMIT 1)),
                    a.error, a.log_path,
                    (SELECT COUNT(*) FROM attempts c
                     WHERE c.run_id = a.run_id AND c.operation = a.operation
                       AND c.status NOT IN {NOT_STARTED}),
                    {changed}
             FROM chosen JOIN attempts a ON a.id = chosen.id
             ORDER BY a.id",
            // `changed` came with schema version 5.
            changed = if self.version >= 5 {
                "a.changed"
            } else {
                "NULL"
            }
        );
        let action = "read the operation summaries";
        let live = self.live_from()?;
        let mut stmt = self.conn.prepare(&sql).map_err(StateError::sql(action))?;
        let rows = stmt
            .query_map([live], RawSummary::from_row)
            .map_err(StateError::sql(action))?;
        let raw: Vec<RawSummary> = rows
            .collect::<Result<_, _>>()
            .map_err(StateError::sql(action))?;
        raw.into_iter().map(RawSummary::into_summary).collect()
    }
}

fn pending(planned: OperationKey) -> OperationSummary {
    OperationSummary {
        module: planned.module,
        operation: planned.operation,
        status: OperationStatus::Pending,
        attempts: 0,
        run_id: None,
        started_at: None,
        duration_ms: None,
        exit_code: None,
        error_class: None,
        error: None,
        log_path: None,
        changed: Vec::new(),
    }
}

/// A `runs` row before its text columns are parsed.
struct RawRun {
    id: String,
    target: String,
    started_at: String,
    finished_at: Option<String>,
    outcome: Option<String>,
    duration_ms: Option<i64>,
    throttle: i64,
    pid: i64,
    events_lost: i64,
}

impl RawRun {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            target: row.get(1)?,
            started_at: row.get(2)?,
            finished_at: row.get(3)?,
            outcome: row.get(4)?,
            duration_ms: row.get(5)?,
            throttle: row.get(6)?,
            pid: row.get(7)?,
            events_lost: row.get(8)?,
        })
    }

    fn into_record(self, planned: Vec<OperationKey>) -> Result<RunRecord, StateError> {
        let outcome = self
            .outcome
            .map(|name| {
                parse_outcome(&name).ok_or(StateError::InvalidValue {
                    what: "run outcome",
                    value: name,
                })
            })
            .transpose()?;
        Ok(RunRecord {
            started_at: parse_time(&self.started_at)?,
            finished_at: self.finished_at.as_deref().map(parse_time).transpose()?,
            outcome,
            duration_ms: self.duration_ms.and_then(|ms| u64::try_from(ms).ok()),
            throttle: usize::try_from(self.throttle).unwrap_or(0),
            pid: u32::try_from(self.pid).unwrap_or(0),
            events_lost: u64::try_from(self.events_lost).unwrap_or(0),
            id: self.id,
            target: self.target,
            planned,
        })
    }
}

/// An `attempts` row (plus its attempt count) before its text columns are parsed.
struct RawSummary {
    module: String,
    operation: String,
    status: String,
    run_id: String,
    started_at: Option<String>,
    duration_ms: Option<i64>,
    exit_code: Option<i32>,
    error_class: Option<String>,
    error: Option<String>,
    log_path: Option<String>,
    attempts: i64,
    changed: Option<String>,
}

impl RawSummary {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            module: row.get(0)?,
            operation: row.get(1)?,
            status: row.get(2)?,
            run_id: row.get(3)?,
            started_at: row.get(4)?,
            duration_ms: row.get(5)?,
            exit_code: row.get(6)?,
            error_class: row.get(7)?,
            error: row.get(8)?,
            log_path: row.get(9)?,
            attempts: row.get(10)?,
            changed: row.get(11)?,
        })
    }

    fn into_summary(self) -> Result<OperationSummary, StateError> {
        let status =
            self.status
                .parse::<OperationStatus>()
                .map_err(|_| StateError::InvalidValue {
                    what: "operation status",
                    value: self.status.clone(),
                })?;
        Ok(OperationSummary {
            module: self.module,
            operation: self.operation,
            status,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            run_id: Some(self.run_id),
            started_at: self.started_at.as_deref().map(parse_time).transpose()?,
            duration_ms: self.duration_ms.and_then(|ms| u64::try_from(ms).ok()),
            exit_code: self.exit_code,
            error_class: self.error_class,
            error: self.error,
            log_path: self.log_path.map(PathBuf::from),
            changed: self
                .changed
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or_default(),
        })
    }
}

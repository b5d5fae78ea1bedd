//! Read queries over past attempts: every attempt of one run, for the timeline report, and the
//! measured durations of completed attempts, for comparing predictions with what happened.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::Row;

use crate::model::outcome::OperationStatus;
use crate::state::db::{StateDb, parse_time};
use crate::state::error::StateError;

/// One row of the `attempts` table: an attempt of an operation in a run, or the record of an
/// operation that never started (blocked, skipped; attempt 0).
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRecord {
    /// The module id.
    pub module: String,
    /// The operation id.
    pub operation: String,
    /// 1-based attempt number; 0 for an operation that never started.
    pub attempt: u32,
    /// How the attempt ended (`running` while it runs).
    pub status: OperationStatus,
    /// When the attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long it ran.
    pub duration_ms: Option<u64>,
    /// Its exit code.
    pub exit_code: Option<i32>,
    /// Its process id.
    pub pid: Option<u32>,
    /// Its log file.
    pub log_path: Option<PathBuf>,
    /// The error class of its failure.
    pub error_class: Option<String>,
    /// The last error line of its failure.
    pub error: Option<String>,
}

/// Most completed durations kept per operation for its median: the latest ones.
const MEDIAN_SAMPLES: usize = 20;

impl StateDb {
    /// Every row of run `run_id`, in the order they were recorded.
    pub fn run_attempts(&self, run_id: &str) -> Result<Vec<AttemptRecord>, StateError> {
        let action = format!("read the attempts of run `{run_id}`");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT module, operation, attempt, status, started_at, finished_at, duration_ms,
                        exit_code, pid, log_path, error_class, error
                 FROM attempts WHERE run_id = ?1 ORDER BY id",
            )
            .map_err(StateError::sql(&*action))?;
        let rows = stmt
            .query_map([run_id], RawAttempt::from_row)
            .map_err(StateError::sql(&*action))?;
        let raw: Vec<RawAttempt> = rows
            .collect::<Result<_, _>>()
            .map_err(StateError::sql(&*action))?;
        raw.into_iter().map(RawAttempt::into_record).collect()
    }

    /// The median duration of each operation's completed attempts, over its latest
    /// [`MEDIAN_SAMPLES`] completions in any run.
    pub fn completed_medians(&self) -> Result<HashMap<String, u64>, StateError> {
        let action = "read the durations of completed attempts";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT operation, duration_ms FROM attempts
                 WHERE status = 'completed' AND duration_ms IS NOT NULL ORDER BY id DESC",
            )
            .map_err(StateError::sql(action))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .map_err(StateError::sql(action))?;
        let mut samples: HashMap<String, Vec<u64>> = HashMap::new();
        for row in rows {
            let (operation, ms) = row.map_err(StateError::sql(action))?;
            let kept = samples.entry(operation).or_default();
            if kept.len() < MEDIAN_SAMPLES {
                kept.push(u64::try_from(ms).unwrap_or(0));
            }
        }
        Ok(samples
            .into_iter()
            .map(|(operation, mut ms)| (operation, median(&mut ms)))
            .collect())
    }
}

/// The median of a non-empty list (the lower middle of an even count).
fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values[(values.len() - 1) / 2]
}

/// An `attempts` row before its text columns are parsed.
struct RawAttempt {
    module: String,
    operation: String,
    attempt: i64,
    status: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    duration_ms: Option<i64>,
    exit_code: Option<i32>,
    pid: Option<i64>,
    log_path: Option<String>,
    error_class: Option<String>,
    error: Option<String>,
}

impl RawAttempt {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            module: row.get(0)?,
            operation: row.get(1)?,
            attempt: row.get(2)?,
            status: row.get(3)?,
            started_at: row.get(4)?,
            finished_at: row.get(5)?,
            duration_ms: row.get(6)?,
            exit_code: row.get(7)?,
            pid: row.get(8)?,
            log_path: row.get(9)?,
            error_class: row.get(10)?,
            error: row.get(11)?,
        })
    }

    fn into_record(self) -> Result<AttemptRecord, StateError> {
        let status =
            self.status
                .parse::<OperationStatus>()
                .map_err(|_| StateError::InvalidValue {
                    what: "operation status",
                    value: self.status.clone(),
                })?;
        Ok(AttemptRecord {
            module: self.module,
            operation: self.operation,
            attempt: u32::try_from(self.attempt).unwrap_or(0),
            status,
            started_at: self.started_at.as_deref().map(parse_time).transpose()?,
            finished_at: self.finished_at.as_deref().map(parse_time).transpose()?,
            duration_ms: self.duration_ms.and_then(|ms| u64::try_from(ms).ok()),
            exit_code: self.exit_code,
            pid: self.pid.and_then(|pid| u32::try_from(pid).ok()),
            log_path: self.log_path.map(PathBuf::from),
            error_class: self.error_class,
            error: self.error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_lower_middle() {
        assert_eq!(median(&mut [30, 10, 20]), 20);
        assert_eq!(median(&mut [40, 10, 30, 20]), 20);
        assert_eq!(median(&mut [7]), 7);
    }
}

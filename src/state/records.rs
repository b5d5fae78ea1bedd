//! Plain values read from the state database: runs, operation summaries, published outputs.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::model::operation::OperationKey;
use crate::model::outcome::OperationStatus;
use crate::model::outcome::RunOutcome;

/// A run as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// The run's id.
    pub id: String,
    /// What was asked for: `all`, a module id, or `module/operation`.
    pub target: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When the run ended; `None` while running, or when its engine died.
    pub finished_at: Option<DateTime<Utc>>,
    /// How it ended; `None` while it runs.
    pub outcome: Option<RunOutcome>,
    /// Wall-clock duration, when it ended normally.
    pub duration_ms: Option<u64>,
    /// The global concurrency cap.
    pub throttle: usize,
    /// The engine's pid.
    pub pid: u32,
    /// Events that could not be written to the JSONL event log (0 when it is complete).
    pub events_lost: u64,
    /// The plan, in order.
    pub planned: Vec<OperationKey>,
}

/// A value an operation published with `[OUTPUT] NAME=value` (the latest one per name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedOutput {
    /// The operation that published it.
    pub operation: String,
    /// The variable name.
    pub name: String,
    /// The value (already redacted when it is a secret).
    pub value: String,
    /// When it was published.
    pub published_at: DateTime<Utc>,
}

impl PublishedOutput {
    /// Whether the value is a secret, which the state keeps only as `***`.
    pub fn is_secret(&self) -> bool {
        self.value == avdeploy_wire::redact::MASK
    }
}

/// Where one operation stands in the deployment, from its latest attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationSummary {
    /// The module id.
    pub module: String,
    /// The operation id.
    pub operation: String,
    /// The status of the latest attempt (`pending` when planned but never started).
    pub status: OperationStatus,
    /// How many attempts the latest run that started it made (0 when it never started).
    pub attempts: u32,
    /// The run of the latest attempt, when there is one.
    pub run_id: Option<String>,
    /// When the latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// How long the latest attempt ran, once it ended.
    pub duration_ms: Option<u64>,
    /// The latest attempt's exit code.
    pub exit_code: Option<i32>,
    /// The error class of the latest failure.
    pub error_class: Option<String>,
    /// The last error line of the latest failure.
    pub error: Option<String>,
    /// The latest attempt's log file.
    pub log_path: Option<PathBuf>,
    /// The inputs that had changed when the latest attempt ran again (empty when it ran for
    /// another reason).
    pub changed: Vec<String>,
}

/// The name a run outcome is stored and shown under.
pub fn outcome_name(outcome: RunOutcome) -> &'static str {
    match outcome {
        RunOutcome::Completed => "completed",
        RunOutcome::Failed => "failed",
        RunOutcome::Interrupted => "interrupted",
    }
}

/// The run outcome stored under `name`.
pub fn parse_outcome(name: &str) -> Option<RunOutcome> {
    [
        RunOutcome::Completed,
        RunOutcome::Failed,
        RunOutcome::Interrupted,
    ]
    .into_iter()
    .find(|outcome| outcome_name(*outcome) == name)
}

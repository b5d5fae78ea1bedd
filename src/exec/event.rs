//! Public events the engine emits while it runs a plan. The engine never prints: reporters
//! (console, progress bars, JSONL, state recorder) consume these. An event serialises (serde)
//! into the fields of its JSONL record, so a log can be read back into the events that made it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::fingerprint::Fingerprint;
use crate::model::operation::OperationKey;
use crate::model::outcome::{OperationStatus, RunOutcome};

/// Something that happened during a run, stamped with when it happened where it happened (the
/// unit that saw an operation's output, the scheduler that started a stage). Serialised, the
/// time is `timestamp` (RFC 3339, milliseconds) beside the fields of its [`EventKind`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunEvent {
    /// When it happened.
    #[serde(rename = "timestamp", with = "rfc3339")]
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl RunEvent {
    /// The event `kind`, happening now.
    pub fn now(kind: EventKind) -> Self {
        Self::at(kind, Utc::now())
    }

    /// The event `kind`, which happened at `at`.
    pub fn at(kind: EventKind, at: DateTime<Utc>) -> Self {
        // Records keep milliseconds: an event reads back from its record as it was made.
        let at = DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at);
        Self { at, kind }
    }
}

/// What happened, in the order it happened. Every event about an operation names its module.
/// Serialised, `event` holds the variant's snake_case name and durations are milliseconds in
/// fields ending in `_ms`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A run began.
    RunStarted {
        /// The run's id (also exported to operations as `AVD_RUN_ID`).
        run_id: String,
        /// What was asked for: `all`, a module id, or `module/operation`.
        target: String,
        /// How many operations the plan holds.
        operations: usize,
        /// The global concurrency cap.
        throttle: usize,
        /// The plan's operations, in order.
        #[serde(default)]
        plan: Vec<OperationKey>,
        /// The engine's process id.
        #[serde(default)]
        engine_pid: u32,
    },
    /// A stage of a module began: its members may now start.
    StageStarted {
        /// The module the stage belongs to.
        module: String,
        /// 1-based stage number within the module.
        stage: usize,
        /// The `parallel_group` number, when the stage is a parallel group.
        parallel_group: Option<u32>,
        /// The stage's operations, in declared order.
        operations: Vec<String>,
    },
    /// An operation could not start because requirements were not completed.
    OperationBlocked {
        /// The module of the operation.
        module: String,
        /// The operation id.
        operation: String,
        /// The requirements that are not completed.
        missing: Vec<String>,
        /// The modules of missing requirements that the run does not plan, in deployment
        /// order: only a run of them (or of `all`) can satisfy them, `resume` cannot.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        run_first: Vec<String>,
    },
    /// An attempt of an operation started as a process.
    OperationStarted {
        /// The module of the operation.
        module: String,
        /// The operation id.
        operation: String,
        /// 1-based attempt number.
        attempt: u32,
        /// The process id (also the process group id).
        pid: u32,
        /// The attempt's log file.
        log_path: PathBuf,
        /// `duration.expected`.
        #[serde(rename = "expected_ms", with = "millis")]
        expected: Duration,
        /// The inputs that differ from the operation's last completed attempt, when it runs
        /// again because they changed (empty otherwise).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        changed: Vec<String>,
        /// What the attempt runs, as keyed hashes (recorded in state, never printed or logged).
        #[serde(skip)]
        fingerprint: Option<Arc<Fingerprint>>,
    },
    /// A running operation is still running (FAST every 10 s, WAIT every 60 s).
    Heartbeat {
        /// The module of the operation.
        module: String,
        /// The operation id.
        operation: String,
        /// Time since the attempt started.
        #[serde(rename = "duration_ms", with = "millis")]
        elapsed: Duration,
        /// `duration.expected`.
        #[serde(rename = "expected_ms", with = "millis")]
        expected: Duration,
    },
    /// The operation printed a `[PROGRESS]` marker.
    Progress {
        /// The module of the operation.
        module: String,
        /// The operation id.
        operation: String,
        /// The text after the marker, redacted.
        #[serde(rename = "text")]
        message: String,
    },
    /// The operation printed a marker line other than `[PROGRESS]` and `[OUTPUT]`.
    Marker {
        /// The module of the operation.
        module: String,
        /// The operation id.
        operation: String,
        /// The marker name without brackets: `START`, `VALIDATE`, `SUCCESS`, `ERROR`, `WARNING`, `INFO`.
        marker: String,
        /// The text after the marker, redacted.
        #[serde(rename = "text")]
        message: String,
    },
    /// The operation published a value with `[OUTPUT] NAME=value`.
    OutputPublished {
        /// The module of the operation.
        module: String,
        /// The operation id.
        operation: String,
        /// The variable name.
        name: String,
        /// The value, redacted when it is a secret.
        value: String,
    },
    /// An attempt failed with a retryable error class; another attempt follows after `delay`.
    AttemptFailedWillRetry {
        /// The module of the operation.
        module: String,
        /// The operation id.
        operation: String,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// The most attempts the policy allows.
        max_attempts: u32,
        /// The wait before the next attempt.
        #[serde(rename = "delay_ms", with = "millis")]
        delay: Duration,
        /// The error class from the error catalog.
        #[serde(rename = "error_class")]
        class: String,
        /// The line that matched, redacted.
        #[serde(rename = "error")]
        message: String,
        /// The failed attempt's exit code.
        exit_code: Option<i32>,
        /// How long the failed attempt ran.
        #[serde(rename = "duration_ms", with = "millis")]
        duration: Duration,
    },
    /// An operation reached a final status (after its last attempt).
    OperationFinished {
        /// The module of the operation.
        module: String,
        /// The operation id.
        operation: String,
        /// The last attempt's number.
        attempt: u32,
        /// The final status.
        status: OperationStatus,
        /// The last attempt's exit code (124 for a timeout).
        exit_code: Option<i32>,
        /// How long the last attempt ran.
        #[serde(rename = "duration_ms", with = "millis")]
        duration: Duration,
        /// The error class of a failure, when the catalog knew it.
        #[serde(rename = "error_class")]
        class: Option<String>,
        /// The hint that goes with the class.
        hint: Option<String>,
        /// The last error line of a failure, redacted.
        error: Option<String>,
    },
    /// Every member of a stage has finished.
    StageFinished {
        /// The module the stage belongs to.
        module: String,
        /// 1-based stage number within the module.
        stage: usize,
        /// Whether the stage was a parallel group.
        parallel: bool,
        /// Whether every member completed.
        success: bool,
    },
    /// The first Ctrl-C or SIGTERM: no new launches, running operations are waited for.
    InterruptRequested {
        /// How many operations are still running.
        running: usize,
    },
    /// The second Ctrl-C or SIGTERM: running operations are being killed.
    KillRequested {
        /// How many operations are being killed.
        running: usize,
    },
    /// The run ended.
    RunFinished {
        /// The run's id.
        run_id: String,
        /// How it ended.
        outcome: RunOutcome,
        /// Wall-clock duration of the run.
        #[serde(rename = "duration_ms", with = "millis")]
        duration: Duration,
    },
}

/// A time as RFC 3339 text in UTC with milliseconds (`2025-03-01T09:00:00.000Z`).
mod rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|time| time.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

/// A duration as a whole number of milliseconds (saturating).
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

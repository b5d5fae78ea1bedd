//! Public events the engine emits while it runs a plan. The engine never prints: reporters
//! (console, progress bars, JSONL, state recorder) consume these.

use std::path::PathBuf;
use std::time::Duration;

use crate::model::outcome::{OperationStatus, RunOutcome};

/// Something that happened during a run, in the order it happened.
#[derive(Clone, Debug, PartialEq)]
pub enum RunEvent {
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
        expected: Duration,
    },
    /// A running operation is still running (FAST every 10 s, WAIT every 60 s).
    Heartbeat {
        /// The operation id.
        operation: String,
        /// Time since the attempt started.
        elapsed: Duration,
        /// `duration.expected`.
        expected: Duration,
    },
    /// The operation printed a `[PROGRESS]` marker.
    Progress {
        /// The operation id.
        operation: String,
        /// The text after the marker, redacted.
        message: String,
    },
    /// The operation printed a marker line other than `[PROGRESS]` and `[OUTPUT]`.
    Marker {
        /// The operation id.
        operation: String,
        /// The marker name without brackets: `START`, `VALIDATE`, `SUCCESS`, `ERROR`, `WARNING`, `INFO`.
        marker: String,
        /// The text after the marker, redacted.
        message: String,
    },
    /// The operation published a value with `[OUTPUT] NAME=value`.
    OutputPublished {
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
        delay: Duration,
        /// The error class from the error catalog.
        class: String,
        /// The line that matched, redacted.
        message: String,
        /// The failed attempt's exit code.
        exit_code: Option<i32>,
        /// How long the failed attempt ran.
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
        duration: Duration,
        /// The error class of a failure, when the catalog knew it.
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
        duration: Duration,
    },
}

//! One operation, all its attempts: run each as a process, judge it, classify a failure and retry
//! it within the error class's limits (or the operation's own policy), reporting `RunEvent`s.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::{Instant, sleep_until};

use crate::exec::attempt::{AttemptReport, run_attempt};
use crate::exec::backoff::{Jitter, RetryPolicy};
use crate::exec::error_catalog::ErrorCatalog;
use crate::exec::event::{EventKind, RunEvent};
use crate::exec::retry;
use crate::exec::run_command::RunCommandCheck;
use crate::exec::spawn::Spawn;
use crate::model::fingerprint::Fingerprint;
use crate::model::outcome::OperationStatus;
use avdeploy_wire::redact::Redactor;

/// Everything needed to run one operation. No `Debug`: `env` holds secrets in clear.
#[derive(Clone)]
pub(crate) struct UnitSpec {
    /// The module of the operation.
    pub module: String,
    /// The operation id.
    pub operation: String,
    /// The rendered bash script, run as `bash <script>`.
    pub script: PathBuf,
    /// Starts the process of each attempt: [`Bash`](crate::exec::spawn::Bash) runs `script`.
    pub process: Arc<dyn Spawn>,
    /// Variables added to the inherited environment (secrets included: never written to disk).
    pub env: Vec<(String, String)>,
    /// The working directory (the deployment folder).
    pub cwd: PathBuf,
    /// Where attempt logs go (`artifacts/logs`).
    pub log_dir: PathBuf,
    /// `duration.expected`.
    pub expected: Duration,
    /// `duration.timeout`: past it the process group is terminated.
    pub timeout: Duration,
    /// Heartbeat period (FAST 10 s, WAIT 60 s); `None` for none.
    pub heartbeat: Option<Duration>,
    /// Time between SIGTERM and SIGKILL on timeout.
    pub grace: Duration,
    /// The operation's own policy for failures the catalog does not know.
    pub retry: RetryPolicy,
    /// Set for `az vm run-command invoke` operations: where the JSON answer is written.
    pub run_command: Option<RunCommandCheck>,
    /// Masks secret values in every log line and event.
    pub redactor: Arc<Redactor>,
    /// Real seconds per Azure second for retry waits: 1 against Azure, the simulator's time
    /// scale under `--simulate` (its Retry-After values and Azure's backoffs are Azure time).
    pub retry_time_scale: f64,
    /// What the operation runs, recorded with each attempt.
    pub fingerprint: Option<Arc<Fingerprint>>,
    /// The inputs that changed since its last completed attempt, when that is why it runs.
    pub changed: Vec<String>,
}

/// How an operation ended, after its last attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UnitOutcome {
    /// The final status: completed, failed, timed_out or interrupted.
    pub status: OperationStatus,
    /// The last attempt's exit code (124 on timeout).
    pub exit_code: Option<i32>,
    /// How many attempts ran.
    pub attempts: u32,
    /// `[OUTPUT]` values of the last attempt, in clear: keep them in memory only.
    pub outputs: Vec<(String, String)>,
    /// The error class of a failure, when known.
    pub class: Option<String>,
    /// The class's hint.
    pub hint: Option<String>,
    /// The failure's error line, redacted.
    pub error: Option<String>,
}

/// A request from the scheduler to a running unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnitRequest {
    /// Let the running attempt finish, start no retry.
    Cancel,
    /// Kill the process group now.
    Kill,
}

/// Runs `spec` to its final status. Emits `OperationStarted` per attempt, `Heartbeat`,
/// `Progress`, `Marker`, `OutputPublished`, `AttemptFailedWillRetry`, and one
/// `OperationFinished` at the end.
pub(crate) async fn run_unit(
    spec: UnitSpec,
    catalog: Arc<ErrorCatalog>,
    events: UnboundedSender<RunEvent>,
    mut requests: UnboundedReceiver<UnitRequest>,
) -> UnitOutcome {
    let mut redactor = (*spec.redactor).clone();
    let first_started = Instant::now();
    let mut jitter = Jitter::from_entropy();
    let mut requests_open = true;
    let mut cancelled = false;
    let mut attempt = 1;
    loop {
        let mut report = run_attempt(
            &spec,
            attempt,
            &mut redactor,
            &events,
            &mut requests,
            &mut requests_open,
        )
        .await;
        cancelled |= report.cancel_requested;
        if report.status != OperationStatus::Failed {
            return finish(&spec, &events, attempt, report);
        }
        let classification = catalog.classify(&report.text);
        if let Some(found) = &classification {
            report.class = Some(found.class.clone());
            report.hint.clone_from(&found.hint);
        }
        let elapsed = first_started.elapsed();
        let Some(mut plan) = retry::plan(
            classification.as_ref(),
            &spec.retry,
            attempt,
            elapsed,
            jitter.next_unit(),
        ) else {
            return finish(&spec, &events, attempt, report);
        };
        plan.delay = scaled(plan.delay, spec.retry_time_scale);
        if cancelled {
            report.status = OperationStatus::Interrupted;
            return finish(&spec, &events, attempt, report);
        }
        let message = classification
            .map(|found| found.line)
            .or_else(|| report.error.clone())
            .unwrap_or_default();
        let _ = events.send(RunEvent::now(EventKind::AttemptFailedWillRetry {
            module: spec.module.clone(),
            operation: spec.operation.clone(),
            attempt,
            max_attempts: plan.max_attempts,
            delay: plan.delay,
            class: plan.class,
            message,
            exit_code: report.exit_code,
            duration: report.duration,
        }));
        if wait(plan.delay, &mut requests, &mut requests_open)
            .await
            .is_some()
        {
            report.status = OperationStatus::Interrupted;
            return finish(&spec, &events, attempt, report);
        }
        attempt += 1;
    }
}

/// Waits `delay` unless a request comes first, which is returned.
async fn wait(
    delay: Duration,
    requests: &mut UnboundedReceiver<UnitRequest>,
    requests_open: &mut bool,
) -> Option<UnitRequest> {
    let until = Instant::now()
        .checked_add(delay)
        .unwrap_or_else(Instant::now);
    loop {
        tokio::select! {
            () = sleep_until(until) => return None,
            request = requests.recv(), if *requests_open => match request {
                Some(request) => return Some(request),
                None => *requests_open = false,
            },
        }
    }
}

fn finish(
    spec: &UnitSpec,
    events: &UnboundedSender<RunEvent>,
    attempt: u32,
    report: AttemptReport,
) -> UnitOutcome {
    let failed = report.status != OperationStatus::Completed;
    let error = report.error.filter(|_| failed);
    let _ = events.send(RunEvent::now(EventKind::OperationFinished {
        module: spec.module.clone(),
        operation: spec.operation.clone(),
        attempt,
        status: report.status,
        exit_code: report.exit_code,
        duration: report.duration,
        class: report.class.clone(),
        hint: report.hint.clone(),
        error: error.clone(),
    }));
    UnitOutcome {
        status: report.status,
        exit_code: report.exit_code,
        attempts: attempt,
        outputs: report.outputs,
        class: report.class,
        hint: report.hint,
        error,
    }
}

/// `delay` times `scale` (real seconds per Azure second), saturating instead of overflowing.
fn scaled(delay: Duration, scale: f64) -> Duration {
    Duration::try_from_secs_f64(delay.as_secs_f64() * scale).unwrap_or(Duration::MAX)
}

#[cfg(test)]
#[path = "unit_tests.rs"]
mod tests;

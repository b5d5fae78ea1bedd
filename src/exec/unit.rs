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
pub struct UnitSpec {
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
pub struct UnitOutcome {
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
pub enum UnitRequest {
    /// Let the running attempt finish, start no retry.
    Cancel,
    /// Kill the process group now.
    Kill,
}

/// Runs `spec` to its final status. Emits `OperationStarted` per attempt, `Heartbeat`,
/// `Progress`, `Marker`, `OutputPublished`, `AttemptFailedWillRetry`, and one
/// `OperationFinished` at the end.
pub async fn run_unit(
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
mod tests {
    use std::path::Path;

    use super::*;
    use crate::exec::test_support::{Fixture, Running, file_appears, run};

    const CONFLICT: &str = "ERROR: (Conflict) Run command extension execution is in progress. \
                            Please wait for completion before invoking a run command.";

    /// A script that fails with `failure` on stderr the first time, and succeeds afterwards.
    fn fails_once(failure: &str) -> String {
        format!(
            "n=$(cat \"$WORK/count\" 2>/dev/null || echo 0)\necho $((n + 1)) > \"$WORK/count\"\n\
             if [ \"$n\" = 0 ]; then echo \"{failure}\" >&2; exit 1; fi\necho '[SUCCESS] ok'\n"
        )
    }

    fn retries(events: &[RunEvent]) -> Vec<&EventKind> {
        events
            .iter()
            .map(|e| &e.kind)
            .filter(|e| matches!(e, EventKind::AttemptFailedWillRetry { .. }))
            .collect()
    }

    /// The built-in conflict class with a one-second base, so the test stays short.
    fn quick_conflict_catalog() -> ErrorCatalog {
        let yaml = "errors:\n  - class: run_command_conflict\n    match: [\"Run command extension \
                    execution is in progress\"]\n    policy: retry\n    backoff: 1\n    max_delay: 1\n";
        ErrorCatalog::parse(yaml, Path::new("errors.yaml")).unwrap()
    }

    #[tokio::test]
    async fn an_absurd_retry_after_waits_no_longer_than_max_delay() {
        let fixture = Fixture::new();
        let asked = format!("{CONFLICT} Retry-After: 18446744073709551615");
        let spec = fixture.spec("rc", &fails_once(&asked));
        let (outcome, events) = Running::start(spec, quick_conflict_catalog())
            .finish()
            .await;
        assert_eq!(
            (outcome.status, outcome.attempts),
            (OperationStatus::Completed, 2)
        );
        assert!(matches!(
            retries(&events)[..],
            [EventKind::AttemptFailedWillRetry { delay, .. }] if *delay == Duration::from_secs(1)
        ));
    }

    #[test]
    fn scaling_a_delay_saturates() {
        assert_eq!(scaled(Duration::MAX, 2.0), Duration::MAX);
        assert_eq!(scaled(Duration::from_secs(10), 0.5), Duration::from_secs(5));
    }

    #[tokio::test]
    async fn conflict_is_retried_and_each_attempt_has_its_log() {
        let fixture = Fixture::new();
        let spec = fixture.spec("rc", &fails_once(CONFLICT));
        let (outcome, events) = Running::start(spec, quick_conflict_catalog())
            .finish()
            .await;
        assert_eq!(
            (outcome.status, outcome.attempts),
            (OperationStatus::Completed, 2)
        );
        let retries = retries(&events);
        assert_eq!(retries.len(), 1);
        let EventKind::AttemptFailedWillRetry {
            attempt,
            class,
            message,
            exit_code,
            delay,
            ..
        } = retries[0]
        else {
            unreachable!()
        };
        assert_eq!(
            (*attempt, class.as_str(), *exit_code),
            (1, "run_command_conflict", Some(1))
        );
        assert!(message.contains("Run command extension execution is in progress"));
        assert!(*delay <= Duration::from_secs(1));
        let started = events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::OperationStarted { .. }))
            .count();
        assert_eq!(started, 2);
        let logs = fixture.logs();
        assert_eq!(logs.len(), 2);
        assert!(
            logs.iter()
                .any(|log| log.contains("[stderr] ERROR: (Conflict)"))
        );
    }

    #[tokio::test]
    async fn try_again_after_is_honoured() {
        let fixture = Fixture::new();
        let throttled = "ERROR: (SubscriptionRequestsThrottled) Number of read requests exceeded. \
                         Please try again after '1' seconds.";
        let (outcome, events) = run(fixture.spec("t", &fails_once(throttled))).await;
        assert_eq!(
            (outcome.status, outcome.attempts),
            (OperationStatus::Completed, 2)
        );
        assert!(matches!(
            retries(&events)[..],
            [EventKind::AttemptFailedWillRetry { delay, class, .. }]
                if *delay == Duration::from_secs(1) && class == "throttled"
        ));
    }

    #[tokio::test]
    async fn login_errors_fail_at_once_with_the_hint() {
        let fixture = Fixture::new();
        let mut spec = fixture.spec(
            "login",
            "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
        );
        spec.retry = RetryPolicy {
            max_attempts: 3,
            backoff: Duration::ZERO,
        };
        let (outcome, events) = run(spec).await;
        assert_eq!(
            (outcome.status, outcome.attempts),
            (OperationStatus::Failed, 1)
        );
        assert_eq!(outcome.class.as_deref(), Some("az_login_required"));
        assert!(
            outcome
                .hint
                .as_deref()
                .unwrap_or_default()
                .contains("az login")
        );
        assert!(retries(&events).is_empty());
        assert!(matches!(
            events.last().map(|e| &e.kind),
            Some(EventKind::OperationFinished { class: Some(c), hint: Some(_), error: Some(_), .. })
                if c == "az_login_required"
        ));
    }

    #[tokio::test]
    async fn unknown_failures_use_the_operation_policy() {
        let fixture = Fixture::new();
        let mut spec = fixture.spec("u", &fails_once("something odd"));
        let (once, _) = run(spec.clone()).await;
        assert_eq!((once.status, once.attempts), (OperationStatus::Failed, 1));
        std::fs::remove_file(fixture.path("count")).unwrap();
        spec.retry = RetryPolicy {
            max_attempts: 2,
            backoff: Duration::ZERO,
        };
        let (twice, events) = run(spec).await;
        assert_eq!(
            (twice.status, twice.attempts),
            (OperationStatus::Completed, 2)
        );
        assert!(matches!(
            retries(&events)[..],
            [EventKind::AttemptFailedWillRetry { class, .. }] if class == retry::UNCLASSIFIED
        ));
    }

    #[tokio::test]
    async fn cancel_prevents_retries() {
        let fixture = Fixture::new();
        let body = format!(
            "touch \"$WORK/started\"\nwhile [ ! -e \"$WORK/go\" ]; do sleep 0.05; done\n\
             echo \"{CONFLICT}\" >&2\nexit 1\n"
        );
        let running = Running::start(fixture.spec("c", &body), quick_conflict_catalog());
        assert!(file_appears(&fixture.path("started")).await);
        running.requests.send(UnitRequest::Cancel).unwrap();
        std::fs::write(fixture.path("go"), "").unwrap();
        let (outcome, events) = running.finish().await;
        assert_eq!(
            (outcome.status, outcome.attempts),
            (OperationStatus::Interrupted, 1)
        );
        assert_eq!(outcome.class.as_deref(), Some("run_command_conflict"));
        assert!(retries(&events).is_empty());
    }

    #[tokio::test]
    async fn kill_during_the_backoff_wait_interrupts() {
        let fixture = Fixture::new();
        let mut spec = fixture.spec("k", "echo flaky >&2\nexit 1\n");
        spec.retry = RetryPolicy {
            max_attempts: 5,
            backoff: Duration::from_secs(600),
        };
        let mut running = Running::start(spec, ErrorCatalog::builtin());
        running
            .next_event(|e| matches!(&e.kind, EventKind::AttemptFailedWillRetry { .. }))
            .await;
        running.requests.send(UnitRequest::Kill).unwrap();
        let (outcome, _) = running.finish().await;
        assert_eq!(
            (outcome.status, outcome.attempts),
            (OperationStatus::Interrupted, 1)
        );
    }
}

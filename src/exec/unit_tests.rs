//! Unit tests of one operation's attempts: retries, their waits and limits, timeouts, heartbeats
//! and requests. Most run stand-ins on a paused tokio clock and assert exact virtual times; one
//! runs real `bash` to see a real failure's output classified.

use std::path::Path;

use super::*;
use crate::exec::test_support::{Fixture, Running};
use crate::exec::virtual_process::{Act, run_timed};

const S: fn(u64) -> Duration = Duration::from_secs;

const CONFLICT: &str = "ERROR: (Conflict) Run command extension execution is in progress. \
                        Please wait for completion before invoking a run command.";

fn retries(events: &[RunEvent]) -> Vec<&EventKind> {
    events
        .iter()
        .map(|e| &e.kind)
        .filter(|e| matches!(e, EventKind::AttemptFailedWillRetry { .. }))
        .collect()
}

fn delays(events: &[RunEvent]) -> Vec<Duration> {
    retries(events)
        .into_iter()
        .filter_map(|e| match e {
            EventKind::AttemptFailedWillRetry { delay, .. } => Some(*delay),
            _ => None,
        })
        .collect()
}

fn status(outcome: &UnitOutcome) -> (OperationStatus, u32) {
    (outcome.status, outcome.attempts)
}

#[test]
fn scaling_a_delay_saturates() {
    assert_eq!(scaled(Duration::MAX, 2.0), Duration::MAX);
    assert_eq!(scaled(S(10), 0.5), S(5));
}

#[tokio::test(start_paused = true)]
async fn a_retry_waits_its_backoff_before_the_next_attempt() {
    let fixture = Fixture::new();
    let mut spec = fixture.acting("u", [Act::fails_after(5, "flaky"), Act::succeeds_after(5)]);
    spec.retry = RetryPolicy {
        max_attempts: 2,
        backoff: S(10),
    };
    let (outcome, events, took) = run_timed(spec, ErrorCatalog::builtin()).await;
    assert_eq!(status(&outcome), (OperationStatus::Completed, 2));
    let [delay] = delays(&events)[..] else {
        panic!("one retry expected: {events:#?}")
    };
    // Jitter keeps the upper half of the 10 s backoff; timers round up to the millisecond.
    assert!((S(5)..=S(10)).contains(&delay), "{delay:?}");
    let waited = took - S(5 + 5);
    assert!(
        (delay..delay + Duration::from_millis(1)).contains(&waited),
        "{waited:?} for {delay:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_absurd_retry_after_is_capped_at_max_delay_and_stops_at_max_elapsed() {
    // The built-in conflict class: at most 60 s a wait, 5,700 s in all (Azure's 90-minute
    // run-command limit and a little more).
    let fixture = Fixture::new();
    let asked = format!("{CONFLICT} Retry-After: 18446744073709551615");
    let spec = fixture.acting("rc", [Act::fails_after(10, &asked)]);
    let (outcome, events, took) = run_timed(spec, ErrorCatalog::builtin()).await;
    // Attempt k fails at 70k - 60 s; the retry after attempt 82 would end past 5,700 s.
    assert_eq!(status(&outcome), (OperationStatus::Failed, 82));
    assert_eq!(delays(&events), [S(60); 81]);
    assert_eq!(took, S(5680));
    assert_eq!(outcome.class.as_deref(), Some("run_command_conflict"));
}

#[tokio::test(start_paused = true)]
async fn try_again_after_is_waited_exactly() {
    let fixture = Fixture::new();
    let throttled = "ERROR: (SubscriptionRequestsThrottled) Number of read requests exceeded. \
                     Please try again after '17' seconds.";
    let acts = [Act::fails_after(2, throttled), Act::succeeds_after(3)];
    let (outcome, events, took) =
        run_timed(fixture.acting("t", acts), ErrorCatalog::builtin()).await;
    assert_eq!(status(&outcome), (OperationStatus::Completed, 2));
    assert!(matches!(
        retries(&events)[..],
        [EventKind::AttemptFailedWillRetry { delay, class, .. }]
            if *delay == S(17) && class == "throttled"
    ));
    assert_eq!(took, S(2 + 17 + 3));
}

#[tokio::test(start_paused = true)]
async fn a_timeout_fires_at_exactly_the_operation_timeout() {
    let fixture = Fixture::new();
    let mut spec = fixture.acting("slow", [Act::succeeds_after(300)]);
    spec.timeout = S(42);
    spec.retry = RetryPolicy {
        max_attempts: 3,
        backoff: S(1),
    };
    let (outcome, events, took) = run_timed(spec, ErrorCatalog::builtin()).await;
    // A timeout is final: it is not retried.
    assert_eq!(status(&outcome), (OperationStatus::TimedOut, 1));
    assert_eq!(outcome.exit_code, Some(124));
    assert_eq!(took, S(42));
    assert!(matches!(
        events.last().map(|e| &e.kind),
        Some(EventKind::OperationFinished { status: OperationStatus::TimedOut, duration, error: Some(e), .. })
            if *duration == S(42) && e.contains("timed out after 42s")
    ));
}

#[tokio::test(start_paused = true)]
async fn a_process_ignoring_term_is_killed_when_the_grace_period_ends() {
    let fixture = Fixture::new();
    let mut spec = fixture.acting(
        "stubborn",
        [Act {
            ignores_term: true,
            ..Act::succeeds_after(300)
        }],
    );
    spec.timeout = S(30);
    spec.grace = S(5);
    let (outcome, _, took) = run_timed(spec, ErrorCatalog::builtin()).await;
    assert_eq!(status(&outcome), (OperationStatus::TimedOut, 1));
    assert_eq!(took, S(35));
    assert!(fixture.logs().concat().contains("grace period over"));
}

#[tokio::test(start_paused = true)]
async fn heartbeats_come_each_period_while_it_runs() {
    let fixture = Fixture::new();
    let mut spec = fixture.acting("wait", [Act::succeeds_after(35)]);
    spec.heartbeat = Some(S(10));
    let (outcome, events, _) = run_timed(spec, ErrorCatalog::builtin()).await;
    assert_eq!(outcome.status, OperationStatus::Completed);
    let beats: Vec<Duration> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Heartbeat { elapsed, .. } => Some(*elapsed),
            _ => None,
        })
        .collect();
    assert_eq!(beats, [S(10), S(20), S(30)]);
}

#[tokio::test(start_paused = true)]
async fn login_errors_fail_at_once_with_the_hint() {
    let fixture = Fixture::new();
    let login = "ERROR: Please run 'az login' to setup account.";
    let mut spec = fixture.acting("login", [Act::fails_after(1, login)]);
    spec.retry = RetryPolicy {
        max_attempts: 3,
        backoff: Duration::ZERO,
    };
    let (outcome, events, took) = run_timed(spec, ErrorCatalog::builtin()).await;
    assert_eq!(status(&outcome), (OperationStatus::Failed, 1));
    assert_eq!(took, S(1));
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

#[tokio::test(start_paused = true)]
async fn unknown_failures_use_the_operation_policy() {
    let fixture = Fixture::new();
    let acts = || [Act::fails_after(1, "something odd"), Act::succeeds_after(1)];
    let (once, _, _) = run_timed(fixture.acting("u", acts()), ErrorCatalog::builtin()).await;
    assert_eq!(status(&once), (OperationStatus::Failed, 1));
    let mut spec = fixture.acting("u", acts());
    spec.retry = RetryPolicy {
        max_attempts: 2,
        backoff: Duration::ZERO,
    };
    let (twice, events, took) = run_timed(spec, ErrorCatalog::builtin()).await;
    assert_eq!(status(&twice), (OperationStatus::Completed, 2));
    assert_eq!(took, S(2));
    assert!(matches!(
        retries(&events)[..],
        [EventKind::AttemptFailedWillRetry { class, .. }] if class == retry::UNCLASSIFIED
    ));
}

#[tokio::test(start_paused = true)]
async fn cancel_lets_the_attempt_finish_and_prevents_retries() {
    let fixture = Fixture::new();
    let spec = fixture.acting("c", [Act::fails_after(10, CONFLICT)]);
    let started = tokio::time::Instant::now();
    let running = Running::start(spec, ErrorCatalog::builtin());
    tokio::time::sleep(S(3)).await;
    running.requests.send(UnitRequest::Cancel).unwrap();
    let (outcome, events) = running.end().await;
    assert_eq!(status(&outcome), (OperationStatus::Interrupted, 1));
    assert_eq!(started.elapsed(), S(10));
    assert_eq!(outcome.class.as_deref(), Some("run_command_conflict"));
    assert!(retries(&events).is_empty());
}

#[tokio::test(start_paused = true)]
async fn kill_during_the_backoff_wait_interrupts_at_once() {
    let fixture = Fixture::new();
    let mut spec = fixture.acting("k", [Act::fails_after(1, "flaky")]);
    spec.retry = RetryPolicy {
        max_attempts: 5,
        backoff: S(600),
    };
    let started = tokio::time::Instant::now();
    let mut running = Running::start(spec, ErrorCatalog::builtin());
    running
        .next_event(|e| matches!(&e.kind, EventKind::AttemptFailedWillRetry { .. }))
        .await;
    tokio::time::sleep(S(7)).await;
    running.requests.send(UnitRequest::Kill).unwrap();
    let (outcome, _) = running.end().await;
    assert_eq!(status(&outcome), (OperationStatus::Interrupted, 1));
    assert_eq!(started.elapsed(), S(8));
}

#[tokio::test(start_paused = true)]
async fn a_kill_request_stops_a_running_attempt_at_once() {
    let fixture = Fixture::new();
    let spec = fixture.acting("long", [Act::succeeds_after(300)]);
    let started = tokio::time::Instant::now();
    let running = Running::start(spec, ErrorCatalog::builtin());
    tokio::time::sleep(S(4)).await;
    running.requests.send(UnitRequest::Kill).unwrap();
    let (outcome, _) = running.end().await;
    assert_eq!(status(&outcome), (OperationStatus::Interrupted, 1));
    assert_eq!(outcome.exit_code, Some(128 + libc::SIGKILL));
    assert_eq!(started.elapsed(), S(4));
}

/// A script that fails with `failure` on stderr the first time, and succeeds afterwards.
fn fails_once(failure: &str) -> String {
    format!(
        "n=$(cat \"$WORK/count\" 2>/dev/null || echo 0)\necho $((n + 1)) > \"$WORK/count\"\n\
         if [ \"$n\" = 0 ]; then echo \"{failure}\" >&2; exit 1; fi\necho '[SUCCESS] ok'\n"
    )
}

/// The built-in conflict class with a one-second base, so that a real wait stays short.
fn quick_conflict_catalog() -> ErrorCatalog {
    let yaml = "errors:\n  - class: run_command_conflict\n    match: [\"Run command extension \
                execution is in progress\"]\n    policy: retry\n    backoff: 1\n    max_delay: 1\n";
    ErrorCatalog::parse(yaml, Path::new("errors.yaml")).unwrap()
}

#[tokio::test]
async fn a_real_conflict_is_classified_retried_and_each_attempt_has_its_log() {
    let fixture = Fixture::new();
    let spec = fixture.spec("rc", &fails_once(CONFLICT));
    let (outcome, events) = Running::start(spec, quick_conflict_catalog())
        .finish()
        .await;
    assert_eq!(status(&outcome), (OperationStatus::Completed, 2));
    let retries = retries(&events);
    let [
        EventKind::AttemptFailedWillRetry {
            attempt,
            class,
            message,
            exit_code,
            delay,
            ..
        },
    ] = retries[..]
    else {
        panic!("one retry expected: {events:#?}")
    };
    assert_eq!(
        (*attempt, class.as_str(), *exit_code),
        (1, "run_command_conflict", Some(1))
    );
    assert!(message.contains("Run command extension execution is in progress"));
    assert!(*delay <= S(1));
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

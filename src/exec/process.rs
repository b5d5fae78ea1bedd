//! One attempt's process under supervision, however it was started ([`Started`]): its output
//! streamed line by line, heartbeats, the timeout (TERM, grace, KILL) and kill requests.

use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until};

use crate::exec::attempt_log::Stream;
use crate::exec::event::{EventKind, RunEvent};
use crate::exec::output_sink::OutputSink;
use crate::exec::spawn::Started;
use crate::exec::unit::{UnitRequest, UnitSpec};
use crate::exec::unix::GroupSignal;

/// The exit code recorded for a timed-out attempt (as `timeout(1)` reports it).
pub(crate) const TIMEOUT_EXIT_CODE: i32 = 124;

/// How long output still queued in the pipes is read after the group is gone. Only a process
/// that left the group (setsid) can keep a pipe open that long; its output is then abandoned.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// Longer than any operation runs: stands for "never" in deadlines.
const FAR_FUTURE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// How an attempt's process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProcessEnd {
    /// The leader exited on its own.
    Exited,
    /// A kill request stopped it.
    Killed,
    /// It ran past its timeout and was stopped.
    TimedOut,
}

/// The result of running one attempt's process.
#[derive(Debug)]
pub(crate) struct AttemptRun {
    /// How it ended.
    pub(crate) end: ProcessEnd,
    /// The exit code (128 + signal when a signal ended it; 124 on timeout).
    pub(crate) exit_code: Option<i32>,
    /// Whether a cancel request arrived while it ran.
    pub(crate) cancel_requested: bool,
}

/// What an attempt is waiting for while its process runs.
struct Supervision {
    end: ProcessEnd,
    kill_at: Option<Instant>,
    cancel_requested: bool,
    requests_open: bool,
}

/// Supervises the `started` process until it and its group are gone, feeding every output line
/// to `sink`.
pub(crate) async fn supervise(
    spec: &UnitSpec,
    started: Started,
    sink: &mut OutputSink<'_>,
    events: &UnboundedSender<RunEvent>,
    requests: &mut UnboundedReceiver<UnitRequest>,
    requests_open: &mut bool,
) -> std::io::Result<AttemptRun> {
    let Started {
        pid: _,
        mut exit,
        mut lines,
        readers,
        signal,
    } = started;
    let started = Instant::now();
    let deadline = later(started, spec.timeout);
    let period = spec
        .heartbeat
        .unwrap_or(FAR_FUTURE)
        .max(Duration::from_millis(1));
    let mut heartbeat = interval_at(later(started, period), period);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut state = Supervision {
        end: ProcessEnd::Exited,
        kill_at: None,
        cancel_requested: false,
        requests_open: *requests_open,
    };
    let code = loop {
        tokio::select! {
            Some((stream, line)) = lines.recv() => sink.line(stream, &line),
            code = &mut exit => break code?,
            () = sleep_until(deadline), if state.end == ProcessEnd::Exited => {
                sink.note(&format!("timeout of {}s reached: terminating the process group", spec.timeout.as_secs()));
                signal(GroupSignal::Terminate);
                state.end = ProcessEnd::TimedOut;
                state.kill_at = Some(later(Instant::now(), spec.grace));
            }
            () = sleep_until(state.kill_at.unwrap_or(deadline)), if state.kill_at.is_some() => {
                sink.note("grace period over: killing the process group");
                signal(GroupSignal::Kill);
                state.kill_at = None;
            }
            _ = heartbeat.tick(), if spec.heartbeat.is_some() => {
                let _ = events.send(RunEvent::now(EventKind::Heartbeat {
                    module: spec.module.clone(),
                    operation: spec.operation.clone(),
                    elapsed: started.elapsed(),
                    expected: spec.expected,
                }));
            }
            request = requests.recv(), if state.requests_open => match request {
                Some(UnitRequest::Kill) => {
                    sink.note("kill requested: killing the process group");
                    signal(GroupSignal::Kill);
                    state.end = ProcessEnd::Killed;
                }
                Some(UnitRequest::Cancel) => state.cancel_requested = true,
                None => state.requests_open = false,
            },
        }
    };
    // A request that arrived as the process ended still means "no retry".
    while state.requests_open
        && let Ok(request) = requests.try_recv()
    {
        match request {
            UnitRequest::Cancel | UnitRequest::Kill => state.cancel_requested = true,
        }
    }
    // The leader is gone; anything it left running in its group would hold the pipes open.
    signal(GroupSignal::Kill);
    drain(&mut lines, sink).await;
    for reader in readers {
        reader.abort();
    }
    *requests_open = state.requests_open;
    let exit_code = match state.end {
        ProcessEnd::TimedOut => Some(TIMEOUT_EXIT_CODE),
        ProcessEnd::Exited | ProcessEnd::Killed => code,
    };
    Ok(AttemptRun {
        end: state.end,
        exit_code,
        cancel_requested: state.cancel_requested,
    })
}

/// `start + duration`, saturating at [`FAR_FUTURE`] so that huge timeouts cannot overflow.
fn later(start: Instant, duration: Duration) -> Instant {
    start.checked_add(duration.min(FAR_FUTURE)).unwrap_or(start)
}

async fn drain(lines: &mut UnboundedReceiver<(Stream, String)>, sink: &mut OutputSink<'_>) {
    let limit = Instant::now() + DRAIN_LIMIT;
    while let Ok(Some((stream, line))) = tokio::time::timeout_at(limit, lines.recv()).await {
        sink.line(stream, &line);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::exec::error_catalog::ErrorCatalog;
    use crate::exec::event::EventKind;
    use crate::exec::test_support::{Fixture, Running, eventually, read_pid, run};
    use crate::exec::unix::is_alive;
    use crate::model::outcome::OperationStatus;
    use avdeploy_wire::redact::Redactor;

    #[tokio::test]
    async fn exit_codes_become_statuses() {
        let fixture = Fixture::new();
        let (ok, events) = run(fixture.spec("ok", "echo hello\n")).await;
        assert_eq!(
            (ok.status, ok.exit_code, ok.attempts),
            (OperationStatus::Completed, Some(0), 1)
        );
        assert!(matches!(
            events.first().map(|e| &e.kind),
            Some(EventKind::OperationStarted { attempt: 1, .. })
        ));
        assert!(matches!(
            events.last().map(|e| &e.kind),
            Some(EventKind::OperationFinished {
                status: OperationStatus::Completed,
                error: None,
                ..
            })
        ));
        let body = "echo 'ERROR: disk full' >&2\necho 'See the docs' >&2\nexit 3\n";
        let (failed, _) = run(fixture.spec("bad", body)).await;
        assert_eq!(
            (failed.status, failed.exit_code),
            (OperationStatus::Failed, Some(3))
        );
        assert_eq!(failed.error.as_deref(), Some("ERROR: disk full"));
        assert_eq!(failed.class, None);
    }

    #[tokio::test]
    async fn markers_become_events_and_outputs_are_captured() {
        let fixture = Fixture::new();
        let body = "echo '[START] go'\necho '[PROGRESS] 1/2'\necho '[OUTPUT] VNET_ID=/sub/x=1'\n\
                    echo '[OUTPUT] DB_PASSWORD=s3cr3t-out'\necho 'value s3cr3t-out' >&2\n\
                    echo '[WARNING] careful' >&2\n";
        let (outcome, events) = run(fixture.spec("op", body)).await;
        assert_eq!(outcome.status, OperationStatus::Completed);
        assert_eq!(
            outcome.outputs,
            vec![
                ("VNET_ID".to_owned(), "/sub/x=1".to_owned()),
                ("DB_PASSWORD".to_owned(), "s3cr3t-out".to_owned())
            ]
        );
        assert!(events.iter().any(|e| e.kind
            == EventKind::Progress {
                module: "m".into(),
                operation: "op".into(),
                message: "1/2".into()
            }));
        assert!(events.iter().any(|e| e.kind
            == EventKind::Marker {
                module: "m".into(),
                operation: "op".into(),
                marker: "WARNING".into(),
                message: "careful".into()
            }));
        assert!(events.iter().any(|e| e.kind
            == EventKind::OutputPublished {
                module: "m".into(),
                operation: "op".into(),
                name: "DB_PASSWORD".into(),
                value: "***".into()
            }));
        let log = fixture.logs().concat();
        assert!(log.contains("[stdout] [PROGRESS] 1/2"));
        assert!(log.contains("[stderr] value ***"));
        assert!(!log.contains("s3cr3t-out"));
    }

    #[tokio::test]
    async fn secrets_never_reach_logs_or_events() {
        let fixture = Fixture::new();
        let mut spec = fixture.spec(
            "op",
            "echo \"pw=$ADMIN_PASSWORD\"\necho \"[ERROR] bad $ADMIN_PASSWORD\" \nexit 1\n",
        );
        spec.env.push(("ADMIN_PASSWORD".into(), "Hunter2!x".into()));
        spec.redactor = Arc::new(Redactor::new(["Hunter2!x".to_owned()]));
        let (outcome, events) = run(spec).await;
        assert_eq!(outcome.status, OperationStatus::Failed);
        assert_eq!(outcome.error.as_deref(), Some("bad ***"));
        assert!(!format!("{events:?}").contains("Hunter2"));
        let log = fixture.logs().concat();
        assert!(log.contains("pw=***") && !log.contains("Hunter2"));
    }

    #[tokio::test]
    async fn timeout_kills_the_whole_group() {
        let fixture = Fixture::new();
        let mut spec = fixture.spec(
            "slow",
            "trap '' TERM\nsleep 300 &\necho $! > \"$WORK/child.pid\"\nwhile true; do sleep 1; done\n",
        );
        spec.timeout = Duration::from_secs(1);
        spec.grace = Duration::from_millis(300);
        let (outcome, events) = run(spec).await;
        assert_eq!(
            (outcome.status, outcome.exit_code),
            (OperationStatus::TimedOut, Some(124))
        );
        assert!(
            outcome
                .error
                .as_deref()
                .unwrap_or_default()
                .contains("timed out after 1s")
        );
        assert!(matches!(
            events.last().map(|e| &e.kind),
            Some(EventKind::OperationFinished {
                status: OperationStatus::TimedOut,
                ..
            })
        ));
        let child = read_pid(&fixture.path("child.pid"));
        assert!(
            eventually(|| !is_alive(child)).await,
            "grandchild {child} survived"
        );
        assert!(fixture.logs().concat().contains("grace period over"));
    }

    #[tokio::test]
    async fn a_background_child_does_not_hold_the_operation() {
        let fixture = Fixture::new();
        let body = "sleep 300 &\necho $! > \"$WORK/child.pid\"\necho done\nexit 0\n";
        let (outcome, _) = run(fixture.spec("bg", body)).await;
        assert_eq!(outcome.status, OperationStatus::Completed);
        let child = read_pid(&fixture.path("child.pid"));
        assert!(eventually(|| !is_alive(child)).await);
    }

    #[tokio::test]
    async fn kill_request_interrupts_at_once() {
        let fixture = Fixture::new();
        let body = "echo $$ > \"$WORK/leader.pid\"\nwhile true; do sleep 1; done\n";
        let running = Running::start(fixture.spec("long", body), ErrorCatalog::builtin());
        // The file exists before the pid is in it: a kill in between would leave it empty.
        let pid_file = fixture.path("leader.pid");
        assert!(
            eventually(|| std::fs::read_to_string(&pid_file).is_ok_and(|t| t.ends_with('\n')))
                .await
        );
        running.requests.send(UnitRequest::Kill).unwrap();
        let (outcome, _) = running.finish().await;
        assert_eq!(outcome.status, OperationStatus::Interrupted);
        assert_eq!(outcome.exit_code, Some(128 + libc::SIGKILL));
        assert!(!is_alive(read_pid(&fixture.path("leader.pid"))));
    }

    #[tokio::test]
    async fn heartbeats_come_while_running() {
        let fixture = Fixture::new();
        let body = "while [ ! -e \"$WORK/go\" ]; do sleep 0.05; done\n";
        let mut spec = fixture.spec("wait", body);
        spec.heartbeat = Some(Duration::from_millis(50));
        let mut running = Running::start(spec, ErrorCatalog::builtin());
        let beat = running
            .next_event(|e| matches!(&e.kind, EventKind::Heartbeat { .. }))
            .await;
        assert!(
            matches!(beat.kind, EventKind::Heartbeat { expected, .. } if expected == Duration::from_secs(1))
        );
        std::fs::write(fixture.path("go"), "").unwrap();
        let (outcome, _) = running.finish().await;
        assert_eq!(outcome.status, OperationStatus::Completed);
    }
}

//! A stand-in for an operation's process, for tests on a paused tokio clock: it prints its lines,
//! runs for a while on the tokio clock and exits, earlier at TERM (unless it ignores it) or KILL.
//! No process runs, so nothing but timers moves virtual time, and scheduling, retries and
//! timeouts happen at exact virtual instants.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep};

use crate::exec::attempt_log::Stream;
use crate::exec::error_catalog::ErrorCatalog;
use crate::exec::event::RunEvent;
use crate::exec::spawn::{Spawn, Started};
use crate::exec::unit::{UnitOutcome, UnitSpec};
use crate::exec::unix::GroupSignal;

/// The exit code of a stand-in stopped by `signal`, as a shell reports it.
fn signalled(signal: libc::c_int) -> Option<i32> {
    Some(128 + signal)
}

/// What one attempt of a stand-in does.
#[derive(Clone, Debug)]
pub(crate) struct Act {
    /// How long it runs unless signalled.
    pub(crate) runs: Duration,
    /// Its exit code when it ends on its own.
    pub(crate) exit_code: i32,
    /// Lines it prints on stderr as it starts.
    pub(crate) stderr: Vec<String>,
    /// Whether it keeps running after SIGTERM (only SIGKILL stops it).
    pub(crate) ignores_term: bool,
}

impl Act {
    /// Runs `seconds` and succeeds.
    pub(crate) fn succeeds_after(seconds: u64) -> Self {
        Self {
            runs: Duration::from_secs(seconds),
            exit_code: 0,
            stderr: Vec::new(),
            ignores_term: false,
        }
    }

    /// Prints `error` on stderr, runs `seconds` and exits with 1.
    pub(crate) fn fails_after(seconds: u64, error: &str) -> Self {
        Self {
            exit_code: 1,
            stderr: vec![error.to_owned()],
            ..Self::succeeds_after(seconds)
        }
    }
}

/// Starts a stand-in per attempt: the `n`th attempt plays the `n`th act, the last one repeats.
pub(crate) struct Acts {
    acts: Vec<Act>,
    spawned: AtomicUsize,
}

impl Acts {
    /// Attempts that play `acts` in order.
    pub(crate) fn new(acts: impl IntoIterator<Item = Act>) -> Arc<Self> {
        let acts: Vec<Act> = acts.into_iter().collect();
        assert!(!acts.is_empty(), "a stand-in needs at least one act");
        Arc::new(Self {
            acts,
            spawned: AtomicUsize::new(0),
        })
    }
}

impl Spawn for Acts {
    fn spawn(&self, _spec: &UnitSpec) -> std::io::Result<Started> {
        let n = self.spawned.fetch_add(1, Ordering::SeqCst);
        let act = self.acts[n.min(self.acts.len() - 1)].clone();
        let (line_tx, lines) = mpsc::unbounded_channel();
        for line in &act.stderr {
            let _ = line_tx.send((Stream::Stderr, line.clone()));
        }
        let (signal_tx, mut signals) = mpsc::unbounded_channel();
        let exit = async move {
            // The output stays open while the stand-in runs.
            let _output = line_tx;
            let end = sleep(act.runs);
            tokio::pin!(end);
            loop {
                tokio::select! {
                    () = &mut end => return Ok(Some(act.exit_code)),
                    Some(signal) = signals.recv() => match signal {
                        GroupSignal::Kill => return Ok(signalled(libc::SIGKILL)),
                        GroupSignal::Terminate if !act.ignores_term => {
                            return Ok(signalled(libc::SIGTERM));
                        }
                        GroupSignal::Terminate => {}
                    },
                }
            }
        };
        Ok(Started {
            pid: 0,
            exit: Box::pin(exit),
            lines,
            readers: Vec::new(),
            signal: Box::new(move |signal| {
                let _ = signal_tx.send(signal);
            }),
        })
    }
}

/// Runs `spec` with `catalog` to its end; returns the outcome, its events and how long it took
/// on the tokio clock.
pub(crate) async fn run_timed(
    spec: UnitSpec,
    catalog: ErrorCatalog,
) -> (UnitOutcome, Vec<RunEvent>, Duration) {
    let started = Instant::now();
    let (events, mut received) = mpsc::unbounded_channel();
    let (_requests, requests) = mpsc::unbounded_channel();
    let outcome = crate::exec::unit::run_unit(spec, Arc::new(catalog), events, requests).await;
    let mut events = Vec::new();
    while let Ok(event) = received.try_recv() {
        events.push(event);
    }
    (outcome, events, started.elapsed())
}

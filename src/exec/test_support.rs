//! Test fixtures for running operations, as real `bash` or as stand-ins on the tokio clock: a
//! temporary deployment folder, unit specs, event collection and deadline polling.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use crate::exec::backoff::RetryPolicy;
use crate::exec::error_catalog::ErrorCatalog;
use crate::exec::event::RunEvent;
use crate::exec::spawn::Bash;
use crate::exec::unit::{UnitOutcome, UnitRequest, UnitSpec, run_unit};
use crate::exec::virtual_process::{Act, Acts};
use avdeploy_wire::redact::Redactor;

/// The longest any test waits for something that should happen quickly.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// A temporary deployment folder.
pub(crate) struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// A path inside the folder.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A spec running `body` as operation `op`, with a 10 s timeout and 1 s grace.
    pub(crate) fn spec(&self, op: &str, body: &str) -> UnitSpec {
        let script = self.path(&format!("{op}.sh"));
        std::fs::write(&script, body).expect("write script");
        UnitSpec {
            retry_time_scale: 1.0,
            module: "m".into(),
            operation: op.into(),
            script,
            process: Arc::new(Bash),
            env: vec![("WORK".into(), self.dir.path().display().to_string())],
            cwd: self.dir.path().to_owned(),
            log_dir: self.path("logs"),
            expected: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            heartbeat: None,
            grace: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            run_command: None,
            redactor: Arc::new(Redactor::default()),
            fingerprint: None,
            changed: Vec::new(),
        }
    }

    /// A spec whose attempts play `acts` on the tokio clock (no process), with a one-hour
    /// timeout and the grace of [`Fixture::spec`].
    pub(crate) fn acting(&self, op: &str, acts: impl IntoIterator<Item = Act>) -> UnitSpec {
        UnitSpec {
            process: Acts::new(acts),
            timeout: Duration::from_secs(3600),
            ..self.spec(op, "")
        }
    }

    /// Every log file's text, in name order.
    pub(crate) fn logs(&self) -> Vec<String> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.path("logs"))
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("read log"))
            .collect()
    }
}

/// A unit running in the background.
pub(crate) struct Running {
    pub(crate) events: UnboundedReceiver<RunEvent>,
    pub(crate) requests: UnboundedSender<UnitRequest>,
    handle: JoinHandle<UnitOutcome>,
}

impl Running {
    /// Starts `spec` with `catalog`.
    pub(crate) fn start(spec: UnitSpec, catalog: ErrorCatalog) -> Self {
        let (event_tx, events) = mpsc::unbounded_channel();
        let (requests, request_rx) = mpsc::unbounded_channel();
        let handle = tokio::spawn(run_unit(spec, Arc::new(catalog), event_tx, request_rx));
        Self {
            events,
            requests,
            handle,
        }
    }

    /// Waits for the next event matching `wanted`, returning it.
    pub(crate) async fn next_event(&mut self, wanted: impl Fn(&RunEvent) -> bool) -> RunEvent {
        let found = tokio::time::timeout(PATIENCE, async {
            while let Some(event) = self.events.recv().await {
                if wanted(&event) {
                    return Some(event);
                }
            }
            None
        })
        .await;
        found.ok().flatten().expect("the awaited event never came")
    }

    /// Waits for the outcome; returns it with the events not consumed yet.
    pub(crate) async fn finish(self) -> (UnitOutcome, Vec<RunEvent>) {
        tokio::time::timeout(PATIENCE, self.end())
            .await
            .expect("the unit did not finish in time")
    }

    /// Waits for the outcome however long it takes (on a paused clock, virtual time passes);
    /// returns it with the events not consumed yet.
    pub(crate) async fn end(mut self) -> (UnitOutcome, Vec<RunEvent>) {
        let outcome = self.handle.await.expect("the unit task panicked");
        let mut events = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            events.push(event);
        }
        (outcome, events)
    }
}

/// Runs `spec` with the built-in catalog to its end.
pub(crate) async fn run(spec: UnitSpec) -> (UnitOutcome, Vec<RunEvent>) {
    Running::start(spec, ErrorCatalog::builtin()).finish().await
}

/// Polls `condition` until it holds or [`PATIENCE`] runs out; returns whether it held.
pub(crate) async fn eventually(condition: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

/// The pid written (by a script) into `path`.
pub(crate) fn read_pid(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid")
}

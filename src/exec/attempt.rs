//! One attempt of an operation: its log, its process, the run-command check, and the report
//! the retry logic judges.

use std::time::Duration;

use chrono::Local;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use crate::base::text;
use crate::exec::attempt_log::AttemptLog;
use crate::exec::event::{EventKind, RunEvent};
use crate::exec::output_sink::OutputSink;
use crate::exec::process::{self, ProcessEnd};
use crate::exec::run_command;
use crate::exec::unit::{UnitRequest, UnitSpec};
use crate::model::outcome::OperationStatus;
use avdeploy_wire::redact::Redactor;

/// What one attempt came to.
#[derive(Debug)]
pub(crate) struct AttemptReport {
    /// completed, failed, timed_out or interrupted.
    pub(crate) status: OperationStatus,
    /// The exit code (124 on timeout).
    pub(crate) exit_code: Option<i32>,
    /// How long it ran.
    pub(crate) duration: Duration,
    /// `[OUTPUT]` values, in clear.
    pub(crate) outputs: Vec<(String, String)>,
    /// The error line for a failure, redacted.
    pub(crate) error: Option<String>,
    /// The recent output, redacted, for classification.
    pub(crate) text: String,
    /// Whether a cancel request arrived during the attempt.
    pub(crate) cancel_requested: bool,
    /// The error class, once classified.
    pub(crate) class: Option<String>,
    /// The class's hint.
    pub(crate) hint: Option<String>,
}

impl AttemptReport {
    fn not_started(message: String, started: Instant) -> Self {
        Self {
            status: OperationStatus::Failed,
            exit_code: None,
            duration: started.elapsed(),
            outputs: Vec::new(),
            text: message.clone(),
            error: Some(message),
            cancel_requested: false,
            class: None,
            hint: None,
        }
    }
}

/// Runs attempt number `attempt` of `spec` and reports how it went.
pub(crate) async fn run_attempt(
    spec: &UnitSpec,
    attempt: u32,
    redactor: &mut Redactor,
    events: &UnboundedSender<RunEvent>,
    requests: &mut UnboundedReceiver<UnitRequest>,
    requests_open: &mut bool,
) -> AttemptReport {
    let started = Instant::now();
    let mut log = match AttemptLog::create(&spec.log_dir, &spec.operation, Local::now()) {
        Ok(log) => log,
        Err(err) => {
            let message = format!(
                "failed to create a log file in `{}`: {err}",
                spec.log_dir.display()
            );
            return AttemptReport::not_started(message, started);
        }
    };
    // State and events name the log relative to the deployment folder, as users see it.
    let log_path = log
        .path()
        .strip_prefix(&spec.cwd)
        .unwrap_or(log.path())
        .to_owned();
    let mut sink = OutputSink::new(&spec.module, &spec.operation, redactor, events, &mut log);
    sink.note(&format!(
        "{}/{} attempt {attempt}: bash {}",
        spec.module,
        spec.operation,
        spec.script.display()
    ));
    let process = match spec.process.spawn(spec) {
        Ok(process) => process,
        Err(err) => {
            let message = format!("failed to start `bash {}`: {err}", spec.script.display());
            sink.note(&message);
            return AttemptReport::not_started(message, started);
        }
    };
    let pid = process.pid;
    let _ = events.send(RunEvent::now(EventKind::OperationStarted {
        module: spec.module.clone(),
        operation: spec.operation.clone(),
        attempt,
        pid,
        log_path,
        expected: spec.expected,
        changed: spec.changed.clone(),
        fingerprint: spec.fingerprint.clone(),
    }));
    let run =
        match process::supervise(spec, process, &mut sink, events, requests, requests_open).await {
            Ok(run) => run,
            Err(err) => {
                let message = format!("failed to wait for process {pid}: {err}");
                sink.note(&message);
                return AttemptReport::not_started(message, started);
            }
        };
    let (status, exit_code, error) = judge(spec, &run, &mut sink);
    mask_output_file(spec, &mut sink);
    sink.note(&format!(
        "attempt {attempt} ended: {status}, exit code {}, after {:.1}s",
        exit_code.map_or_else(|| "none".to_owned(), |code| code.to_string()),
        started.elapsed().as_secs_f64()
    ));
    let error = error.or_else(|| sink.error_excerpt());
    let mut text = sink.recent_text();
    if let Some(error) = &error {
        text.push('\n');
        text.push_str(error);
    }
    let log_error = sink.log_error();
    let error = match (status, log_error) {
        (OperationStatus::Completed, Some(log_error)) => Some(log_error),
        (_, Some(log_error)) => Some(format!("{}; {log_error}", error.unwrap_or_default())),
        (_, None) => error,
    };
    AttemptReport {
        status,
        exit_code,
        duration: started.elapsed(),
        outputs: sink.take_outputs(),
        error,
        text,
        cancel_requested: run.cancel_requested,
        class: None,
        hint: None,
    }
}

/// Masks secrets in the file `$AVD_OUTPUT_FILE` the operation may have written, as in its log.
fn mask_output_file(spec: &UnitSpec, sink: &mut OutputSink<'_>) {
    let Some((_, path)) = spec.env.iter().find(|(name, _)| name == "AVD_OUTPUT_FILE") else {
        return;
    };
    let path = std::path::Path::new(path);
    if let Err(err) = run_command::mask_file(path, sink.redactor()) {
        sink.note(&format!("failed to redact `{}`: {err}", path.display()));
    }
}

/// The status of a finished process, with the run-command check for exit 0.
fn judge(
    spec: &UnitSpec,
    run: &process::AttemptRun,
    sink: &mut OutputSink<'_>,
) -> (OperationStatus, Option<i32>, Option<String>) {
    match run.end {
        ProcessEnd::Killed => (
            OperationStatus::Interrupted,
            run.exit_code,
            Some("killed on request".to_owned()),
        ),
        ProcessEnd::TimedOut => (
            OperationStatus::TimedOut,
            run.exit_code,
            Some(format!(
                "timed out after {} (expected {})",
                text::duration(spec.timeout),
                text::duration(spec.expected)
            )),
        ),
        ProcessEnd::Exited if run.exit_code != Some(0) => {
            (OperationStatus::Failed, run.exit_code, None)
        }
        ProcessEnd::Exited => match &spec.run_command {
            Some(check) => match run_command::verify(check, sink) {
                Ok(()) => (OperationStatus::Completed, Some(0), None),
                Err(failure) => (
                    OperationStatus::Failed,
                    Some(failure.exit_code),
                    Some(failure.message),
                ),
            },
            None => (OperationStatus::Completed, Some(0), None),
        },
    }
}

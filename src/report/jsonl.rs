//! The JSONL event log (`artifacts/logs/deployment_YYYYMMDD.jsonl`): one JSON object per event,
//! appended and flushed line by line so that no record is ever lost.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::base::text::{self, plural};
use crate::exec::event::RunEvent;
use crate::model::operation::OperationKey;
use crate::model::outcome::OperationStatus;
use crate::model::outcome::RunOutcome;
use crate::report::messages::{blocked_text, heartbeat_text, retry_text};
use crate::report::reporter::ReportError;
use crate::report::run_facts::RunFacts;
use crate::state::records::outcome_name;

/// The version of the record layout; bumped on any incompatible change.
pub const JSONL_FORMAT_VERSION: u32 = 1;

/// One line of the event log. Fields that do not apply to an event are `null`; `details`
/// holds the rest of the event's fields.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JsonlRecord {
    /// [`JSONL_FORMAT_VERSION`].
    pub format_version: u32,
    /// When the event was recorded, RFC 3339 in UTC.
    pub timestamp: String,
    /// `info`, `warn` or `error`.
    pub level: String,
    /// The run's id (`null` only before the run started).
    pub run_id: Option<String>,
    /// The module of the operation or stage.
    pub module: Option<String>,
    /// The operation id.
    pub operation: Option<String>,
    /// The event name in snake_case, for example `operation_finished`.
    pub event: String,
    /// A one-line description for people.
    pub message: String,
    /// The attempt number (1-based).
    pub attempt: Option<u32>,
    /// The operation's process id.
    pub pid: Option<u32>,
    /// The attempt's exit code.
    pub exit_code: Option<i32>,
    /// How long the attempt (or the run) took.
    pub duration_ms: Option<u64>,
    /// The error class of a failure.
    pub error_class: Option<String>,
    /// The error excerpt (last error line) of a failure.
    pub error: Option<String>,
    /// The event's other fields.
    pub details: Value,
}

impl JsonlRecord {
    /// The record of `event`, recorded at `now`, annotated from `context`.
    pub fn new(context: &RunFacts, event: &RunEvent, now: DateTime<Utc>) -> Self {
        let mut record = Self {
            format_version: JSONL_FORMAT_VERSION,
            timestamp: now.to_rfc3339_opts(SecondsFormat::Millis, true),
            level: level(event).to_owned(),
            run_id: context.run_id().map(str::to_owned),
            module: None,
            operation: None,
            event: String::new(),
            message: String::new(),
            attempt: None,
            pid: None,
            exit_code: None,
            duration_ms: None,
            error_class: None,
            error: None,
            details: json!({}),
        };
        fill(&mut record, event);
        if record.module.is_none() {
            record.module = record
                .operation
                .as_deref()
                .and_then(|op| context.module_of(op))
                .map(str::to_owned);
        }
        record
    }
}

fn ms(duration: std::time::Duration) -> Option<u64> {
    u64::try_from(duration.as_millis()).ok()
}

fn level(event: &RunEvent) -> &'static str {
    match event {
        RunEvent::OperationBlocked { .. } => "error",
        RunEvent::Marker { marker, .. } if marker == "ERROR" => "error",
        RunEvent::Marker { marker, .. } if marker == "WARNING" => "warn",
        RunEvent::OperationFinished { status, .. } => match status {
            OperationStatus::Completed => "info",
            OperationStatus::Interrupted | OperationStatus::Skipped => "warn",
            _ => "error",
        },
        RunEvent::StageFinished { success: false, .. } => "error",
        RunEvent::RunFinished { outcome, .. } => match outcome {
            RunOutcome::Completed => "info",
            RunOutcome::Failed => "error",
            RunOutcome::Interrupted => "warn",
        },
        RunEvent::AttemptFailedWillRetry { .. }
        | RunEvent::InterruptRequested { .. }
        | RunEvent::KillRequested { .. } => "warn",
        _ => "info",
    }
}

/// Sets the event name, the common fields that apply, the message and the details.
fn fill(r: &mut JsonlRecord, event: &RunEvent) {
    let (name, message, details) = match event {
        RunEvent::RunStarted {
            run_id,
            target,
            operations,
            throttle,
        } => {
            r.run_id = Some(run_id.clone());
            (
                "run_started",
                format!(
                    "run {run_id}: {target} ({})",
                    plural(*operations, "operation")
                ),
                json!({ "target": target, "operations": operations, "throttle": throttle }),
            )
        }
        RunEvent::StageStarted {
            module,
            stage,
            parallel_group,
            operations,
        } => {
            r.module = Some(module.clone());
            (
                "stage_started",
                format!("stage {stage} of {module}: {}", operations.join(", ")),
                json!({ "stage": stage, "parallel_group": parallel_group, "operations": operations }),
            )
        }
        RunEvent::OperationBlocked {
            module,
            operation,
            missing,
        } => {
            r.module = Some(module.clone());
            r.operation = Some(operation.clone());
            r.error = Some(blocked_text(missing));
            (
                "operation_blocked",
                format!("blocked: {}", blocked_text(missing)),
                json!({ "missing": missing }),
            )
        }
        RunEvent::OperationStarted {
            module,
            operation,
            attempt,
            pid,
            log_path,
            expected,
        } => {
            r.module = Some(module.clone());
            r.operation = Some(operation.clone());
            r.attempt = Some(*attempt);
            r.pid = Some(*pid);
            (
                "operation_started",
                format!("started (PID: {pid}, attempt {attempt})"),
                json!({ "log_path": log_path, "expected_ms": ms(*expected) }),
            )
        }
        RunEvent::Heartbeat {
            operation,
            elapsed,
            expected,
        } => {
            r.operation = Some(operation.clone());
            r.duration_ms = ms(*elapsed);
            (
                "heartbeat",
                heartbeat_text(*elapsed, *expected),
                json!({ "expected_ms": ms(*expected) }),
            )
        }
        RunEvent::Progress { operation, message } => {
            r.operation = Some(operation.clone());
            ("progress", message.clone(), json!({}))
        }
        RunEvent::Marker {
            operation,
            marker,
            message,
        } => {
            r.operation = Some(operation.clone());
            (
                "marker",
                format!("[{marker}] {message}"),
                json!({ "marker": marker }),
            )
        }
        RunEvent::OutputPublished {
            operation,
            name,
            value,
        } => {
            r.operation = Some(operation.clone());
            (
                "output_published",
                format!("published {name}"),
                json!({ "name": name, "value": value }),
            )
        }
        RunEvent::AttemptFailedWillRetry {
            module,
            operation,
            attempt,
            max_attempts,
            delay,
            class,
            message,
            exit_code,
            duration,
        } => {
            r.module = Some(module.clone());
            r.operation = Some(operation.clone());
            r.attempt = Some(*attempt);
            r.exit_code = *exit_code;
            r.duration_ms = ms(*duration);
            r.error_class = Some(class.clone());
            r.error = Some(message.clone());
            (
                "attempt_failed_will_retry",
                retry_text(*attempt, *max_attempts, *delay, class),
                json!({ "max_attempts": max_attempts, "delay_ms": ms(*delay) }),
            )
        }
        RunEvent::OperationFinished {
            module,
            operation,
            attempt,
            status,
            exit_code,
            duration,
            class,
            hint,
            error,
        } => {
            r.module = Some(module.clone());
            r.operation = Some(operation.clone());
            r.attempt = Some(*attempt);
            r.exit_code = *exit_code;
            r.duration_ms = ms(*duration);
            r.error_class.clone_from(class);
            r.error.clone_from(error);
            (
                "operation_finished",
                finished_message(*status, *exit_code, *duration),
                json!({ "status": status, "hint": hint }),
            )
        }
        RunEvent::StageFinished {
            module,
            stage,
            parallel,
            success,
        } => {
            r.module = Some(module.clone());
            let verdict = if *success { "completed" } else { "failed" };
            (
                "stage_finished",
                format!("stage {stage} of {module} {verdict}"),
                json!({ "stage": stage, "parallel": parallel, "success": success }),
            )
        }
        RunEvent::InterruptRequested { running } => (
            "interrupt_requested",
            format!(
                "interrupt received: waiting for {} to finish",
                plural(*running, "running operation")
            ),
            json!({ "running": running }),
        ),
        RunEvent::KillRequested { running } => (
            "kill_requested",
            format!(
                "second interrupt: killing {}",
                plural(*running, "running operation")
            ),
            json!({ "running": running }),
        ),
        RunEvent::RunFinished {
            run_id,
            outcome,
            duration,
        } => {
            r.run_id = Some(run_id.clone());
            r.duration_ms = ms(*duration);
            (
                "run_finished",
                format!(
                    "run {run_id} {} after {}",
                    outcome_name(*outcome),
                    text::duration(*duration)
                ),
                json!({ "outcome": outcome }),
            )
        }
    };
    name.clone_into(&mut r.event);
    r.message = message;
    r.details = details;
}

fn finished_message(
    status: OperationStatus,
    exit_code: Option<i32>,
    duration: std::time::Duration,
) -> String {
    let code = exit_code.map_or_else(|| "none".to_owned(), |code| code.to_string());
    match status {
        OperationStatus::Completed => "completed successfully".to_owned(),
        OperationStatus::Failed => format!("failed (exit code: {code})"),
        OperationStatus::TimedOut => format!(
            "timed out after {} (exit code: {code})",
            text::duration(duration)
        ),
        other => other.as_str().to_owned(),
    }
}

/// Appends one record per event to the event log, flushing every line.
#[derive(Debug)]
pub struct JsonlWriter {
    file: File,
    path: PathBuf,
    context: RunFacts,
    /// The length of the file up to its last complete line.
    len: u64,
}

impl JsonlWriter {
    /// Opens `path` for appending (creating it and its folder), knowing the plan's modules.
    pub fn open(path: &Path, planned: &[OperationKey]) -> Result<Self, ReportError> {
        let io_error = |source| ReportError::Log {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(io_error)?;
        let len = complete_length(&file).map_err(io_error)?;
        if file.metadata().map_err(io_error)?.len() != len {
            file.set_len(len).map_err(io_error)?;
        }
        Ok(Self {
            file,
            path: path.to_owned(),
            context: RunFacts::with_plan(planned),
            len,
        })
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the record of `event` at `now` as one line, in a single write, and flushes it.
    /// A line that cannot be written whole (a full disk) is cut off again, so the log never
    /// ends in a torn line; the error says the record is missing.
    pub fn write(&mut self, event: &RunEvent, now: DateTime<Utc>) -> Result<(), ReportError> {
        self.context.observe(event);
        let record = JsonlRecord::new(&self.context, event, now);
        let mut line = serde_json::to_string(&record).map_err(|source| ReportError::Encode {
            path: self.path.clone(),
            source,
        })?;
        line.push('\n');
        let io_error = |source| ReportError::Log {
            path: self.path.clone(),
            source,
        };
        if let Err(error) = self.file.write_all(line.as_bytes()) {
            // Appends go to the end of the file, so later lines follow the last whole one.
            let _ = self.file.set_len(self.len);
            return Err(io_error(error));
        }
        self.len += line.len() as u64;
        self.file.flush().map_err(io_error)
    }
}

/// The length of `file` up to and including its last newline: what an earlier writer that
/// stopped halfway through a line (a full disk, a crash) left complete.
fn complete_length(file: &File) -> std::io::Result<u64> {
    use std::os::unix::fs::FileExt;
    const CHUNK: u64 = 64 * 1024;
    let mut end = file.metadata()?.len();
    let mut buffer = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let chunk = &mut buffer[..usize::try_from(end - start).unwrap_or(0)];
        file.read_exact_at(chunk, start)?;
        if let Some(newline) = chunk.iter().rposition(|&byte| byte == b'\n') {
            return Ok(start + newline as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::report::sample;

    const REQUIRED: [&str; 15] = [
        "format_version",
        "timestamp",
        "level",
        "run_id",
        "module",
        "operation",
        "event",
        "message",
        "attempt",
        "pid",
        "exit_code",
        "duration_ms",
        "error_class",
        "error",
        "details",
    ];

    #[test]
    fn every_line_parses_with_the_required_fields() {
        let dir = tempfile::tempdir().expect("temp dir");
        let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("date");
        let path = crate::base::layout::Layout::new(dir.path()).event_log(day);
        assert!(path.ends_with("artifacts/logs/deployment_20250301.jsonl"));
        let start = Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap();
        let events = sample::events();
        let mut writer = JsonlWriter::open(&path, &sample::plan()).expect("open");
        for (second, event) in (0..).zip(&events) {
            writer
                .write(event, start + chrono::Duration::seconds(second))
                .expect("write");
        }
        let text = std::fs::read_to_string(&path).expect("read log");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), events.len());
        for line in &lines {
            let value: Value = serde_json::from_str(line).expect("line is JSON");
            for field in REQUIRED {
                assert!(value.get(field).is_some(), "`{field}` missing in {line}");
            }
            assert_eq!(value["run_id"], "20250301-090000-1a2b", "{line}");
            let record: JsonlRecord = serde_json::from_str(line).expect("line is a record");
            assert_eq!(record.format_version, JSONL_FORMAT_VERSION);
            assert!(DateTime::parse_from_rfc3339(&record.timestamp).is_ok());
        }
    }

    #[test]
    fn a_torn_last_line_left_by_an_earlier_writer_is_cut_off() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("deployment_20250301.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"torn\":").expect("write");
        let mut writer = JsonlWriter::open(&path, &sample::plan()).expect("open");
        let now = Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap();
        writer.write(&sample::events()[0], now).expect("write");
        let text = std::fs::read_to_string(&path).expect("read log");
        assert!(text.ends_with('\n'), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        for line in lines {
            serde_json::from_str::<Value>(line).expect("every line parses");
        }
        std::fs::write(&path, "no newline at all").expect("write");
        drop(JsonlWriter::open(&path, &sample::plan()).expect("open"));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "");
    }

    #[test]
    fn records_carry_the_operation_context() {
        let events = sample::events();
        let mut context = RunFacts::with_plan(&sample::plan());
        let now = Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap();
        let records: Vec<JsonlRecord> = events
            .iter()
            .map(|event| {
                context.observe(event);
                JsonlRecord::new(&context, event, now)
            })
            .collect();
        let retry = records
            .iter()
            .find(|r| r.event == "attempt_failed_will_retry")
            .expect("retry record");
        assert_eq!(retry.message, "retry 2/3 in 5s: AnotherOperationInProgress");
        assert_eq!(retry.level, "warn");
        assert_eq!(
            retry.error_class.as_deref(),
            Some("AnotherOperationInProgress")
        );
        let progress = records
            .iter()
            .find(|r| r.event == "progress")
            .expect("progress");
        assert_eq!(progress.module.as_deref(), Some("01-networking"));
        let timeout = records
            .iter()
            .find(|r| r.details["status"] == "timed_out")
            .expect("timeout");
        assert_eq!(
            (timeout.exit_code, timeout.level.as_str()),
            (Some(124), "error")
        );
        assert_eq!(timeout.duration_ms, Some(120_000));
    }
}

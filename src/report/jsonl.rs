//! The JSONL event log (`artifacts/logs/deployment_YYYYMMDD.jsonl`): one JSON object per event,
//! appended and flushed line by line so that no record is ever lost. A record is the serde
//! serialisation of the [`RunEvent`] inside a small envelope (schema, run id, sequence number,
//! time, level, a message for people), so that [`crate::report::replay`] can read the events back.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::base::text::blocked_text;
use crate::base::text::{self, plural};
use crate::exec::event::{EventKind, RunEvent};
use crate::model::outcome::OperationStatus;
use crate::model::outcome::RunOutcome;
use crate::report::messages::{changed_reason, finished_text, heartbeat_text, retry_text};
use crate::report::reporter::ReportError;
use crate::state::records::outcome_name;

/// The version of the record layout; bumped on any incompatible change.
pub const JSONL_FORMAT_VERSION: u32 = 1;

/// The version of the envelope and of the event fields inside it (`schema`).
pub const EVENT_SCHEMA: u32 = 1;

/// The fields every record has, `null` when they do not apply to its event.
const COMMON: [&str; 9] = [
    "run_id",
    "module",
    "operation",
    "attempt",
    "pid",
    "exit_code",
    "duration_ms",
    "error_class",
    "error",
];

/// One line of the event log: an event and where it stands in its run.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonlRecord {
    /// The run's id (`None` only before the run started).
    pub run_id: Option<String>,
    /// The record's number in its run's log, from 1; a gap means records were lost.
    pub seq: u64,
    /// The event, with the time it happened.
    pub event: RunEvent,
}

impl JsonlRecord {
    /// The JSON object of the record: the event's fields (its `timestamp` among them) beside
    /// the envelope's (`schema`, `format_version`, `run_id`, `seq`, `level`, `message`), the
    /// common fields
    /// (`null` when they do not apply) and `details`, the event's other fields.
    pub fn to_json(&self) -> Result<Value, serde_json::Error> {
        let Value::Object(fields) = serde_json::to_value(&self.event)? else {
            return Err(serde::ser::Error::custom("an event is not a JSON object"));
        };
        let details: Map<String, Value> = fields
            .iter()
            .filter(|(name, _)| {
                !["event", "timestamp"].contains(&name.as_str()) && !COMMON.contains(&name.as_str())
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let mut record = fields;
        for name in COMMON {
            record.entry(name).or_insert(Value::Null);
        }
        let envelope = [
            ("schema", Value::from(EVENT_SCHEMA)),
            ("format_version", Value::from(JSONL_FORMAT_VERSION)),
            (
                "run_id",
                self.run_id.clone().map_or(Value::Null, Value::from),
            ),
            ("seq", Value::from(self.seq)),
            ("level", Value::from(level(&self.event.kind))),
            ("message", Value::from(message(&self.event.kind))),
            ("details", Value::Object(details)),
        ];
        for (name, value) in envelope {
            record.insert(name.to_owned(), value);
        }
        if let EventKind::OperationBlocked { missing, .. } = &self.event.kind {
            record.insert("error".to_owned(), Value::from(blocked_text(missing)));
        }
        if let EventKind::OperationStarted { changed, .. } = &self.event.kind
            && !changed.is_empty()
            && let Some(Value::Object(details)) = record.get_mut("details")
        {
            details.insert("reason".to_owned(), Value::from(changed_reason(changed)));
        }
        Ok(Value::Object(record))
    }
}

fn level(event: &EventKind) -> &'static str {
    match event {
        EventKind::OperationBlocked { .. } => "error",
        EventKind::Marker { marker, .. } if marker == "ERROR" => "error",
        EventKind::Marker { marker, .. } if marker == "WARNING" => "warn",
        EventKind::OperationFinished { status, .. } => match status {
            OperationStatus::Completed => "info",
            OperationStatus::Interrupted | OperationStatus::Skipped => "warn",
            _ => "error",
        },
        EventKind::StageFinished { success: false, .. } => "error",
        EventKind::RunFinished { outcome, .. } => match outcome {
            RunOutcome::Completed => "info",
            RunOutcome::Failed => "error",
            RunOutcome::Interrupted => "warn",
        },
        EventKind::AttemptFailedWillRetry { .. }
        | EventKind::InterruptRequested { .. }
        | EventKind::KillRequested { .. } => "warn",
        _ => "info",
    }
}

/// A one-line description of `event` for people.
fn message(event: &EventKind) -> String {
    match event {
        EventKind::RunStarted {
            run_id,
            target,
            operations,
            ..
        } => format!(
            "run {run_id}: {target} ({})",
            plural(*operations, "operation")
        ),
        EventKind::StageStarted {
            module,
            stage,
            operations,
            ..
        } => format!("stage {stage} of {module}: {}", operations.join(", ")),
        EventKind::OperationBlocked { missing, .. } => {
            format!("blocked: {}", blocked_text(missing))
        }
        EventKind::OperationStarted { attempt, pid, .. } => {
            format!("started (PID: {pid}, attempt {attempt})")
        }
        EventKind::Heartbeat {
            elapsed, expected, ..
        } => heartbeat_text(*elapsed, *expected),
        EventKind::Progress { message, .. } => message.clone(),
        EventKind::Marker {
            marker, message, ..
        } => format!("[{marker}] {message}"),
        EventKind::OutputPublished { name, .. } => format!("published {name}"),
        EventKind::AttemptFailedWillRetry {
            attempt,
            max_attempts,
            delay,
            class,
            ..
        } => retry_text(*attempt, *max_attempts, *delay, class),
        EventKind::OperationFinished {
            status,
            exit_code,
            duration,
            ..
        } => finished_text(*status, *exit_code, *duration),
        EventKind::StageFinished {
            module,
            stage,
            success,
            ..
        } => {
            let verdict = if *success { "completed" } else { "failed" };
            format!("stage {stage} of {module} {verdict}")
        }
        EventKind::InterruptRequested { running } => format!(
            "interrupt received: waiting for {} to finish",
            plural(*running, "running operation")
        ),
        EventKind::KillRequested { running } => format!(
            "second interrupt: killing {}",
            plural(*running, "running operation")
        ),
        EventKind::RunFinished {
            run_id,
            outcome,
            duration,
        } => format!(
            "run {run_id} {} after {}",
            outcome_name(*outcome),
            text::duration(*duration)
        ),
    }
}

/// Appends one record per event to the event log, flushing every line.
#[derive(Debug)]
pub struct JsonlWriter {
    file: File,
    path: PathBuf,
    run_id: Option<String>,
    seq: u64,
    /// The length of the file up to its last complete line.
    len: u64,
}

impl JsonlWriter {
    /// Opens `path` for appending (creating it and its folder).
    pub fn open(path: &Path) -> Result<Self, ReportError> {
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
            run_id: None,
            seq: 0,
            len,
        })
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the record of `event` as one line, in a single write, and flushes it.
    /// A line that cannot be written whole (a full disk) is cut off again, so the log never
    /// ends in a torn line; the error says the record is missing.
    pub fn write(&mut self, event: &RunEvent) -> Result<(), ReportError> {
        if let EventKind::RunStarted { run_id, .. } = &event.kind {
            self.run_id = Some(run_id.clone());
        }
        self.seq += 1;
        let record = JsonlRecord {
            run_id: self.run_id.clone(),
            seq: self.seq,
            event: event.clone(),
        };
        let encode_error = |source| ReportError::Encode {
            path: self.path.clone(),
            source,
        };
        let mut line = record
            .to_json()
            .and_then(|value| serde_json::to_string(&value))
            .map_err(encode_error)?;
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
    use super::*;
    use crate::report::sample;

    const REQUIRED: [&str; 17] = [
        "schema",
        "format_version",
        "seq",
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

    fn records() -> Vec<Value> {
        (1..)
            .zip(sample::events())
            .map(|(seq, event)| {
                JsonlRecord {
                    run_id: Some("20250301-090000-1a2b".into()),
                    seq,
                    event,
                }
                .to_json()
                .expect("encode")
            })
            .collect()
    }

    #[test]
    fn every_line_parses_with_the_required_fields() {
        let dir = tempfile::tempdir().expect("temp dir");
        let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("date");
        let path =
            crate::base::layout::Layout::new(dir.path(), std::path::Path::new("config.yaml"))
                .expect("layout")
                .event_log(day);
        assert!(path.ends_with("artifacts/logs/deployment_20250301.jsonl"));
        let events = sample::events();
        let mut writer = JsonlWriter::open(&path).expect("open");
        for event in &events {
            writer.write(event).expect("write");
        }
        let text = std::fs::read_to_string(&path).expect("read log");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), events.len());
        for (seq, line) in (1..).zip(&lines) {
            let value: Value = serde_json::from_str(line).expect("line is JSON");
            for field in REQUIRED {
                assert!(value.get(field).is_some(), "`{field}` missing in {line}");
            }
            assert_eq!(value["run_id"], "20250301-090000-1a2b", "{line}");
            assert_eq!(value["schema"], EVENT_SCHEMA, "{line}");
            assert_eq!(value["seq"], seq, "{line}");
            let timestamp = value["timestamp"].as_str().expect("timestamp");
            let event = &events[usize::try_from(seq).expect("seq") - 1];
            assert_eq!(
                chrono::DateTime::parse_from_rfc3339(timestamp).expect("RFC 3339"),
                event.at,
                "{line}"
            );
        }
    }

    #[test]
    fn a_torn_last_line_left_by_an_earlier_writer_is_cut_off() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("deployment_20250301.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"torn\":").expect("write");
        let mut writer = JsonlWriter::open(&path).expect("open");
        writer.write(&sample::events()[0]).expect("write");
        let text = std::fs::read_to_string(&path).expect("read log");
        assert!(text.ends_with('\n'), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        for line in lines {
            serde_json::from_str::<Value>(line).expect("every line parses");
        }
        std::fs::write(&path, "no newline at all").expect("write");
        drop(JsonlWriter::open(&path).expect("open"));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "");
    }

    #[test]
    fn records_carry_the_operation_fields() {
        let records = records();
        let find = |event: &str| {
            records
                .iter()
                .find(|r| r["event"] == event)
                .unwrap_or_else(|| panic!("no {event} record"))
        };
        let retry = find("attempt_failed_will_retry");
        assert_eq!(
            retry["message"],
            "retry 2/3 in 5s: AnotherOperationInProgress"
        );
        assert_eq!(retry["level"], "warn");
        assert_eq!(retry["error_class"], "AnotherOperationInProgress");
        assert_eq!(retry["details"]["delay_ms"], 5000);
        let progress = find("progress");
        assert_eq!(progress["module"], "01-networking");
        assert_eq!(progress["message"], progress["text"]);
        let timeout = records
            .iter()
            .find(|r| r["details"]["status"] == "timed_out")
            .expect("timeout");
        assert_eq!(
            (&timeout["exit_code"], &timeout["level"]),
            (&Value::from(124), &Value::from("error"))
        );
        assert_eq!(timeout["duration_ms"], 120_000);
        assert_eq!(timeout["message"], "timed out after 2m00s (exit code: 124)");
        let blocked = find("operation_blocked");
        assert_eq!(
            blocked["error"],
            "requires hub-vnet, dns-zone (not completed)"
        );
        assert_eq!(find("run_started")["pid"], Value::Null);
    }

    #[test]
    fn a_record_reads_back_as_the_event_it_was_made_from() {
        for (record, event) in records().into_iter().zip(sample::events()) {
            let back: RunEvent = serde_json::from_value(record.clone()).expect("decode");
            assert_eq!(back, event, "{record}");
        }
    }
}

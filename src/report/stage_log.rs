//! Reads a run's stages back from the JSONL event log: which operations each stage of each
//! module held, and when it started and finished.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// One stage of a run as the event log recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageWindow {
    /// The module id.
    pub module: String,
    /// 1-based stage number within the module.
    pub stage: usize,
    /// Its operations, in declared order.
    pub operations: Vec<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When its last member finished; `None` when the log ends before.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Every stage of run `run_id` recorded in the `deployment_*.jsonl` files of `logs_dir`, in the
/// order they started. Lines that are not JSON (a log cut short by a killed engine) are passed
/// over; a missing folder means no stages.
pub fn read_stages(logs_dir: &Path, run_id: &str) -> std::io::Result<Vec<StageWindow>> {
    let mut files: Vec<_> = match std::fs::read_dir(logs_dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| is_event_log(path))
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    files.sort();
    let mut stages: Vec<StageWindow> = Vec::new();
    let mut open: HashMap<(String, usize), usize> = HashMap::new();
    for file in files {
        for line in BufReader::new(std::fs::File::open(&file)?).lines() {
            let Ok(record) = serde_json::from_str::<Value>(&line?) else {
                continue;
            };
            if record.get("run_id").and_then(Value::as_str) != Some(run_id) {
                continue;
            }
            apply(&record, &mut stages, &mut open);
        }
    }
    Ok(stages)
}

fn is_event_log(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with("deployment_") && name.ends_with(".jsonl"))
}

/// A field of the event: among its details, or beside the common fields.
fn field<'a>(record: &'a Value, name: &str) -> Option<&'a Value> {
    record
        .get("details")
        .and_then(|details| details.get(name))
        .or_else(|| record.get(name))
}

fn apply(
    record: &Value,
    stages: &mut Vec<StageWindow>,
    open: &mut HashMap<(String, usize), usize>,
) {
    let event = record.get("event").and_then(Value::as_str);
    let module = record.get("module").and_then(Value::as_str);
    let stage = field(record, "stage")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok());
    let time = record
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc));
    let (Some(module), Some(stage), Some(time)) = (module, stage, time) else {
        return;
    };
    match event {
        Some("stage_started") => {
            let operations = field(record, "operations")
                .and_then(Value::as_array)
                .map(|ops| {
                    ops.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            open.insert((module.to_owned(), stage), stages.len());
            stages.push(StageWindow {
                module: module.to_owned(),
                stage,
                operations,
                started_at: time,
                finished_at: None,
            });
        }
        Some("stage_finished") => {
            if let Some(&i) = open.get(&(module.to_owned(), stage)) {
                stages[i].finished_at = Some(time);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_stages_of_one_run_and_passes_over_torn_lines() {
        let dir = tempfile::tempdir().expect("temp dir");
        let lines = [
            r#"{"run_id":"r1","event":"stage_started","module":"m","timestamp":"2026-01-01T10:00:00.000Z","details":{"stage":1,"operations":["a","b"]}}"#,
            r#"{"run_id":"r2","event":"stage_started","module":"m","timestamp":"2026-01-01T10:00:01.000Z","details":{"stage":1,"operations":["x"]}}"#,
            r#"{"run_id":"r1","event":"stage_finished","module":"m","timestamp":"2026-01-01T10:00:05.000Z","details":{"stage":1}}"#,
            r#"{"run_id":"r1","event":"stage_started","module":"m","timestamp":"2026-01-01T10:00:05.000Z","details":{"stage":2,"operations":["c"]}}"#,
            r#"{"run_id":"r1","event":"stage_sta"#,
        ];
        std::fs::write(
            dir.path().join("deployment_20260101.jsonl"),
            lines.join("\n"),
        )
        .expect("write log");
        std::fs::write(dir.path().join("other.jsonl"), lines[1]).expect("write other");
        let stages = read_stages(dir.path(), "r1").expect("read");
        assert_eq!(stages.len(), 2);
        assert_eq!(stages[0].operations, ["a", "b"]);
        assert_eq!(
            stages[0].finished_at.map(|t| t.to_rfc3339()),
            Some("2026-01-01T10:00:05+00:00".to_owned())
        );
        assert_eq!((stages[1].stage, stages[1].finished_at), (2, None));
        assert!(
            read_stages(&dir.path().join("missing"), "r1")
                .expect("missing")
                .is_empty()
        );
    }
}

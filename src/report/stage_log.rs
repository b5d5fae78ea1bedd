//! Reads a run's stages back from the JSONL event log: which operations each stage of each
//! module held, and when it started and finished.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::base::layout::Layout;
use crate::exec::event::{EventKind, RunEvent};
use crate::report::replay::{ReplayError, read_log, run_records};

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
/// order they started, read through the event types ([`crate::report::replay`]). A torn last
/// line (a killed engine) and records older than the envelope are passed over; a missing folder
/// means no stages.
pub fn read_stages(logs_dir: &Path, run_id: &str) -> Result<Vec<StageWindow>, ReplayError> {
    let mut files: Vec<_> = match std::fs::read_dir(logs_dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| Layout::is_event_log(path))
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ReplayError::Read {
                path: logs_dir.to_owned(),
                source,
            });
        }
    };
    files.sort();
    let mut stages: Vec<StageWindow> = Vec::new();
    let mut open: HashMap<(String, usize), usize> = HashMap::new();
    for file in files {
        let records = read_log(&file)?;
        for record in run_records(&records, run_id) {
            apply(&record.event, &mut stages, &mut open);
        }
    }
    Ok(stages)
}

fn apply(
    event: &RunEvent,
    stages: &mut Vec<StageWindow>,
    open: &mut HashMap<(String, usize), usize>,
) {
    match &event.kind {
        EventKind::StageStarted {
            module,
            stage,
            operations,
            ..
        } => {
            open.insert((module.clone(), *stage), stages.len());
            stages.push(StageWindow {
                module: module.clone(),
                stage: *stage,
                operations: operations.clone(),
                started_at: event.at,
                finished_at: None,
            });
        }
        EventKind::StageFinished { module, stage, .. } => {
            if let Some(&i) = open.get(&(module.clone(), *stage)) {
                stages[i].finished_at = Some(event.at);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_stages_of_one_run_and_passes_over_a_torn_line() {
        use chrono::TimeZone;

        use crate::report::jsonl::JsonlWriter;

        let dir = tempfile::tempdir().expect("temp dir");
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
        let at = |second| start + chrono::Duration::seconds(second);
        let stage = |stage, operations: &[&str]| EventKind::StageStarted {
            module: "m".into(),
            stage,
            parallel_group: None,
            operations: operations.iter().map(|op| (*op).to_owned()).collect(),
        };
        let run = |run_id: &str| EventKind::RunStarted {
            run_id: run_id.into(),
            target: "m".into(),
            operations: 3,
            throttle: 5,
            plan: Vec::new(),
            engine_pid: 1,
        };
        let path = dir.path().join("deployment_20260101.jsonl");
        let mut writer = JsonlWriter::open(&path).expect("open");
        let events = [
            (run("r1"), 0),
            (stage(1, &["a", "b"]), 0),
            (
                EventKind::StageFinished {
                    module: "m".into(),
                    stage: 1,
                    parallel: true,
                    success: true,
                },
                5,
            ),
            (stage(2, &["c"]), 5),
        ];
        for (kind, second) in events {
            writer
                .write(&RunEvent::at(kind, at(second)))
                .expect("write");
        }
        let mut other = JsonlWriter::open(&path).expect("open");
        other.write(&RunEvent::at(run("r2"), at(6))).expect("write");
        other
            .write(&RunEvent::at(stage(1, &["x"]), at(6)))
            .expect("write");
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("{\"schema\":1,\"event\":\"stage_sta");
        std::fs::write(&path, text).expect("tear");
        std::fs::write(dir.path().join("other.jsonl"), "not a log").expect("write other");
        let stages = read_stages(dir.path(), "r1").expect("read");
        assert_eq!(stages.len(), 2);
        assert_eq!(stages[0].operations, ["a", "b"]);
        assert_eq!(stages[0].finished_at, Some(at(5)));
        assert_eq!((stages[1].stage, stages[1].finished_at), (2, None));
        assert!(
            read_stages(&dir.path().join("missing"), "r1")
                .expect("missing")
                .is_empty()
        );
    }
}

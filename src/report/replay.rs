//! Reads a JSONL event log back into the events that wrote it, and replays a run's events into
//! a state database: what `status` and `report` show can be rebuilt from the log alone.

use std::path::{Path, PathBuf};

use serde::de::Error as _;
use serde_json::Value;

use crate::exec::event::RunEvent;
use crate::report::jsonl::{EVENT_SCHEMA, JsonlRecord};
use crate::state::error::StateError;
use crate::state::recorder::Recorder;

/// Why an event log could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file could not be read.
    #[error("failed to read event log `{path}`")]
    Read {
        /// The event log.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a record this version writes.
    #[error("{path}:{line}:{column}: not an event record of schema {EVENT_SCHEMA}")]
    Record {
        /// The event log.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based column of the problem within the line.
        column: usize,
        /// What is wrong with it.
        #[source]
        source: serde_json::Error,
    },
    /// The state database refused a replayed event.
    #[error("failed to replay the events into state")]
    State {
        /// The state error.
        #[source]
        source: StateError,
    },
}

impl JsonlRecord {
    /// The record a line of the event log holds: the inverse of [`JsonlRecord::to_json`].
    pub fn from_json(value: Value) -> Result<Self, serde_json::Error> {
        let run_id = match value.get("run_id") {
            None | Some(Value::Null) => None,
            Some(id) => Some(
                id.as_str()
                    .ok_or_else(|| serde_json::Error::custom("`run_id` is not a string"))?
                    .to_owned(),
            ),
        };
        let seq = value
            .get("seq")
            .and_then(Value::as_u64)
            .ok_or_else(|| serde_json::Error::custom("`seq` is missing"))?;
        let event = serde_json::from_value::<RunEvent>(value)?;
        Ok(Self { run_id, seq, event })
    }
}

/// Every record of the event log at `path`, in order. Lines written before records had a
/// `schema` are passed over; a torn last line (a killed engine) too, since nothing follows it.
pub fn read_log(path: &Path) -> Result<Vec<JsonlRecord>, ReplayError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReplayError::Read {
        path: path.to_owned(),
        source,
    })?;
    let complete = text.rfind('\n').map_or("", |end| &text[..=end]);
    let mut records = Vec::new();
    for (index, line) in complete.lines().enumerate() {
        let bad = |source: serde_json::Error| ReplayError::Record {
            path: path.to_owned(),
            line: index + 1,
            column: source.column().max(1),
            source,
        };
        let value: Value = serde_json::from_str(line).map_err(bad)?;
        match value.get("schema").and_then(Value::as_u64) {
            None => continue,
            Some(schema) if schema == u64::from(EVENT_SCHEMA) => {}
            Some(schema) => {
                return Err(bad(serde_json::Error::custom(format!(
                    "schema {schema} is not known"
                ))));
            }
        }
        records.push(JsonlRecord::from_json(value).map_err(bad)?);
    }
    Ok(records)
}

/// The records of run `run_id`, in order.
pub fn run_records<'a>(
    records: &'a [JsonlRecord],
    run_id: &'a str,
) -> impl Iterator<Item = &'a JsonlRecord> + 'a {
    records
        .iter()
        .filter(move |record| record.run_id.as_deref() == Some(run_id))
}

/// Records `records` into state through `recorder`, each at the time its event happened, as the
/// run recorded them while it ran.
pub fn replay<'a>(
    records: impl IntoIterator<Item = &'a JsonlRecord>,
    recorder: &mut Recorder,
) -> Result<(), ReplayError> {
    for record in records {
        recorder
            .record(&record.event)
            .map_err(|source| ReplayError::State { source })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::report::jsonl::JsonlWriter;
    use crate::report::sample;

    fn write_sample(path: &Path) {
        let mut writer = JsonlWriter::open(path).expect("open");
        for event in sample::events() {
            writer.write(&event).expect("write");
        }
    }

    #[test]
    fn a_log_reads_back_into_its_events_and_times() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("deployment_20250301.jsonl");
        std::fs::write(&path, "{\"event\":\"run_started\",\"run_id\":\"older\"}\n").expect("old");
        write_sample(&path);
        let records = read_log(&path).expect("read");
        let events: Vec<RunEvent> = records.iter().map(|r| r.event.clone()).collect();
        assert_eq!(events, sample::events());
        let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>());
        let start = Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap();
        assert_eq!(records[1].event.at, start + chrono::Duration::seconds(1));
        assert_eq!(
            run_records(&records, "20250301-090000-1a2b").count(),
            events.len()
        );
        assert_eq!(run_records(&records, "older").count(), 0);
    }

    #[test]
    fn a_bad_line_is_named_by_file_line_and_column() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("deployment_20250301.jsonl");
        write_sample(&path);
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("{\"schema\":1,\"seq\":x}\n");
        std::fs::write(&path, &text).expect("write");
        let lines = text.lines().count();
        let error = read_log(&path).expect_err("bad line");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("{}:{lines}:19: ", path.display())),
            "{message}"
        );
        std::fs::write(&path, "{\"schema\":1,\"seq\":1,\"event\":\"nope\"}\n").expect("write");
        let error = read_log(&path).expect_err("unknown event");
        assert!(
            matches!(error, ReplayError::Record { line: 1, .. }),
            "{error}"
        );
    }

    #[test]
    fn replaying_a_log_rebuilds_the_state_the_run_recorded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("deployment_20250301.jsonl");
        write_sample(&path);
        let open = |name: &str| crate::state::recorder::tests::open(&dir.path().join(name));
        let (_live_lock, live) = open("live");
        let mut recorder = Recorder::new(live);
        for event in sample::events() {
            recorder.record(&event).expect("record");
        }
        let live = recorder.into_store();
        let (_lock, store) = open("replayed");
        let mut recorder = Recorder::new(store);
        replay(&read_log(&path).expect("read"), &mut recorder).expect("replay");
        let replayed = recorder.into_store();
        assert_eq!(replayed.last_run().unwrap(), live.last_run().unwrap());
        assert_eq!(
            replayed.operation_summaries().unwrap(),
            live.operation_summaries().unwrap()
        );
        let run_id = "20250301-090000-1a2b";
        assert_eq!(
            replayed.run_attempts(run_id).unwrap(),
            live.run_attempts(run_id).unwrap()
        );
        assert_eq!(replayed.outputs().unwrap(), live.outputs().unwrap());
    }
}

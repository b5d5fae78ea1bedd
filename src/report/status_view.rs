//! `avdeploy status`: the pure text rendering and the `--json` document (schema in
//! docs/state.md) built from the state's run, operation summaries and resume plan.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::base::text::{self, plural};
use crate::model::outcome::OperationStatus;
use crate::report::durations::{ExpectedOff, render_expected_off};
use crate::report::outputs_view::OutputJson;
use crate::report::summary::run_first_advice;
use crate::state::Destruction;
use crate::state::records::{OperationSummary, RunRecord, outcome_name};
use crate::state::resume::ResumePlan;

/// The version of the `status --json` layout; bumped on any incompatible change.
pub const STATUS_FORMAT_VERSION: u32 = 1;

/// The `status --json` document.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StatusJson {
    /// [`STATUS_FORMAT_VERSION`].
    pub format_version: u32,
    /// The current or last run; `null` when none was recorded.
    pub run: Option<RunJson>,
    /// One entry per operation, the last run's plan first.
    pub operations: Vec<OperationJson>,
    /// What `resume` would do; `null` when there is nothing to resume.
    pub resume: Option<ResumeJson>,
    /// Operations whose `duration.expected` is off by more than 50% from their measured median.
    #[serde(default)]
    pub expected_off: Vec<ExpectedOff>,
    /// The folder has been run against the simulator, so measured durations are not compared
    /// with `duration.expected` (`expected_off` is empty).
    #[serde(default)]
    pub durations_simulated: bool,
    /// The latest `destroy` that took the deployment down; `null` when it never was. Only
    /// operations of that run and later ones are listed.
    #[serde(default)]
    pub destroyed: Option<DestroyedJson>,
    /// Every published output, as `outputs --json` lists them.
    #[serde(default)]
    pub outputs: Vec<OutputJson>,
}

/// A destruction in `status --json`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DestroyedJson {
    /// The `destroy` run.
    pub run_id: String,
    /// RFC 3339.
    pub destroyed_at: String,
}

impl DestroyedJson {
    /// The JSON form of a destruction.
    pub fn new(destruction: &Destruction) -> Self {
        Self {
            run_id: destruction.run_id.clone(),
            destroyed_at: rfc3339(destruction.destroyed_at),
        }
    }

    /// The line `status` prints about it.
    pub fn text(&self) -> String {
        format!(
            "Deployment destroyed at {} by run {}: the next run starts from nothing.\n",
            self.destroyed_at, self.run_id
        )
    }
}

/// A run in `status --json`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunJson {
    /// The run id.
    pub id: String,
    /// `all`, a module id, or `module/operation`.
    pub target: String,
    /// `running`, `completed`, `failed` or `interrupted`.
    pub state: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339; `null` while running or when the engine died.
    pub finished_at: Option<String>,
    /// The run's duration, or the time since it started while running.
    pub duration_ms: Option<u64>,
    /// The concurrency cap.
    pub throttle: usize,
    /// The engine's pid.
    pub pid: u32,
    /// How many operations the plan holds.
    pub operations: usize,
    /// Events that could not be written to the JSONL event log (a full disk); 0 when the log
    /// of the run is complete.
    #[serde(default)]
    pub events_lost: u64,
}

/// An operation in `status --json`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OperationJson {
    /// The module id.
    pub module: String,
    /// The operation id.
    pub operation: String,
    /// pending, running, completed, failed, timed_out, blocked, skipped or interrupted.
    pub status: OperationStatus,
    /// Attempts in the run of the latest attempt.
    pub attempts: u32,
    /// The run of the latest attempt.
    pub run_id: Option<String>,
    /// RFC 3339.
    pub started_at: Option<String>,
    /// The latest attempt's duration, or its time so far while running.
    pub duration_ms: Option<u64>,
    /// The latest attempt's exit code.
    pub exit_code: Option<i32>,
    /// The class of the last failure.
    pub error_class: Option<String>,
    /// The last error line.
    pub error: Option<String>,
    /// The latest attempt's log file.
    pub log_path: Option<String>,
    /// Its `duration.expected` in seconds; `null` when the deployment no longer names it.
    #[serde(default)]
    pub expected_seconds: Option<u64>,
    /// The median duration of its latest completed attempts, in milliseconds.
    #[serde(default)]
    pub median_ms: Option<u64>,
    /// The inputs that had changed when the latest attempt ran again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

/// What `resume` would do, in `status --json`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResumeJson {
    /// The run that would be resumed.
    pub run_id: String,
    /// Its target.
    pub target: String,
    /// Operations that would run, in plan order.
    pub to_run: Vec<String>,
    /// Operations of the plan already completed, never re-run.
    pub completed: Vec<String>,
    /// Operations of the plan last skipped by their `when:`: skipped again, not left to do.
    #[serde(default)]
    pub off: Vec<String>,
    /// Operations that would run but wait for requirements outside the run's plan: `resume`
    /// would find them blocked again (known when the deployment loads).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_outside: Vec<String>,
    /// The modules of those requirements, in deployment order: run them first, or `all`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub run_first: Vec<String>,
}

/// A time as `status` and `outputs` show it: RFC 3339 in UTC, to the second.
pub(crate) fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn since(start: DateTime<Utc>, now: DateTime<Utc>) -> Option<u64> {
    u64::try_from((now - start).num_milliseconds()).ok()
}

fn run_state(run: &RunRecord) -> &'static str {
    run.outcome.map_or("running", outcome_name)
}

/// The last line of an error text that is not blank.
fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("")
        .trim()
}

impl StatusJson {
    /// Builds the document; `now` gives running runs and attempts their duration so far.
    pub fn new(
        summaries: &[OperationSummary],
        last_run: Option<&RunRecord>,
        resume: Option<&ResumePlan>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            format_version: STATUS_FORMAT_VERSION,
            run: last_run.map(|run| RunJson {
                id: run.id.clone(),
                target: run.target.clone(),
                state: run_state(run).to_owned(),
                started_at: rfc3339(run.started_at),
                finished_at: run.finished_at.map(rfc3339),
                duration_ms: match run.outcome {
                    None => since(run.started_at, now),
                    Some(_) => run.duration_ms,
                },
                throttle: run.throttle,
                pid: run.pid,
                operations: run.planned.len(),
                events_lost: run.events_lost,
            }),
            operations: summaries.iter().map(|s| operation_json(s, now)).collect(),
            resume: resume.map(|plan| ResumeJson {
                run_id: plan.run_id.clone(),
                target: plan.target.clone(),
                to_run: plan.to_run.iter().map(|op| op.operation.clone()).collect(),
                completed: plan
                    .completed
                    .iter()
                    .map(|op| op.operation.clone())
                    .collect(),
                off: plan.off.iter().map(|op| op.operation.clone()).collect(),
                blocked_outside: Vec::new(),
                run_first: Vec::new(),
            }),
            expected_off: Vec::new(),
            durations_simulated: false,
            destroyed: None,
            outputs: Vec::new(),
        }
    }
}

fn operation_json(s: &OperationSummary, now: DateTime<Utc>) -> OperationJson {
    let duration_ms = match (s.status, s.started_at) {
        (OperationStatus::Running, Some(start)) => since(start, now),
        _ => s.duration_ms,
    };
    OperationJson {
        module: s.module.clone(),
        operation: s.operation.clone(),
        status: s.status,
        attempts: s.attempts,
        run_id: s.run_id.clone(),
        started_at: s.started_at.map(rfc3339),
        duration_ms,
        exit_code: s.exit_code,
        error_class: s.error_class.clone(),
        error: s.error.as_deref().map(last_line).map(str::to_owned),
        log_path: s.log_path.as_ref().map(|p| p.display().to_string()),
        expected_seconds: None,
        median_ms: None,
        changed: s.changed.clone(),
    }
}

/// The `status` text: the run, a table per module, durations off their expectation, and what
/// `resume` would do.
pub fn render_document(doc: &StatusJson) -> String {
    let mut out = String::new();
    match &doc.run {
        None => out.push_str("No run recorded yet.\n"),
        Some(run) => {
            let took = text::duration(Duration::from_millis(run.duration_ms.unwrap_or(0)));
            let how = match run.state.as_str() {
                "running" => format!("running for {took} (pid {})", run.pid),
                "interrupted" if run.finished_at.is_none() => "interrupted".to_owned(),
                state => format!("{state} after {took}"),
            };
            let _ = writeln!(
                out,
                "Run {} ({}): {how}, started {}",
                run.id, run.target, run.started_at
            );
            if run.events_lost > 0 {
                let _ = writeln!(
                    out,
                    "The event log of this run is incomplete: {} could not be written.",
                    plural(
                        usize::try_from(run.events_lost).unwrap_or(usize::MAX),
                        "event"
                    )
                );
            }
        }
    }
    let width = doc
        .operations
        .iter()
        .map(|op| op.operation.len())
        .max()
        .unwrap_or(0);
    let expected = doc
        .operations
        .iter()
        .any(|op| op.expected_seconds.is_some());
    let mut module: Option<&str> = None;
    for op in &doc.operations {
        if module != Some(op.module.as_str()) {
            module = Some(&op.module);
            let _ = write!(out, "\n{}\n", op.module);
        }
        let _ = writeln!(out, "{}", operation_row(op, width, expected).trim_end());
    }
    out.push_str(&render_expected_off(&doc.expected_off));
    if doc.durations_simulated && expected {
        out.push_str(
            "\nThis folder ran against the simulator: measured durations are not compared with duration.expected.\n",
        );
    }
    out.push('\n');
    out.push_str(&resume_text(doc.resume.as_ref()));
    out
}

fn operation_row(op: &OperationJson, width: usize, expected: bool) -> String {
    let duration = op.duration_ms.map_or_else(
        || "-".to_owned(),
        |ms| text::duration(Duration::from_millis(ms)),
    );
    let attempts = plural(usize::try_from(op.attempts).unwrap_or(0), "attempt");
    let error = match (&op.error_class, &op.error) {
        (Some(class), _) if op.status == OperationStatus::Completed => {
            format!("retried after {class}")
        }
        (Some(class), Some(error)) => format!("{class}: {error}"),
        (Some(class), None) => class.clone(),
        (None, Some(error)) => error.clone(),
        (None, None) if !op.changed.is_empty() => {
            crate::report::messages::changed_reason(&op.changed)
        }
        (None, None) => String::new(),
    };
    let expected = match op.expected_seconds {
        _ if !expected => String::new(),
        Some(seconds) => format!(
            "  {:<15}",
            format!("expected {}", text::duration(Duration::from_secs(seconds)))
        ),
        None => format!("  {:15}", ""),
    };
    format!(
        "  {:width$}  {:11}  {duration:>7}{expected}  {attempts:10}  {error}",
        op.operation,
        op.status.as_str()
    )
}

/// `Resume would run ...`, or why there is nothing to resume; first what to run before, when
/// operations wait for modules the run left out.
pub fn resume_text(resume: Option<&ResumeJson>) -> String {
    let Some(plan) = resume else {
        return "Nothing to resume.\n".to_owned();
    };
    if plan.to_run.is_empty() {
        return format!(
            "Nothing to resume: every operation of run {} is completed.\n",
            plan.run_id
        );
    }
    let mut out = String::new();
    if let Some(advice) = run_first_advice(&plan.run_first) {
        let _ = writeln!(
            out,
            "Run {} ({}) is blocked by requirements outside it: {advice}.",
            plan.run_id, plan.target
        );
    }
    if plan.to_run.len() > plan.blocked_outside.len() {
        let _ = writeln!(
            out,
            "`avdeploy resume` would run {} of run {} ({}): {}; {} already completed.",
            plural(plan.to_run.len(), "operation"),
            plan.run_id,
            plan.target,
            plan.to_run.join(", "),
            plan.completed.len()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::TimeZone;

    use super::*;
    use crate::report::sample;
    use crate::state::db::StateDb;
    use crate::state::lock_file::DeploymentLock;
    use crate::state::recorder::Recorder;
    use crate::state::resume::resume_plan;

    fn sample_store(dir: &std::path::Path) -> (DeploymentLock, StateDb) {
        let (lock, store) = crate::state::recorder::tests::open(dir);
        let mut recorder = Recorder::new(store);
        for event in sample::events() {
            recorder.record(&event).expect("record");
        }
        (lock, recorder.into_store())
    }

    #[test]
    fn status_of_an_interrupted_run() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (_lock, store) = sample_store(dir.path());
        let run = store.last_run().expect("query").expect("run");
        let completed = store.completed_operations().expect("completed");
        let plan = resume_plan(&run, &completed, &HashSet::new());
        let summaries = store.operation_summaries().expect("summaries");
        let now = Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).unwrap();

        let text = render_document(&StatusJson::new(&summaries, Some(&run), Some(&plan), now));
        let text = text.replace(&std::process::id().to_string(), "[pid]");
        insta::assert_snapshot!(text);

        let doc = StatusJson::new(&summaries, Some(&run), Some(&plan), now);
        let json = serde_json::to_value(&doc).expect("json");
        assert_eq!(json["format_version"], STATUS_FORMAT_VERSION);
        assert_eq!(json["run"]["state"], "interrupted");
        assert_eq!(
            json["resume"]["to_run"],
            serde_json::json!(["nsg-b", "nsg-c", "peering", "private-endpoint"])
        );
        let back: StatusJson = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, doc);
    }

    #[test]
    fn status_without_runs() {
        let now = Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).unwrap();
        assert_eq!(
            render_document(&StatusJson::new(&[], None, None, now)),
            "No run recorded yet.\n\nNothing to resume.\n"
        );
    }
}

//! The timeline of one run, ready to draw: every attempt of every operation placed on the run's
//! time axis, grouped by module and stage, beside the plan's prediction and the critical path.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::model::outcome::OperationStatus;
use crate::model::outcome::RunOutcome;
use crate::plan::graph::Plan;
use crate::plan::timeline::Timeline;
use crate::report::stage_log::StageWindow;
use crate::state::history::AttemptRecord;
use crate::state::records::RunRecord;

/// A run laid out in time; every offset is in milliseconds after the run started.
#[derive(Clone, Debug, PartialEq)]
pub struct RunTimeline {
    /// The run's id.
    pub run_id: String,
    /// What was asked for.
    pub target: String,
    /// How it ended; `None` while it runs or when its engine died.
    pub outcome: Option<RunOutcome>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it ran (until now while it runs).
    pub wall_ms: u64,
    /// The concurrency cap.
    pub throttle: usize,
    /// Operations grouped by module and stage, in plan order.
    pub groups: Vec<Group>,
    /// What the plan predicted, when the deployment could be planned.
    pub predicted: Option<Predicted>,
}

/// The plan's prediction for the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Predicted {
    /// The predicted wall time.
    pub total_ms: u64,
    /// The sum of the expected durations.
    pub sequential_ms: u64,
}

/// A stage of a module (or a whole `schedule: dag` module, `stage` `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The module id.
    pub module: String,
    /// The stage number.
    pub stage: Option<usize>,
    /// When the event log says the stage started and finished.
    pub window: Option<(u64, Option<u64>)>,
    /// Its operations.
    pub rows: Vec<Row>,
}

/// One operation: its predicted span and every attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The operation id.
    pub operation: String,
    /// Whether it lies on the run's critical path.
    pub critical: bool,
    /// `duration.expected`, when the deployment names the operation.
    pub expected_ms: Option<u64>,
    /// The predicted start and end.
    pub predicted: Option<(u64, u64)>,
    /// What it runs, shortened.
    pub command: Option<String>,
    /// Its attempts in order (empty when it never started).
    pub attempts: Vec<Bar>,
    /// Why it never started (blocked, skipped), from its record.
    pub not_started: Option<(OperationStatus, Option<String>)>,
}

/// One attempt on the time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// 1-based attempt number.
    pub attempt: u32,
    /// How it ended.
    pub status: OperationStatus,
    /// Whether another attempt followed it.
    pub retried: bool,
    /// Offset of its start.
    pub start_ms: u64,
    /// Offset of its end (now, for an attempt still running).
    pub end_ms: u64,
    /// Its exit code.
    pub exit_code: Option<i32>,
    /// The error class of its failure.
    pub error_class: Option<String>,
    /// The last error line.
    pub error: Option<String>,
    /// Its log file.
    pub log_path: Option<PathBuf>,
}

impl Bar {
    /// How long the attempt ran.
    pub fn duration_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.start_ms)
    }
}

/// What the deployment says about the run's plan, when it can still be planned.
#[derive(Clone, Copy, Debug)]
pub struct PlanView<'a> {
    /// The plan of the run's target.
    pub plan: &'a Plan,
    /// Its prediction under the run's throttle.
    pub timeline: &'a Timeline,
    /// What each planned operation runs, by plan index.
    pub commands: &'a [Option<String>],
}

/// Everything a timeline is built from.
#[derive(Clone, Copy, Debug)]
pub struct Sources<'a> {
    /// The run.
    pub run: &'a RunRecord,
    /// Its attempt rows.
    pub attempts: &'a [AttemptRecord],
    /// Its stages, from the event log.
    pub stages: &'a [StageWindow],
    /// The plan, when the deployment loads.
    pub plan: Option<PlanView<'a>>,
    /// The time to end attempts and a run that are still running.
    pub now: DateTime<Utc>,
}

fn offset(start: DateTime<Utc>, time: DateTime<Utc>) -> u64 {
    u64::try_from((time - start).num_milliseconds()).unwrap_or(0)
}

fn secs_ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl RunTimeline {
    /// Lays the run out.
    pub fn build(sources: &Sources<'_>) -> Self {
        let run = sources.run;
        let end = run.finished_at.unwrap_or(sources.now);
        let mut groups = group_rows(sources);
        let bars_by_op = bars(sources, end);
        let plan_index: HashMap<&str, usize> = sources
            .plan
            .map(|view| {
                view.plan
                    .ops
                    .iter()
                    .enumerate()
                    .map(|(i, op)| (op.id.as_str(), i))
                    .collect()
            })
            .unwrap_or_default();
        let critical = sources
            .plan
            .map(|view| critical_path(view.plan, &bars_by_op))
            .unwrap_or_default();
        let records: HashMap<&str, &AttemptRecord> = sources
            .attempts
            .iter()
            .filter(|a| a.attempt == 0)
            .map(|a| (a.operation.as_str(), a))
            .collect();
        for row in groups.iter_mut().flat_map(|g| g.rows.iter_mut()) {
            row.attempts = bars_by_op.get(&row.operation).cloned().unwrap_or_default();
            row.not_started = records
                .get(row.operation.as_str())
                .filter(|_| row.attempts.is_empty())
                .map(|a| (a.status, a.error.clone()));
            if let (Some(view), Some(&i)) = (sources.plan, plan_index.get(row.operation.as_str())) {
                row.critical = critical.contains(&i);
                row.expected_ms = Some(secs_ms(view.plan.ops[i].expected));
                row.predicted = view.timeline.spans[i].map(|(s, e)| (secs_ms(s), secs_ms(e)));
                row.command.clone_from(&view.commands[i]);
            }
        }
        Self {
            run_id: run.id.clone(),
            target: run.target.clone(),
            outcome: run.outcome,
            started_at: run.started_at,
            wall_ms: run
                .duration_ms
                .unwrap_or_else(|| offset(run.started_at, end)),
            throttle: run.throttle,
            predicted: sources.plan.map(|view| Predicted {
                total_ms: secs_ms(view.timeline.total),
                sequential_ms: secs_ms(view.timeline.sequential),
            }),
            groups,
        }
    }

    /// Every attempt bar.
    pub fn bars(&self) -> impl Iterator<Item = &Bar> {
        self.groups
            .iter()
            .flat_map(|g| &g.rows)
            .flat_map(|r| &r.attempts)
    }
}

/// Rows grouped by module and stage: the plan's stages when the deployment plans, else the
/// stages of the event log, else one group per module; operations the run recorded that neither
/// names come last in their module.
fn group_rows(sources: &Sources<'_>) -> Vec<Group> {
    let mut stage_of: HashMap<&str, (&str, Option<usize>)> = HashMap::new();
    for stage in sources.stages {
        for op in &stage.operations {
            stage_of.insert(op, (&stage.module, Some(stage.stage)));
        }
    }
    if let Some(view) = sources.plan {
        for op in &view.plan.ops {
            stage_of.insert(&op.id, (&op.module, op.stage));
        }
    }
    let planned = sources
        .run
        .planned
        .iter()
        .map(|p| (p.module.as_str(), p.operation.as_str()));
    let recorded = sources
        .attempts
        .iter()
        .map(|a| (a.module.as_str(), a.operation.as_str()));
    let mut groups: Vec<Group> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (module, operation) in planned.chain(recorded) {
        if !seen.insert(operation) {
            continue;
        }
        let (module, stage) = stage_of.get(operation).copied().unwrap_or((module, None));
        let position = groups
            .iter()
            .position(|g| g.module == module && g.stage == stage)
            .unwrap_or_else(|| {
                groups.push(Group {
                    module: module.to_owned(),
                    stage,
                    window: window(sources, module, stage),
                    rows: Vec::new(),
                });
                groups.len() - 1
            });
        groups[position].rows.push(Row {
            operation: operation.to_owned(),
            critical: false,
            expected_ms: None,
            predicted: None,
            command: None,
            attempts: Vec::new(),
            not_started: None,
        });
    }
    groups
}

fn window(sources: &Sources<'_>, module: &str, stage: Option<usize>) -> Option<(u64, Option<u64>)> {
    let start = sources.run.started_at;
    sources
        .stages
        .iter()
        .find(|s| s.module == module && Some(s.stage) == stage)
        .map(|s| {
            (
                offset(start, s.started_at),
                s.finished_at.map(|t| offset(start, t)),
            )
        })
}

/// The attempts of each operation that started, in attempt order.
fn bars(sources: &Sources<'_>, run_end: DateTime<Utc>) -> HashMap<String, Vec<Bar>> {
    let start = sources.run.started_at;
    let mut by_op: HashMap<String, Vec<Bar>> = HashMap::new();
    for a in sources.attempts.iter().filter(|a| a.attempt > 0) {
        let Some(started_at) = a.started_at else {
            continue;
        };
        let end = a.finished_at.unwrap_or_else(|| match a.duration_ms {
            Some(ms) => started_at + chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(0)),
            None => run_end,
        });
        by_op.entry(a.operation.clone()).or_default().push(Bar {
            attempt: a.attempt,
            status: a.status,
            retried: false,
            start_ms: offset(start, started_at),
            end_ms: offset(start, end.max(started_at)),
            exit_code: a.exit_code,
            error_class: a.error_class.clone(),
            error: a.error.clone(),
            log_path: a.log_path.clone(),
        });
    }
    for list in by_op.values_mut() {
        list.sort_by_key(|b| b.attempt);
        let last = list.len().saturating_sub(1);
        for bar in &mut list[..last] {
            bar.retried = true;
        }
    }
    by_op
}

/// The chain of operations that decided when the run ended: from the operation that ended last,
/// back through whichever of its predecessors in the plan ended last, as long as they ran.
fn critical_path(plan: &Plan, bars: &HashMap<String, Vec<Bar>>) -> Vec<usize> {
    let end = |i: usize| {
        bars.get(&plan.ops[i].id)
            .and_then(|b| b.iter().map(|b| b.end_ms).max())
    };
    let Some(mut current) = (0..plan.ops.len())
        .filter(|&i| end(i).is_some())
        .max_by_key(|&i| end(i))
    else {
        return Vec::new();
    };
    let mut path = vec![current];
    while let Some(previous) = plan
        .waits_for(current)
        .filter(|&p| end(p).is_some())
        .max_by_key(|&p| end(p))
    {
        path.push(previous);
        current = previous;
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;
    use crate::model::module::Schedule;
    use crate::model::operation::OperationKey;
    use crate::plan::graph::{ModulePlan, PlannedOperation, Stage, Target};
    use crate::plan::timeline::predict;

    fn at(ms: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap() + chrono::Duration::milliseconds(ms)
    }

    fn attempt(op: &str, n: u32, status: OperationStatus, from: i64, to: i64) -> AttemptRecord {
        AttemptRecord {
            module: "m".into(),
            operation: op.into(),
            attempt: n,
            status,
            started_at: Some(at(from)),
            finished_at: Some(at(to)),
            duration_ms: Some(u64::try_from(to - from).unwrap()),
            exit_code: Some(i32::from(status != OperationStatus::Completed)),
            pid: Some(1),
            log_path: None,
            error_class: (status == OperationStatus::Failed).then(|| "throttled".to_owned()),
            error: None,
        }
    }

    fn planned_op(id: &str, stage: usize, predecessors: &[usize]) -> PlannedOperation {
        PlannedOperation {
            index: 0,
            id: id.into(),
            item: None,
            requires: Vec::new(),
            when_false: false,
            module: "m".into(),
            stage: Some(stage),
            predecessors: predecessors.to_vec(),
            barrier: None,
            locks: Vec::new(),
            expected: Duration::from_secs(1),
        }
    }

    /// Stage 1 holds `a` and `b`, stage 2 `c`; `b` ends last in stage 1 after a retry, so the
    /// run's critical path is `b -> c`.
    #[test]
    fn attempts_retries_groups_and_the_critical_path() {
        let plan = Plan {
            target: Target::All,
            ops: vec![
                planned_op("a", 1, &[]),
                planned_op("b", 1, &[]),
                planned_op("c", 2, &[0, 1]),
            ],
            modules: vec![ModulePlan {
                id: "m".into(),
                after: Vec::new(),
                follows_previous: false,
                schedule: Schedule::Stages,
                stages: vec![
                    Stage {
                        number: 1,
                        parallel_group: Some(1),
                        ops: vec![0, 1],
                    },
                    Stage {
                        number: 2,
                        parallel_group: None,
                        ops: vec![2],
                    },
                ],
            }],
            barriers: Vec::new(),
        };
        let timeline = predict(&plan, 5);
        let run = RunRecord {
            id: "r".into(),
            target: "all".into(),
            started_at: at(0),
            finished_at: Some(at(900)),
            outcome: Some(RunOutcome::Completed),
            duration_ms: Some(900),
            throttle: 5,
            pid: 1,
            events_lost: 0,
            planned: ["a", "b", "c"]
                .iter()
                .map(|op| OperationKey {
                    module: "m".into(),
                    operation: (*op).into(),
                })
                .collect(),
        };
        let attempts = vec![
            attempt("a", 1, OperationStatus::Completed, 10, 300),
            attempt("b", 1, OperationStatus::Failed, 10, 100),
            attempt("b", 2, OperationStatus::Completed, 150, 500),
            attempt("c", 1, OperationStatus::Completed, 510, 890),
        ];
        let commands = vec![Some("echo a".to_owned()), None, None];
        let built = RunTimeline::build(&Sources {
            run: &run,
            attempts: &attempts,
            stages: &[],
            plan: Some(PlanView {
                plan: &plan,
                timeline: &timeline,
                commands: &commands,
            }),
            now: at(1000),
        });
        let shape: Vec<(Option<usize>, Vec<&str>)> = built
            .groups
            .iter()
            .map(|g| {
                (
                    g.stage,
                    g.rows.iter().map(|r| r.operation.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(shape, [(Some(1), vec!["a", "b"]), (Some(2), vec!["c"])]);
        let rows: Vec<&Row> = built.groups.iter().flat_map(|g| &g.rows).collect();
        let critical: Vec<&str> = rows
            .iter()
            .filter(|r| r.critical)
            .map(|r| r.operation.as_str())
            .collect();
        assert_eq!(critical, ["b", "c"]);
        let b = &rows[1].attempts;
        assert_eq!((b[0].retried, b[0].start_ms, b[0].end_ms), (true, 10, 100));
        assert_eq!((b[1].retried, b[1].duration_ms()), (false, 350));
        assert_eq!(rows[2].predicted, Some((1000, 2000)));
        assert_eq!(rows[0].command.as_deref(), Some("echo a"));
        assert_eq!(built.bars().count(), 4);
        assert_eq!(
            built.predicted,
            Some(Predicted {
                total_ms: 2000,
                sequential_ms: 3000
            })
        );
    }
}

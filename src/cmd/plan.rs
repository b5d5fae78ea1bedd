//! `avdeploy plan`: stages in execution order, each operation's predicted start and end under
//! the throttle and locks, the critical path, and the saving over a sequential run.

use std::borrow::Cow;
use std::io::Write;
use std::time::Duration;

use crate::base::text;
use crate::cli::{GlobalArgs, PlanArgs};
use crate::cmd::checked;
use crate::error::Error;
use crate::model::module::Schedule;
use crate::plan::graph::{self, ModuleOrder, Plan, Target};
use crate::plan::timeline::{self, Timeline};
use crate::report::color::{Painter, Tone};

/// The `plan --json` document.
#[derive(Debug, serde::Serialize)]
pub struct PlanJson {
    /// Bumped when fields change meaning.
    pub format_version: u32,
    /// What was planned.
    pub target: String,
    /// The concurrency cap the prediction used.
    pub throttle: usize,
    /// Modules in execution order.
    pub modules: Vec<ModuleJson>,
    /// Predicted wall time of the whole plan, in seconds.
    pub predicted_seconds: u64,
    /// Sum of all expected durations, in seconds.
    pub sequential_seconds: u64,
    /// The longest chain of dependent operations.
    pub critical_path: Vec<String>,
    /// Its length in seconds.
    pub critical_path_seconds: u64,
}

/// A module in `plan --json`.
#[derive(Debug, serde::Serialize)]
pub struct ModuleJson {
    /// Module id.
    pub id: String,
    /// `stages` or `dag`.
    pub schedule: Schedule,
    /// The modules that must complete before it starts (under `plan all`).
    pub after: Vec<String>,
    /// Whether `after` is the module before it in folder order, because it has no
    /// `dependencies` key.
    pub follows_previous: bool,
    /// Stages in order.
    pub stages: Vec<StageJson>,
    /// Predicted wall time of the module.
    pub predicted_seconds: u64,
    /// Sum of its expected durations.
    pub sequential_seconds: u64,
}

/// A stage in `plan --json`.
#[derive(Debug, serde::Serialize)]
pub struct StageJson {
    /// 1-based stage number.
    pub number: usize,
    /// Whether its operations run in parallel.
    pub parallel: bool,
    /// The parallel group number.
    pub parallel_group: Option<u32>,
    /// Predicted wall time of the stage under the throttle and locks.
    pub predicted_seconds: u64,
    /// The stage's operations.
    pub operations: Vec<OpJson>,
}

/// An operation in `plan --json`.
#[derive(Debug, serde::Serialize)]
pub struct OpJson {
    /// Operation id.
    pub id: String,
    /// Expected seconds.
    pub expected_seconds: u64,
    /// Exclusive locks it holds.
    pub locks: Vec<String>,
    /// Whether its `when:` is false with the config's values: it will be skipped.
    pub when_false: bool,
    /// Predicted start, in seconds after the plan starts; `null` when it can never start.
    pub predicted_start_seconds: Option<u64>,
    /// Predicted end, in seconds after the plan starts.
    pub predicted_end_seconds: Option<u64>,
    /// Whether it lies on the critical path.
    pub critical: bool,
}

/// Builds the plan document.
pub fn document(plan: &Plan, timeline: &Timeline, throttle: usize) -> PlanJson {
    let (path, critical) = timeline::critical_path(plan);
    let mut on_path = vec![false; plan.ops.len()];
    for &i in &path {
        on_path[i] = true;
    }
    let modules = plan
        .modules
        .iter()
        .map(|module| {
            let all: Vec<usize> = module
                .stages
                .iter()
                .flat_map(|s| s.ops.iter().copied())
                .collect();
            ModuleJson {
                id: module.id.clone(),
                schedule: module.schedule,
                after: module.after.clone(),
                follows_previous: module.follows_previous,
                predicted_seconds: timeline.span_of(&all).as_secs(),
                sequential_seconds: all.iter().map(|&i| plan.ops[i].expected.as_secs()).sum(),
                stages: module
                    .stages
                    .iter()
                    .map(|stage| StageJson {
                        number: stage.number,
                        parallel: stage.ops.len() > 1,
                        parallel_group: stage.parallel_group,
                        predicted_seconds: timeline.span_of(&stage.ops).as_secs(),
                        operations: stage
                            .ops
                            .iter()
                            .map(|&i| OpJson {
                                id: plan.ops[i].id.clone(),
                                expected_seconds: plan.ops[i].expected.as_secs(),
                                locks: plan.ops[i].locks.clone(),
                                when_false: plan.ops[i].when_false,
                                predicted_start_seconds: timeline.spans[i].map(|s| s.0.as_secs()),
                                predicted_end_seconds: timeline.spans[i].map(|s| s.1.as_secs()),
                                critical: on_path[i],
                            })
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    PlanJson {
        format_version: 1,
        target: plan.target.to_string(),
        throttle,
        modules,
        predicted_seconds: timeline.total.as_secs(),
        sequential_seconds: timeline.sequential.as_secs(),
        critical_path: path.iter().map(|&i| plan.ops[i].id.clone()).collect(),
        critical_path_seconds: critical.as_secs(),
    }
}

/// Runs `plan`.
pub fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<i32, Error> {
    // Warnings matter here: a split parallel group changes the order the plan shows.
    let deployment = checked::load_valid(global, true)?;
    let target = match &args.target {
        Some(target) if !args.destroy => Target::parse(target, None),
        _ => Target::Destroy,
    };
    let order = if args.sequential {
        ModuleOrder::Sequential
    } else {
        ModuleOrder::Dependencies
    };
    let plan = graph::build_ordered(&deployment, &target, order)?;
    let throttle = usize::from(args.throttle);
    let timeline = timeline::predict(&plan, throttle);
    let doc = document(&plan, &timeline, throttle);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        let text = global.stdout_painter().lines(&render(&doc), plan_line);
        out.write_all(text.as_bytes())?;
    }
    Ok(crate::exit_code::SUCCESS)
}

/// Module headings and the totals in bold.
fn plan_line(painter: Painter, line: &str) -> Cow<'_, str> {
    if line.starts_with("Module ") || line.starts_with("Predicted total") {
        painter.paint(line, Tone::Bold)
    } else {
        Cow::Borrowed(line)
    }
}

fn secs(seconds: u64) -> String {
    text::duration(Duration::from_secs(seconds))
}

/// `after: a, b`: what a module of `plan all` waits for, and why when it is implicit.
fn after_text(module: &ModuleJson) -> String {
    if module.after.is_empty() {
        return "after: nothing (starts at once)".to_owned();
    }
    let why = if module.follows_previous {
        " (no `dependencies` key: follows the module before it)"
    } else {
        ""
    };
    format!("after: {}{why}", module.after.join(", "))
}

/// The text form of `plan`.
pub fn render(doc: &PlanJson) -> String {
    let mut out = format!("Plan for `{}` (throttle {})\n", doc.target, doc.throttle);
    for module in &doc.modules {
        let schedule = match module.schedule {
            Schedule::Stages => "stages",
            Schedule::Dag => "dag: each operation starts when its requires complete",
        };
        out.push_str(&format!("\nModule {} ({schedule})\n", module.id));
        if doc.target == "all" {
            out.push_str(&format!("  {}\n", after_text(module)));
        }
        for stage in &module.stages {
            let kind = match (stage.parallel, stage.parallel_group) {
                (true, Some(group)) => format!(
                    "parallel group {group}, {}",
                    text::plural(stage.operations.len(), "operation")
                ),
                (true, None) => format!(
                    "parallel, {}",
                    text::plural(stage.operations.len(), "operation")
                ),
                (false, _) => "sequential".to_owned(),
            };
            out.push_str(&format!(
                "  Stage {:>2}  {kind:<40} ~{}\n",
                stage.number,
                secs(stage.predicted_seconds)
            ));
            for op in &stage.operations {
                let locks = if op.locks.is_empty() {
                    String::new()
                } else {
                    format!("  locks: {}", op.locks.join(", "))
                };
                let expected = if op.when_false {
                    "skipped, when: false".to_owned()
                } else {
                    secs(op.expected_seconds)
                };
                let at = match (op.predicted_start_seconds, op.predicted_end_seconds) {
                    (Some(start), Some(end)) => format!("at {}-{}", secs(start), secs(end)),
                    _ => "never starts".to_owned(),
                };
                let mark = if op.critical { '*' } else { '-' };
                out.push_str(&format!(
                    "            {mark} {} ({expected})  {at}{locks}\n",
                    op.id
                ));
            }
        }
        out.push_str(&format!(
            "  Module total: ~{} (sequential: {})\n",
            secs(module.predicted_seconds),
            secs(module.sequential_seconds)
        ));
    }
    let saved = doc.sequential_seconds.saturating_sub(doc.predicted_seconds);
    let percent = (saved * 100)
        .checked_div(doc.sequential_seconds)
        .unwrap_or(0);
    out.push_str(&format!(
        "\nPredicted total: ~{} against {} fully sequential (saves {}, {percent}%)\n",
        secs(doc.predicted_seconds),
        secs(doc.sequential_seconds),
        secs(saved),
    ));
    out.push_str(&format!(
        "Critical path (*, {}): {}\n",
        secs(doc.critical_path_seconds),
        doc.critical_path.join(" -> ")
    ));
    out
}

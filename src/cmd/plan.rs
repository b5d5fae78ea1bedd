//! `avdeploy plan`: stages in execution order, each operation's predicted start and end under
//! the throttle and locks, the critical path, the saving over a sequential run, and from the
//! state which operations are up to date and which will run, and why.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

use crate::base::fingerprint_key::FingerprintKey;
use crate::base::text;
use crate::cli::{GlobalArgs, PlanArgs};
use crate::cmd::{checked, run::known_variables};
use crate::error::Error;
use crate::exec::inputs::Fingerprinter;
use crate::model::deployment::Deployment;
use crate::model::module::Schedule;
use crate::plan::freshness::{self, Freshness, RunReason};
use crate::plan::graph::{self, ModuleOrder, Plan, Target};
use crate::plan::timeline::{self, Timeline};
use crate::report::color::{Painter, Tone};
use crate::state::StateDb;

/// The `plan --json` document; its operations borrow from the plan (a plan may have a hundred
/// thousand).
#[derive(Debug, serde::Serialize)]
pub(crate) struct PlanJson<'a> {
    /// Bumped when fields change meaning.
    pub format_version: u32,
    /// What was planned.
    pub target: String,
    /// The concurrency cap the prediction used.
    pub throttle: usize,
    /// Modules in execution order.
    pub modules: Vec<ModuleJson<'a>>,
    /// Predicted wall time of the whole plan, in seconds.
    pub predicted_seconds: u64,
    /// Sum of all expected durations, in seconds.
    pub sequential_seconds: u64,
    /// The longest chain of dependent operations.
    pub critical_path: Vec<String>,
    /// Its length in seconds.
    pub critical_path_seconds: u64,
    /// How many operations will run, are up to date, or are skipped.
    pub summary: SummaryJson,
}

/// The counts of `plan --json`.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct SummaryJson {
    /// Operations `run` would start.
    pub will_run: usize,
    /// Operations completed before that run the same now.
    pub up_to_date: usize,
    /// Operations whose `when:` is false.
    pub skipped: usize,
}

/// `up to date`, `will run` or `skipped`: what `run` would do with an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) enum OpState {
    /// Runs: never completed, failed, interrupted, changed, or forced.
    #[serde(rename = "will run")]
    WillRun,
    /// Completed before and unchanged.
    #[serde(rename = "up to date")]
    UpToDate,
    /// Its `when:` is false.
    #[serde(rename = "skipped")]
    Skipped,
}

/// A module in `plan --json`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct ModuleJson<'a> {
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
    pub stages: Vec<StageJson<'a>>,
    /// Predicted wall time of the module.
    pub predicted_seconds: u64,
    /// Sum of its expected durations.
    pub sequential_seconds: u64,
}

/// A stage in `plan --json`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct StageJson<'a> {
    /// 1-based stage number.
    pub number: usize,
    /// Whether its operations run in parallel.
    pub parallel: bool,
    /// The parallel group number.
    pub parallel_group: Option<u32>,
    /// Predicted wall time of the stage under the throttle and locks.
    pub predicted_seconds: u64,
    /// The stage's operations.
    pub operations: StageOps<'a>,
}

/// An operation in `plan --json`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct OpJson<'a> {
    /// Operation id.
    pub id: &'a str,
    /// Expected seconds.
    pub expected_seconds: u64,
    /// Exclusive locks it holds.
    pub locks: &'a [String],
    /// Whether its `when:` is false with the config's values: it will be skipped.
    pub when_false: bool,
    /// Predicted start, in seconds after the plan starts; `null` when it can never start.
    pub predicted_start_seconds: Option<u64>,
    /// Predicted end, in seconds after the plan starts.
    pub predicted_end_seconds: Option<u64>,
    /// Whether it lies on the critical path.
    pub critical: bool,
    /// What `run` would do with it.
    pub state: OpState,
    /// Why it will run (`never run`, `failed`, `interrupted`, `changed: A, script`, ...) or is
    /// skipped (`when: false`); `null` when up to date.
    pub reason: Option<Cow<'static, str>>,
    /// What changed since it last completed: variable names, `template`, `script`, `file <path>`.
    pub changed: Vec<String>,
}

/// What the plan document says of each planned operation, made when the operation is written
/// (a plan may have a hundred thousand): its plan, predicted timeline and freshness.
pub(crate) struct OpFacts<'a> {
    plan: &'a Plan,
    timeline: &'a Timeline,
    fresh: &'a [Freshness],
    /// The critical path, in order, and its length.
    path: (Vec<usize>, Duration),
    /// Whether each planned operation lies on the critical path.
    on_path: Vec<bool>,
}

impl<'a> OpFacts<'a> {
    /// The facts of `plan`'s operations; `fresh` holds the freshness of each.
    pub(crate) fn new(plan: &'a Plan, timeline: &'a Timeline, fresh: &'a [Freshness]) -> Self {
        let path = timeline::critical_path(plan);
        let mut on_path = vec![false; plan.ops.len()];
        for &i in &path.0 {
            on_path[i] = true;
        }
        Self {
            plan,
            timeline,
            fresh,
            path,
            on_path,
        }
    }

    /// The document's entry of planned operation `i`.
    fn op(&self, i: usize) -> OpJson<'a> {
        let planned = &self.plan.ops[i];
        let (state, reason, changed) = op_state(planned.when_false, &self.fresh[i]);
        let span = self.timeline.spans[i];
        OpJson {
            id: &planned.id,
            expected_seconds: planned.expected.as_secs(),
            locks: &planned.locks,
            when_false: planned.when_false,
            predicted_start_seconds: span.map(|s| s.0.as_secs()),
            predicted_end_seconds: span.map(|s| s.1.as_secs()),
            critical: self.on_path[i],
            state,
            reason,
            changed,
        }
    }
}

/// The operations of a stage in `plan --json`, each made as it is written.
pub(crate) struct StageOps<'a> {
    indices: &'a [usize],
    facts: &'a OpFacts<'a>,
}

impl<'a> StageOps<'a> {
    /// How many there are.
    pub(crate) fn len(&self) -> usize {
        self.indices.len()
    }

    /// The operations, in stage order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = OpJson<'a>> + '_ {
        self.indices.iter().map(|&i| self.facts.op(i))
    }
}

impl std::fmt::Debug for StageOps<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl serde::Serialize for StageOps<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Builds the plan document from the facts of its operations.
pub(crate) fn document<'a>(facts: &'a OpFacts<'a>, throttle: usize) -> PlanJson<'a> {
    let (plan, timeline) = (facts.plan, facts.timeline);
    let mut summary = SummaryJson::default();
    let modules = plan
        .modules
        .iter()
        .map(|module| {
            let all: Vec<usize> = module
                .stages
                .iter()
                .flat_map(|s| s.ops.iter().copied())
                .collect();
            for &i in &all {
                match op_state(plan.ops[i].when_false, &facts.fresh[i]).0 {
                    OpState::WillRun => summary.will_run += 1,
                    OpState::UpToDate => summary.up_to_date += 1,
                    OpState::Skipped => summary.skipped += 1,
                }
            }
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
                        operations: StageOps {
                            indices: &stage.ops,
                            facts,
                        },
                    })
                    .collect(),
            }
        })
        .collect();
    let (path, critical) = &facts.path;
    PlanJson {
        format_version: 1,
        target: plan.target.to_string(),
        throttle,
        modules,
        predicted_seconds: timeline.total.as_secs(),
        sequential_seconds: timeline.sequential.as_secs(),
        critical_path: path.iter().map(|&i| plan.ops[i].id.clone()).collect(),
        critical_path_seconds: critical.as_secs(),
        summary,
    }
}

/// The state, reason and changed parts of one operation in the plan document.
fn op_state(
    when_false: bool,
    fresh: &Freshness,
) -> (OpState, Option<Cow<'static, str>>, Vec<String>) {
    if when_false {
        return (
            OpState::Skipped,
            Some(Cow::Borrowed(crate::model::instances::WHEN_FALSE)),
            Vec::new(),
        );
    }
    match fresh {
        Freshness::UpToDate => (OpState::UpToDate, None, Vec::new()),
        Freshness::WillRun(reason) => {
            let changed = match reason {
                RunReason::Changed(parts) => parts.clone(),
                _ => Vec::new(),
            };
            (OpState::WillRun, Some(reason.text()), changed)
        }
    }
}

/// The freshness of every planned operation by the rule `run` acts on: from the state (nothing
/// ran when there is none), comparing what each completed operation would run now with what
/// its last completed attempt ran. Reads the state only: plan writes nothing.
pub(crate) fn freshness_of(
    deployment: &Deployment,
    plan: &Plan,
    force: bool,
) -> Result<Vec<Freshness>, Error> {
    let layout = &deployment.layout;
    let Some(store) = StateDb::open_read_only(layout)? else {
        return Ok(vec![
            Freshness::WillRun(RunReason::NeverRun);
            plan.ops.len()
        ]);
    };
    let completed = store.completed_operations()?;
    let before = store.completed_fingerprints()?;
    let latest = store.latest_statuses()?;
    let (vars, secret_outputs) = known_variables(deployment, &store)?;
    let fingerprinter = FingerprintKey::read(&layout.fingerprint_key())?
        .map(|key| Fingerprinter::new(key, &deployment.root, secret_outputs));
    Ok(plan
        .ops
        .iter()
        .map(|op| {
            let done = completed.contains(&op.id);
            let now = fingerprinter
                .as_ref()
                .filter(|_| done)
                .map(|f| f.fingerprint(&deployment.operations[op.index], op, &vars));
            let changed = freshness::changes(
                done,
                now.as_ref(),
                before.get(&op.id).and_then(Option::as_ref),
            );
            freshness::freshness(force, done, changed, latest.get(&op.id).copied())
        })
        .collect())
}

/// Runs `plan`.
pub(crate) fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<i32, Error> {
    // Warnings matter here: a split parallel group changes the order the plan shows.
    // Without a state nothing is compared with what ran before: no script text is needed.
    let has_state = crate::base::layout::Layout::new(global.dir.clone(), &global.config)
        .is_ok_and(|layout| layout.state_db().exists());
    let cache = if has_state {
        global.cache()
    } else {
        global.cache_for_checks()
    };
    let mut deployment = checked::load_valid(global, true, cache)?;
    if !has_state {
        // Validated, and no fingerprint is to be made: what only the checks needed makes room
        // for the plan.
        for operation in &mut deployment.operations {
            operation.let_go_of_check_facts();
        }
    }
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
    // Teardown always runs in full, as `destroy` runs it.
    let fresh = freshness_of(&deployment, &plan, args.force || args.destroy)?;
    let facts = OpFacts::new(&plan, &timeline, &fresh);
    let doc = document(&facts, throttle);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else if let Some(line) = nothing_to_do(&doc) {
        writeln!(out, "{line}")?;
    } else {
        let painter = global.stdout_painter();
        render(&doc, &mut |text| {
            out.write_all(painter.lines(text, plan_line).as_bytes())
        })?;
    }
    out.flush()?;
    // The process ends next: freeing a large plan and deployment piece by piece only costs time.
    std::mem::forget(doc);
    std::mem::forget(facts);
    std::mem::forget((fresh, timeline, plan));
    std::mem::forget(deployment);
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

/// Writes the text form of `plan` with `write`, a stage at a time: whole lines, never the
/// whole text at once.
fn render(
    doc: &PlanJson,
    write: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<()> {
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
            for op in stage.operations.iter() {
                operation_line(&mut out, &op);
            }
            write(&out)?;
            out.clear();
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
    out.push_str(&summary_text(doc));
    write(&out)
}

/// `* id (10s)  at 0s-10s  locks: a, b  will run (never run)`: one operation of a stage,
/// written straight into `out` (a plan may have a hundred thousand).
fn operation_line(out: &mut String, op: &OpJson) {
    let mark = if op.critical { '*' } else { '-' };
    let _ = write!(out, "            {mark} {} (", op.id);
    let readable = |seconds| text::Readable(Duration::from_secs(seconds));
    if op.when_false {
        out.push_str("skipped, when: false");
    } else {
        let _ = write!(out, "{}", readable(op.expected_seconds));
    }
    out.push_str(")  ");
    match (op.predicted_start_seconds, op.predicted_end_seconds) {
        (Some(start), Some(end)) => {
            let _ = write!(out, "at {}-{}", readable(start), readable(end));
        }
        _ => out.push_str("never starts"),
    }
    for (n, lock) in op.locks.iter().enumerate() {
        out.push_str(if n == 0 { "  locks: " } else { ", " });
        out.push_str(lock);
    }
    out.push_str("  ");
    match (op.state, &op.reason) {
        (OpState::WillRun, Some(reason)) => {
            let _ = write!(out, "will run ({reason})");
        }
        (OpState::UpToDate, _) => out.push_str("up to date"),
        (OpState::WillRun | OpState::Skipped, _) => {}
    }
    out.push('\n');
}

/// `Nothing to do: all N operations are up to date.` when `run` would start nothing.
pub(crate) fn nothing_to_do(doc: &PlanJson) -> Option<String> {
    let summary = &doc.summary;
    if summary.will_run > 0 || summary.up_to_date == 0 {
        return None;
    }
    let skipped = if summary.skipped > 0 {
        format!(" ({} skipped, when: false)", summary.skipped)
    } else {
        String::new()
    };
    Some(format!(
        "Nothing to do: all {} are up to date{skipped}.",
        text::plural(summary.up_to_date, "operation")
    ))
}

/// `Will run: 3 of 5 operations (2 never run, 1 changed); 2 up to date`: the counts, with the
/// reasons grouped by kind in order of first appearance.
fn summary_text(doc: &PlanJson) -> String {
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for op in doc
        .modules
        .iter()
        .flat_map(|m| &m.stages)
        .flat_map(|s| s.operations.iter())
        .filter(|op| op.state == OpState::WillRun)
    {
        let reason = op.reason.as_deref().unwrap_or_default();
        let kind = reason.split(':').next().unwrap_or_default().to_owned();
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, count)) => *count += 1,
            None => kinds.push((kind, 1)),
        }
    }
    let summary = &doc.summary;
    let total = summary.will_run + summary.up_to_date + summary.skipped;
    let reasons: Vec<String> = kinds
        .iter()
        .map(|(kind, count)| format!("{count} {kind}"))
        .collect();
    let mut line = format!(
        "Will run: {} of {}",
        summary.will_run,
        text::plural(total, "operation")
    );
    if !reasons.is_empty() {
        line.push_str(&format!(" ({})", reasons.join(", ")));
    }
    line.push_str(&format!("; {} up to date", summary.up_to_date));
    if summary.skipped > 0 {
        line.push_str(&format!("; {} skipped (when: false)", summary.skipped));
    }
    line.push('\n');
    line
}

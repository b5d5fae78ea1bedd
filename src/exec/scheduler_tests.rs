//! Unit tests of the scheduler: stages, parallel groups, the throttle, locks, requirements and
//! failures, on small deployments loaded from a temporary folder. The operations are stand-ins
//! on a paused tokio clock, so each test asserts when things happen in exact virtual time; one
//! test runs real `bash` scripts end to end.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::*;
use crate::exec::test_support::Fixture;
use crate::exec::virtual_process::Act;
use crate::load::deployment::{self, Loaded};
use crate::plan::graph::{self, Target};

const S: fn(u64) -> Duration = Duration::from_secs;

/// Module `m` with `header` lines (a schedule) and `entries` (`op` or `op:group`), and one bash
/// operation per `(id, extra lines)` of `ops`, loaded without findings.
fn deployment(
    fixture: &Fixture,
    header: &str,
    entries: &[&str],
    ops: &[(&str, &str)],
) -> Deployment {
    let mut module = format!("module:\n  id: \"m\"\n{header}  operations:\n");
    for entry in entries {
        match entry.split_once(':') {
            Some((op, group)) => module.push_str(&format!(
                "    - id: \"{op}\"\n      parallel_group: {group}\n"
            )),
            None => module.push_str(&format!("    - id: \"{entry}\"\n")),
        }
    }
    let mut files = vec![
        (
            "config.yaml".to_owned(),
            "app:\n  name: \"demo\"\n".to_owned(),
        ),
        ("modules/m/module.yaml".to_owned(), module),
    ];
    files.extend(ops.iter().map(|(id, extra)| {
        (
            format!("modules/m/operations/{id}.yaml"),
            format!(
                "operation:\n  id: \"{id}\"\n{extra}  duration: {{ expected: 1, timeout: 30, type: FAST }}\n  \
                 template:\n    type: \"bash-script\"\n    command: \"true\"\n"
            ),
        )
    }));
    for (path, text) in files {
        let path = fixture.path(&path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let env = |_: &str| None;
    let Loaded {
        deployment,
        diagnostics,
    } = deployment::load(&fixture.path(""), Path::new("config.yaml"), &env).unwrap();
    assert!(!diagnostics.has_errors(), "{:?}", diagnostics.items());
    deployment
}

/// Module `m`: `a` and `b` in parallel group 1, then `c`, which requires `a`.
fn grouped(fixture: &Fixture) -> Deployment {
    let ops = [("a", ""), ("b", ""), ("c", "  requires: [\"a\"]\n")];
    deployment(fixture, "", &["a:1", "b:1", "c"], &ops)
}

/// Module `m`: `a`, `b` and `c` in parallel group 1.
fn three_together(fixture: &Fixture, extra: &str) -> Deployment {
    let ops = [("a", extra), ("b", extra), ("c", extra)];
    deployment(fixture, "", &["a:1", "b:1", "c:1"], &ops)
}

/// How each operation's unit is made.
enum Specs<'a> {
    /// Stand-ins on the tokio clock: operation `op` plays `act(op)`.
    Acting(&'a Fixture, fn(&str) -> Act),
    /// Real `bash` running `script(op)`.
    Scripts(&'a Fixture, fn(&str) -> String),
}

impl Prepare for Specs<'_> {
    fn prepare(&mut self, op: &PlannedOperation, _vars: &Variables) -> Result<UnitSpec, String> {
        Ok(match self {
            Specs::Acting(fixture, act) => fixture.acting(&op.id, [act(&op.id)]),
            Specs::Scripts(fixture, script) => fixture.spec(&op.id, &script(&op.id)),
        })
    }
}

/// A run's outcome and its events, each with the time it came at since the run started.
struct Ran {
    outcome: RunOutcome,
    events: Vec<(Duration, RunEvent)>,
}

impl Ran {
    /// When the first event matching `wanted` came.
    fn at(&self, wanted: impl Fn(&RunEvent) -> bool) -> Duration {
        self.events
            .iter()
            .find(|(_, e)| wanted(e))
            .map(|(at, _)| *at)
            .unwrap_or_else(|| panic!("event missing from {:#?}", self.events))
    }

    /// When the run ended.
    fn took(&self) -> Duration {
        self.at(|e| matches!(e.kind, EventKind::RunFinished { .. }))
    }

    fn kinds(&self) -> Vec<&EventKind> {
        self.events.iter().map(|(_, e)| &e.kind).collect()
    }

    /// Each operation's final status, in the order they ended.
    fn finished(&self) -> Vec<(String, OperationStatus)> {
        self.kinds()
            .into_iter()
            .filter_map(|kind| match kind {
                EventKind::OperationFinished {
                    operation, status, ..
                } => Some((operation.clone(), *status)),
                _ => None,
            })
            .collect()
    }
}

async fn execute(
    deployment: &Deployment,
    mut specs: Specs<'_>,
    throttle: usize,
    not_covered: BTreeMap<String, String>,
) -> Ran {
    let plan = graph::build(deployment, &Target::parse("m", None)).unwrap();
    let settings = RunSettings {
        run_id: "run".into(),
        throttle,
        completed_before: HashSet::new(),
        force: false,
        catalog: Arc::new(ErrorCatalog::builtin()),
        fingerprints: std::collections::HashMap::new(),
        fingerprinter: None,
        not_covered,
    };
    let (_interrupts_tx, interrupts) = mpsc::unbounded_channel();
    let mut events = Vec::new();
    let started = Instant::now();
    let outcome = super::execute(
        &plan,
        deployment,
        settings,
        deployment.variables.clone(),
        &mut specs,
        interrupts,
        &mut |event| events.push((started.elapsed(), event)),
    )
    .await;
    Ran { outcome, events }
}

fn started(op: &'static str) -> impl Fn(&RunEvent) -> bool {
    move |e| matches!(&e.kind, EventKind::OperationStarted { operation, .. } if operation == op)
}

fn ended(op: &'static str) -> impl Fn(&RunEvent) -> bool {
    move |e| matches!(&e.kind, EventKind::OperationFinished { operation, .. } if operation == op)
}

fn ten_seconds(_: &str) -> Act {
    Act::succeeds_after(10)
}

#[tokio::test(start_paused = true)]
async fn the_throttle_bounds_how_many_operations_run_at_once() {
    let fixture = Fixture::new();
    let deployment = three_together(&fixture, "");
    for (throttle, took) in [(1, 30), (2, 20), (3, 10)] {
        let ran = execute(
            &deployment,
            Specs::Acting(&fixture, ten_seconds),
            throttle,
            BTreeMap::new(),
        )
        .await;
        assert_eq!(ran.outcome, RunOutcome::Completed);
        assert_eq!(ran.took(), S(took), "throttle {throttle}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_throttle_of_one_starts_each_operation_when_the_one_before_ends() {
    let fixture = Fixture::new();
    let deployment = three_together(&fixture, "");
    let ran = execute(
        &deployment,
        Specs::Acting(&fixture, ten_seconds),
        1,
        BTreeMap::new(),
    )
    .await;
    let starts = [
        ran.at(started("a")),
        ran.at(started("b")),
        ran.at(started("c")),
    ];
    assert_eq!(starts, [S(0), S(10), S(20)]);
}

#[tokio::test(start_paused = true)]
async fn a_parallel_group_starts_together_and_the_next_stage_starts_when_its_last_member_ends() {
    let fixture = Fixture::new();
    let act = |op: &str| Act::succeeds_after(if op == "b" { 25 } else { 10 });
    let ran = execute(
        &grouped(&fixture),
        Specs::Acting(&fixture, act),
        5,
        BTreeMap::new(),
    )
    .await;
    assert_eq!(ran.outcome, RunOutcome::Completed);
    assert_eq!((ran.at(started("a")), ran.at(started("b"))), (S(0), S(0)));
    assert_eq!(ran.at(ended("a")), S(10));
    assert_eq!(ran.at(started("c")), S(25));
    assert_eq!(ran.took(), S(35));
    assert!(matches!(
        &ran.kinds()[..2],
        [EventKind::RunStarted { operations: 3, .. }, EventKind::StageStarted { stage: 1, operations, .. }]
            if operations == &["a", "b"]
    ));
}

#[tokio::test(start_paused = true)]
async fn a_lock_serialises_operations_of_the_same_group() {
    let fixture = Fixture::new();
    let deployment = three_together(&fixture, "  locks: [\"vnet:hub\"]\n");
    let ran = execute(
        &deployment,
        Specs::Acting(&fixture, ten_seconds),
        5,
        BTreeMap::new(),
    )
    .await;
    assert_eq!(ran.outcome, RunOutcome::Completed);
    let starts = [
        ran.at(started("a")),
        ran.at(started("b")),
        ran.at(started("c")),
    ];
    assert_eq!(starts, [S(0), S(10), S(20)]);
    assert_eq!(ran.took(), S(30));
}

#[tokio::test(start_paused = true)]
async fn in_a_dag_an_operation_starts_when_what_it_requires_ends() {
    let fixture = Fixture::new();
    let ops = [("a", ""), ("b", ""), ("c", "  requires: [\"a\"]\n")];
    let deployment = deployment(&fixture, "  schedule: dag\n", &["a", "b", "c"], &ops);
    let act = |op: &str| Act::succeeds_after(if op == "b" { 30 } else { 10 });
    let ran = execute(
        &deployment,
        Specs::Acting(&fixture, act),
        5,
        BTreeMap::new(),
    )
    .await;
    assert_eq!(ran.outcome, RunOutcome::Completed);
    assert_eq!((ran.at(started("a")), ran.at(started("b"))), (S(0), S(0)));
    assert_eq!(ran.at(started("c")), S(10));
    assert_eq!(ran.took(), S(30));
}

#[tokio::test(start_paused = true)]
async fn what_follows_a_failed_stage_is_skipped_once_the_stage_ends() {
    let fixture = Fixture::new();
    let act = |op: &str| match op {
        "a" => Act::fails_after(5, "ERROR: broken"),
        _ => Act::succeeds_after(20),
    };
    let ran = execute(
        &grouped(&fixture),
        Specs::Acting(&fixture, act),
        5,
        BTreeMap::new(),
    )
    .await;
    assert_eq!(ran.outcome, RunOutcome::Failed);
    assert_eq!(
        ran.finished(),
        [
            ("a".to_owned(), OperationStatus::Failed),
            ("b".to_owned(), OperationStatus::Completed),
            ("c".to_owned(), OperationStatus::Skipped),
        ]
    );
    assert_eq!(ran.at(ended("a")), S(5));
    assert_eq!(ran.at(ended("c")), S(20));
    assert!(!ran.events.iter().any(|(_, e)| started("c")(e)));
}

#[tokio::test(start_paused = true)]
async fn operations_not_covered_are_skipped_with_their_reason_and_never_started() {
    let fixture = Fixture::new();
    let reason = "not covered: needs the az extension x";
    let not_covered = BTreeMap::from([
        ("a".to_owned(), reason.to_owned()),
        ("c".to_owned(), reason.to_owned()),
    ]);
    let ran = execute(
        &grouped(&fixture),
        Specs::Acting(&fixture, ten_seconds),
        5,
        not_covered,
    )
    .await;
    assert_eq!(ran.outcome, RunOutcome::Completed);
    assert_eq!(
        ran.finished(),
        [
            ("a".to_owned(), OperationStatus::Skipped),
            ("b".to_owned(), OperationStatus::Completed),
            ("c".to_owned(), OperationStatus::Skipped),
        ]
    );
    assert!(
        !ran.events
            .iter()
            .any(|(_, e)| started("a")(e) || started("c")(e))
    );
    assert!(ran.kinds().iter().any(|kind| matches!(kind,
        EventKind::OperationFinished { operation, error: Some(m), .. } if operation == "a" && m == reason)));
    assert_eq!(ran.took(), S(10));
}

#[tokio::test]
async fn real_scripts_run_and_a_failed_one_skips_what_follows() {
    let fixture = Fixture::new();
    let script = |op: &str| if op == "a" { "exit 3\n" } else { "true\n" }.to_owned();
    let ran = execute(
        &grouped(&fixture),
        Specs::Scripts(&fixture, script),
        5,
        BTreeMap::new(),
    )
    .await;
    assert_eq!(ran.outcome, RunOutcome::Failed);
    let mut statuses = ran.finished();
    statuses.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        statuses,
        [
            ("a".to_owned(), OperationStatus::Failed),
            ("b".to_owned(), OperationStatus::Completed),
            ("c".to_owned(), OperationStatus::Skipped),
        ]
    );
    assert!(ran.kinds().iter().any(|kind| matches!(kind,
        EventKind::OperationFinished { operation, exit_code: Some(3), .. } if operation == "a")));
    assert!(matches!(
        ran.kinds().last(),
        Some(EventKind::RunFinished {
            outcome: RunOutcome::Failed,
            ..
        })
    ));
}

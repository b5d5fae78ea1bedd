//! Unit tests of the scheduler: stages, throttle, requirements and failures, with real `bash`
//! units on a small deployment loaded from a temporary folder.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::*;
use crate::exec::test_support::Fixture;
use crate::load::deployment::{self, Loaded};
use crate::plan::graph::{self, Target};

/// Module `m`: `a` and `b` in parallel group 1, then `c`, which requires `a`.
fn deployment(fixture: &Fixture) -> Deployment {
    let files = [
        ("config.yaml", "app:\n  name: \"demo\"\n".to_owned()),
        (
            "modules/m/module.yaml",
            "module:\n  id: \"m\"\n  operations:\n    - id: \"a\"\n      parallel_group: 1\n    \
             - id: \"b\"\n      parallel_group: 1\n    - id: \"c\"\n"
                .to_owned(),
        ),
        ("modules/m/operations/a.yaml", operation("a", "")),
        ("modules/m/operations/b.yaml", operation("b", "")),
        (
            "modules/m/operations/c.yaml",
            operation("c", "  requires: [\"a\"]\n"),
        ),
    ];
    for (path, text) in files {
        let path = fixture.path(path);
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

fn operation(id: &str, extra: &str) -> String {
    format!(
        "operation:\n  id: \"{id}\"\n{extra}  duration: {{ expected: 1, timeout: 30, type: FAST }}\n  \
         template:\n    type: \"bash-script\"\n    command: \"true\"\n"
    )
}

/// Units whose scripts come from `body(op)`.
struct Scripts<'a> {
    fixture: &'a Fixture,
    body: fn(&str) -> String,
}

impl Prepare for Scripts<'_> {
    fn prepare(&mut self, op: &PlannedOperation, _vars: &Variables) -> Result<UnitSpec, String> {
        Ok(self.fixture.spec(&op.id, &(self.body)(&op.id)))
    }
}

async fn execute_all(
    fixture: &Fixture,
    body: fn(&str) -> String,
    throttle: usize,
) -> (RunOutcome, Vec<RunEvent>) {
    execute_covered(fixture, body, throttle, BTreeMap::new()).await
}

async fn execute_covered(
    fixture: &Fixture,
    body: fn(&str) -> String,
    throttle: usize,
    not_covered: BTreeMap<String, String>,
) -> (RunOutcome, Vec<RunEvent>) {
    let deployment = deployment(fixture);
    let plan = graph::build(&deployment, &Target::parse("m", None)).unwrap();
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
    let vars = deployment.variables.clone();
    let mut prepare = Scripts { fixture, body };
    let outcome = super::execute(
        &plan,
        &deployment,
        settings,
        vars,
        &mut prepare,
        interrupts,
        &mut |event| events.push(event),
    )
    .await;
    (outcome, events)
}

fn finished(events: &[RunEvent]) -> Vec<(String, OperationStatus)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::OperationFinished {
                operation, status, ..
            } => Some((operation.clone(), *status)),
            _ => None,
        })
        .collect()
}

fn position(events: &[RunEvent], wanted: impl Fn(&RunEvent) -> bool) -> usize {
    events.iter().position(wanted).expect("event present")
}

fn started(op: &'static str) -> impl Fn(&RunEvent) -> bool {
    move |e| matches!(&e.kind, EventKind::OperationStarted { operation, .. } if operation == op)
}

fn ended(op: &'static str) -> impl Fn(&RunEvent) -> bool {
    move |e| matches!(&e.kind, EventKind::OperationFinished { operation, .. } if operation == op)
}

#[tokio::test]
async fn operations_not_covered_are_skipped_with_their_reason_and_never_started() {
    let fixture = Fixture::new();
    let reason = "not covered: needs the az extension x";
    let not_covered = BTreeMap::from([
        ("a".to_owned(), reason.to_owned()),
        ("c".to_owned(), reason.to_owned()),
    ]);
    let (outcome, events) =
        execute_covered(&fixture, |_| "true\n".to_owned(), 5, not_covered).await;
    assert_eq!(outcome, RunOutcome::Completed);
    assert_eq!(
        finished(&events),
        [
            ("a".to_owned(), OperationStatus::Skipped),
            ("b".to_owned(), OperationStatus::Completed),
            ("c".to_owned(), OperationStatus::Skipped),
        ]
    );
    assert!(!events.iter().any(started("a")) && !events.iter().any(started("c")));
    assert!(events.iter().any(|e| matches!(&e.kind,
        EventKind::OperationFinished { operation, error: Some(m), .. } if operation == "a" && m == reason)), "{events:#?}");
}

#[tokio::test]
async fn a_parallel_group_starts_together_and_the_next_stage_waits_for_it() {
    let fixture = Fixture::new();
    let (outcome, events) = execute_all(&fixture, |_| "sleep 0.2\n".to_owned(), 5).await;
    assert_eq!(outcome, RunOutcome::Completed);
    let (a, b) = (
        position(&events, started("a")),
        position(&events, started("b")),
    );
    let first_end = position(&events, ended("a")).min(position(&events, ended("b")));
    assert!(a < first_end && b < first_end, "{events:#?}");
    let c = position(&events, started("c"));
    assert!(c > position(&events, ended("a")) && c > position(&events, ended("b")));
    assert!(matches!(
        &events.iter().map(|e| &e.kind).collect::<Vec<_>>()[..2],
        [EventKind::RunStarted { operations: 3, .. }, EventKind::StageStarted { stage: 1, operations, .. }]
            if operations == &["a", "b"]
    ));
}

#[tokio::test]
async fn a_throttle_of_one_runs_one_operation_at_a_time() {
    let fixture = Fixture::new();
    let (outcome, events) = execute_all(&fixture, |_| "sleep 0.1\n".to_owned(), 1).await;
    assert_eq!(outcome, RunOutcome::Completed);
    assert!(
        position(&events, ended("a")) < position(&events, started("b")),
        "{events:#?}"
    );
}

#[tokio::test]
async fn a_failed_stage_skips_the_stages_after_it_and_fails_the_run() {
    let fixture = Fixture::new();
    let body = |op: &str| if op == "a" { "exit 3\n" } else { "true\n" }.to_owned();
    let (outcome, events) = execute_all(&fixture, body, 5).await;
    assert_eq!(outcome, RunOutcome::Failed);
    let mut statuses = finished(&events);
    statuses.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        statuses,
        [
            ("a".to_owned(), OperationStatus::Failed),
            ("b".to_owned(), OperationStatus::Completed),
            ("c".to_owned(), OperationStatus::Skipped),
        ]
    );
    assert!(matches!(
        events.last().map(|e| &e.kind),
        Some(EventKind::RunFinished {
            outcome: RunOutcome::Failed,
            ..
        })
    ));
}

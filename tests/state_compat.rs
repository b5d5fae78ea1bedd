//! State compatibility: a version 1 `state.db`, checked in as SQL text, must keep opening and
//! reading the same with every later avdeploy.

use std::path::Path;

use avdeploy::base::layout::Layout;
use avdeploy::model::outcome::OperationStatus;
use avdeploy::model::outcome::RunOutcome;
use avdeploy::state::{DeploymentLock, StateDb};

const V1_DUMP: &str = include_str!("fixtures/state_v1.sql");

/// Puts the version 1 state into the deployment folder `dir`; returns the folder's layout.
fn load_v1(dir: &Path) -> Layout {
    let layout = Layout::new(dir, Path::new("config.yaml")).expect("layout");
    std::fs::create_dir_all(layout.state_dir()).expect("state dir");
    let conn = rusqlite::Connection::open(layout.state_db()).expect("create db");
    conn.execute_batch(V1_DUMP).expect("load v1 dump");
    layout
}

#[test]
fn v1_state_opens_read_only_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let layout = load_v1(dir.path());
    let store = StateDb::open_read_only(&layout)
        .expect("open")
        .expect("state exists");
    let run = store.last_run().expect("query").expect("a run");
    assert_eq!(run.id, "20250301-091500-3c4d");
    assert_eq!(run.outcome, None);
    let summaries = store.operation_summaries().expect("summaries");
    let account = summaries
        .iter()
        .find(|s| s.operation == "storage-create-account")
        .expect("account");
    assert_eq!(account.status, OperationStatus::Running);
}

#[test]
fn v1_state_opens_for_writing_and_recovers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let layout = load_v1(dir.path());
    let lock = DeploymentLock::acquire(&layout.state_dir()).expect("lock");
    let store = StateDb::open(&layout, &lock).expect("open v1 state");

    let completed = store.completed_operations().expect("completed");
    let mut completed: Vec<_> = completed.into_iter().collect();
    completed.sort();
    assert_eq!(
        completed,
        [
            "networking-create-nsg-sessionhosts",
            "networking-create-vnet",
            "resource-group-create"
        ]
    );

    let run = store.last_unfinished_run().expect("query").expect("a run");
    assert_eq!(run.target, "02-storage");
    assert_eq!(run.outcome, Some(RunOutcome::Interrupted));
    assert_eq!(run.throttle, 3);

    let summaries = store.operation_summaries().expect("summaries");
    let by_op = |op: &str| {
        summaries
            .iter()
            .find(|s| s.operation == op)
            .unwrap_or_else(|| panic!("no summary for {op}"))
    };
    assert_eq!(
        by_op("storage-create-account").status,
        OperationStatus::Interrupted
    );
    assert_eq!(
        by_op("storage-create-share").status,
        OperationStatus::Pending
    );
    assert_eq!(by_op("networking-create-nsg-sessionhosts").attempts, 2);
    let timed_out = by_op("networking-create-nsg-privateendpoints");
    assert_eq!(timed_out.status, OperationStatus::TimedOut);
    assert_eq!(timed_out.exit_code, Some(124));
    assert_eq!(
        by_op("networking-create-peering").status,
        OperationStatus::Blocked
    );

    let outputs = store.outputs().expect("outputs");
    let names: Vec<_> = outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["ADMIN_PASSWORD", "NETWORKING_VNET_ID"]);
}

#[test]
fn v1_state_migrates_and_a_destruction_hides_what_came_before() {
    let dir = tempfile::tempdir().expect("temp dir");
    let layout = load_v1(dir.path());
    let lock = DeploymentLock::acquire(&layout.state_dir()).expect("lock");
    let store = StateDb::open(&layout, &lock).expect("open v1 state");
    assert_eq!(store.destruction().expect("query"), None);
    assert!(!store.completed_operations().expect("completed").is_empty());
    let now = chrono::Utc::now();
    store
        .mark_destroyed("20250301-091500-3c4d", now)
        .expect("mark destroyed");
    let destruction = store.destruction().expect("query").expect("destroyed");
    assert_eq!(destruction.run_id, "20250301-091500-3c4d");
    // Run 1 came before the destroying run: its completions and outputs no longer count.
    let completed = store.completed_operations().expect("completed");
    assert!(
        !completed.contains("resource-group-create"),
        "{completed:?}"
    );
    let outputs = store.outputs().expect("outputs");
    assert!(
        outputs.iter().all(|o| o.name != "NETWORKING_VNET_ID"),
        "{outputs:?}"
    );
    assert!(
        store
            .last_unfinished_run()
            .expect("query")
            .is_some_and(|r| r.id == "20250301-091500-3c4d")
    );
    drop(store);
    let reopened = StateDb::open_read_only(&layout)
        .expect("open")
        .expect("state exists");
    assert_eq!(
        reopened.destruction().expect("query").map(|d| d.run_id),
        Some("20250301-091500-3c4d".to_owned())
    );
}

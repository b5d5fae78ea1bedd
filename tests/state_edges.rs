//! The state database at its edges: missing, empty or a folder; `status --json` after the
//! unfinished run was completed; the resume prompt; values too large for an environment.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// `first` always completes; `flaky` fails while a `fail` file exists.
fn deployment() -> Deploy {
    Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("first", None), ("flaky", None)]))
        .operation("m", "first", &bash_op("first", 30, "echo first >> ran"))
        .operation(
            "m",
            "flaky",
            &bash_op("flaky", 30, "[ -e fail ] && exit 1\necho flaky >> ran"),
        )
}

#[test]
fn status_has_no_resume_once_the_unfinished_run_was_completed_by_a_later_one() {
    let deploy = deployment().file("fail", "");
    deploy.cmd(&["run", "m"]).assert().code(1);
    let doc = deploy.json(&["status", "--json"]);
    assert_eq!(doc["resume"]["to_run"], serde_json::json!(["flaky"]));
    std::fs::remove_file(deploy.path().join("fail")).expect("remove");
    deploy.cmd(&["run", "m"]).assert().success();
    let doc = deploy.json(&["status", "--json"]);
    assert_eq!(doc["resume"], serde_json::Value::Null, "{doc:#}");
}

#[test]
fn the_resume_prompt_names_what_runs_and_what_is_kept() {
    let deploy = deployment().file("fail", "");
    deploy.cmd(&["run", "m"]).assert().code(1);
    std::fs::remove_file(deploy.path().join("fail")).expect("remove");
    deploy
        .cmd(&["resume", "--yes"])
        .assert()
        .success()
        .stdout(contains("1 to run: flaky; 1 completed and kept: first"));
}

#[test]
fn a_state_database_that_is_a_folder_is_an_error() {
    let deploy = deployment();
    std::fs::create_dir_all(deploy.path().join(".avdeploy/state.db")).expect("mkdir");
    deploy
        .cmd(&["status"])
        .assert()
        .failure()
        .stderr(contains("state.db").and(contains("is not a file")));
    deploy
        .cmd(&["run", "m"])
        .assert()
        .failure()
        .stderr(contains("is not a file"));
    assert_eq!(deploy.read("ran"), "", "nothing ran");
}

#[test]
fn an_empty_state_database_is_set_aside_and_said() {
    let deploy = deployment();
    deploy.cmd(&["run", "m"]).assert().success();
    std::fs::write(deploy.path().join(".avdeploy/state.db"), "").expect("truncate");
    for leftover in ["state.db-wal", "state.db-shm"] {
        let _ = std::fs::remove_file(deploy.path().join(".avdeploy").join(leftover));
    }
    deploy
        .cmd(&["run", "m"])
        .assert()
        .success()
        .stderr(contains("was empty: starting from scratch").and(contains("kept `")));
    let aside = std::fs::read_dir(deploy.path().join(".avdeploy"))
        .expect("list")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".old"))
        .count();
    assert_eq!(aside, 1);
}

#[test]
fn a_deleted_state_database_is_said_when_earlier_runs_left_logs() {
    let deploy = deployment();
    deploy.cmd(&["run", "m"]).assert().success();
    for file in ["state.db", "state.db-wal", "state.db-shm"] {
        let _ = std::fs::remove_file(deploy.path().join(".avdeploy").join(file));
    }
    deploy
        .cmd(&["run", "m"])
        .assert()
        .success()
        .stderr(contains("is missing although earlier runs left logs"));
    // A deployment that never ran starts without a word.
    let fresh = deployment();
    fresh
        .cmd(&["run", "m"])
        .assert()
        .success()
        .stderr(contains("starting from scratch").not());
}

#[test]
fn a_deleted_state_database_of_an_environment_is_said_too() {
    let deploy = deployment().file("prod.yaml", "app:\n  name: \"prod\"\n");
    let run = ["run", "m", "--config", "prod.yaml"];
    deploy.cmd(&run).assert().success();
    for file in ["state.db", "state.db-wal", "state.db-shm"] {
        let _ = std::fs::remove_file(deploy.path().join(".avdeploy/prod").join(file));
    }
    deploy
        .cmd(&run)
        .assert()
        .success()
        .stderr(contains("is missing although earlier runs left logs"));
}

#[test]
fn a_value_too_large_for_an_environment_is_refused_at_validate() {
    let big = "x".repeat(200 * 1024);
    let deploy = Deploy::new()
        .config(&format!("app:\n  blob: \"{big}\"\n"))
        .module("m", &module_yaml("m", &[("op", None)]))
        .operation("m", "op", &bash_op("op", 30, "touch ran"));
    deploy
        .cmd(&["validate"])
        .assert()
        .code(2)
        .stderr(contains("APP_BLOB").and(contains("at most 128 KiB")));
    deploy.cmd(&["run", "m"]).assert().code(2);
    assert!(!deploy.path().join("ran").exists());
}

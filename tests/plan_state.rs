//! `plan` reads the state: each operation is up to date or will run with the reason `run` acts
//! on (never run, failed, interrupted, changed), the summary counts them, and a deployment with
//! nothing to do says so in one line. Plan writes nothing.

#[path = "common/deploy.rs"]
mod deploy;

use std::collections::BTreeMap;
use std::time::Duration;

use deploy::{Deploy, bash_op, module_yaml, wait_until};
use serde_json::Value;

const CONFIG: &str = "app:\n  name: \"demo\"\n  location: \"westeurope\"\n";

/// `a` publishes A_OUT from APP_NAME, `b` pastes APP_LOCATION into its script, `c` reads A_OUT
/// and fails while the file `fail-c` exists.
fn deployment() -> Deploy {
    Deploy::new()
        .config(CONFIG)
        .module(
            "m",
            &module_yaml("m", &[("a", None), ("b", None), ("c", None)]),
        )
        .operation(
            "m",
            "a",
            &bash_op(
                "a",
                30,
                "echo a >> ran\necho \"[OUTPUT] A_OUT=$APP_NAME-out\"",
            ),
        )
        .operation(
            "m",
            "b",
            &bash_op("b", 30, "echo \"b {{APP_LOCATION}}\" >> ran"),
        )
        .operation(
            "m",
            "c",
            &bash_op("c", 30, "echo \"c $A_OUT\" >> ran\ntest ! -e fail-c"),
        )
}

/// Operation id to (state, reason) from `plan --json`.
fn states(deploy: &Deploy, args: &[&str]) -> BTreeMap<String, (String, Value)> {
    let mut full = vec!["plan", "m", "--json"];
    full.extend_from_slice(args);
    let plan = deploy.json(&full);
    plan["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .flat_map(|m| m["stages"].as_array().expect("stages"))
        .flat_map(|s| s["operations"].as_array().expect("operations"))
        .map(|op| {
            (
                op["id"].as_str().expect("id").to_owned(),
                (
                    op["state"].as_str().expect("state").to_owned(),
                    op["reason"].clone(),
                ),
            )
        })
        .collect()
}

fn will_run(reason: &str) -> (String, Value) {
    ("will run".to_owned(), Value::from(reason))
}

fn up_to_date() -> (String, Value) {
    ("up to date".to_owned(), Value::Null)
}

fn plan_text(deploy: &Deploy, args: &[&str]) -> String {
    let mut full = vec!["plan", "m"];
    full.extend_from_slice(args);
    let output = deploy.cmd(&full).assert().success().get_output().clone();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn ran(deploy: &Deploy) -> Vec<String> {
    let ran = deploy.read("ran").lines().map(str::to_owned).collect();
    std::fs::remove_file(deploy.path().join("ran")).ok();
    ran
}

#[test]
fn a_folder_that_never_ran_plans_everything_and_writes_nothing() {
    let deploy = deployment();
    let before = deploy.files();
    let states = states(&deploy, &[]);
    assert_eq!(states["a"], will_run("never run"));
    assert_eq!(states["c"], will_run("never run"));
    let text = plan_text(&deploy, &[]);
    assert!(
        text.contains("* b (1s)  at 1s-2s  will run (never run)"),
        "{text}"
    );
    assert!(
        text.contains("Will run: 3 of 3 operations (3 never run); 0 up to date"),
        "{text}"
    );
    assert_eq!(deploy.files(), before, "plan created files");
}

#[test]
fn after_a_run_nothing_is_to_do_until_an_input_changes_and_then_run_does_what_plan_said() {
    let deploy = deployment();
    deploy.cmd(&["run", "m"]).assert().success();
    ran(&deploy);
    assert_eq!(
        plan_text(&deploy, &[]),
        "Nothing to do: all 3 operations are up to date.\n"
    );
    let states = states(&deploy, &[]);
    assert!(states.values().all(|s| *s == up_to_date()), "{states:?}");

    let forced = self::states(&deploy, &["--force"]);
    assert!(
        forced.values().all(|s| *s == will_run("--force")),
        "{forced:?}"
    );

    std::fs::write(
        deploy.path().join("config.yaml"),
        CONFIG.replace("westeurope", "northeurope"),
    )
    .expect("write config");
    let states = self::states(&deploy, &[]);
    assert_eq!(states["a"], up_to_date());
    assert_eq!(states["b"], will_run("changed: APP_LOCATION, script"));
    assert_eq!(states["c"], up_to_date());
    let text = plan_text(&deploy, &[]);
    assert!(
        text.contains("b (1s)  at 1s-2s  will run (changed: APP_LOCATION, script)"),
        "{text}"
    );
    assert!(
        text.contains("Will run: 1 of 3 operations (1 changed); 2 up to date"),
        "{text}"
    );
    deploy.cmd(&["run", "m"]).assert().success();
    assert_eq!(ran(&deploy), ["b northeurope"]);
    assert_eq!(
        plan_text(&deploy, &[]),
        "Nothing to do: all 3 operations are up to date.\n"
    );
}

#[test]
fn a_failed_operation_will_run_because_it_failed_and_the_rest_never_ran() {
    let deploy = deployment()
        .module(
            "m",
            &module_yaml("m", &[("a", None), ("c", None), ("b", None)]),
        )
        .file("fail-c", "");
    deploy.cmd(&["run", "m"]).assert().code(1);
    let states = states(&deploy, &[]);
    assert_eq!(states["a"], up_to_date());
    assert_eq!(states["c"], will_run("failed"));
    assert_eq!(states["b"], will_run("never run"));
    let plan = deploy.json(&["plan", "m", "--json"]);
    assert_eq!(
        plan["summary"],
        serde_json::json!({"will_run": 2, "up_to_date": 1, "skipped": 0})
    );
}

#[test]
fn an_operation_whose_engine_was_killed_will_run_because_it_was_interrupted() {
    let deploy = deployment().operation("m", "b", &bash_op("b", 60, "echo $$ > b.pid\nsleep 30"));
    let mut engine = deploy.std_cmd(&["run", "m"]).spawn().expect("spawn");
    let pid_file = deploy.path().join("b.pid");
    let db = deploy.path().join(".avdeploy/state.db");
    let recorded_running = || {
        rusqlite::Connection::open(&db)
            .and_then(|db| {
                db.query_row(
                    "SELECT COUNT(*) FROM attempts WHERE operation = 'b' AND status = 'running'",
                    [],
                    |row| row.get::<_, i64>(0),
                )
            })
            .is_ok_and(|count| count == 1)
    };
    assert!(
        wait_until(Duration::from_secs(30), || {
            std::fs::read_to_string(&pid_file).is_ok_and(|pid| pid.ends_with('\n'))
                && recorded_running()
        }),
        "b never started"
    );
    engine.kill().expect("kill the engine");
    engine.wait().expect("reap");
    let states = states(&deploy, &[]);
    let pid = deploy.read("b.pid").trim().to_owned();
    std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("kill b");
    assert_eq!(states["a"], up_to_date());
    assert_eq!(states["b"], will_run("interrupted"));
    assert_eq!(states["c"], will_run("never run"));
}

//! Crash recovery and `resume`: an engine killed with SIGKILL leaves no `running` row behind,
//! `resume --yes` runs what did not complete and never re-runs what did; `run --force` does.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/engine.rs"]
mod engine;
#[path = "common/timeline.rs"]
mod timeline;

use deploy::{Deploy, bash_op, module_yaml};
use engine::Engine;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use std::time::Duration;
use timeline::{is_alive, read_pid};

/// `first`, then `held` (which waits for a `release` file), then `last`; each appends its id
/// to `ran` when it runs.
fn deployment() -> Deploy {
    let held = "touch held-started\nfor _ in $(seq 500); do [ -e release ] && break; sleep 0.02; done\necho held >> ran";
    Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module(
            "m",
            &module_yaml("m", &[("first", None), ("held", None), ("last", None)]),
        )
        .operation("m", "first", &bash_op("first", 30, "echo first >> ran"))
        .operation("m", "held", &bash_op("held", 30, held))
        .operation("m", "last", &bash_op("last", 30, "echo last >> ran"))
}

fn count(deploy: &Deploy, op: &str) -> usize {
    deploy
        .read("ran")
        .lines()
        .filter(|line| *line == op)
        .count()
}

#[test]
fn a_killed_engine_is_resumed_without_rerunning_completed_operations() {
    let deploy = deployment();
    let engine = Engine::start(deploy.std_cmd(&["run", "m"]));
    engine.wait_for_line("[*] Started held");
    assert!(deploy::wait_until(
        std::time::Duration::from_secs(10),
        || { deploy.path().join("held-started").exists() }
    ));
    engine.kill();

    let doc = deploy.json(&["status", "--json"]);
    assert_eq!(doc["run"]["state"], "interrupted");
    let statuses: Vec<(String, String)> = doc["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|o| (o["operation"].to_string(), o["status"].to_string()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("\"first\"".into(), "\"completed\"".into()),
            ("\"held\"".into(), "\"interrupted\"".into()),
            ("\"last\"".into(), "\"pending\"".into()),
        ]
    );
    assert_eq!(doc["resume"]["to_run"], serde_json::json!(["held", "last"]));
    deploy.cmd(&["status"]).assert().success().stdout(
        contains("held")
            .and(contains("interrupted"))
            .and(contains("would run 2 operations")),
    );

    // Without a terminal, resume asks for --yes and does nothing.
    deploy
        .cmd(&["resume"])
        .assert()
        .code(2)
        .stderr(contains("pass --yes"));
    assert_eq!(count(&deploy, "last"), 0);

    std::fs::write(deploy.path().join("release"), "").expect("release");
    deploy
        .cmd(&["resume", "--yes"])
        .assert()
        .success()
        .stdout(contains("[-] Operation first skipped: already completed"));
    assert_eq!(count(&deploy, "first"), 1);
    assert_eq!(count(&deploy, "last"), 1);
    deploy
        .cmd(&["status"])
        .assert()
        .success()
        .stdout(contains("running").not().and(contains("interrupted").not()));
    deploy
        .cmd(&["resume", "--yes"])
        .assert()
        .success()
        .stdout(contains("Nothing to resume"));

    deploy.cmd(&["run", "m"]).assert().success();
    assert_eq!(
        count(&deploy, "first"),
        1,
        "a completed operation ran again"
    );
    deploy.cmd(&["run", "m", "--force"]).assert().success();
    assert_eq!(count(&deploy, "first"), 2);
}

#[test]
fn operations_left_running_by_a_killed_engine_are_stopped_before_resuming() {
    // The first run hangs; the resumed one finds the pid file and completes at once.
    let body = "[ -e orphan.pid ] && exit 0\necho $$ > orphan.pid\nsleep 300";
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("orphan", None)]))
        .operation("m", "orphan", &bash_op("orphan", 600, body));
    let engine = Engine::start(deploy.std_cmd(&["run", "m"]));
    engine.wait_for_line("[*] Started orphan");
    assert!(deploy::wait_until(Duration::from_secs(10), || {
        !deploy.read("orphan.pid").trim().is_empty()
    }));
    engine.kill();
    let pid = read_pid(deploy.path(), "orphan.pid");
    assert!(is_alive(pid), "the operation outlives its engine");

    deploy
        .cmd(&["resume", "--yes"])
        .env("AVDEPLOY_KILL_GRACE_SECONDS", "0.2")
        .timeout(Duration::from_secs(20))
        .assert()
        .success()
        .stderr(contains(
            "orphan was still running from an engine that died",
        ));
    assert!(
        deploy::wait_until(Duration::from_secs(5), || !is_alive(pid)),
        "the orphaned operation was stopped"
    );
}

#[test]
fn an_operation_switched_off_by_when_is_not_left_to_resume() {
    let off = bash_op("off", 30, "echo off >> ran")
        .replace("  duration:", "  when: \"false\"\n  duration:");
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("off", None), ("first", None)]))
        .operation("m", "off", &off)
        .operation(
            "m",
            "first",
            &bash_op("first", 30, "[ -e fixed ] || exit 1\necho first >> ran"),
        );
    deploy.cmd(&["run", "m"]).assert().code(1);
    let doc = deploy.json(&["status", "--json"]);
    assert_eq!(
        doc["resume"]["to_run"],
        serde_json::json!(["first"]),
        "{doc:#}"
    );
    assert_eq!(doc["resume"]["off"], serde_json::json!(["off"]), "{doc:#}");

    std::fs::write(deploy.path().join("fixed"), "").unwrap();
    deploy
        .cmd(&["resume", "--yes"])
        .assert()
        .success()
        .stdout(contains("1 to run: first;"));
    assert_eq!(count(&deploy, "first"), 1);
    assert_eq!(count(&deploy, "off"), 0);
    // Done: nothing is left for another resume.
    assert!(deploy.json(&["status", "--json"])["resume"].is_null());
    deploy
        .cmd(&["resume", "--yes"])
        .assert()
        .success()
        .stdout(contains("Nothing to resume"));
}

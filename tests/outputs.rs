//! `avdeploy outputs [--json]`: every published output, secrets as `***`, with the operation
//! that published it and when; `status --json` carries the same objects.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

const PASSWORD: &str = "Hunter2-s3cret!";

fn deployment() -> Deploy {
    Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module(
            "m",
            &module_yaml("m", &[("network", None), ("keys", None), ("fails", None)]),
        )
        .operation(
            "m",
            "network",
            &bash_op(
                "network",
                30,
                "echo '[OUTPUT] VNET_ID=/subscriptions/s/vnets/v1'\necho '[OUTPUT] SUBNET_NAME=hosts'",
            ),
        )
        .operation(
            "m",
            "keys",
            &bash_op(
                "keys",
                30,
                &format!("echo '[OUTPUT] ADMIN_PASSWORD={PASSWORD}'"),
            ),
        )
        .operation(
            "m",
            "fails",
            &bash_op("fails", 30, "echo '[OUTPUT] NEVER_PASSED=x'\nexit 1"),
        )
}

#[test]
fn lists_every_published_output_with_secrets_masked() {
    let deploy = deployment();
    deploy.cmd(&["run", "m"]).assert().code(1);
    let text = deploy.cmd(&["outputs"]).assert().success();
    let stdout = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        lines[0].starts_with("NAME            OPERATION  PUBLISHED"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("VNET_ID         network    "),
        "{stdout}"
    );
    assert!(
        lines[1].ends_with("  /subscriptions/s/vnets/v1"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("SUBNET_NAME     network    "),
        "{stdout}"
    );
    assert!(
        lines[3].starts_with("ADMIN_PASSWORD  keys       "),
        "{stdout}"
    );
    assert!(lines[3].ends_with("  ***"), "{stdout}");
    assert!(!stdout.contains(PASSWORD), "{stdout}");
    assert!(
        !stdout.contains("NEVER_PASSED"),
        "a failed attempt's outputs are not passed on"
    );
}

#[test]
fn json_lists_the_same_outputs_as_status() {
    let deploy = deployment();
    deploy.cmd(&["run", "m"]).assert().code(1);
    let outputs = deploy.json(&["outputs", "--json"]);
    let list = outputs.as_array().expect("an array");
    assert_eq!(list.len(), 3, "{outputs}");
    assert_eq!(list[0]["name"], "VNET_ID");
    assert_eq!(list[0]["value"], "/subscriptions/s/vnets/v1");
    assert_eq!(list[0]["operation"], "network");
    assert_eq!(list[0]["secret"], false);
    let published = list[0]["published_at"].as_str().expect("a time");
    assert!(
        chrono::DateTime::parse_from_rfc3339(published).is_ok(),
        "{published}"
    );
    assert_eq!(list[2]["name"], "ADMIN_PASSWORD");
    assert_eq!(list[2]["value"], "***");
    assert_eq!(list[2]["secret"], true);
    assert!(!outputs.to_string().contains(PASSWORD));
    let status = deploy.json(&["status", "--json"]);
    assert_eq!(status["outputs"], outputs);
    assert_eq!(status["format_version"], 1);
}

#[test]
fn says_so_before_any_run_and_creates_nothing() {
    let deploy = deployment();
    deploy
        .cmd(&["outputs"])
        .assert()
        .success()
        .stdout("No outputs published yet: no run recorded.\n");
    deploy
        .cmd(&["outputs", "--json"])
        .assert()
        .success()
        .stdout("[]\n");
    assert!(!deploy.path().join(".avdeploy").exists());
    let status = deploy.json(&["status", "--json"]);
    assert_eq!(status["outputs"], serde_json::json!([]));
}

#[test]
fn says_so_when_runs_published_nothing() {
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("quiet", None)]))
        .operation("m", "quiet", &bash_op("quiet", 30, "true"));
    deploy.cmd(&["run", "m"]).assert().success();
    deploy
        .cmd(&["outputs"])
        .assert()
        .success()
        .stdout(contains("No outputs published yet.").and(contains("no run").not()));
}

#[test]
fn completions_know_the_command() {
    Deploy::new()
        .cmd(&["completions", "bash"])
        .assert()
        .success()
        .stdout(contains("outputs"));
}

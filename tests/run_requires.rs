//! `requires`: an operation starts only when its requirements are completed in the deployment's
//! state (this run or an earlier one), else it is `blocked`; `[OUTPUT] NAME=value` lines become
//! variables for later operations, in this run and in later runs.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/timeline.rs"]
mod timeline;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use timeline::with_keys;

fn deployment() -> Deploy {
    let consumer = bash_op(
        "consumer",
        30,
        "printf '%s|%s\\n' \"$VNET_ID\" \"{{VNET_ID}}\" > consumer-saw",
    );
    Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module(
            "m",
            &module_yaml(
                "m",
                &[("producer", None), ("consumer", None), ("late", None)],
            ),
        )
        .operation(
            "m",
            "producer",
            &bash_op(
                "producer",
                30,
                "echo '[OUTPUT] VNET_ID=/subscriptions/s/vnets/v1'",
            ),
        )
        .operation(
            "m",
            "consumer",
            &with_keys(&consumer, "  requires: [\"producer\"]"),
        )
        .operation(
            "m",
            "late",
            &with_keys(
                &bash_op("late", 30, "echo \"$VNET_ID\" > late-saw"),
                "  requires: [\"producer\", \"consumer\"]",
            ),
        )
}

#[test]
fn an_unmet_requirement_blocks_the_operation() {
    let deploy = deployment();
    deploy
        .cmd(&["run", "m", "consumer"])
        .assert()
        .code(1)
        .stdout(contains(
            "[x] Operation consumer blocked: requires producer (not completed)",
        ));
    assert!(!deploy.path().join("consumer-saw").exists());
    let doc = deploy.json(&["status", "--json"]);
    let consumer = &doc["operations"][0];
    assert_eq!(consumer["operation"], "consumer");
    assert_eq!(consumer["status"], "blocked");
    assert!(
        consumer["error"]
            .as_str()
            .unwrap_or_default()
            .contains("producer"),
        "{consumer}"
    );
}

#[test]
fn outputs_flow_to_later_operations_in_this_run_and_the_next() {
    let deploy = deployment();
    deploy
        .cmd(&["run", "m", "producer"])
        .assert()
        .success()
        .stdout(contains("[*] producer published VNET_ID"));
    // A requirement completed by an earlier run counts, and its outputs come from the state.
    deploy.cmd(&["run", "m", "consumer"]).assert().success();
    assert_eq!(
        deploy.read("consumer-saw"),
        "/subscriptions/s/vnets/v1|/subscriptions/s/vnets/v1\n"
    );
    deploy
        .cmd(&["run", "m"])
        .assert()
        .success()
        .stdout(contains("[*] Started late").and(contains("[-] Operation producer skipped")));
    assert_eq!(deploy.read("late-saw"), "/subscriptions/s/vnets/v1\n");
}

#[test]
fn outputs_published_in_the_same_run_are_used() {
    let deploy = deployment();
    deploy.cmd(&["run", "m"]).assert().success();
    assert_eq!(
        deploy.read("consumer-saw"),
        "/subscriptions/s/vnets/v1|/subscriptions/s/vnets/v1\n"
    );
}

#[test]
fn outputs_of_a_failed_operation_are_not_passed_on() {
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module(
            "m",
            &module_yaml("m", &[("half", Some(1)), ("other", Some(1))]),
        )
        .module("n", &module_yaml("n", &[("reader", None)]))
        .operation(
            "m",
            "half",
            &bash_op("half", 30, "echo '[OUTPUT] HALF_ID=partial'\nexit 1"),
        )
        .operation("m", "other", &bash_op("other", 30, "true"))
        .operation(
            "n",
            "reader",
            &bash_op("reader", 30, "echo \"${HALF_ID:-unset}\" > reader-saw"),
        );
    deploy.cmd(&["run", "m"]).assert().code(1);
    deploy.cmd(&["run", "n"]).assert().success();
    assert_eq!(deploy.read("reader-saw"), "unset\n");
}

#[test]
fn requirements_of_a_module_that_never_ran_point_at_that_module_not_resume() {
    let deploy = Deploy::quickstart();
    deploy
        .cmd(&["run", "02-storage", "--simulate"])
        .assert()
        .code(1)
        .stdout(
            contains(
                "[x] Operation storage-create-account blocked: requires resource-group-create (not completed)",
            )
            .and(contains(
                "    blocked by requirements outside this run: run `avdeploy run 00-resource-group` first, or `avdeploy run all`",
            ))
            .and(contains("continue with: avdeploy resume").not()),
        );
    // The command it names satisfies them.
    deploy
        .cmd(&["run", "00-resource-group", "--simulate"])
        .assert()
        .success();
    deploy
        .cmd(&["run", "02-storage", "--simulate"])
        .assert()
        .success()
        .stdout(contains("outside this run").not());
}

#[test]
fn status_points_at_the_modules_a_run_left_out_not_resume() {
    let deploy = Deploy::quickstart();
    deploy
        .cmd(&["run", "02-storage", "--simulate"])
        .assert()
        .code(1);
    deploy.cmd(&["status"]).assert().success().stdout(
        contains(
            "(02-storage) is blocked by requirements outside it: run `avdeploy run 00-resource-group` first, or `avdeploy run all`.",
        )
        .and(contains("avdeploy resume` would run").not()),
    );
    let doc = deploy.json(&["status", "--json"]);
    assert_eq!(
        doc["resume"]["run_first"],
        serde_json::json!(["00-resource-group"]),
        "{doc}"
    );
    assert_eq!(
        doc["resume"]["blocked_outside"], doc["resume"]["to_run"],
        "{doc}"
    );
}

#[test]
fn a_failure_inside_the_run_still_points_at_resume() {
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("first", None), ("second", None)]))
        .operation("m", "first", &bash_op("first", 30, "exit 1"))
        .operation(
            "m",
            "second",
            &with_keys(&bash_op("second", 30, "true"), "  requires: [\"first\"]"),
        );
    deploy.cmd(&["run", "m"]).assert().code(1).stdout(
        contains("    continue with: avdeploy resume").and(contains("outside this run").not()),
    );
    deploy.cmd(&["status"]).assert().success().stdout(
        contains("`avdeploy resume` would run 2 operations").and(contains("outside it").not()),
    );
}

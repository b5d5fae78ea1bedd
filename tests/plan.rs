//! `avdeploy plan`: stages in declared order, parallel groups placed at their first member,
//! throttle-aware stage durations, module and sequential totals, locks.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use serde_json::Value;

/// A bash operation expected to take `expected` seconds.
fn op(id: &str, expected: u64, extra: &str) -> String {
    format!(
        "operation:\n  id: \"{id}\"\n  duration: {{ expected: {expected}, timeout: {} }}\n{extra}  template:\n    type: \"azure-cli-bash\"\n    command: \"echo {id}\"\n",
        expected * 10
    )
}

/// A run-command operation on the VM `vm-gi`.
fn run_command(id: &str, expected: u64) -> String {
    format!(
        "operation:\n  id: \"{id}\"\n  duration: {{ expected: {expected}, timeout: {} }}\n  template:\n    type: \"az-vm-run-command\"\n    vm: \"vm-gi\"\n    resource_group: \"{{{{AZURE_RESOURCE_GROUP}}}}\"\n  powershell:\n    content: \"Write-Output ok\"\n",
        expected * 10
    )
}

fn plan_json(deploy: &Deploy, args: &[&str]) -> Value {
    let mut full = vec!["plan"];
    full.extend_from_slice(args);
    full.push("--json");
    let output = deploy.cmd(&full).output().expect("run plan");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("plan --json")
}

fn stage_ops(stage: &Value) -> Vec<&str> {
    stage["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|o| o["id"].as_str().expect("id"))
        .collect()
}

/// a, then group 1 (b and d, placed at b), then c, then group 2 (e, f).
fn split_group_deployment() -> Deploy {
    Deploy::new()
        .config("azure:\n  resource_group: \"rg-avd\"\n")
        .module(
            "m",
            &module_yaml(
                "m",
                &[
                    ("a", None),
                    ("b", Some(1)),
                    ("c", None),
                    ("d", Some(1)),
                    ("e", Some(2)),
                    ("f", Some(2)),
                ],
            ),
        )
        .operation("m", "01-a", &op("a", 10, ""))
        .operation("m", "02-b", &op("b", 20, ""))
        .operation("m", "03-c", &op("c", 30, ""))
        .operation("m", "04-d", &op("d", 40, ""))
        .operation("m", "05-e", &op("e", 50, ""))
        .operation("m", "06-f", &op("f", 60, ""))
}

#[test]
fn a_parallel_group_is_one_stage_placed_at_its_first_member() {
    let deploy = split_group_deployment();
    let plan = plan_json(&deploy, &["m"]);
    let stages = plan["modules"][0]["stages"].as_array().expect("stages");
    let layout: Vec<(u64, bool, Vec<&str>)> = stages
        .iter()
        .map(|s| {
            (
                s["number"].as_u64().expect("number"),
                s["parallel"].as_bool().expect("parallel"),
                stage_ops(s),
            )
        })
        .collect();
    assert_eq!(
        layout,
        vec![
            (1, false, vec!["a"]),
            (2, true, vec!["b", "d"]),
            (3, false, vec!["c"]),
            (4, true, vec!["e", "f"]),
        ]
    );
    assert_eq!(stages[1]["predicted_seconds"], 40);
    assert_eq!(plan["modules"][0]["predicted_seconds"], 10 + 40 + 30 + 60);
    assert_eq!(plan["modules"][0]["sequential_seconds"], 210);
}

#[test]
fn plan_warns_when_a_group_is_split_but_still_plans() {
    split_group_deployment()
        .cmd(&["plan", "m"])
        .assert()
        .success()
        .stderr(
            contains("warning[split-parallel-group]").and(contains("`d` is in parallel group 1")),
        )
        .stdout(
            contains("Stage  2  parallel group 1, 2 operations")
                .and(contains("Module total: ~2m20s (sequential: 3m30s)")),
        );
}

#[test]
fn stage_durations_follow_the_throttle() {
    let mut deploy = Deploy::new()
        .config("azure:\n  resource_group: \"rg-avd\"\n")
        .module(
            "m",
            &module_yaml(
                "m",
                &[
                    ("g1", Some(1)),
                    ("g2", Some(1)),
                    ("g3", Some(1)),
                    ("g4", Some(1)),
                    ("last", None),
                ],
            ),
        );
    for id in ["g1", "g2", "g3", "g4"] {
        deploy = deploy.operation("m", id, &op(id, 30, ""));
    }
    deploy = deploy.operation("m", "last", &op("last", 5, ""));
    let wide = plan_json(&deploy, &["m", "--throttle", "5"]);
    assert_eq!(wide["modules"][0]["stages"][0]["predicted_seconds"], 30);
    assert_eq!(wide["predicted_seconds"], 35);
    let narrow = plan_json(&deploy, &["m", "--throttle", "2"]);
    assert_eq!(narrow["throttle"], 2);
    assert_eq!(narrow["modules"][0]["stages"][0]["predicted_seconds"], 60);
    assert_eq!(narrow["predicted_seconds"], 65);
    assert_eq!(narrow["sequential_seconds"], 125);
    deploy
        .cmd(&["plan", "m", "--throttle", "1"])
        .assert()
        .success()
        .stdout(contains(
            "Predicted total: ~2m05s against 2m05s fully sequential",
        ));
}

#[test]
fn plan_shows_locks_and_the_inferred_vm_lock() {
    let deploy = Deploy::new()
        .config("azure:\n  resource_group: \"rg-avd\"\nnetworking:\n  vnet: \"vnet-avd\"\n")
        .module(
            "m",
            &module_yaml("m", &[("subnet", None), ("install", None)]),
        )
        .operation(
            "m",
            "01-subnet",
            &op("subnet", 10, "  locks: [\"vnet:{{NETWORKING_VNET}}\"]\n"),
        )
        .operation("m", "02-install", &run_command("install", 60));
    let plan = plan_json(&deploy, &["m"]);
    let stages = &plan["modules"][0]["stages"];
    assert_eq!(stages[0]["operations"][0]["locks"][0], "vnet:vnet-avd");
    assert_eq!(stages[1]["operations"][0]["locks"][0], "vm:rg-avd/vm-gi");
    deploy
        .cmd(&["plan", "m"])
        .assert()
        .success()
        .stdout(contains("locks: vm:rg-avd/vm-gi").and(contains("Stage  2  sequential")));
}

#[test]
fn plan_all_orders_modules_by_dependencies() {
    let deploy = Deploy::new()
        .config("azure:\n  resource_group: \"rg-avd\"\n")
        .module(
            "a-network",
            &format!(
                "{}  dependencies: [\"z-group\"]\n",
                module_yaml("a-network", &[("vnet", None)])
            ),
        )
        .module(
            "z-group",
            &format!(
                "{}  dependencies: []\n",
                module_yaml("z-group", &[("rg", None)])
            ),
        )
        .operation("a-network", "01-vnet", &op("vnet", 30, ""))
        .operation("z-group", "01-rg", &op("rg", 10, ""));
    let plan = plan_json(&deploy, &["all"]);
    let order: Vec<&str> = plan["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(order, ["z-group", "a-network"]);
    assert_eq!(plan["predicted_seconds"], 40);
    assert_eq!(plan["critical_path"], serde_json::json!(["rg", "vnet"]));
}

#[test]
fn unknown_module_is_exit_2_with_a_suggestion() {
    split_group_deployment()
        .cmd(&["plan", "mm"])
        .assert()
        .code(2)
        .stderr(contains("no module `mm`").and(contains("did you mean `m`?")));
}

#[test]
fn operation_file_stem_is_an_alias_on_the_command_line() {
    let deploy = split_group_deployment();
    deploy
        .cmd(&["script", "03-c"])
        .assert()
        .success()
        .stdout(contains("echo c"));
    deploy
        .cmd(&["script", "c"])
        .assert()
        .success()
        .stdout(contains("echo c"));
}

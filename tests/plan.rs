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

/// The hand-worked schedule of `plan::timeline`'s unit test, as a `schedule: dag` module:
/// throttle 2, `a` and `c` share lock X, `e` requires `b`, `f` requires `a` and `e`.
fn dag_with_lock_deployment() -> Deploy {
    let module = "module:\n  id: \"g\"\n  schedule: dag\n  operations:\n    - id: \"a\"\n    \
                  - id: \"b\"\n    - id: \"c\"\n    - id: \"d\"\n    - id: \"e\"\n    - id: \"f\"\n";
    Deploy::new()
        .config("azure:\n  resource_group: \"rg-avd\"\n")
        .module("g", module)
        .operation("g", "01-a", &op("a", 10, "  locks: [\"X\"]\n"))
        .operation("g", "02-b", &op("b", 4, ""))
        .operation("g", "03-c", &op("c", 6, "  locks: [\"X\"]\n"))
        .operation("g", "04-d", &op("d", 3, ""))
        .operation("g", "05-e", &op("e", 5, "  requires: [\"b\"]\n"))
        .operation("g", "06-f", &op("f", 2, "  requires: [\"a\", \"e\"]\n"))
}

fn predicted_spans(plan: &Value) -> Vec<(String, u64, u64)> {
    plan["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .flat_map(|m| m["stages"].as_array().expect("stages"))
        .flat_map(|s| s["operations"].as_array().expect("operations"))
        .map(|o| {
            (
                o["id"].as_str().expect("id").to_owned(),
                o["predicted_start_seconds"].as_u64().expect("start"),
                o["predicted_end_seconds"].as_u64().expect("end"),
            )
        })
        .collect()
}

#[test]
fn every_operation_has_its_list_scheduled_start_and_end() {
    let deploy = dag_with_lock_deployment();
    let plan = plan_json(&deploy, &["g", "--throttle", "2"]);
    let spans = predicted_spans(&plan);
    let expected = [
        ("a", 0, 10),
        ("b", 0, 4),
        ("c", 10, 16),
        ("d", 4, 7),
        ("e", 7, 12),
        ("f", 12, 14),
    ];
    let expected: Vec<(String, u64, u64)> = expected
        .iter()
        .map(|&(id, s, e)| (id.to_owned(), s, e))
        .collect();
    assert_eq!(spans, expected);
    assert_eq!(plan["predicted_seconds"], 16);
    assert_eq!(plan["sequential_seconds"], 30);
    assert_eq!(plan["critical_path"], serde_json::json!(["a", "f"]));

    let wide = plan_json(&deploy, &["g", "--throttle", "10"]);
    let starts: Vec<u64> = predicted_spans(&wide).iter().map(|s| s.1).collect();
    assert_eq!(starts, [0, 0, 10, 0, 4, 10]);
    assert_eq!(wide["predicted_seconds"], 16);
    assert_eq!(
        plan_json(&deploy, &["g", "--throttle", "1"])["predicted_seconds"],
        30
    );
}

#[test]
fn the_text_plan_shows_starts_ends_and_the_critical_path() {
    dag_with_lock_deployment()
        .cmd(&["plan", "g", "--throttle", "2"])
        .assert()
        .success()
        .stdout(
            contains("* a (10s)  at 0s-10s  locks: X")
                .and(contains("- c (6s)  at 10s-16s  locks: X"))
                .and(contains("- e (5s)  at 7s-12s"))
                .and(contains("* f (2s)  at 12s-14s"))
                .and(contains(
                    "Predicted total: ~16s against 30s fully sequential (saves 14s, 46%)",
                ))
                .and(contains("Critical path (*, 12s): a -> f")),
        );
}

/// Stages: each stage waits for the whole previous one, so the later stage's start is the
/// previous stage's predicted end under the throttle.
#[test]
fn staged_operations_start_when_their_stage_starts() {
    let plan = plan_json(&split_group_deployment(), &["m", "--throttle", "1"]);
    let spans = predicted_spans(&plan);
    let starts: Vec<(&str, u64)> = spans.iter().map(|(id, s, _)| (id.as_str(), *s)).collect();
    assert_eq!(
        starts,
        [
            ("a", 0),
            ("b", 10),
            ("d", 30),
            ("c", 70),
            ("e", 100),
            ("f", 150)
        ]
    );
    assert_eq!(plan["predicted_seconds"], 210);
}

//! `for_each:` and `when:`: one instance per item (`<id>@<item>`) in the operation's stage, run
//! in parallel, item-bound `requires` and outputs, single instances on the command line, resume
//! of a failed instance, and operations switched off by a false `when:`.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/timeline.rs"]
mod timeline;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use timeline::{marked, wait_for_starts, with_keys};

const CONFIG: &str = "hosts:\n  count: 3\n  peering: \"Off\"\n  names: \"vm-a vm-b\"\n";

/// `host` x3 (parallel, publishing `HOST_ID`), `register` x3 bound to `host` by item, `peer`
/// switched off by `when:`, `verify` requiring every host and the peering.
fn deployment(host_body: &str) -> Deploy {
    let count = "  for_each: { count: \"{{HOSTS_COUNT}}\" }";
    Deploy::new()
        .config(CONFIG)
        .module(
            "m",
            &module_yaml(
                "m",
                &[
                    ("host", None),
                    ("register", None),
                    ("peer", None),
                    ("verify", None),
                ],
            ),
        )
        .operation(
            "m",
            "host",
            &with_keys(
                &bash_op("host", 30, &marked(host_body)),
                &format!("{count}\n  outputs: [\"HOST_ID\"]"),
            ),
        )
        .operation(
            "m",
            "register",
            &with_keys(
                &bash_op(
                    "register",
                    30,
                    "echo \"{{AVD_ITEM}}:{{HOST_ID}}\" >> registered",
                ),
                &format!("{count}\n  requires: [\"host\"]"),
            ),
        )
        .operation(
            "m",
            "peer",
            &with_keys(
                &bash_op("peer", 30, "touch peered"),
                "  when: \"{{HOSTS_PEERING}}\"",
            ),
        )
        .operation(
            "m",
            "verify",
            &with_keys(
                &bash_op("verify", 30, "echo verified > verified"),
                "  requires: [\"host\", \"peer\"]",
            ),
        )
}

fn parallel_host() -> String {
    format!(
        "{}\necho \"$AVD_ITEM {{{{AVD_ITEM}}}} $AVD_OPERATION_ID\" > \"seen-$AVD_ITEM\"\necho \"[OUTPUT] HOST_ID=id-$AVD_ITEM\"",
        wait_for_starts(&["host@1", "host@2", "host@3"])
    )
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

#[test]
fn instances_run_together_each_with_its_item_and_its_own_outputs() {
    let deploy = deployment(&parallel_host());
    deploy.cmd(&["run", "all"]).assert().success().stdout(
        contains("Parallel Group: 3 operations")
            .and(contains("[v] Operation host@2 completed successfully"))
            .and(contains("[-] Operation peer skipped (when: false)"))
            .and(contains("[v] Operation verify completed successfully")),
    );
    for item in ["1", "2", "3"] {
        assert_eq!(
            deploy.read(&format!("seen-{item}")),
            format!("{item} {item} host@{item}\n")
        );
    }
    assert_eq!(
        sorted_lines(&deploy.read("registered")),
        ["1:id-1", "2:id-2", "3:id-3"]
    );
    assert!(!deploy.path().join("peered").exists());
    assert_eq!(deploy.read("verified"), "verified\n");

    let doc = deploy.json(&["status", "--json"]);
    let statuses: Vec<(String, String)> = doc["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|op| {
            (
                op["operation"].as_str().unwrap_or_default().to_owned(),
                op["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("host@1", "completed"),
        ("host@2", "completed"),
        ("host@3", "completed"),
        ("register@1", "completed"),
        ("register@2", "completed"),
        ("register@3", "completed"),
        ("peer", "skipped"),
        ("verify", "completed"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(statuses, expected);

    let events = deploy
        .files()
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .map(|p| std::fs::read_to_string(p).expect("read events"))
        .expect("an event log");
    let started_host_2 = events.lines().any(|line| {
        let event: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        event["event"] == "operation_started" && event["operation"] == "host@2"
    });
    assert!(started_host_2, "{events}");
    assert!(events.contains("when: false"), "{events}");
}

#[test]
fn plan_and_list_show_instances_and_switched_off_operations() {
    let deploy = deployment("true");
    deploy.cmd(&["plan", "all"]).assert().success().stdout(
        contains("host@1 (1s)")
            .and(contains("register@3 (1s)"))
            .and(contains("peer (skipped, when: false)")),
    );
    let plan = deploy.json(&["plan", "all", "--json"]);
    let stage = &plan["modules"][0]["stages"][0];
    assert_eq!(stage["parallel"], true);
    assert_eq!(stage["operations"][2]["id"], "host@3");
    deploy
        .cmd(&["list"])
        .assert()
        .success()
        .stdout(contains("3 instances, items: 1 2 3").and(contains("when: {{HOSTS_PEERING}}")));
}

#[test]
fn one_instance_runs_alone_and_a_bad_item_is_refused() {
    let deploy = deployment("echo \"[OUTPUT] HOST_ID=id-$AVD_ITEM\"\ntouch \"ran-$AVD_ITEM\"");
    deploy
        .cmd(&["run", "m", "host@2"])
        .assert()
        .success()
        .stdout(contains("host@2").and(contains("host@1").not()));
    assert!(deploy.path().join("ran-2").exists());
    assert!(!deploy.path().join("ran-1").exists());
    deploy
        .cmd(&["run", "m", "host@7"])
        .assert()
        .code(2)
        .stderr(contains(
            "operation `host` has no instance `7` (its items: 1, 2, 3)",
        ));
    deploy.cmd(&["run", "m", "host"]).assert().success();
    assert!(deploy.path().join("ran-1").exists() && deploy.path().join("ran-3").exists());
    deploy
        .cmd(&["logs", "host@3"])
        .assert()
        .success()
        .stdout(contains("HOST_ID=id-3"));
}

#[test]
fn resume_runs_again_only_the_instance_that_failed() {
    let deploy = deployment(
        "if [ \"$AVD_ITEM\" = 2 ] && [ ! -e fixed ]; then echo '[ERROR] quota'; exit 3; fi\necho \"[OUTPUT] HOST_ID=id-$AVD_ITEM\"\necho x >> \"runs-$AVD_ITEM\"",
    );
    deploy
        .cmd(&["run", "all"])
        .assert()
        .code(1)
        .stdout(contains("[x] Operation host@2 failed (exit code: 3)"));
    deploy
        .cmd(&["status"])
        .assert()
        .stdout(contains("host@2").and(contains("quota")));
    std::fs::write(deploy.path().join("fixed"), "").expect("fix");
    // Without a terminal and without --yes, resume refuses with one error and runs nothing.
    deploy.cmd(&["resume"]).assert().code(2).stderr(contains(
        "error: standard input is not a terminal; pass --yes to resume without asking",
    ));
    deploy.cmd(&["resume", "--yes"]).assert().success().stdout(
        contains("[-] Operation host@1 skipped: already completed")
            .and(contains("[v] Operation host@2 completed successfully")),
    );
    for item in ["1", "2", "3"] {
        assert_eq!(deploy.read(&format!("runs-{item}")), "x\n", "item {item}");
    }
    assert_eq!(
        sorted_lines(&deploy.read("registered")),
        ["1:id-1", "2:id-2", "3:id-3"]
    );
}

#[test]
fn a_list_makes_named_instances_and_a_true_condition_runs() {
    let deploy = Deploy::new()
        .config(CONFIG)
        .env("AVDEPLOY_VAR_HOSTS_PEERING", "yes")
        .module("m", &module_yaml("m", &[("vm", None), ("peer", None)]))
        .operation(
            "m",
            "vm",
            &with_keys(
                &bash_op("vm", 30, "touch \"vm-{{AVD_ITEM}}\""),
                "  for_each: \"{{HOSTS_NAMES}}\"\n  locks: [\"vm:{{AVD_ITEM}}\"]",
            ),
        )
        .operation(
            "m",
            "peer",
            &with_keys(
                &bash_op("peer", 30, "touch peered"),
                "  when: \"{{HOSTS_PEERING}}\"",
            ),
        );
    deploy.cmd(&["plan", "m"]).assert().success().stdout(
        contains("vm@vm-a (1s)")
            .and(contains("locks: vm:vm-a"))
            .and(contains("vm@vm-b")),
    );
    deploy.cmd(&["run", "m"]).assert().success();
    assert!(deploy.path().join("vm-vm-a").exists());
    assert!(deploy.path().join("vm-vm-b").exists());
    assert!(deploy.path().join("peered").exists());
}

#[test]
fn an_instance_of_another_for_each_requires_every_instance() {
    let deploy = deployment("true")
        .module("n", &module_yaml("n", &[("share", None)]))
        .operation(
            "n",
            "share",
            &with_keys(
                &bash_op("share", 30, "true"),
                "  for_each: \"{{HOSTS_NAMES}}\"\n  requires: [\"host\", \"register\"]",
            ),
        );
    deploy
        .cmd(&["run", "n", "share@vm-b"])
        .assert()
        .code(1)
        .stdout(contains(
            "[x] Operation share@vm-b blocked: requires host@1, host@2, host@3, register@1, register@2, register@3 (not completed)",
        ));
    deploy
        .cmd(&["run", "m", "register@2"])
        .assert()
        .code(1)
        .stdout(contains(
            "[x] Operation register@2 blocked: requires host@2 (not completed)",
        ));
}

//! Run-command operations on one VM never overlap: the inferred `vm:<rg>/<name>` lock holds
//! across parallel groups, `schedule: dag` modules and modules run together by `run all`.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/sim_run.rs"]
mod sim_run;

use deploy::{Deploy, bash_op};
use serde_json::Value;

const CONFIG: &str = "azure:\n  resource_group: \"rg-lock\"\nvm:\n  name: \"vm-lock\"\n";

fn run_command_op(id: &str) -> String {
    format!(
        "operation:\n  id: \"{id}\"\n  requires: [\"setup\"]\n  \
         duration: {{ expected: 40, timeout: 120, type: FAST }}\n  template:\n    \
         type: \"az-vm-run-command\"\n    vm: \"{{{{VM_NAME}}}}\"\n    \
         resource_group: \"{{{{AZURE_RESOURCE_GROUP}}}}\"\n  powershell:\n    content: |\n      \
         Write-Host '[SUCCESS] {id}'\n"
    )
}

/// Operations on the VM, in the order the JSONL log started them, with the log line indexes of
/// their start and end.
fn intervals(jsonl: &str, ops: &[&str]) -> Vec<(String, usize, usize)> {
    let records: Vec<Value> = jsonl
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let index = |op: &str, event: &str| {
        records
            .iter()
            .position(|r| r["operation"] == op && r["event"] == event)
            .unwrap_or_else(|| panic!("no {event} for {op}"))
    };
    let mut found: Vec<(String, usize, usize)> = ops
        .iter()
        .map(|op| {
            (
                (*op).to_owned(),
                index(op, "operation_started"),
                index(op, "operation_finished"),
            )
        })
        .collect();
    found.sort_by_key(|(_, start, _)| *start);
    found
}

#[test]
fn run_commands_on_one_vm_never_overlap_across_groups_dag_and_modules() {
    let setup = bash_op(
        "setup",
        60,
        "az group create -n \"$AZURE_RESOURCE_GROUP\" -l westeurope -o none\n\
         az vm create -g \"$AZURE_RESOURCE_GROUP\" -n \"$VM_NAME\" --image win11 -o none",
    );
    let staged = "module:\n  id: \"a-staged\"\n  dependencies: [\"base\"]\n  operations:\n    \
                  - id: \"a-rc\"\n      parallel_group: 1\n    - id: \"a-bash\"\n      \
                  parallel_group: 1\n";
    let dag = "module:\n  id: \"b-dag\"\n  dependencies: [\"base\"]\n  schedule: dag\n  \
               operations:\n    - id: \"b-rc1\"\n    - id: \"b-rc2\"\n";
    let deploy = Deploy::new()
        .config(CONFIG)
        .module(
            "base",
            "module:\n  id: \"base\"\n  dependencies: []\n  operations:\n    - id: \"setup\"\n",
        )
        .operation("base", "01-setup", &setup)
        .module("a-staged", staged)
        .operation("a-staged", "01-rc", &run_command_op("a-rc"))
        .operation("a-staged", "02-bash", &bash_op("a-bash", 30, "echo fine"))
        .module("b-dag", dag)
        .operation("b-dag", "01-rc", &run_command_op("b-rc1"))
        .operation("b-dag", "02-rc", &run_command_op("b-rc2"))
        .env("AVDEPLOY_SIM_TIME_SCALE", "0.01");
    deploy.cmd(&["validate"]).assert().success();
    deploy.cmd(&["run", "all", "--simulate"]).assert().success();
    let calls = deploy.read(".avdeploy/sim/calls.jsonl");
    let invokes: Vec<&str> = calls.lines().filter(|l| l.contains("\"invoke\"")).collect();
    assert_eq!(invokes.len(), 3, "{calls}");
    assert!(
        invokes.iter().all(|l| l.contains("\"exit\":0")),
        "a run command hit Conflict: {calls}"
    );
    let jsonl = sim_run::jsonl_text(&deploy);
    assert!(!jsonl.contains("attempt_failed_will_retry"), "{jsonl}");
    let on_vm = intervals(&jsonl, &["a-rc", "b-rc1", "b-rc2"]);
    for pair in on_vm.windows(2) {
        assert!(
            pair[0].2 < pair[1].1,
            "{} ended after {} started: {on_vm:?}",
            pair[0].0,
            pair[1].0
        );
    }
}

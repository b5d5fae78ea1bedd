//! Seeded fault injection through the `az` shim: Nth-call and probabilistic rules, from the
//! environment or a file, deterministic for a seed.

#[path = "common/sim_az.rs"]
mod sim_az;

use sim_az::{Sim, code, stderr};

fn exits(seed: &str, rules: &str) -> Vec<i32> {
    let sim = Sim::new()
        .with_env("AVDEPLOY_SIM_SEED", seed)
        .with_env("AVDEPLOY_SIM_FAULTS", rules);
    (0..16)
        .map(|i| code(&sim.az(&format!("group create -n rg{i} -l eastus"))))
        .collect()
}

#[test]
fn probabilistic_faults_are_deterministic_for_a_seed() {
    let rule = "group create p=0.5 => throttle 7";
    let first = exits("42", rule);
    assert_eq!(first, exits("42", rule));
    assert!(first.contains(&0) && first.contains(&1), "{first:?}");
    assert_ne!(first, exits("43", rule));
}

#[test]
fn nth_call_rules_fail_exactly_those_calls() {
    let got = exits("0", "group create call=2,4-5 => error");
    let failed: Vec<usize> = got
        .iter()
        .enumerate()
        .filter(|(_, c)| **c != 0)
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(failed, [2, 4, 5]);
}

#[test]
fn fault_kinds_print_azure_errors() {
    let sim = Sim::new().with_env(
        "AVDEPLOY_SIM_FAULTS",
        "group create -n a => throttle 9; group create -n b => busy; group create -n c => conflict; group show => exit 4",
    );
    let a = sim.az("group create -n a -l eastus");
    assert!(
        stderr(&a).contains("Please try again after '9' seconds")
            && stderr(&a).contains("Retry-After: 9")
    );
    assert!(
        stderr(&sim.az("group create -n b -l eastus")).contains("(AnotherOperationInProgress)")
    );
    assert!(
        stderr(&sim.az("group create -n c -l eastus"))
            .contains("(Conflict) Run command extension execution is in progress.")
    );
    assert_eq!(code(&sim.az("group show -n a")), 4);
    assert_eq!(code(&sim.az("group create -n d -l eastus")), 0);
}

#[test]
fn rules_from_a_file_force_a_run_command_exit_code() {
    let sim = Sim::new();
    let file = sim.dir.parent().unwrap().join("faults.txt");
    std::fs::write(
        &file,
        "# fail the second install\nvm run-command invoke --name vm1 call=2 => exit 1603\n",
    )
    .unwrap();
    let sim = sim.with_env("AVDEPLOY_SIM_FAULTS_FILE", file.to_str().unwrap());
    sim.ok("group create -n rg -l eastus");
    sim.ok(
        "vm create -g rg --name vm1 --image Win11 --admin-username a --admin-password Pw-123456789",
    );
    let script = avdeploy_wire::sentinel::wrap("Write-Host '[INFO] installing'\n").unwrap();
    let invoke = [
        "vm",
        "run-command",
        "invoke",
        "-g",
        "rg",
        "--name",
        "vm1",
        "--command-id",
        "RunPowerShellScript",
        "--scripts",
        &script,
    ];
    let sentinel = |out: &serde_json::Value| {
        avdeploy_wire::sentinel::parse(out["value"][0]["message"].as_str().unwrap())
    };
    assert_eq!(sentinel(&sim.json_args(&invoke)), Some(0));
    assert_eq!(sentinel(&sim.json_args(&invoke)), Some(1603));
    assert_eq!(sentinel(&sim.json_args(&invoke)), Some(0));
}

#[test]
fn an_invalid_rule_is_refused_clearly() {
    let sim = Sim::new().with_env("AVDEPLOY_SIM_FAULTS", "group create => explode");
    let out = sim.az("group create -n a -l eastus");
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out)
            .contains("invalid fault rule `group create => explode`: unknown fault `explode`"),
        "{}",
        stderr(&out)
    );
}

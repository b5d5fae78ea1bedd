//! The simulated managed run command through the `az` shim: create, show with its instance view,
//! list, delete, the per-VM limit, overlaps with `invoke`, and injected exit codes.

#[path = "common/sim_az.rs"]
mod sim_az;

use std::time::{Duration, Instant};

use sim_az::{Sim, code, stderr};

const TARGET: &str = "--resource-group rg --vm-name vm1";

/// A simulator holding resource group `rg` and VM `vm1`.
fn with_vm(sim: Sim) -> Sim {
    sim.ok("group create -n rg -l westeurope");
    sim.ok("vm create -g rg -n vm1 --image win11");
    sim
}

fn create(sim: &Sim, name: &str, script: &str) -> std::process::Output {
    let line = format!("vm run-command create {TARGET} --name {name} --async-execution true");
    let mut args: Vec<&str> = line.split_whitespace().collect();
    args.extend(["--script", script, "--timeout-in-seconds", "3600"]);
    sim.az_args(&args)
}

fn view(sim: &Sim, name: &str) -> serde_json::Value {
    sim.json(&format!(
        "vm run-command show {TARGET} --name {name} --expand instanceView"
    ))["instanceView"]
        .clone()
}

#[test]
fn a_finished_run_command_reports_its_exit_code_output_and_error() {
    let sim = with_vm(Sim::new());
    let script = "Write-Host '[INFO] one'\nWrite-Output \"[SUCCESS] two\"\nthrow 'broken'";
    let out = create(&sim, "rc1", script);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let instance = view(&sim, "rc1");
    assert_eq!(instance["executionState"], "Failed");
    assert_eq!(instance["exitCode"], 1);
    assert_eq!(instance["output"], "[INFO] one\n[SUCCESS] two\n");
    assert_eq!(instance["error"], "broken\n");
    let state = sim.ok(&format!(
        "vm run-command show {TARGET} --name rc1 --expand instanceView --query instanceView.executionState -o tsv"
    ));
    assert_eq!(state, "Failed\n");
    let plain = sim.json(&format!("vm run-command show {TARGET} --name rc1"));
    assert!(plain.get("instanceView").is_none());
    assert_eq!(
        plain["type"],
        "Microsoft.Compute/virtualMachines/runCommands"
    );
}

#[test]
fn a_running_run_command_holds_the_vm_until_it_ends_or_is_deleted() {
    let sim = with_vm(Sim::new())
        .with_env("AVDEPLOY_SIM_TIME_SCALE", "0.01")
        .with_env("AVD_EXPECTED_SECONDS", "100000");
    let out = create(&sim, "long", "Write-Host 'a'\nWrite-Host 'b'");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(view(&sim, "long")["executionState"], "Running");
    let invoke =
        sim.az("vm run-command invoke -g rg -n vm1 --command-id RunPowerShellScript --scripts x");
    assert_eq!(code(&invoke), 1);
    assert!(stderr(&invoke).contains("(Conflict) Run command extension execution is in progress"));
    let second = create(&sim, "other", "Write-Host 'c'");
    assert!(stderr(&second).contains("(Conflict)"));
    sim.ok(&format!("vm run-command delete {TARGET} --name long --yes"));
    let fast = sim.with_env("AVDEPLOY_SIM_TIME_SCALE", "0");
    let invoke =
        fast.az("vm run-command invoke -g rg -n vm1 --command-id RunPowerShellScript --scripts x");
    assert_eq!(code(&invoke), 0, "{}", stderr(&invoke));
    let missing = fast.az(&format!("vm run-command show {TARGET} --name long"));
    assert_eq!(code(&missing), 3);
}

#[test]
fn output_is_revealed_while_the_script_runs() {
    let sim = with_vm(Sim::new());
    // The script runs for 20 times what one look at it costs here (at least 1 s), so that on a
    // loaded machine, too, several looks fall inside the run.
    let look = Instant::now();
    view_all(&sim);
    let length = (look.elapsed() * 20).clamp(Duration::from_secs(1), Duration::from_secs(30));
    let expected_seconds = (length.as_secs_f64() / 0.01).ceil().to_string();
    let sim = sim
        .with_env("AVDEPLOY_SIM_TIME_SCALE", "0.01")
        .with_env("AVD_EXPECTED_SECONDS", &expected_seconds);
    let script: String = (1..=10)
        .map(|i| format!("Write-Host 'line {i}'\n"))
        .collect();
    assert_eq!(code(&create(&sim, "rc", &script)), 0);
    let mut seen = Vec::new();
    let finished = sim.wait_until(length + Duration::from_secs(60), |_| {
        let instance = view(&sim, "rc");
        let state = instance["executionState"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let lines = instance["output"]
            .as_str()
            .unwrap_or_default()
            .lines()
            .count();
        seen.push((state.clone(), lines));
        state == "Succeeded"
    });
    assert!(finished, "the run command never finished: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1), "{seen:?}");
    assert_eq!(seen.last().map(|s| s.1), Some(10));
    assert!(
        seen.iter()
            .any(|(state, lines)| state == "Running" && *lines < 10),
        "no look saw the run command running with part of its output: {seen:?}"
    );
}

/// Every run command of `vm1` (a look as costly as `view`).
fn view_all(sim: &Sim) -> serde_json::Value {
    sim.json(&format!("vm run-command list {TARGET}"))
}

#[test]
fn at_most_25_run_commands_per_vm_and_faults_set_the_exit_code() {
    let sim = with_vm(Sim::new()).with_env(
        "AVDEPLOY_SIM_FAULTS",
        "vm run-command create --name rc0 => exit 1603",
    );
    for i in 0..25 {
        let out = create(&sim, &format!("rc{i}"), "Write-Host 'x'");
        assert_eq!(code(&out), 0, "rc{i}: {}", stderr(&out));
    }
    assert_eq!(view(&sim, "rc0")["exitCode"], 1603);
    assert_eq!(view(&sim, "rc1")["exitCode"], 0);
    let refused = create(&sim, "rc25", "Write-Host 'x'");
    assert_eq!(code(&refused), 1);
    assert!(
        stderr(&refused).contains("(OperationNotAllowed) The maximum number of run commands (25)")
    );
    let listed = sim.json(&format!("vm run-command list {TARGET}"));
    assert_eq!(listed.as_array().map(Vec::len), Some(25));
    sim.ok(&format!("vm run-command delete {TARGET} --name rc3 --yes"));
    assert_eq!(code(&create(&sim, "rc25", "Write-Host 'x'")), 0);
}

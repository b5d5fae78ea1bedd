//! Azure's concurrency failure modes appear under real concurrency between `az` processes:
//! the run-command Conflict, AnotherOperationInProgress, 429 throttling, and no lost writes.

#[path = "common/sim_az.rs"]
mod sim_az;

use std::process::{Child, Stdio};
use std::time::Duration;

use sim_az::{Sim, code, stderr};

fn in_progress(dir: &std::path::Path) -> usize {
    avdeploy_sim::snapshot(dir).map_or(0, |s| s["inProgress"].as_array().map_or(0, Vec::len))
}

/// Starts a long call (time scale 1) and waits until its operation is registered as in progress.
fn start_long(sim: &Sim, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = sim.command(args);
    cmd.env("AVDEPLOY_SIM_TIME_SCALE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in env {
        cmd.env(name, value);
    }
    let child = cmd.spawn().expect("spawn az");
    assert!(
        sim.wait_until(Duration::from_secs(30), |dir| in_progress(dir) > 0),
        "operation never started"
    );
    child
}

fn base() -> Sim {
    let sim = Sim::new();
    sim.ok("group create -n rg -l eastus");
    sim.ok("vm create -g rg -n vm1 --image Win11 --admin-username a --admin-password Pw-123456789");
    sim.ok("vm create -g rg -n vm2 --image Win11 --admin-username a --admin-password Pw-123456789");
    sim.ok("network vnet create -g rg -n vnet1 --address-prefixes 10.0.0.0/16");
    sim.ok("network vnet create -g rg -n vnet2 --address-prefixes 10.1.0.0/16");
    sim
}

const INVOKE: &[&str] = &[
    "vm",
    "run-command",
    "invoke",
    "-g",
    "rg",
    "--command-id",
    "RunPowerShellScript",
    "--scripts",
    "Write-Host 'x'",
    "-n",
];

#[test]
fn overlapping_run_commands_on_one_vm_conflict() {
    let sim = base();
    let mut first = start_long(
        &sim,
        &[INVOKE, &["vm1"]].concat(),
        &[("AVD_EXPECTED_SECONDS", "600")],
    );
    let second = sim.az_args(&[INVOKE, &["vm1"]].concat());
    let other_vm = sim.az_args(&[INVOKE, &["vm2"]].concat());
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(code(&second), 1);
    assert!(stderr(&second).starts_with(
        "ERROR: (Conflict) Run command extension execution is in progress. Please wait for completion before invoking a run command."
    ), "{}", stderr(&second));
    assert_eq!(code(&other_vm), 0, "{}", stderr(&other_vm));
}

#[test]
fn overlapping_writes_under_one_vnet_get_another_operation_in_progress() {
    let sim = base();
    let mut first = start_long(
        &sim,
        &[
            "network",
            "vnet",
            "subnet",
            "create",
            "-g",
            "rg",
            "--vnet-name",
            "vnet1",
            "-n",
            "a",
            "--address-prefixes",
            "10.0.1.0/24",
        ],
        &[],
    );
    let second = sim.az(
        "network vnet subnet create -g rg --vnet-name vnet1 -n b --address-prefixes 10.0.2.0/24",
    );
    let elsewhere = sim.az(
        "network vnet subnet create -g rg --vnet-name vnet2 -n c --address-prefixes 10.1.2.0/24",
    );
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(code(&second), 1);
    assert!(stderr(&second).starts_with("ERROR: (AnotherOperationInProgress) Another operation on this or dependent resource is in progress."));
    assert_eq!(code(&elsewhere), 0, "{}", stderr(&elsewhere));
}

fn spawn_all(sim: &Sim, lines: &[String]) -> Vec<std::process::Output> {
    let children: Vec<Child> = lines
        .iter()
        .map(|line| {
            sim.command(&line.split_whitespace().collect::<Vec<_>>())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn az")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait az"))
        .collect()
}

#[test]
fn writes_beyond_the_token_bucket_are_throttled_with_retry_after() {
    let sim = Sim::new()
        .with_env("AVDEPLOY_SIM_WRITE_BURST", "5")
        .with_env("AVDEPLOY_SIM_WRITE_REFILL", "0.0001")
        .with_env("AVDEPLOY_SIM_TIME_SCALE", "0.01");
    let lines: Vec<String> = (0..16)
        .map(|i| format!("group create -n rg{i} -l eastus"))
        .collect();
    let outputs = spawn_all(&sim, &lines);
    let ok = outputs.iter().filter(|o| o.status.success()).count();
    assert_eq!(ok, 5);
    for out in outputs.iter().filter(|o| !o.status.success()) {
        assert_eq!(code(out), 1);
        let text = stderr(out);
        assert!(
            text.starts_with("ERROR: (SubscriptionRequestsThrottled)"),
            "{text}"
        );
        assert!(text.contains("Retry-After: "), "{text}");
    }
}

#[test]
fn sixteen_concurrent_creates_lose_nothing() {
    let sim = Sim::new();
    sim.ok("group create -n rg -l eastus");
    let lines: Vec<String> = (0..16)
        .map(|i| format!("storage account create -g rg -n st{i:02}"))
        .collect();
    let outputs = spawn_all(&sim, &lines);
    for out in &outputs {
        assert!(out.status.success(), "{}", stderr(out));
    }
    let names = sim.json("storage account list -g rg --query [].name");
    assert_eq!(names.as_array().unwrap().len(), 16);
    let calls = avdeploy_sim::calls::read(&sim.dir).unwrap();
    assert_eq!(calls.len(), 18);
}

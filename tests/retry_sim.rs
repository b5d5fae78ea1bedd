//! Retries against the simulator: injected Conflict, 429 with Retry-After and
//! AnotherOperationInProgress are retried until the module completes, visibly in the console,
//! the JSONL log and the state; authentication errors fail at once with their hint; unknown
//! failures are retried only when the operation asks.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/sim_run.rs"]
mod sim_run;

use deploy::{Deploy, bash_op, module_yaml};
use serde_json::Value;
use sim_run::{jsonl, logs_of, run_all};

const CONFIG: &str = "azure:\n  resource_group: \"rg-retry\"\nvm:\n  name: \"vm-retry\"\n";

/// Retry waits of the two backoff classes shortened to nothing, so the test does not wait.
const QUICK_ERRORS: &str = "\
errors:
  - class: run_command_conflict
    match: [\"Run command extension execution is in progress\"]
    policy: retry
    max_attempts: 30
    backoff: 0
    max_delay: 0
  - class: another_operation_in_progress
    match: [\"AnotherOperationInProgress\"]
    policy: retry
    max_attempts: 8
    backoff: 0
    max_delay: 0
";

fn setup_op() -> String {
    bash_op(
        "setup",
        60,
        "az group create -n \"$AZURE_RESOURCE_GROUP\" -l westeurope -o none\n\
         az vm create -g \"$AZURE_RESOURCE_GROUP\" -n \"$VM_NAME\" --image win11 -o none\n\
         az network vnet create -g \"$AZURE_RESOURCE_GROUP\" -n vnet1 --address-prefixes 10.0.0.0/16 -o none",
    )
}

fn run_command_op(id: &str) -> String {
    format!(
        "operation:\n  id: \"{id}\"\n  duration: {{ expected: 10, timeout: 120, type: FAST }}\n  \
         template:\n    type: \"az-vm-run-command\"\n    vm: \"{{{{VM_NAME}}}}\"\n    \
         resource_group: \"{{{{AZURE_RESOURCE_GROUP}}}}\"\n  powershell:\n    content: |\n      \
         Write-Host '[SUCCESS] {id}'\n"
    )
}

fn retry_record<'a>(records: &'a [Value], op: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["operation"] == op && r["event"] == "attempt_failed_will_retry")
        .unwrap_or_else(|| panic!("no retry of {op}"))
}

/// (attempt, status, error class) of every state row of `op`.
fn attempt_rows(deploy: &Deploy, op: &str) -> Vec<(i64, String, Option<String>)> {
    let db = rusqlite::Connection::open(deploy.path().join(".avdeploy/state.db")).expect("state");
    let mut stmt = db
        .prepare(
            "SELECT attempt, status, error_class FROM attempts WHERE operation = ?1 ORDER BY id",
        )
        .expect("query");
    stmt.query_map([op], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn transient_azure_errors_are_retried_and_the_module_completes() {
    let deploy = Deploy::new()
        .config(CONFIG)
        .file("errors.yaml", QUICK_ERRORS)
        .module(
            "m",
            &module_yaml(
                "m",
                &[
                    ("setup", None),
                    ("rc", Some(1)),
                    ("subnet", Some(1)),
                    ("nsg", Some(1)),
                ],
            ),
        )
        .operation("m", "00-setup", &setup_op())
        .operation("m", "01-rc", &run_command_op("rc"))
        .operation(
            "m",
            "02-subnet",
            &bash_op(
                "subnet",
                60,
                "az network vnet subnet create -g \"$AZURE_RESOURCE_GROUP\" --vnet-name vnet1 -n s1 --address-prefixes 10.0.1.0/24 -o none",
            ),
        )
        .operation(
            "m",
            "03-nsg",
            &bash_op(
                "nsg",
                60,
                "az network nsg create -g \"$AZURE_RESOURCE_GROUP\" -n nsg1 -o none",
            ),
        )
        // Retry-After is Azure time, capped by the class's max_delay (120 s for `throttled`): at a
        // time scale of 1/100, 100 Azure seconds wait 1 s.
        .env("AVDEPLOY_SIM_TIME_SCALE", "0.01")
        .env(
            "AVDEPLOY_SIM_FAULTS",
            "vm run-command invoke call=1 => conflict; network vnet subnet create call=1 => busy; \
             network nsg create call=1 => throttle 100",
        );
    let (code, stdout) = run_all(&deploy);
    assert_eq!(code, Some(0), "{stdout}");
    for line in [
        "rc: retry 2/30 in 0s: run_command_conflict",
        "subnet: retry 2/8 in 0s: another_operation_in_progress",
        "nsg: retry 2/8 in 1s: throttled",
        "4 completed",
    ] {
        assert!(stdout.contains(line), "{line} missing from:\n{stdout}");
    }
    let records = jsonl(&deploy);
    let throttled = retry_record(&records, "nsg");
    assert_eq!(throttled["message"], "retry 2/8 in 1s: throttled");
    assert_eq!(throttled["error_class"], "throttled");
    assert_eq!(throttled["details"]["delay_ms"], 1000);
    assert!(
        throttled["error"]
            .as_str()
            .is_some_and(|e| e.contains("SubscriptionRequestsThrottled"))
    );
    assert_eq!(
        retry_record(&records, "rc")["error_class"],
        "run_command_conflict"
    );
    for op in ["rc", "subnet", "nsg"] {
        let rows = attempt_rows(&deploy, op);
        assert_eq!(rows.len(), 2, "{op}: {rows:?}");
        assert_eq!((rows[0].0, rows[0].1.as_str()), (1, "failed"), "{op}");
        assert!(rows[0].2.is_some(), "{op}: the failed attempt has no class");
        assert_eq!((rows[1].0, rows[1].1.as_str()), (2, "completed"), "{op}");
        let logs = logs_of(&deploy, op).len();
        assert_eq!(logs, 2, "{op}: one log per attempt");
    }
    let status = deploy.cmd(&["status"]).output().expect("status");
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status
            .lines()
            .any(|l| l.contains("rc ") && l.contains("2 attempts")),
        "{status}"
    );
    assert!(
        status
            .lines()
            .any(|l| l.contains("nsg ") && l.contains("retried after throttled")),
        "{status}"
    );
}

#[test]
fn a_login_error_fails_at_once_with_the_hint_even_when_the_operation_allows_retries() {
    let op = format!(
        "{}  retry: {{ max_attempts: 4, backoff: 0 }}\n",
        run_command_op("rc")
    );
    let deploy = Deploy::new()
        .config(CONFIG)
        .module("m", &module_yaml("m", &[("setup", None), ("rc", None)]))
        .operation("m", "00-setup", &setup_op())
        .operation("m", "01-rc", &op)
        .env("AVDEPLOY_SIM_FAULTS", "vm run-command invoke => login");
    let (code, stdout) = run_all(&deploy);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("az_login_required"), "{stdout}");
    assert!(stdout.contains("Run `az login`"), "{stdout}");
    assert!(!stdout.contains("retry "), "{stdout}");
    assert_eq!(
        attempt_rows(&deploy, "rc"),
        [(1, "failed".to_owned(), Some("az_login_required".to_owned()))]
    );
    let finished = jsonl(&deploy)
        .into_iter()
        .find(|r| r["operation"] == "rc" && r["event"] == "operation_finished")
        .expect("operation_finished");
    assert_eq!(finished["error_class"], "az_login_required");
    assert!(
        finished["details"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("az login"))
    );
    let status = deploy.cmd(&["status"]).output().expect("status");
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains("1 attempt") && status.contains("az_login_required"),
        "{status}"
    );
}

#[test]
fn unknown_failures_are_retried_only_when_the_operation_asks() {
    // Each operation reads its own property, so that each one's first call fails whichever
    // starts first: the fault rules count calls per rule, not per operation.
    let flaky = |id: &str, property: &str| {
        bash_op(
            id,
            60,
            &format!("az group show -n \"$AZURE_RESOURCE_GROUP\" --query {property} -o none"),
        )
    };
    let asks = format!(
        "{}  retry: {{ max_attempts: 2, backoff: 0 }}\n",
        flaky("asks", "name")
    );
    let deploy = Deploy::new()
        .config(CONFIG)
        .module(
            "m",
            &module_yaml(
                "m",
                &[("setup", None), ("asks", Some(1)), ("plain", Some(1))],
            ),
        )
        .operation("m", "00-setup", &setup_op())
        .operation("m", "01-asks", &asks)
        .operation("m", "02-plain", &flaky("plain", "location"))
        .env(
            "AVDEPLOY_SIM_FAULTS",
            "group show --query name call=1 => exit 7; group show --query location call=1 => exit 7",
        );
    let (code, stdout) = run_all(&deploy);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("asks: retry 2/2 in 0s: unclassified"),
        "{stdout}"
    );
    let asks = attempt_rows(&deploy, "asks");
    let statuses: Vec<(i64, &str)> = asks.iter().map(|r| (r.0, r.1.as_str())).collect();
    assert_eq!(statuses, [(1, "failed"), (2, "completed")], "{asks:?}");
    let plain = attempt_rows(&deploy, "plain");
    assert_eq!(plain.len(), 1, "{plain:?}");
    assert_eq!(plain[0].1, "failed", "{plain:?}");
    assert!(
        stdout.contains("[x] Operation plain failed (exit code: 7)"),
        "{stdout}"
    );
}

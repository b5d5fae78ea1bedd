//! The error catalog against the real az's rendering of the local Azure's failures: a 429 with
//! Retry-After, AnotherOperationInProgress, PrincipalNotFound right after a group is created and
//! an expired token are each classified by the built-in catalog and retried or failed as
//! docs/errors.md says.

#[path = "common/azure_cli.rs"]
mod azure_cli;
#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/sim_run.rs"]
mod sim_run;

use azure_cli::{run, with_az};
use deploy::{Deploy, bash_op, module_yaml};
use serde_json::Value;
use sim_run::jsonl;

const CONFIG: &str = "azure:\n  resource_group: \"rg-err\"\n  location: \"westeurope\"\n";

/// Module `m`: `setup` creates the resource group, then `op` runs `script`.
fn deployment(script: &str) -> Deploy {
    Deploy::new()
        .config(CONFIG)
        .module("m", &module_yaml("m", &[("setup", None), ("op", None)]))
        .operation(
            "m",
            "01-setup",
            &bash_op(
                "setup",
                300,
                "az group create -n \"$AZURE_RESOURCE_GROUP\" -l \"$AZURE_LOCATION\" -o none",
            ),
        )
        .operation("m", "02-op", &bash_op("op", 300, script))
}

/// The JSONL records of `op` with `event`.
fn events<'a>(records: &'a [Value], op: &str, event: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["operation"] == op && r["event"] == event)
        .collect()
}

/// Runs `deploy` and checks that `op`'s first attempt failed with `class`, rendered by az
/// with `rendered`, and was retried to completion.
fn retried_to_completion(deploy: &Deploy, class: &str, rendered: &str) {
    let (code, out) = run(deploy, &["all"]);
    assert_eq!(code, Some(0), "{out}");
    let records = jsonl(deploy);
    let retries = events(&records, "op", "attempt_failed_will_retry");
    let first = retries
        .first()
        .unwrap_or_else(|| panic!("op was not retried:\n{out}"));
    assert_eq!(first["error_class"], class, "{first:#}");
    let error = first["error"].as_str().unwrap_or_default();
    assert!(error.contains(rendered), "az rendered:\n{error}");
    assert!(out.contains("op: retry 2/"), "{out}");
    assert!(out.contains("2 completed"), "{out}");
}

#[test]
fn a_throttled_request_is_retried_after_azs_own_retries_give_up() {
    // One fired rule answers 429 to the request and to the three retries azure-core makes.
    let deploy = with_az(deployment("az network vnet create -g \"$AZURE_RESOURCE_GROUP\" -n vnet1 --address-prefixes 10.9.0.0/16 -o none"))
        .env("AVDEPLOY_SIM_FAULTS", "network vnet create call=1 => throttle 5");
    retried_to_completion(&deploy, "throttled", "SubscriptionRequestsThrottled");
}

#[test]
fn another_operation_in_progress_is_retried() {
    let deploy = with_az(deployment("az network vnet create -g \"$AZURE_RESOURCE_GROUP\" -n vnet1 --address-prefixes 10.9.0.0/16 -o none"))
        .env("AVDEPLOY_SIM_FAULTS", "network vnet create call=1 => busy");
    retried_to_completion(
        &deploy,
        "another_operation_in_progress",
        "AnotherOperationInProgress",
    );
}

#[test]
fn principal_not_found_right_after_the_group_is_created_is_retried_until_it_replicates() {
    // `az role assignment create` asks Graph for the principal's type and sends it, which
    // Resource Manager accepts at once; a PUT without the type (an ARM template, `az rest`)
    // meets the replication delay: 15 Azure seconds, 30 s at a time scale of 2, far longer
    // than the az starts between creating the group and assigning it a role.
    let script = "id=$(az ad group create --display-name emu-rbac --mail-nickname emu-rbac --query id -o tsv 2>/dev/null || \\\n  \
                  az ad group list --filter \"displayName eq 'emu-rbac'\" --query \"[0].id\" -o tsv)\n\
                  arm=$(az cloud show --query endpoints.resourceManager -o tsv)\n\
                  scope=$(az group show -n \"$AZURE_RESOURCE_GROUP\" --query id -o tsv)\n\
                  reader=\"/subscriptions/$(az account show --query id -o tsv)/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7\"\n\
                  az rest --method put --url \"${arm%/}$scope/providers/Microsoft.Authorization/roleAssignments/$(cat /proc/sys/kernel/random/uuid)?api-version=2022-04-01\" \\\n  \
                  --body \"{\\\"properties\\\": {\\\"roleDefinitionId\\\": \\\"$reader\\\", \\\"principalId\\\": \\\"$id\\\"}}\" -o none";
    let deploy = with_az(deployment(script)).env("AVDEPLOY_SIM_TIME_SCALE", "2");
    retried_to_completion(&deploy, "principal_not_found", "PrincipalNotFound");
}

#[test]
fn an_expired_token_fails_at_once_with_the_login_hint() {
    let deploy = with_az(deployment(
        "az network vnet list -g \"$AZURE_RESOURCE_GROUP\" -o none",
    ))
    .env("AVDEPLOY_SIM_FAULTS", "network vnet list => login");
    let (code, out) = run(&deploy, &["all"]);
    assert_eq!(code, Some(1), "{out}");
    let records = jsonl(&deploy);
    assert!(
        events(&records, "op", "attempt_failed_will_retry").is_empty(),
        "{out}"
    );
    let finished = events(&records, "op", "operation_finished");
    let finished = finished.last().expect("op finished");
    assert_eq!(finished["error_class"], "token_expired", "{finished:#}");
    assert!(
        finished["error"]
            .as_str()
            .unwrap_or_default()
            .contains("ExpiredAuthenticationToken"),
        "{finished:#}"
    );
    assert!(out.contains("Run `az login` again"), "{out}");
}

/// A deployment whose module `vm` creates a Windows VM and whose module `rc` runs two scripts on
/// it at once, each through its own `az vm run-command invoke` (nothing tells the engine that
/// they share the VM, as when a run command started elsewhere is still going).
fn busy_vm() -> Deploy {
    let create = "az network vnet create -g \"$AZURE_RESOURCE_GROUP\" -n vnet1 --address-prefixes 10.9.0.0/16 \\\n  \
                  --subnet-name hosts --subnet-prefixes 10.9.1.0/24 -o none\n\
                  az vm create -g \"$AZURE_RESOURCE_GROUP\" -n vm1 --image MicrosoftWindowsDesktop:windows-11:win11-24h2-avd:latest \\\n  \
                  --size Standard_D2s_v5 --admin-username avdadmin \\\n  \
                  --admin-password @<(printf 'Aa1-%s' \"$(cat /proc/sys/kernel/random/uuid)\") \\\n  \
                  --vnet-name vnet1 --subnet hosts --public-ip-address \"\" --nsg \"\" -o none";
    let invoke = |name: &str| {
        format!(
            "az vm run-command invoke -g \"$AZURE_RESOURCE_GROUP\" -n vm1 --command-id RunPowerShellScript \\\n  \
             --scripts \"Write-Output '{name} ran'\" --query \"value[0].message\" -o tsv"
        )
    };
    Deploy::new()
        .config(CONFIG)
        .module("vm", &module_yaml("vm", &[("setup", None), ("vm", None)]))
        .operation(
            "vm",
            "01-setup",
            &bash_op(
                "setup",
                300,
                "az group create -n \"$AZURE_RESOURCE_GROUP\" -l \"$AZURE_LOCATION\" -o none",
            ),
        )
        .operation("vm", "02-vm", &bash_op("vm", 600, create))
        .module(
            "rc",
            &module_yaml("rc", &[("first", Some(1)), ("second", Some(1))]),
        )
        .operation("rc", "01-first", &bash_op("first", 600, &invoke("first")))
        .operation(
            "rc",
            "02-second",
            &bash_op("second", 600, &invoke("second")),
        )
}

/// How many run commands on `vm1` the local Azure refused with 409.
fn conflicts(deploy: &Deploy) -> usize {
    deploy
        .read(".avdeploy/sim/requests.jsonl")
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/virtualMachines/vm1/runCommand"))
                && r["status"] == 409
        })
        .count()
}

#[test]
fn a_second_run_command_on_a_busy_vm_meets_the_conflict_and_is_retried() {
    let deploy = with_az(busy_vm());
    let (code, out) = run(&deploy, &["vm"]);
    assert_eq!(code, Some(0), "{out}");
    // A run command lasts 60 Azure seconds: 30 s here, so both az processes reach the VM while
    // the first one's script still runs; the loser waits 7.5 s per retry at this scale.
    let deploy = deploy.env("AVDEPLOY_SIM_TIME_SCALE", "0.5");
    let (code, out) = run(&deploy, &["rc", "--throttle", "8"]);
    assert_eq!(code, Some(0), "{out}");
    let records = jsonl(&deploy);
    let retried: Vec<&Value> = ["first", "second"]
        .iter()
        .flat_map(|op| events(&records, op, "attempt_failed_will_retry"))
        .collect();
    let conflict = retried
        .first()
        .unwrap_or_else(|| panic!("neither run command met the VM busy:\n{out}"));
    assert_eq!(
        conflict["error_class"], "run_command_conflict",
        "{conflict:#}"
    );
    let error = conflict["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(
            "(Conflict) Run command extension execution is in progress. Please wait for \
             completion before invoking a run command."
        ),
        "az rendered:\n{error}"
    );
    assert!(conflicts(&deploy) >= 1, "the local Azure answered no 409");
    assert!(out.contains("2 completed"), "{out}");
}

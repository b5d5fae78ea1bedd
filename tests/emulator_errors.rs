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

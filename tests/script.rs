//! `avdeploy script`: the rendered script of an operation, secrets masked.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

#[test]
fn prints_the_generated_powershell_of_an_apps_operation() {
    Deploy::quickstart()
        .cmd(&["script", "golden-image-install-apps"])
        .assert()
        .success()
        .stdout(
            contains("Start-Job")
                .and(contains("$ProgressPreference = 'SilentlyContinue'"))
                .and(contains("chrome.msi")),
        );
}

#[test]
fn substitutes_variables_and_masks_secrets() {
    let deploy = Deploy::new()
        .config("azure:\n  resource_group: rg-one\nadmin_password: \"hunter2-very-secret\"\n")
        .module("m", &module_yaml("m", &[("op", None), ("ps", None)]))
        .operation("m", "01-op", &bash_op("op", 10, "echo group {{AZURE_RESOURCE_GROUP}}"))
        .operation(
            "m",
            "02-ps",
            "operation:\n  id: ps\n  template:\n    type: az-vm-run-command\n    vm: vm1\n    resource_group: '{{AZURE_RESOURCE_GROUP}}'\n  powershell:\n    content: |\n      $p = '{{ADMIN_PASSWORD}}'\n",
        );
    deploy
        .cmd(&["script", "01-op"])
        .assert()
        .success()
        .stdout(contains("echo group rg-one"));
    deploy
        .cmd(&["script", "ps"])
        .assert()
        .success()
        .stdout(contains("$p = '***'").and(contains("hunter2").not()));
}

#[test]
fn an_ambiguous_file_name_is_refused_with_the_candidates() {
    let deploy = Deploy::new()
        .config("a: 1\n")
        .module("m1", &module_yaml("m1", &[("first", None)]))
        .module("m2", &module_yaml("m2", &[("second", None)]))
        .operation("m1", "01-op", &bash_op("first", 10, "true"))
        .operation("m2", "01-op", &bash_op("second", 10, "true"));
    deploy
        .cmd(&["script", "01-op"])
        .assert()
        .code(2)
        .stderr(contains("`first`, `second`"));
    deploy.cmd(&["script", "second"]).assert().success();
}

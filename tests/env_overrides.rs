//! Which environment variables override config values: `AVDEPLOY_VAR_<NAME>`, or `<NAME>` itself
//! when listed under `avdeploy.env_overrides` or a secret; a stray variable of another tool never.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::Deploy;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

const CONFIG: &str = "azure:\n  location: \"westeurope\"\n  resource_group: \"rg-avd\"\ngolden_image:\n  admin_password: \"\"\n";

fn folder(config: &str) -> Deploy {
    Deploy::new()
        .config(config)
        .module("m", "module:\n  id: \"m\"\n  operations: []\n")
}

fn value(deploy: &Deploy, name: &str) -> (String, String) {
    let rows = deploy.json(&["vars", "--json"]);
    let row = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|row| row["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {rows:#}"))
        .clone();
    (
        row["value"].as_str().unwrap_or_default().to_owned(),
        row["origin"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[test]
fn a_stray_environment_variable_no_longer_overrides_config() {
    let deploy = folder(CONFIG)
        .env("AZURE_LOCATION", "eastus")
        .env("AZURE_RESOURCE_GROUP", "rg-other-tool");
    assert_eq!(
        value(&deploy, "AZURE_LOCATION"),
        ("westeurope".into(), "config".into())
    );
    assert_eq!(value(&deploy, "AZURE_RESOURCE_GROUP").0, "rg-avd");
}

#[test]
fn the_prefixed_name_overrides_and_wins() {
    let deploy = folder(CONFIG)
        .env("AZURE_LOCATION", "eastus")
        .env("AVDEPLOY_VAR_AZURE_LOCATION", "northeurope");
    assert_eq!(
        value(&deploy, "AZURE_LOCATION"),
        ("northeurope".into(), "environment".into())
    );
}

#[test]
fn listed_names_are_overridden_by_their_own_name() {
    let config = format!("{CONFIG}avdeploy:\n  env_overrides: [AZURE_LOCATION]\n");
    let deploy = folder(&config)
        .env("AZURE_LOCATION", "eastus")
        .env("AZURE_RESOURCE_GROUP", "rg-other-tool");
    assert_eq!(
        value(&deploy, "AZURE_LOCATION"),
        ("eastus".into(), "environment".into())
    );
    assert_eq!(value(&deploy, "AZURE_RESOURCE_GROUP").0, "rg-avd");
    let rows = deploy.json(&["vars", "--json"]);
    assert!(
        !rows.to_string().contains("AVDEPLOY_ENV_OVERRIDES"),
        "engine settings are not variables: {rows}"
    );
}

#[test]
fn secrets_still_come_from_the_environment_by_their_own_name() {
    let deploy = folder(CONFIG).env("GOLDEN_IMAGE_ADMIN_PASSWORD", "Env-Secret-4711");
    assert_eq!(
        value(&deploy, "GOLDEN_IMAGE_ADMIN_PASSWORD"),
        ("***".into(), "environment".into())
    );
}

#[test]
fn unknown_settings_and_unknown_override_names_are_errors_with_a_position() {
    let config = format!("{CONFIG}avdeploy:\n  env_overide: [AZURE_LOCATION]\n");
    folder(&config).cmd(&["validate"]).assert().code(2).stderr(
        contains("unknown key `env_overide` in avdeploy")
            .and(contains("config.yaml:7:3"))
            .and(contains("did you mean `env_overrides`?")),
    );
    let config = format!("{CONFIG}avdeploy:\n  env_overrides: [AZURE_LOCATON]\n");
    folder(&config).cmd(&["validate"]).assert().code(2).stderr(
        contains("`AZURE_LOCATON` in avdeploy.env_overrides is not a variable")
            .and(contains("config.yaml:7:19"))
            .and(contains("did you mean `AZURE_LOCATION`?")),
    );
}

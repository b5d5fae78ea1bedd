//! Environments: the state belongs to a config file. `config.yaml` and `prod.yaml` in one folder
//! keep two states, two sets of artifacts and two simulated subscriptions; `--config` (or
//! `AVDEPLOY_CONFIG`) picks one for every command.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::str::contains;

const CONFIG: &str = "azure:\n  resource_group: \"rg-test\"\n  location: \"westeurope\"\n";

/// One operation creating the config's resource group and noting its name in `ran`.
fn deployment() -> Deploy {
    Deploy::new()
        .config(CONFIG)
        .file("prod.yaml", &CONFIG.replace("rg-test", "rg-prod"))
        .module("m", &module_yaml("m", &[("rg", None)]))
        .operation(
            "m",
            "rg",
            &bash_op(
                "rg",
                60,
                "az group create -n \"$AZURE_RESOURCE_GROUP\" -l \"$AZURE_LOCATION\" -o none\necho \"$AZURE_RESOURCE_GROUP\" >> ran",
            ),
        )
}

/// Runs `avdeploy <args>`, which must succeed, and returns what the operations noted.
fn run(deploy: &Deploy, args: &[&str]) -> Vec<String> {
    std::fs::remove_file(deploy.path().join("ran")).ok();
    deploy.cmd(args).assert().success();
    deploy.read("ran").lines().map(str::to_owned).collect()
}

fn stdout(deploy: &Deploy, args: &[&str]) -> String {
    let output = deploy.cmd(args).output().expect("runs");
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn two_configs_in_one_folder_keep_two_states() {
    let deploy = deployment();
    assert_eq!(run(&deploy, &["run", "all", "--simulate"]), ["rg-test"]);
    // The default config's run does not make prod's operations up to date.
    let prod_run = ["run", "all", "--simulate", "--config", "prod.yaml"];
    assert_eq!(run(&deploy, &prod_run), ["rg-prod"]);
    assert!(run(&deploy, &prod_run).is_empty());
    assert!(run(&deploy, &["run", "all", "--simulate"]).is_empty());

    let default = deploy.json(&["status", "--json"]);
    let prod = deploy.json(&["status", "--json", "--config", "prod.yaml"]);
    assert_ne!(default["run"]["id"], prod["run"]["id"]);
    for doc in [&default, &prod] {
        assert_eq!(doc["operations"].as_array().map(Vec::len), Some(1), "{doc}");
    }
    // AVDEPLOY_CONFIG picks the environment; --config wins over it.
    let by_env = |args: &[&str]| {
        let output = deploy
            .cmd(args)
            .env("AVDEPLOY_CONFIG", "prod.yaml")
            .output()
            .expect("status");
        serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("JSON")["run"]["id"]
            .clone()
    };
    assert_eq!(by_env(&["status", "--json"]), prod["run"]["id"]);
    assert_eq!(
        by_env(&["status", "--json", "--config", "config.yaml"]),
        default["run"]["id"]
    );

    // Each environment has its own simulated subscription.
    let prod_sim = stdout(&deploy, &["sim", "show", "--config", "prod.yaml"]);
    assert!(
        prod_sim.contains("rg-prod") && !prod_sim.contains("rg-test"),
        "{prod_sim}"
    );
    let default_sim = stdout(&deploy, &["sim", "show"]);
    assert!(
        default_sim.contains("rg-test") && !default_sim.contains("rg-prod"),
        "{default_sim}"
    );

    // The default config keeps the folder's paths; prod's live one level down.
    for path in [
        ".avdeploy/state.db",
        ".avdeploy/prod/state.db",
        ".avdeploy/prod/sim",
        "artifacts/prod/scripts/rg.sh",
        "artifacts/scripts/rg.sh",
    ] {
        assert!(deploy.path().join(path).exists(), "{path} is missing");
    }
    let prod_logs = stdout(&deploy, &["logs", "rg", "--all", "--config", "prod.yaml"]);
    assert!(prod_logs.contains("artifacts/prod/logs/rg_"), "{prod_logs}");
    assert!(
        stdout(&deploy, &["logs", "rg", "--all"]).contains("/artifacts/logs/rg_"),
        "the default logs stay in artifacts/logs"
    );
    assert!(
        deploy
            .read("artifacts/scripts/rg.sh")
            .contains("az group create"),
        "scripts are kept per environment"
    );
}

#[test]
fn a_config_whose_stem_is_a_folder_of_the_layout_is_refused() {
    let deploy = deployment().file("sim.yaml", CONFIG);
    for args in [
        &["run", "all", "--simulate", "--config", "sim.yaml"][..],
        &["status", "--config", "sim.yaml"][..],
        &["sim", "show", "--config", "sim.yaml"][..],
        &["plan", "all", "--config", "sim.yaml"][..],
    ] {
        deploy
            .cmd(args)
            .assert()
            .code(2)
            .stderr(contains(
                "config file `sim.yaml` cannot name an environment: `sim` is a folder avdeploy uses itself",
            ));
    }
    deploy
        .cmd(&["status", "--config", "prod.v2.yaml"])
        .assert()
        .code(2)
        .stderr(contains(
            "`prod.v2` may hold only letters, digits, `_` and `-`",
        ));
    assert!(
        !deploy.path().join(".avdeploy").exists() && !deploy.path().join("artifacts").exists(),
        "nothing is created"
    );
}

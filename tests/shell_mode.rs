//! Shell mode: `strict` (the default, `set -eo pipefail`) stops a bash operation at its first
//! failing command; `plain` (module.yaml `shell:` or config.yaml `avdeploy.shell`) runs it as
//! the bash engine did, where only the script's own exit code counts.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op};
use predicates::str::contains;

/// A script written for the bash engine: it checks `$?` itself after a failing command.
const CHECKS_ITSELF: &str = "ls ./no-such-file\nif [ $? -ne 0 ]; then\n  echo \"[INFO] not there yet\"\nfi\nfalse | true\necho reached > reached.txt";

fn module(id: &str, shell: Option<&str>) -> String {
    let shell = shell.map_or_else(String::new, |mode| format!("  shell: {mode}\n"));
    format!("module:\n  id: \"{id}\"\n{shell}  operations:\n    - id: \"{id}-probe\"\n")
}

fn deployment(config: &str, shell: Option<&str>) -> Deploy {
    Deploy::new()
        .config(config)
        .module("m", &module("m", shell))
        .operation("m", "probe", &bash_op("m-probe", 30, CHECKS_ITSELF))
}

#[test]
fn strict_is_the_default_and_stops_at_the_first_failing_command() {
    let deploy = deployment("azure:\n  location: \"westeurope\"\n", None);
    deploy
        .cmd(&["run", "m"])
        .assert()
        .code(1)
        .stdout(contains("[x] Operation m-probe failed (exit code: 2)"));
    assert!(!deploy.path().join("reached.txt").exists());
    let script = deploy.read("artifacts/scripts/m-probe.sh");
    assert!(script.contains("set -eo pipefail\n"), "{script}");
}

#[test]
fn a_plain_module_runs_its_script_as_the_bash_engine_did() {
    let deploy = deployment("azure:\n  location: \"westeurope\"\n", Some("plain"));
    deploy
        .cmd(&["run", "m"])
        .assert()
        .success()
        .stdout(contains("[v] Operation m-probe completed successfully"));
    assert_eq!(deploy.read("reached.txt"), "reached\n");
    let script = deploy.read("artifacts/scripts/m-probe.sh");
    assert!(!script.contains("set -"), "{script}");
    assert!(script.contains("ls ./no-such-file\n"), "{script}");
    let log = std::fs::read_dir(deploy.path().join("artifacts/logs"))
        .expect("logs")
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("m-probe_"))
        .map(|e| std::fs::read_to_string(e.path()).expect("log"))
        .expect("a log of the operation");
    assert!(log.contains("[INFO] not there yet"), "{log}");
}

#[test]
fn the_deployment_wide_mode_applies_unless_a_module_says_otherwise() {
    let config = "avdeploy:\n  shell: plain\nazure:\n  location: \"westeurope\"\n";
    let plain = deployment(config, None);
    plain.cmd(&["run", "m"]).assert().success();
    assert_eq!(plain.read("reached.txt"), "reached\n");

    let strict = deployment(config, Some("strict"));
    strict.cmd(&["run", "m"]).assert().code(1);
    assert!(!strict.path().join("reached.txt").exists());
}

#[test]
fn engine_settings_are_not_variables() {
    let deploy = Deploy::new()
        .config("avdeploy:\n  shell: plain\n")
        .module("m", &module("m", None))
        .operation(
            "m",
            "probe",
            &bash_op("m-probe", 30, "echo {{AVDEPLOY_SHELL}}"),
        );
    deploy
        .cmd(&["validate"])
        .assert()
        .code(2)
        .stderr(contains("unknown variable `AVDEPLOY_SHELL`"));
}

#[test]
fn a_wrong_mode_or_setting_is_an_error_at_its_position() {
    let deploy = Deploy::new()
        .config("avdeploy:\n  shel: plain\n")
        .module("m", &module("m", Some("loose")))
        .operation("m", "probe", &bash_op("m-probe", 30, "true"));
    let assert = deploy.cmd(&["validate"]).assert().code(2);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
        + &String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(out.contains("unknown key `shel` in avdeploy"), "{out}");
    assert!(out.contains("did you mean `shell`?"), "{out}");
    assert!(out.contains("config.yaml:2:3"), "{out}");
    assert!(out.contains("unknown module.shell `loose`"), "{out}");
    assert!(out.contains("modules/m/module.yaml:3:10"), "{out}");
    // Nothing ran, nothing was written.
    assert!(!deploy.path().join("artifacts").exists());
}

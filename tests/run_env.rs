//! What an operation runs in: its own process group, the deployment folder as working
//! directory (also with a relative `-C`), its rendered script under `artifacts/scripts/`, every
//! variable exported, and `AVD_RUN_ID`, `AVD_OPERATION_ID`, `AVD_OUTPUT_FILE`.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};

#[test]
fn an_operation_runs_in_its_own_group_in_the_deployment_folder() {
    let body = "{\n  echo \"cwd=$(pwd -P)\"\n  echo \"pgid=$(cut -d' ' -f5 /proc/$$/stat)\"\n  echo \"pid=$$\"\n  echo \"run=$AVD_RUN_ID\"\n  echo \"op=$AVD_OPERATION_ID\"\n  echo \"out=$AVD_OUTPUT_FILE\"\n  echo \"var=$AZURE_RESOURCE_GROUP\"\n  echo \"script=$0\"\n} > seen\necho '{\"ok\": true}' > \"$AVD_OUTPUT_FILE\"";
    let deploy = Deploy::new()
        .config("azure:\n  resource_group: \"rg-demo\"\n")
        .module("net", &module_yaml("net", &[("probe", None)]))
        .operation("net", "probe", &bash_op("probe", 30, body));
    let parent = deploy.path().parent().expect("parent");
    let name = deploy.path().file_name().expect("name");
    // A relative -C: every path the operation gets must still hold from its working directory.
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("avdeploy"))
        .current_dir(parent)
        .arg("-C")
        .arg(name)
        .args(["run", "net"])
        .env("AVDEPLOY_SIM_TIME_SCALE", "0")
        .env_remove("AVDEPLOY_SIMULATE")
        .output()
        .expect("run avdeploy");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    let root = std::fs::canonicalize(deploy.path()).expect("canonical");
    let seen = deploy.read("seen");
    let value = |key: &str| {
        seen.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} missing from:\n{seen}"))
            .to_owned()
    };
    assert_eq!(value("cwd"), root.display().to_string());
    assert_eq!(value("pgid"), value("pid"), "not a process group leader");
    assert!(value("run").len() > 8);
    assert_eq!(value("op"), "probe");
    assert_eq!(value("var"), "rg-demo");
    let out = std::path::PathBuf::from(value("out"));
    assert!(out.is_absolute(), "{seen}");
    assert!(out.ends_with("artifacts/outputs/probe.json"), "{seen}");
    assert_eq!(
        deploy.read("artifacts/outputs/probe.json"),
        "{\"ok\": true}\n"
    );
    assert!(
        value("script").ends_with("artifacts/scripts/probe.sh"),
        "{seen}"
    );
    assert!(
        deploy
            .read("artifacts/scripts/probe.sh")
            .contains("} > seen")
    );

    let doc = deploy.json(&["status", "--json"]);
    let probe = &doc["operations"][0];
    assert_eq!(probe["status"], "completed");
    let log_path = probe["log_path"].as_str().expect("log path");
    assert!(log_path.starts_with("artifacts/logs/probe_"), "{log_path}");
    assert!(deploy.path().join(log_path).is_file());
}

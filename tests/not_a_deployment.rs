//! Outside a deployment folder (no config file where `-C` and `--config` point), every command
//! that works on a deployment exits 2 with one message and creates nothing there.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::Deploy;
use predicates::str::contains;

const MESSAGE: &str =
    "error: not a deployment folder (no config.yaml here): use -C DIR or `avdeploy init DIR`\n";

/// Every command that reads or writes a deployment folder, with arguments it accepts.
const COMMANDS: &[&[&str]] = &[
    &["status"],
    &["status", "--json"],
    &["sim", "show"],
    &["sim", "reset"],
    &["logs", "op"],
    &["outputs"],
    &["outputs", "--json"],
    &["report"],
    &["plan", "all"],
    &["resume", "--yes", "--simulate"],
    &["run", "all", "--simulate"],
    &["destroy", "--yes", "--simulate"],
    &["list"],
    &["vars"],
    &["script", "op"],
    &["validate"],
];

#[test]
fn every_deployment_command_refuses_an_empty_folder_and_creates_nothing() {
    let deploy = Deploy::new();
    for args in COMMANDS {
        deploy.cmd(args).assert().code(2).stdout("").stderr(MESSAGE);
    }
    assert_eq!(deploy.files(), Vec::<std::path::PathBuf>::new());
    assert_eq!(
        std::fs::read_dir(deploy.path()).expect("folder").count(),
        0,
        "no folder was created either"
    );
}

#[test]
fn the_current_folder_is_checked_without_dir_option() {
    let empty = tempfile::tempdir().expect("temp dir");
    avdeploy_in(empty.path())
        .args(["sim", "show"])
        .assert()
        .code(2)
        .stderr(MESSAGE);
    assert_eq!(std::fs::read_dir(empty.path()).expect("folder").count(), 0);
}

#[test]
fn the_message_names_the_config_option_file() {
    let deploy = Deploy::quickstart();
    deploy
        .cmd(&["--config", "prod.yaml", "status"])
        .assert()
        .code(2)
        .stderr(
            "error: not a deployment folder (no prod.yaml here): use -C DIR or `avdeploy init DIR`\n",
        );
    assert!(!deploy.path().join(".avdeploy").exists());
    deploy
        .cmd(&["status"])
        .assert()
        .success()
        .stdout(contains("No run recorded yet."));
}

#[test]
fn a_missing_dir_is_not_created() {
    let parent = tempfile::tempdir().expect("temp dir");
    let missing = parent.path().join("nowhere");
    avdeploy_in(parent.path())
        .arg("-C")
        .arg(&missing)
        .args(["sim", "reset"])
        .assert()
        .code(2)
        .stderr(MESSAGE);
    assert!(!missing.exists());
}

#[test]
fn commands_that_make_a_folder_still_work_outside_one() {
    let parent = tempfile::tempdir().expect("temp dir");
    let target = parent.path().join("new");
    avdeploy_in(parent.path())
        .args(["init", "new", "--example", "quickstart"])
        .assert()
        .success();
    assert!(target.join("config.yaml").is_file());
    avdeploy_in(parent.path())
        .args(["completions", "bash"])
        .assert()
        .success();
}

/// The binary started in `cwd`, without `-C`.
fn avdeploy_in(cwd: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("avdeploy").expect("binary");
    cmd.current_dir(cwd).env_remove("AVDEPLOY_SIMULATE");
    cmd
}

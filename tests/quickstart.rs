//! The example deployment: it validates, plans and runs end to end against the simulator.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::Deploy;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

#[test]
fn quickstart_validates_lists_and_plans() {
    let deploy = Deploy::quickstart();
    deploy
        .cmd(&["validate"])
        .assert()
        .success()
        .stdout(contains("no findings"));
    deploy
        .cmd(&["list"])
        .assert()
        .success()
        .stdout(contains("networking-create-nsg-sessionhosts").and(contains("group 1")));
    deploy
        .cmd(&["plan", "01-networking"])
        .assert()
        .success()
        .stdout(contains("parallel group 1, 2 operations").and(contains("Critical path")));
}

#[test]
fn quickstart_runs_against_the_simulator_and_nothing_is_left_to_resume() {
    let deploy = Deploy::quickstart();
    deploy
        .cmd(&["run", "all", "--simulate"])
        .assert()
        .success()
        .stdout(contains("Parallel Group: 2 operations").and(contains("10 completed")));
    deploy
        .cmd(&["status"])
        .assert()
        .success()
        .stdout(contains("completed"));
    deploy
        .cmd(&["resume", "--yes", "--simulate"])
        .assert()
        .success()
        .stdout(contains("Nothing to resume"));
}

#[test]
fn sim_show_lists_what_the_run_created_and_reset_clears_it() {
    let deploy = Deploy::quickstart();
    deploy
        .cmd(&["run", "00-resource-group", "--simulate"])
        .assert()
        .success();
    deploy
        .cmd(&["sim", "show"])
        .assert()
        .success()
        .stdout(contains("rg-avd-quickstart"));
    deploy.cmd(&["sim", "reset"]).assert().success();
    deploy
        .cmd(&["sim", "show"])
        .assert()
        .success()
        .stdout(contains("rg-avd-quickstart").not());
}

#[test]
fn a_relative_deployment_folder_works_from_another_working_directory() {
    let deploy = Deploy::quickstart();
    let parent = deploy.path().parent().expect("parent").to_path_buf();
    let name = deploy.path().file_name().expect("name").to_owned();
    let mut cmd = assert_cmd::Command::cargo_bin("avdeploy").expect("binary");
    cmd.current_dir(&parent)
        .arg("-C")
        .arg(&name)
        .args(["run", "00-resource-group", "--simulate"])
        .env("AVDEPLOY_SIM_TIME_SCALE", "0")
        .env_remove("AVDEPLOY_SIMULATE")
        .assert()
        .success()
        .stdout(contains("completed successfully"));
}

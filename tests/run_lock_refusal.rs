//! The deployment lock: while a run holds `.avdeploy/lock`, a second `run` or `resume` in the
//! same folder exits 3 naming the holder's pid, and `status` still works.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/engine.rs"]
mod engine;

use deploy::{Deploy, bash_op, module_yaml};
use engine::Engine;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

#[test]
fn a_second_engine_is_refused_while_status_works() {
    let body = "for _ in $(seq 1000); do [ -e release ] && break; sleep 0.02; done";
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("wait", None)]))
        .operation("m", "wait", &bash_op("wait", 60, body));
    let engine = Engine::start(deploy.std_cmd(&["run", "m"]));
    engine.wait_for_line("[*] Started wait");
    let holder = format!("pid {}", engine.pid());
    for args in [&["run", "m"][..], &["resume", "--yes"][..]] {
        deploy
            .cmd(args)
            .assert()
            .code(3)
            .stderr(contains("another avdeploy process").and(contains(holder.as_str())));
    }
    deploy
        .cmd(&["status"])
        .assert()
        .success()
        .stdout(contains("wait").and(contains("running")));
    std::fs::write(deploy.path().join("release"), "").expect("release");
    let (code, stdout) = engine.finish();
    assert_eq!(code, Some(0), "{stdout}");
    deploy.cmd(&["run", "m", "--force"]).assert().success();
}

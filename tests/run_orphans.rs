//! Operations a dead engine left running: an attempt is over only when its process group is
//! provably gone, even when the engine that was stopping it was killed too.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/engine.rs"]
mod engine;
#[path = "common/timeline.rs"]
mod timeline;

use deploy::{Deploy, bash_op, module_yaml};
use engine::Engine;
use predicates::str::contains;
use std::time::Duration;
use timeline::{is_alive, read_pid, send_signal};

const GRACE: &str = "AVDEPLOY_KILL_GRACE_SECONDS";

#[test]
fn an_orphan_ignoring_sigterm_is_stopped_even_after_the_resume_waiting_for_it_was_killed() {
    // The first attempt ignores SIGTERM and hangs; a later one records whether the first still
    // ran when it started, then completes.
    let body = "if [ -e orphan.pid ]; then\n  p=$(cat orphan.pid)\n  if grep -q '^[0-9]* ([^)]*) [^Z]' /proc/$p/stat 2>/dev/null; then echo twice >> ran; fi\n  echo again >> ran\n  exit 0\nfi\necho $$ > orphan.pid\ntrap '' TERM\nsleep 60";
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("orphan", None)]))
        .operation("m", "orphan", &bash_op("orphan", 600, body));
    let engine = Engine::start(deploy.std_cmd(&["run", "m"]));
    engine.wait_for_line("[*] Started orphan");
    assert!(deploy::wait_until(Duration::from_secs(10), || {
        !deploy.read("orphan.pid").trim().is_empty()
    }));
    engine.kill();
    let pid = read_pid(deploy.path(), "orphan.pid");

    // This resume sends SIGTERM (ignored) and waits out its grace period; it dies meanwhile.
    let mut waiting = deploy.std_cmd(&["resume", "--yes"]);
    waiting.env(GRACE, "30");
    let waiting = Engine::start(waiting);
    std::thread::sleep(Duration::from_millis(1500));
    waiting.kill();
    assert!(
        is_alive(pid),
        "SIGTERM was ignored: the first attempt still runs"
    );

    deploy
        .cmd(&["resume", "--yes"])
        .env(GRACE, "0.2")
        .timeout(Duration::from_secs(30))
        .assert()
        .success()
        .stderr(contains(
            "orphan was still running from an engine that died",
        ));
    assert!(
        !is_alive(pid),
        "the first attempt was stopped before the next"
    );
    assert_eq!(
        deploy.read("ran"),
        "again\n",
        "the operation ran twice at once"
    );
}

#[test]
fn ctrl_c_while_waiting_for_an_orphan_kills_it_now_and_starts_nothing() {
    let body = "if [ -e orphan.pid ]; then echo again >> ran; exit 0; fi\necho $$ > orphan.pid\ntrap '' TERM\nsleep 120";
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("orphan", None)]))
        .operation("m", "orphan", &bash_op("orphan", 600, body));
    let engine = Engine::start(deploy.std_cmd(&["run", "m"]));
    engine.wait_for_line("[*] Started orphan");
    assert!(deploy::wait_until(Duration::from_secs(10), || {
        !deploy.read("orphan.pid").trim().is_empty()
    }));
    engine.kill();
    let pid = read_pid(deploy.path(), "orphan.pid");

    // The grace period is far longer than the test may wait: only Ctrl-C can end it.
    let mut resume = deploy.std_cmd(&["resume", "--yes"]);
    resume.env(GRACE, "3600");
    let resume = Engine::start(resume);
    std::thread::sleep(Duration::from_millis(1500));
    send_signal(resume.pid(), "INT");
    let (code, _) = resume.finish();
    assert_eq!(code, Some(130));
    assert!(!is_alive(pid), "the orphan was killed at once");
    assert_eq!(deploy.read("ran"), "", "nothing started after Ctrl-C");
    deploy.cmd(&["resume", "--yes"]).assert().success();
    assert_eq!(deploy.read("ran"), "again\n");
}

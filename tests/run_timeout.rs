//! Timeouts: past `duration.timeout` the whole process group gets SIGTERM, then SIGKILL after the
//! grace period (`AVDEPLOY_KILL_GRACE_SECONDS`); nothing of the operation survives, and the state
//! records `timed_out` with exit code 124.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/timeline.rs"]
mod timeline;

use std::time::Duration;

use deploy::{Deploy, bash_op, module_yaml, wait_until};
use timeline::{is_alive, read_pid};

#[test]
fn a_timeout_kills_the_whole_process_group() {
    // The operation survives SIGTERM (noting that it came) and leaves behind a background child
    // that ignores SIGTERM: only SIGKILL after the grace period ends them.
    let body = "trap 'touch got-term' TERM\n( trap '' TERM; exec sleep 300 ) &\necho $! > grandchild.pid\necho $$ > leader.pid\nwhile true; do sleep 0.05 || true; done";
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("slow", None), ("after", None)]))
        .operation("m", "slow", &bash_op("slow", 1, body))
        .operation("m", "after", &bash_op("after", 30, "touch after-ran"))
        .env("AVDEPLOY_KILL_GRACE_SECONDS", "0.3");
    let output = deploy
        .cmd(&["run", "m"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        text.contains("[x] Operation slow timed out after"),
        "{text}"
    );
    assert!(text.contains("(exit code: 124)"), "{text}");

    let root = deploy.path();
    assert!(root.join("got-term").exists(), "SIGTERM was not sent first");
    for pid_file in ["leader.pid", "grandchild.pid"] {
        let pid = read_pid(root, pid_file);
        assert!(
            wait_until(Duration::from_secs(5), || !is_alive(pid)),
            "{pid_file} ({pid}) survived the timeout"
        );
    }
    assert!(!root.join("after-ran").exists());

    let doc = deploy.json(&["status", "--json"]);
    let slow = &doc["operations"][0];
    assert_eq!(slow["operation"], "slow");
    assert_eq!(slow["status"], "timed_out");
    assert_eq!(slow["exit_code"], 124);
    assert_eq!(doc["operations"][1]["status"], "skipped");
    let log = std::fs::read_to_string(root.join(slow["log_path"].as_str().expect("log path")))
        .expect("attempt log");
    assert!(
        log.contains("timeout of 1s reached: terminating the process group"),
        "{log}"
    );
    assert!(
        log.contains("grace period over: killing the process group"),
        "{log}"
    );
}

#[test]
fn an_invalid_grace_period_is_refused() {
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("a", None)]))
        .operation("m", "a", &bash_op("a", 5, "touch ran"))
        .env("AVDEPLOY_KILL_GRACE_SECONDS", "soon");
    deploy
        .cmd(&["run", "m"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("AVDEPLOY_KILL_GRACE_SECONDS"));
    assert!(!deploy.path().join("ran").exists());
}

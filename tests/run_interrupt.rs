//! Ctrl-C and SIGTERM: the first stops new launches and waits for running operations, the second
//! kills their process groups; either way the state says `interrupted` and the exit code is 130.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/engine.rs"]
mod engine;
#[path = "common/timeline.rs"]
mod timeline;

use std::time::Duration;

use deploy::{Deploy, bash_op, module_yaml, wait_until};
use engine::Engine;
use timeline::{is_alive, read_pid, send_signal};

/// Group 1 (`a`, `b`: each waits for a `release` file, leaving a background child), then `after`.
fn deployment() -> Deploy {
    let body = "sleep 300 &\necho $! > $AVD_OPERATION_ID.child\ntouch $AVD_OPERATION_ID.started\nfor _ in $(seq 1000); do [ -e release ] && break; sleep 0.02; done\necho $AVD_OPERATION_ID >> ran";
    Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module(
            "m",
            &module_yaml("m", &[("a", Some(1)), ("b", Some(1)), ("after", None)]),
        )
        .operation("m", "a", &bash_op("a", 60, body))
        .operation("m", "b", &bash_op("b", 60, body))
        .operation("m", "after", &bash_op("after", 60, "echo after >> ran"))
}

fn started(deploy: &Deploy) -> Engine {
    let engine = Engine::start(deploy.std_cmd(&["run", "m"]));
    engine.wait_for_line("[*] Waiting for 2 parallel operations to complete...");
    let root = deploy.path();
    assert!(wait_until(Duration::from_secs(10), || {
        root.join("a.started").exists() && root.join("b.started").exists()
    }));
    engine
}

fn status_json(deploy: &Deploy) -> serde_json::Value {
    deploy.json(&["status", "--json"])
}

#[test]
fn the_first_signal_waits_for_running_operations() {
    let deploy = deployment();
    let engine = started(&deploy);
    send_signal(engine.pid(), "TERM");
    engine.wait_for_line(
        "[!] Interrupt received: waiting for 2 running operations to finish; press Ctrl-C again to kill them",
    );
    std::fs::write(deploy.path().join("release"), "").expect("release");
    let (code, stdout) = engine.finish();
    assert_eq!(code, Some(130), "{stdout}");
    // Both running operations finished their work; nothing new started.
    let ran = deploy.read("ran");
    assert!(ran.contains('a') && ran.contains('b'), "{ran}");
    assert!(!ran.contains("after"), "{ran}");
    assert!(
        stdout.contains("[v] Operation a completed successfully"),
        "{stdout}"
    );
    let doc = status_json(&deploy);
    assert_eq!(doc["run"]["state"], "interrupted");
    assert!(!doc.to_string().contains("\"running\""), "{doc}");
}

#[test]
fn the_second_signal_kills_the_process_groups() {
    let deploy = deployment();
    let engine = started(&deploy);
    send_signal(engine.pid(), "INT");
    engine.wait_for_line("[!] Interrupt received");
    send_signal(engine.pid(), "INT");
    let (code, stdout) = engine.finish();
    assert_eq!(code, Some(130), "{stdout}");
    assert!(
        stdout.contains("[!] Second interrupt: killing 2 running operations"),
        "{stdout}"
    );
    assert!(stdout.contains("[!] Operation a interrupted"), "{stdout}");
    let root = deploy.path();
    for op in ["a", "b"] {
        let child = read_pid(root, &format!("{op}.child"));
        assert!(
            wait_until(Duration::from_secs(5), || !is_alive(child)),
            "{op}'s background child {child} survived"
        );
    }
    assert_eq!(deploy.read("ran"), "");
    let doc = status_json(&deploy);
    assert_eq!(doc["run"]["state"], "interrupted");
    let statuses: Vec<&str> = doc["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|o| o["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(statuses, ["interrupted", "interrupted", "skipped"]);
}

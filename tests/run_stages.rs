//! Stages: the members of a parallel group really run at the same time, the next stage waits for
//! all of them (the barrier), and the console keeps the seed's lines.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/timeline.rs"]
mod timeline;

use deploy::{Deploy, bash_op, module_yaml};
use timeline::{interval, marked, stamp, wait_for, wait_for_starts};

const CONFIG: &str = "app:\n  name: \"demo\"\n";

/// Module `m`: `first`, then group 1 (`b`, `c`, `d`), then `last`.
fn staged(group_body: &str, last_body: &str) -> Deploy {
    let mut deploy = Deploy::new().config(CONFIG).module(
        "m",
        &module_yaml(
            "m",
            &[
                ("first", None),
                ("b", Some(1)),
                ("c", Some(1)),
                ("d", Some(1)),
                ("last", None),
            ],
        ),
    );
    deploy = deploy.operation("m", "first", &bash_op("first", 30, &marked("true")));
    for op in ["b", "c", "d"] {
        deploy = deploy.operation("m", op, &bash_op(op, 30, &marked(group_body)));
    }
    deploy.operation("m", "last", &bash_op("last", 30, &marked(last_body)))
}

#[test]
fn members_of_a_stage_overlap() {
    // Each member waits until all three have started: only concurrent members can finish.
    let deploy = staged(&wait_for_starts(&["b", "c", "d"]), "true");
    deploy.cmd(&["run", "m"]).assert().success();
    let root = deploy.path();
    let group: Vec<_> = ["b", "c", "d"]
        .iter()
        .map(|op| interval(root, op))
        .collect();
    let latest_start = group.iter().map(|i| i.start).fold(f64::MIN, f64::max);
    let earliest_end = group.iter().map(|i| i.end).fold(f64::MAX, f64::min);
    assert!(
        latest_start < earliest_end,
        "members did not overlap: {group:?}"
    );
}

#[test]
fn the_next_stage_waits_for_every_member() {
    // `b` and `c` end at once; `d` outlives them and watches for `last` starting too early.
    let watch = format!(
        "if [ \"$AVD_OPERATION_ID\" = d ]; then\n  {}\n  {}\n  [ -e marks/last.start ] && touch marks/barrier-broken\nfi",
        wait_for("[ -e marks/b.end ] && [ -e marks/c.end ]", 10_000),
        wait_for("[ -e marks/last.start ]", 500),
    );
    let deploy = staged(&watch, "true");
    deploy.cmd(&["run", "m"]).assert().success();
    let root = deploy.path();
    assert!(!root.join("marks/barrier-broken").exists());
    let last = interval(root, "last");
    for op in ["b", "c", "d"] {
        assert!(
            interval(root, op).end <= last.start,
            "{op} ended after `last` started"
        );
        assert!(interval(root, "first").end <= interval(root, op).start);
    }
}

#[test]
fn console_keeps_the_seed_lines_in_order() {
    let deploy = staged("echo \"[PROGRESS] working on $AVD_OPERATION_ID\"", "true");
    let output = deploy
        .cmd(&["run", "m"])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let position = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` missing from:\n{text}"))
    };
    let group = position("Parallel Group: 3 operations\n  - b\n  - c\n  - d\n");
    let started: Vec<usize> = ["b", "c", "d"]
        .iter()
        .map(|op| position(&format!("[*] Started {op} (PID: ")))
        .collect();
    let waiting = position("[*] Waiting for 3 parallel operations to complete...\n");
    let all_ok = position("[v] All parallel operations completed successfully\n");
    assert!(started.iter().all(|&s| group < s && s < waiting));
    for op in ["b", "c", "d"] {
        let done = position(&format!("[v] Operation {op} completed successfully\n"));
        assert!(done < all_ok);
        position(&format!("[{op}] working on {op}\n"));
    }
    assert!(all_ok < position("[*] Started last (PID: "));
    assert!(stamp(deploy.path(), "last", "end").is_some());
}

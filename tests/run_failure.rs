//! Failure semantics: a failed member lets the rest of its stage finish, then the module stops
//! with exit code 1 and later stages never start.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/timeline.rs"]
mod timeline;

use deploy::{Deploy, bash_op, module_yaml};
use timeline::{interval, marked, stamp, wait_for};

/// A deployment of module `m` with `entries` (id, parallel group), its operations to add.
fn module_m(entries: &[(&str, Option<u32>)]) -> Deploy {
    Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", entries))
}

#[test]
fn a_failure_lets_its_stage_finish_then_stops_the_module() {
    let deploy = module_m(&[
        ("bad", Some(1)),
        ("good", Some(1)),
        ("later", None),
        ("last", None),
    ])
    .operation(
        "m",
        "bad",
        &bash_op(
            "bad",
            30,
            &marked("echo '[ERROR] quota exceeded' >&2\nexit 3"),
        ),
    )
    // `good` is still running when `bad` fails, and finishes afterwards.
    .operation(
        "m",
        "good",
        &bash_op(
            "good",
            30,
            &marked(&wait_for("[ -e marks/bad.start ]", 10_000)),
        ),
    )
    .operation("m", "later", &bash_op("later", 30, &marked("true")))
    .operation("m", "last", &bash_op("last", 30, &marked("true")));
    let output = deploy
        .cmd(&["run", "m"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let text = String::from_utf8(output.stdout).expect("utf-8");

    let root = deploy.path();
    assert!(stamp(root, "bad", "start").is_some());
    let good = interval(root, "good");
    assert!(
        stamp(root, "later", "start").is_none(),
        "a later stage started"
    );
    assert!(
        stamp(root, "last", "start").is_none(),
        "a later stage started"
    );
    assert!(good.end > stamp(root, "bad", "start").unwrap_or(f64::MAX));

    let position = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` missing from:\n{text}"))
    };
    let failed = position("[x] Operation bad failed (exit code: 3)\n");
    let completed = position("[v] Operation good completed successfully\n");
    let group = position("[x] Parallel group failed - one or more operations failed\n");
    let skipped = position("[-] Operation later skipped: `bad` did not complete\n");
    assert!(
        failed < group && completed < group && group < skipped,
        "{text}"
    );
    position("[-] Operation last skipped");
    position("last error: quota exceeded");

    let doc = deploy.json(&["status", "--json"]);
    let of = |op: &str| {
        doc["operations"]
            .as_array()
            .expect("operations")
            .iter()
            .find(|o| o["operation"] == op)
            .unwrap_or_else(|| panic!("{op} missing"))
            .clone()
    };
    assert_eq!(of("bad")["status"], "failed");
    assert_eq!(of("bad")["exit_code"], 3);
    assert_eq!(of("bad")["error"], "quota exceeded");
    assert_eq!(of("good")["status"], "completed");
    assert_eq!(of("later")["status"], "skipped");
    assert_eq!(doc["run"]["state"], "failed");
    assert_eq!(
        doc["resume"]["to_run"],
        serde_json::json!(["bad", "later", "last"])
    );
}

#[test]
fn a_failed_module_stops_its_dependents_only() {
    let dependent = "module:\n  id: \"after\"\n  name: \"after\"\n  dependencies: [\"broken\"]\n  operations:\n    - id: \"after-op\"\n";
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module(
            "broken",
            &format!(
                "{}  dependencies: []\n",
                module_yaml("broken", &[("boom", None)])
            ),
        )
        .module("after", dependent)
        .module(
            "other",
            &format!(
                "{}  dependencies: []\n",
                module_yaml("other", &[("other-op", None)])
            ),
        )
        .operation("broken", "boom", &bash_op("boom", 30, "exit 1"))
        .operation(
            "after",
            "after-op",
            &bash_op("after-op", 30, &marked("true")),
        )
        .operation(
            "other",
            "other-op",
            &bash_op("other-op", 30, &marked("true")),
        );
    deploy.cmd(&["run", "all"]).assert().code(1);
    assert!(stamp(deploy.path(), "after-op", "start").is_none());
    assert!(stamp(deploy.path(), "other-op", "end").is_some());
}

/// A parallel group after a parallel group waits for it as a whole: when a member of the first
/// fails, every member of the second is skipped for it, and none starts; so are the modules
/// waiting for the module's last operations.
#[test]
fn a_failure_in_a_group_skips_the_whole_group_after_it_and_the_modules_after() {
    let mut deploy = module_m(&[
        ("bad", Some(1)),
        ("good", Some(1)),
        ("next-a", Some(2)),
        ("next-b", Some(2)),
        ("next-c", Some(2)),
    ])
    .module(
        "n",
        &module_yaml("n", &[("after-a", Some(1)), ("after-b", Some(1))]),
    )
    .operation("m", "bad", &bash_op("bad", 30, "exit 3"))
    .operation("m", "good", &bash_op("good", 30, &marked("true")));
    let later = ["next-a", "next-b", "next-c", "after-a", "after-b"];
    for id in later {
        let module = if id.starts_with("after") { "n" } else { "m" };
        deploy = deploy.operation(module, id, &bash_op(id, 30, &marked("true")));
    }
    let output = deploy
        .cmd(&["run", "all"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let text = String::from_utf8(output.stdout).expect("utf-8");
    for id in later {
        assert!(stamp(deploy.path(), id, "start").is_none(), "{id} started");
    }
    for id in ["next-a", "next-b", "next-c"] {
        let line = format!("[-] Operation {id} skipped: `bad` did not complete\n");
        assert!(text.contains(&line), "`{line}` missing from:\n{text}");
    }
    let doc = deploy.json(&["status", "--json"]);
    let skipped = doc["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .filter(|o| o["status"] == "skipped")
        .count();
    assert_eq!(skipped, later.len(), "{doc:#}");
}

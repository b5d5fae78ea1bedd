//! Module order under `run all`: a module without a `dependencies` key follows the module before
//! it in folder order, `dependencies: []` starts at once, a list means exactly those modules,
//! and `--sequential` runs one module at a time. `plan all` shows each module's predecessors.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/timeline.rs"]
mod timeline;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use timeline::{interval, marked, wait_for, wait_for_starts};

const CONFIG: &str = "app:\n  name: \"demo\"\n";

/// `module.yaml` of `id` with one operation named like the module, and `dependencies` as given
/// (`None`: no key at all).
fn module(id: &str, dependencies: Option<&str>) -> String {
    let yaml = module_yaml(id, &[(id, None)]);
    match dependencies {
        Some(list) => format!("{yaml}  dependencies: {list}\n"),
        None => yaml,
    }
}

/// Adds module `id` (one operation `id` running `body`, stamped) with `dependencies`.
fn with_module(deploy: Deploy, id: &str, dependencies: Option<&str>, body: &str) -> Deploy {
    deploy
        .module(id, &module(id, dependencies))
        .operation(id, id, &bash_op(id, 30, &marked(body)))
}

fn plan_all(deploy: &Deploy, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["plan", "all", "--json"];
    args.extend_from_slice(extra);
    deploy.json(&args)
}

fn after(plan: &serde_json::Value, module: &str) -> (Vec<String>, bool) {
    let found = plan["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .find(|m| m["id"] == module)
        .unwrap_or_else(|| panic!("module {module} planned"));
    let after = found["after"]
        .as_array()
        .expect("after")
        .iter()
        .map(|d| d.as_str().expect("id").to_owned())
        .collect();
    (after, found["follows_previous"].as_bool().expect("flag"))
}

#[test]
fn a_module_without_dependencies_never_overlaps_the_module_before_it() {
    // `a` gives `b` a second to start beside it: without the implicit order `b` would.
    let deploy = Deploy::new().config(CONFIG);
    let deploy = with_module(
        deploy,
        "00-a",
        None,
        &wait_for("[ -e marks/01-b.start ]", 1000),
    );
    let deploy = with_module(deploy, "01-b", None, "true");
    deploy.cmd(&["run", "all"]).assert().success();
    let (a, b) = (
        interval(deploy.path(), "00-a"),
        interval(deploy.path(), "01-b"),
    );
    assert!(
        b.start >= a.end,
        "01-b started before 00-a ended: {a:?} {b:?}"
    );
}

#[test]
fn empty_dependencies_start_at_once_beside_the_module_before() {
    // Each fails unless the other starts while it runs.
    let deploy = Deploy::new().config(CONFIG);
    let deploy = with_module(deploy, "00-a", None, &wait_for_starts(&["01-b"]));
    let deploy = with_module(deploy, "01-b", Some("[]"), &wait_for_starts(&["00-a"]));
    deploy.cmd(&["run", "all"]).assert().success();
    assert!(interval(deploy.path(), "00-a").overlaps(interval(deploy.path(), "01-b")));
}

#[test]
fn a_dependency_list_means_exactly_those_modules() {
    // `02-c` depends on `00-a` only, so it runs beside `01-b`, which follows `00-a` too.
    let deploy = Deploy::new().config(CONFIG);
    let deploy = with_module(deploy, "00-a", None, "true");
    let deploy = with_module(deploy, "01-b", None, &wait_for_starts(&["02-c"]));
    let deploy = with_module(
        deploy,
        "02-c",
        Some("[\"00-a\"]"),
        &wait_for_starts(&["01-b"]),
    );
    let plan = plan_all(&deploy, &[]);
    assert_eq!(after(&plan, "00-a"), (vec![], true));
    assert_eq!(after(&plan, "01-b"), (vec!["00-a".to_owned()], true));
    assert_eq!(after(&plan, "02-c"), (vec!["00-a".to_owned()], false));
    deploy.cmd(&["run", "all"]).assert().success();
    let root = deploy.path();
    assert!(interval(root, "00-a").end <= interval(root, "02-c").start);
    assert!(interval(root, "01-b").overlaps(interval(root, "02-c")));
}

#[test]
fn plan_all_names_each_modules_predecessors() {
    let deploy = Deploy::new().config(CONFIG);
    let deploy = with_module(deploy, "00-a", None, "true");
    let deploy = with_module(deploy, "01-b", None, "true");
    let deploy = with_module(deploy, "02-c", Some("[]"), "true");
    let deploy = with_module(deploy, "03-d", Some("[\"00-a\", \"02-c\"]"), "true");
    deploy.cmd(&["plan", "all"]).assert().success().stdout(
        contains("Module 00-a (stages)\n  after: nothing (starts at once)\n")
            .and(contains(
                "Module 01-b (stages)\n  after: 00-a (no `dependencies` key: follows the module before it)\n",
            ))
            .and(contains("Module 02-c (stages)\n  after: nothing (starts at once)\n"))
            .and(contains("Module 03-d (stages)\n  after: 00-a, 02-c\n")),
    );
    // One module's plan runs that module alone: there is nothing to wait for.
    deploy
        .cmd(&["plan", "01-b"])
        .assert()
        .success()
        .stdout(contains("after:").not());
}

#[test]
fn a_missing_key_closing_a_cycle_is_a_validation_error() {
    // `00-a` waits for `01-b`, which follows `00-a` for want of a `dependencies` key.
    let deploy = Deploy::new().config(CONFIG);
    let deploy = with_module(deploy, "00-a", Some("[\"01-b\"]"), "true");
    let deploy = with_module(deploy, "01-b", None, "true");
    deploy
        .cmd(&["validate"])
        .assert()
        .code(2)
        .stderr(contains("modules depend on each other in a cycle"));
}

#[test]
fn sequential_runs_one_module_at_a_time() {
    // Independent modules that would all overlap; each gives the others time to start beside it.
    let ids = ["00-a", "01-b", "02-c"];
    let mut deploy = Deploy::new().config(CONFIG);
    for id in ids {
        let others: Vec<String> = ids
            .iter()
            .filter(|o| **o != id)
            .map(|o| format!("[ -e marks/{o}.start ]"))
            .collect();
        deploy = with_module(deploy, id, Some("[]"), &wait_for(&others.join(" || "), 500));
    }
    let plan = plan_all(&deploy, &["--sequential"]);
    assert_eq!(after(&plan, "01-b"), (vec!["00-a".to_owned()], false));
    assert_eq!(plan["predicted_seconds"], 3);
    deploy
        .cmd(&["run", "all", "--sequential"])
        .assert()
        .success();
    let spans: Vec<_> = ids.iter().map(|id| interval(deploy.path(), id)).collect();
    for pair in spans.windows(2) {
        assert!(
            pair[0].end <= pair[1].start,
            "modules overlapped: {spans:?}"
        );
    }
}

#[test]
fn sequential_applies_to_run_all_only() {
    let deploy = with_module(Deploy::new().config(CONFIG), "00-a", None, "true");
    deploy
        .cmd(&["run", "00-a", "--sequential"])
        .assert()
        .code(2)
        .stderr(contains(
            "--sequential orders modules: it applies to `run all` only",
        ));
}

#[test]
fn modules_after_an_empty_module_still_wait_for_the_one_before_it() {
    // `01-empty` lists no operations; `02-c` follows it, so transitively `00-a`.
    let deploy = Deploy::new().config(CONFIG);
    let deploy = with_module(
        deploy,
        "00-a",
        None,
        &wait_for("[ -e marks/02-c.start ]", 1000),
    );
    let deploy = deploy.module(
        "01-empty",
        "module:\n  id: \"01-empty\"\n  operations: []\n",
    );
    let deploy = with_module(deploy, "02-c", None, "true");
    deploy.cmd(&["run", "all"]).assert().success();
    assert!(interval(deploy.path(), "00-a").end <= interval(deploy.path(), "02-c").start);
}

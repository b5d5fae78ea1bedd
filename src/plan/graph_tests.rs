//! Unit tests of the planner: stages and parallel groups, `requires` in DAG modules, module
//! dependencies, targets, `for_each` instances, teardown order and locks, on deployments loaded
//! from a temporary folder.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use crate::load::deployment::{self, Loaded};
use crate::model::deployment::Deployment;
use crate::plan::graph::{
    ModuleOrder, ModulePlan, Plan, PlanError, PlannedOperation, Target, build, build_ordered,
};
use crate::plan::outside;

/// A deployment folder of [`CONFIG`] and the `(path, text)` pairs, loaded without findings.
fn load(files: Vec<(String, String)>) -> Deployment {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let config = ("config.yaml".to_owned(), CONFIG.to_owned());
    for (path, text) in std::iter::once(config).chain(files) {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(path, text).expect("a file");
    }
    let env = |_: &str| None;
    let Loaded {
        deployment,
        diagnostics,
    } = deployment::load(dir.path(), Path::new("config.yaml"), &env).expect("it loads");
    assert!(!diagnostics.has_errors(), "{:?}", diagnostics.items());
    deployment
}

const CONFIG: &str = "app:\n  name: \"demo\"\nhosts:\n  names: \"h1 h2\"\n";

/// `modules/<id>/module.yaml` with `header` (dependencies, schedule) and the `operations:` list.
fn module(id: &str, header: &str, entries: &[&str]) -> (String, String) {
    let mut text = format!("module:\n  id: \"{id}\"\n{header}  operations:\n");
    for entry in entries {
        match entry.split_once(':') {
            Some((op, group)) => {
                text.push_str(&format!(
                    "    - id: \"{op}\"\n      parallel_group: {group}\n"
                ));
            }
            None => text.push_str(&format!("    - id: \"{entry}\"\n")),
        }
    }
    (format!("modules/{id}/module.yaml"), text)
}

/// `modules/<module>/operations/<id>.yaml`: a bash operation of `expected` seconds, with `extra`
/// lines under `operation:`.
fn operation(module: &str, id: &str, expected: u32, extra: &str) -> (String, String) {
    (
        format!("modules/{module}/operations/{id}.yaml"),
        format!(
            "operation:\n  id: \"{id}\"\n{extra}  duration: {{ expected: {expected}, timeout: 60, type: FAST }}\n  \
             template:\n    type: \"bash-script\"\n    command: \"true\"\n"
        ),
    )
}

fn ids(plan: &Plan, indices: &[usize]) -> Vec<String> {
    indices.iter().map(|&i| plan.ops[i].id.clone()).collect()
}

fn planned<'a>(plan: &'a Plan, id: &str) -> &'a PlannedOperation {
    plan.ops
        .iter()
        .find(|op| op.id == id)
        .unwrap_or_else(|| panic!("{id} not planned: {plan:#?}"))
}

/// The ids `id` waits for, directly or through its barrier, sorted.
fn predecessors(plan: &Plan, id: &str) -> Vec<String> {
    let i = plan.ops.iter().position(|op| op.id == id).expect("planned");
    let mut names = ids(plan, &plan.waits_for(i).collect::<Vec<_>>());
    names.sort();
    names
}

/// Module `m`: `a`, then `b` and `c` in parallel group 1, then `d`.
fn staged() -> Deployment {
    load(vec![
        module("m", "", &["a", "b:1", "c:1", "d"]),
        operation("m", "a", 10, ""),
        operation("m", "b", 20, ""),
        operation("m", "c", 30, ""),
        operation("m", "d", 5, ""),
    ])
}

#[test]
fn a_parallel_group_is_one_stage_and_each_stage_waits_for_the_one_before() {
    let plan = build(&staged(), &Target::Module("m".into())).unwrap();
    let stages = &plan.modules[0].stages;
    let shape: Vec<(usize, Option<u32>, Vec<String>)> = stages
        .iter()
        .map(|s| (s.number, s.parallel_group, ids(&plan, &s.ops)))
        .collect();
    assert_eq!(
        shape,
        vec![
            (1, None, vec!["a".to_owned()]),
            (2, Some(1), vec!["b".to_owned(), "c".to_owned()]),
            (3, None, vec!["d".to_owned()]),
        ]
    );
    assert!(predecessors(&plan, "a").is_empty());
    assert_eq!(predecessors(&plan, "b"), ["a"]);
    assert_eq!(predecessors(&plan, "c"), ["a"]);
    assert_eq!(predecessors(&plan, "d"), ["b", "c"]);
    assert_eq!(planned(&plan, "c").expected, Duration::from_secs(30));
    assert_eq!(planned(&plan, "c").stage, Some(2));
}

/// A parallel group after a parallel group waits through one barrier of the first group's
/// operations, however many wait; a single operation waits on edges of its own.
#[test]
fn a_wide_stage_after_a_wide_stage_waits_through_one_barrier() {
    let deployment = load(vec![
        module("m", "", &["a:1", "b:1", "c:1", "d:2", "e:2", "f"]),
        operation("m", "a", 1, ""),
        operation("m", "b", 1, ""),
        operation("m", "c", 1, ""),
        operation("m", "d", 1, ""),
        operation("m", "e", 1, ""),
        operation("m", "f", 1, ""),
    ]);
    let plan = build(&deployment, &Target::Module("m".into())).unwrap();
    assert_eq!(plan.barriers.len(), 1, "{plan:#?}");
    assert_eq!(ids(&plan, &plan.barriers[0]), ["a", "b", "c"]);
    for id in ["d", "e"] {
        assert_eq!(planned(&plan, id).barrier, Some(0));
        assert!(planned(&plan, id).predecessors.is_empty());
        assert_eq!(predecessors(&plan, id), ["a", "b", "c"]);
    }
    assert_eq!(planned(&plan, "f").barrier, None);
    assert_eq!(predecessors(&plan, "f"), ["d", "e"]);
}

/// Under `plan all` the operations of a module that wait for nothing inside it wait for the
/// last operations of the module before it through one barrier.
#[test]
fn a_module_waits_for_the_module_before_through_one_barrier() {
    let deployment = load(vec![
        module("01-a", "", &["a1:1", "a2:1"]),
        operation("01-a", "a1", 1, ""),
        operation("01-a", "a2", 1, ""),
        module("02-b", "  schedule: dag\n", &["b1", "b2", "b3"]),
        operation("02-b", "b1", 1, ""),
        operation("02-b", "b2", 1, ""),
        operation("02-b", "b3", 1, "  requires: [\"b1\"]\n"),
    ]);
    let plan = build(&deployment, &Target::All).unwrap();
    assert_eq!(ids(&plan, &plan.barriers[0]), ["a1", "a2"]);
    for id in ["b1", "b2"] {
        assert_eq!(predecessors(&plan, id), ["a1", "a2"]);
    }
    assert_eq!(predecessors(&plan, "b3"), ["b1"]);
    assert_eq!(plan.barriers.len(), 1);
}

#[test]
fn a_dag_module_waits_only_for_requires_and_has_no_stages_numbers() {
    let deployment = load(vec![
        module("m", "  schedule: dag\n", &["a", "b", "c"]),
        operation("m", "a", 10, ""),
        operation("m", "b", 10, ""),
        operation("m", "c", 10, "  requires: [\"a\"]\n"),
    ]);
    let plan = build(&deployment, &Target::Module("m".into())).unwrap();
    assert!(predecessors(&plan, "b").is_empty(), "{plan:#?}");
    assert_eq!(predecessors(&plan, "c"), ["a"]);
    assert!(plan.ops.iter().all(|op| op.stage.is_none()));
    assert_eq!(planned(&plan, "c").requires, ["a"]);
}

#[test]
fn operations_waiting_for_a_module_the_plan_left_out_are_told_apart() {
    let deployment = load(vec![
        module("01-net", "", &["vnet"]),
        operation("01-net", "vnet", 1, ""),
        module("02-app", "  schedule: dag\n", &["app", "cfg", "free"]),
        operation("02-app", "app", 1, "  requires: [\"vnet\"]\n"),
        operation("02-app", "cfg", 1, "  requires: [\"app\"]\n"),
        operation("02-app", "free", 1, ""),
    ]);
    let plan = build(&deployment, &Target::Module("02-app".into())).unwrap();
    let left: HashSet<&str> = ["app", "cfg", "free"].into();
    let blocked = outside::blocked_outside(&deployment, &plan, &left, &|_| false);
    assert_eq!(
        blocked.operations,
        ["app", "cfg"],
        "`cfg` waits through `app`"
    );
    assert_eq!(blocked.run_first, ["01-net"]);
    assert_eq!(
        outside::modules_outside(&deployment, &plan, &["vnet".into(), "app".into()]),
        ["01-net"]
    );
    // Once `vnet` is completed, nothing waits outside the plan any more.
    let done = outside::blocked_outside(&deployment, &plan, &left, &|id| id == "vnet");
    assert_eq!(done, outside::BlockedOutside::default());
}

/// Under `plan all` a DAG module's operation waits for what it requires in the modules planned
/// before it as in its own, however many DAG modules come between.
#[test]
fn requires_across_dag_modules_link_to_the_operations_planned_before() {
    let deployment = load(vec![
        module("01-net", "  schedule: dag\n", &["vnet", "dns"]),
        operation("01-net", "vnet", 1, ""),
        operation("01-net", "dns", 1, "  requires: [\"vnet\"]\n"),
        module("02-disk", "  schedule: dag\n", &["disk"]),
        operation("02-disk", "disk", 1, ""),
        module("03-app", "  schedule: dag\n", &["app", "cfg"]),
        operation("03-app", "app", 1, "  requires: [\"vnet\", \"disk\"]\n"),
        operation("03-app", "cfg", 1, "  requires: [\"app\", \"dns\"]\n"),
    ]);
    let plan = build(&deployment, &Target::All).unwrap();
    assert_eq!(predecessors(&plan, "dns"), ["vnet"]);
    assert_eq!(predecessors(&plan, "app"), ["disk", "vnet"]);
    assert_eq!(predecessors(&plan, "cfg"), ["app", "dns"]);
}

/// In folder order: `01-net` (no dependencies key: it is first), `02-pad` with no operations
/// (no key: it follows `01-net`), `03-app` after `02-pad`, and `04-free` with `dependencies: []`.
fn modules() -> Deployment {
    load(vec![
        module("01-net", "", &["n1", "n2:1", "n3:1"]),
        operation("01-net", "n1", 1, ""),
        operation("01-net", "n2", 1, ""),
        operation("01-net", "n3", 1, ""),
        (
            "modules/02-pad/module.yaml".into(),
            "module:\n  id: \"02-pad\"\n  operations: []\n".into(),
        ),
        module("03-app", "  dependencies: [\"02-pad\"]\n", &["a1"]),
        operation("03-app", "a1", 1, ""),
        module("04-free", "  dependencies: []\n", &["f1"]),
        operation("04-free", "f1", 1, ""),
    ])
}

fn module_plan<'a>(plan: &'a Plan, id: &str) -> &'a ModulePlan {
    plan.modules.iter().find(|m| m.id == id).unwrap()
}

#[test]
fn all_orders_modules_by_dependency_and_an_empty_module_passes_its_wait_on() {
    let plan = build(&modules(), &Target::All).unwrap();
    let order: Vec<&str> = plan.modules.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(order, ["01-net", "02-pad", "03-app", "04-free"]);
    assert!(module_plan(&plan, "01-net").after.is_empty());
    assert_eq!(module_plan(&plan, "02-pad").after, ["01-net"]);
    assert!(module_plan(&plan, "02-pad").follows_previous);
    assert_eq!(module_plan(&plan, "03-app").after, ["02-pad"]);
    assert!(!module_plan(&plan, "03-app").follows_previous);
    assert!(module_plan(&plan, "04-free").after.is_empty());
    // `a1` waits, through the empty `02-pad`, for the last stage of `01-net`.
    assert_eq!(predecessors(&plan, "a1"), ["n2", "n3"]);
    assert!(predecessors(&plan, "f1").is_empty());
}

#[test]
fn sequential_order_makes_each_module_wait_for_the_one_before() {
    let plan = build_ordered(&modules(), &Target::All, ModuleOrder::Sequential).unwrap();
    for pair in plan.modules.windows(2) {
        assert_eq!(pair[1].after, [pair[0].id.clone()]);
    }
    assert_eq!(predecessors(&plan, "f1"), ["a1"]);
}

#[test]
fn one_operation_is_planned_alone_and_unknown_names_get_a_suggestion() {
    let deployment = staged();
    let plan = build(&deployment, &Target::parse("m", Some("c"))).unwrap();
    assert_eq!(ids(&plan, &[0]), ["c"]);
    assert_eq!(plan.ops.len(), 1);
    assert!(plan.ops[0].predecessors.is_empty());
    assert_eq!(
        build(&deployment, &Target::parse("mm", None)).unwrap_err(),
        PlanError::UnknownModule {
            name: "mm".into(),
            suggestion: Some("m".into())
        }
    );
    let unknown = build(&deployment, &Target::parse("m", Some("dd"))).unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "no operation `dd` in module `m` (did you mean `d`?)"
    );
}

#[test]
fn for_each_plans_one_instance_per_item_and_refuses_an_unknown_item() {
    let deployment = load(vec![
        module("m", "", &["host", "after"]),
        operation(
            "m",
            "host",
            10,
            "  for_each: \"{{HOSTS_NAMES}}\"\n  locks: [\"vm:{{AVD_ITEM}}\"]\n",
        ),
        operation("m", "after", 10, ""),
    ]);
    let plan = build(&deployment, &Target::Module("m".into())).unwrap();
    let stage = &plan.modules[0].stages[0];
    assert_eq!(ids(&plan, &stage.ops), ["host@h1", "host@h2"]);
    assert_eq!(planned(&plan, "host@h2").item.as_deref(), Some("h2"));
    assert_eq!(planned(&plan, "host@h2").locks, ["vm:h2"]);
    assert_eq!(predecessors(&plan, "after"), ["host@h1", "host@h2"]);
    let one = build(&deployment, &Target::parse("m", Some("host@h2"))).unwrap();
    assert_eq!(ids(&one, &[0]), ["host@h2"]);
    assert_eq!(one.ops.len(), 1);
    let err = build(&deployment, &Target::parse("m", Some("host@h9"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "operation `host` has no instance `h9` (its items: h1, h2)"
    );
}

#[test]
fn destroy_runs_teardowns_in_reverse_dependency_order_and_run_refuses_them() {
    let teardown = |id: &str, op: &str, deps: &str| {
        let (path, mut text) = module(id, deps, &[]);
        text = text.replace("  operations:\n", "  operations: []\n");
        text.push_str(&format!("  teardown:\n    - id: \"{op}\"\n"));
        (path, text)
    };
    let deployment = load(vec![
        teardown("base", "base-down", ""),
        operation("base", "base-down", 1, ""),
        teardown("top", "top-down", "  dependencies: [\"base\"]\n"),
        operation("top", "top-down", 1, ""),
    ]);
    let plan = build(&deployment, &Target::Destroy).unwrap();
    let order: Vec<&str> = plan.modules.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(order, ["top", "base"]);
    assert_eq!(predecessors(&plan, "base-down"), ["top-down"]);
    assert_eq!(
        build(&deployment, &Target::parse("base", Some("base-down")))
            .unwrap_err()
            .to_string(),
        "`base-down` is a teardown operation of module `base`: `avdeploy destroy` runs it"
    );
}

#[test]
fn a_run_command_holds_the_lock_of_its_vm_with_variables_rendered() {
    let deployment = load(vec![
        module("m", "", &["rc"]),
        (
            "modules/m/operations/rc.yaml".into(),
            "operation:\n  id: \"rc\"\n  locks: [\"app:{{APP_NAME}}\", \"app:{{APP_NAME}}\"]\n  \
             duration: { expected: 5, timeout: 60, type: FAST }\n  template:\n    type: \
             \"az-vm-run-command\"\n    vm: \"vm-{{APP_NAME}}\"\n    resource_group: \"rg\"\n  \
             powershell:\n    content: \"Write-Output 1\"\n"
                .into(),
        ),
    ]);
    let plan = build(&deployment, &Target::Module("m".into())).unwrap();
    assert_eq!(plan.ops[0].locks, ["app:demo", "vm:rg/vm-demo"]);
}

#[test]
fn a_recorded_target_reads_back_as_it_was_written() {
    for target in [
        Target::All,
        Target::Destroy,
        Target::Module("m".into()),
        Target::parse("m", Some("host@h1")),
    ] {
        assert_eq!(Target::parse_recorded(&target.to_string()), target);
    }
}

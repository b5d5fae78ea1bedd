//! `--throttle N` caps how many operations run at once across the whole run, modules included.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/timeline.rs"]
mod timeline;

use deploy::{Deploy, bash_op, module_yaml};
use timeline::{interval, marked, max_concurrency, wait_for};

/// Bash that waits until `cap` operations run at once (started, not ended) or all `total` have
/// started, so that the run saturates its throttle whenever the engine allows it.
fn saturate(cap: usize, total: usize) -> String {
    let count = |suffix: &str| format!("$(ls marks | grep -c '\\.{suffix}$')");
    wait_for(
        &format!(
            "[ $(({} - {})) -ge {cap} ] || [ {} -ge {total} ]",
            count("start"),
            count("end"),
            count("start")
        ),
        10_000,
    )
}

#[test]
fn the_throttle_caps_concurrency_across_modules() {
    let (cap, per_module) = (3, 4);
    let mut deploy = Deploy::new().config("app:\n  name: \"demo\"\n");
    let mut all = Vec::new();
    for module in ["m1", "m2"] {
        let ops: Vec<String> = (1..=per_module)
            .map(|n| format!("{module}-op{n}"))
            .collect();
        let entries: Vec<(&str, Option<u32>)> =
            ops.iter().map(|op| (op.as_str(), Some(1))).collect();
        // Independent modules, so that the throttle is all that holds them back.
        let yaml = format!("{}  dependencies: []\n", module_yaml(module, &entries));
        deploy = deploy.module(module, &yaml);
        for op in &ops {
            let body = marked(&saturate(cap, 2 * per_module));
            deploy = deploy.operation(module, op, &bash_op(op, 30, &body));
        }
        all.extend(ops);
    }
    deploy
        .cmd(&["run", "all", "--throttle", &cap.to_string()])
        .assert()
        .success();
    let intervals: Vec<_> = all.iter().map(|op| interval(deploy.path(), op)).collect();
    // At most the cap; and the cap is reached, so the throttle is what limited the run.
    assert_eq!(max_concurrency(&intervals), cap, "{intervals:?}");
}

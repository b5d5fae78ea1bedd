//! What parallelism buys, seen in the order operations ran on the simulator (never against a
//! clock): in a `schedule: dag` module an operation starts once its requirements end, not at
//! its stage's barrier; `run all` runs independent modules side by side and `--sequential`
//! one after another. How much time that saves is measured by `scripts/bench-catalog.sh`.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/timeline.rs"]
mod timeline;

use deploy::Deploy;
use timeline::{Interval, interval, marked, max_concurrency, wait_for, wait_for_starts};

/// Real seconds per simulated Azure second: short runs, with Azure's durations still in them.
const TIME_SCALE: &str = "0.01";

const CONFIG: &str = "azure:\n  resource_group: \"rg-speed\"\n  location: \"westeurope\"\n";

/// An operation running `body` (bash with `az` commands), stamping its start and end in
/// `marks/`, requiring `requires`.
fn az_op(id: &str, requires: &[&str], body: &str) -> String {
    let requires = if requires.is_empty() {
        String::new()
    } else {
        format!("  requires: [{}]\n", quoted(requires))
    };
    let mut yaml = format!(
        "operation:\n  id: \"{id}\"\n  duration: {{ expected: 30, timeout: 600, type: NORMAL }}\n{requires}  template:\n    type: \"azure-cli-bash\"\n    command: |\n"
    );
    for line in marked(body).lines() {
        yaml.push_str(&format!("      {line}\n"));
    }
    yaml
}

fn quoted(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("\"{id}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn group_op(id: &str) -> String {
    az_op(
        id,
        &[],
        "az group create --name \"$AZURE_RESOURCE_GROUP\" --location \"$AZURE_LOCATION\" -o none",
    )
}

/// A private DNS zone (30 simulated seconds to create), then `after`.
fn zone_op(id: &str, requires: &[&str], after: &str) -> String {
    az_op(
        id,
        requires,
        &format!(
            "az network private-dns zone create --resource-group \"$AZURE_RESOURCE_GROUP\" --name \"{id}.example.internal\" -o none\n{after}"
        ),
    )
}

/// A network security group (6 simulated seconds).
fn nsg_op(id: &str, requires: &[&str]) -> String {
    az_op(
        id,
        requires,
        &format!(
            "az network nsg create --resource-group \"$AZURE_RESOURCE_GROUP\" --name \"{id}\" -o none"
        ),
    )
}

/// Module `m`: the group, then {zone-a, nsg} together, then zone-b, which needs only the NSG.
/// With `zone_a_waits`, zone-a ends only once zone-b has started (or 30 s have passed), so
/// that whether zone-b waited for zone-a's barrier shows in the order, whatever the load.
fn network_module(schedule: &str, zone_a_waits: bool) -> Deploy {
    let module = format!(
        "module:\n  id: \"m\"\n  schedule: {schedule}\n  operations:\n    - id: \"group\"\n    - id: \"zone-a\"\n      parallel_group: 1\n    - id: \"nsg\"\n      parallel_group: 1\n    - id: \"zone-b\"\n"
    );
    let hold = if zone_a_waits {
        wait_for("[ -e marks/zone-b.start ]", 30_000)
    } else {
        String::new()
    };
    Deploy::new()
        .config(CONFIG)
        .env("AVDEPLOY_SIM_TIME_SCALE", TIME_SCALE)
        .module("m", &module)
        .operation("m", "01-group", &group_op("group"))
        .operation("m", "02-zone-a", &zone_op("zone-a", &["group"], &hold))
        .operation("m", "03-nsg", &nsg_op("nsg", &["group"]))
        .operation("m", "04-zone-b", &zone_op("zone-b", &["nsg"], ""))
}

const ZONES: [(&str, &str); 3] = [("01-a", "zone-a"), ("02-b", "zone-b"), ("03-c", "zone-c")];

/// Module `00-group`, then three modules of one zone each that need only the group. With
/// `meet`, each zone waits until all three have started (failing when they do not within 10 s).
fn zone_modules(meet: bool) -> Deploy {
    let zones: Vec<&str> = ZONES.iter().map(|(_, zone)| *zone).collect();
    let after = if meet {
        wait_for_starts(&zones)
    } else {
        String::new()
    };
    let mut deploy = Deploy::new()
        .config(CONFIG)
        .env("AVDEPLOY_SIM_TIME_SCALE", TIME_SCALE)
        .module(
            "00-group",
            "module:\n  id: \"00-group\"\n  operations:\n    - id: \"group\"\n",
        )
        .operation("00-group", "01-group", &group_op("group"));
    for (module, zone) in ZONES {
        deploy = deploy
            .module(
                module,
                &format!(
                    "module:\n  id: \"{module}\"\n  dependencies: [\"00-group\"]\n  operations:\n    - id: \"{zone}\"\n"
                ),
            )
            .operation(
                module,
                &format!("01-{zone}"),
                &zone_op(zone, &["group"], &after),
            );
    }
    deploy
}

/// Runs `args` on the simulator, which must succeed.
fn run(deploy: &Deploy, args: &[&str]) {
    let output = deploy.cmd(args).output().expect("run avdeploy");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn intervals(deploy: &Deploy, ops: &[&str]) -> Vec<Interval> {
    ops.iter().map(|op| interval(deploy.path(), op)).collect()
}

#[test]
fn in_a_dag_module_an_operation_starts_once_its_requirements_end() {
    let deploy = network_module("dag", true);
    run(&deploy, &["run", "m", "--simulate"]);
    let [group, zone_a, nsg, zone_b] =
        intervals(&deploy, &["group", "zone-a", "nsg", "zone-b"])[..]
    else {
        unreachable!("four operations")
    };
    assert!(group.end <= zone_a.start && group.end <= nsg.start);
    assert!(
        nsg.end <= zone_b.start,
        "zone-b started before the NSG ended"
    );
    assert!(
        zone_b.start < zone_a.end,
        "zone-b waited for zone-a, which it does not need: {zone_a:?} {zone_b:?}"
    );
}

#[test]
fn in_a_staged_module_an_operation_waits_for_the_stage_before() {
    let deploy = network_module("stages", false);
    run(&deploy, &["run", "m", "--simulate"]);
    let [zone_a, nsg, zone_b] = intervals(&deploy, &["zone-a", "nsg", "zone-b"])[..] else {
        unreachable!("three operations")
    };
    assert!(
        zone_a.end <= zone_b.start && nsg.end <= zone_b.start,
        "zone-b started inside the stage before: {zone_a:?} {nsg:?} {zone_b:?}"
    );
}

#[test]
fn run_all_runs_independent_modules_side_by_side_and_sequential_one_by_one() {
    let zones: Vec<&str> = ZONES.iter().map(|(_, zone)| *zone).collect();
    let together = zone_modules(true);
    run(&together, &["run", "all", "--simulate"]);
    let group = interval(together.path(), "group");
    let spans = intervals(&together, &zones);
    assert!(spans.iter().all(|zone| group.end <= zone.start));
    assert_eq!(max_concurrency(&spans), 3, "{spans:?}");

    let one_by_one = zone_modules(false);
    run(&one_by_one, &["run", "all", "--sequential", "--simulate"]);
    let spans = intervals(&one_by_one, &zones);
    assert_eq!(max_concurrency(&spans), 1, "{spans:?}");
    assert!(
        spans.windows(2).all(|w| w[0].end <= w[1].start),
        "not in module order: {spans:?}"
    );
}

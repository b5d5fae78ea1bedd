//! `status` compares what each operation took with its `duration.expected`, and names those
//! off by more than 50% from the median of their completed attempts, with the value to put in
//! their file; durations measured under the simulator are never compared.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

fn op(id: &str, expected: u64, command: &str) -> String {
    format!(
        "operation:\n  id: \"{id}\"\n  duration: {{ expected: {expected}, timeout: 60, type: FAST }}\n  template:\n    type: \"bash-script\"\n    command: \"{command}\"\n"
    )
}

/// `quick` is expected to take a minute and takes milliseconds; `steady` is expected to take two
/// seconds and sleeps two.
fn deployment() -> Deploy {
    Deploy::new()
        .config("azure:\n  resource_group: \"rg-durations\"\n")
        .module("m", &module_yaml("m", &[("quick", None), ("steady", None)]))
        .operation("m", "01-quick", &op("quick", 60, "true"))
        .operation("m", "02-steady", &op("steady", 2, "sleep 2"))
}

#[test]
fn an_expectation_off_by_more_than_half_is_named_with_the_measured_median() {
    let deploy = deployment();
    deploy.cmd(&["run", "m"]).assert().success();
    deploy
        .cmd(&["status"])
        .assert()
        .success()
        .stdout(
            contains("expected 1m")
                .and(contains("expected 2s"))
                .and(contains(
                    "duration.expected is off by more than 50% from the median of completed attempts for 1 operation:",
                ))
                .and(contains(
                    "set `expected: 1` in modules/m/operations/01-quick.yaml",
                ))
                .and(contains("steady: expected").not()),
        );
    let status = deploy.json(&["status", "--json"]);
    let off = status["expected_off"].as_array().expect("expected_off");
    assert_eq!(off.len(), 1, "{off:?}");
    assert_eq!(off[0]["operation"], "quick");
    assert_eq!(off[0]["expected_seconds"], 60);
    assert_eq!(off[0]["suggested_seconds"], 1);
    assert!(off[0]["median_ms"].as_u64().expect("median") < 30_000);
    let steady = status["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .find(|o| o["operation"] == "steady")
        .expect("steady");
    assert_eq!(steady["expected_seconds"], 2);
    assert!(steady["median_ms"].as_u64().expect("median") >= 2000);
    assert_eq!(status["durations_simulated"], false);

    // Once the folder has run against the simulator, its measurements are not compared.
    deploy
        .cmd(&["run", "m", "--simulate", "--force"])
        .assert()
        .success();
    deploy.cmd(&["status"]).assert().success().stdout(
        contains("measured durations are not compared with duration.expected")
            .and(contains("is off by more than 50%").not()),
    );
    let status = deploy.json(&["status", "--json"]);
    assert_eq!(status["expected_off"], serde_json::json!([]));
    assert_eq!(status["durations_simulated"], true);
}

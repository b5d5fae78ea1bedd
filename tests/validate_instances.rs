//! Findings about `for_each:`, `when:` and `apps.items_from`, each at its file:line:column with
//! exit code 2, and the generated script of an operation whose apps come from config.yaml.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/timeline.rs"]
mod timeline;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use serde_json::Value;
use timeline::with_keys;

fn one_op(config: &str, keys: &str, command: &str) -> Deploy {
    Deploy::new()
        .config(config)
        .module("m", &module_yaml("m", &[("op", None)]))
        .operation("m", "op", &with_keys(&bash_op("op", 30, command), keys))
}

/// `validate --json` findings as `(code, file:line:column, message)`; the command must exit 2.
fn findings(deploy: &Deploy) -> Vec<(String, String, String)> {
    let output = deploy
        .cmd(&["validate", "--json"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_owned(),
                format!(
                    "{}:{}:{}",
                    d["file"].as_str().unwrap_or_default(),
                    d["line"],
                    d["column"]
                ),
                d["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

const OP_FILE: &str = "modules/m/operations/op.yaml";

#[test]
fn a_count_out_of_bounds_is_refused_where_it_is_written() {
    for (count, found) in [("0", "`0`"), ("501", "`501`"), ("many", "`many`")] {
        let deploy = one_op(
            &format!("hosts:\n  count: \"{count}\"\n"),
            "  for_each: { count: \"{{HOSTS_COUNT}}\" }",
            "true",
        );
        let found_all = findings(&deploy);
        assert_eq!(found_all.len(), 1, "{found_all:?}");
        let (code, at, message) = &found_all[0];
        assert_eq!(code, "invalid-for-each");
        assert_eq!(at, &format!("{OP_FILE}:2:22"));
        assert!(
            message.contains(found) && message.contains("1 to 500"),
            "{message}"
        );
        deploy.cmd(&["run", "m"]).assert().code(2);
        assert!(!deploy.path().join(".avdeploy/state.db").exists());
    }
}

#[test]
fn bad_item_names_and_duplicates_are_refused() {
    let deploy = one_op(
        "hosts:\n  names: \"vm-a vm-a\"\n",
        "  for_each: \"{{HOSTS_NAMES}}\"",
        "true",
    );
    let found = findings(&deploy);
    assert_eq!(found[0].0, "invalid-for-each");
    assert!(found[0].2.contains("`vm-a` appears twice"), "{found:?}");
    let deploy = one_op(
        "hosts:\n  names: \"vm-a ../x\"\n",
        "  for_each: \"{{HOSTS_NAMES}}\"",
        "true",
    );
    assert!(findings(&deploy)[0].2.contains("`../x`"));
}

#[test]
fn the_item_exists_only_in_operations_with_for_each() {
    let deploy = one_op("a: 1\n", "  locks: [\"x\"]", "echo {{AVD_ITEM}}");
    let found = findings(&deploy);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "item-without-for-each");
    assert_eq!(found[0].1, format!("{OP_FILE}:8:12"));
}

#[test]
fn a_condition_with_an_unknown_variable_is_refused() {
    let deploy = one_op(
        "net:\n  peering: true\n",
        "  when: \"{{NET_PEERNG}}\"",
        "true",
    );
    let found = findings(&deploy);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "unknown-variable");
    assert_eq!(found[0].1, format!("{OP_FILE}:2:10"));
}

const APPS_CONFIG: &str = "golden_image:
  apps:
    - name: \"Google Chrome\"
      url: \"https://dl.google.com/chrome.msi\"
      file: \"chrome.msi\"
      install: { kind: msi, args: \"/qn\" }
    - name: \"7-Zip\"
      url: \"https://7-zip.org/7z.exe\"
      file: \"7z.exe\"
      timeout: 600
      install: { kind: exe, args: \"/S\", success_codes: [0], verify: [\"C:\\\\Program Files\\\\7-Zip\\\\7z.exe\"] }
";

fn apps_op(config: &str, from: &str) -> Deploy {
    Deploy::new()
        .config(config)
        .module("m", &module_yaml("m", &[("apps", None)]))
        .operation(
            "m",
            "apps",
            &format!(
                "operation:\n  id: \"apps\"\n  template:\n    type: \"az-vm-run-command\"\n    vm: \"vm1\"\n    resource_group: \"rg\"\n  apps:\n    items_from: \"{from}\"\n"
            ),
        )
}

#[test]
fn apps_come_from_a_config_list() {
    let deploy = apps_op(APPS_CONFIG, "golden_image.apps");
    deploy.cmd(&["validate"]).assert().success();
    deploy.cmd(&["script", "apps"]).assert().success().stdout(
        contains("Google Chrome")
            .and(contains("chrome.msi"))
            .and(contains("7-Zip"))
            .and(contains("7z.exe")),
    );
}

#[test]
fn a_wrong_apps_list_is_reported_in_config_yaml() {
    let bad = APPS_CONFIG.replace(
        "      file: \"chrome.msi\"\n",
        "      fil: \"chrome.msi\"\n",
    );
    let found = findings(&apps_op(&bad, "golden_image.apps"));
    let codes: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert!(codes.contains(&"unknown-key"), "{found:?}");
    let unknown = found
        .iter()
        .find(|f| f.0 == "unknown-key")
        .expect("finding");
    assert_eq!(unknown.1, "config.yaml:5:7");
    let missing = found
        .iter()
        .find(|f| f.0 == "missing-field")
        .expect("finding");
    assert_eq!(missing.1, "config.yaml:3:7");

    let found = findings(&apps_op(APPS_CONFIG, "golden_image.appz"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "unknown-config-path");
    assert_eq!(found[0].1, "modules/m/operations/apps.yaml:8:17");
    assert!(found[0].2.contains("golden_image.appz"));
}

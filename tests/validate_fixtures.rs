//! One broken deployment per finding under `tests/fixtures/invalid/`: `validate --json` reports
//! that finding, and only it, at the right file, line and column, with a hint.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// What `validate --json` must report for one fixture.
struct Expect {
    code: &'static str,
    severity: &'static str,
    file: &'static str,
    line: u64,
    column: u64,
    /// Text the message must contain.
    message: &'static str,
    /// Text the hint must contain.
    help: &'static str,
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/invalid")
        .join(name)
}

/// Runs `avdeploy -C <fixture> <args>` and returns its exit code, stdout and stderr.
fn avdeploy(name: &str, args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::Command::cargo_bin("avdeploy")
        .expect("binary")
        .arg("-C")
        .arg(fixture(name))
        .args(args)
        .output()
        .expect("run avdeploy");
    (
        output.status.code().expect("exit code"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn diagnostics(name: &str) -> (i32, Vec<Value>) {
    let (code, stdout, stderr) = avdeploy(name, &["validate", "--json"]);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{name}: validate --json is not JSON ({e}): {stdout}{stderr}"));
    let items = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .clone();
    (code, items)
}

/// Checks the fixture's findings: `expect` is among them, every finding has a position and a
/// hint, and there are `count` findings in all (no cascade of follow-up findings).
fn check(name: &str, count: usize, expect: &Expect) {
    let (code, items) = diagnostics(name);
    let found = items
        .iter()
        .find(|d| d["code"] == expect.code)
        .unwrap_or_else(|| panic!("{name}: no `{}` finding in {items:#?}", expect.code));
    assert_eq!(found["severity"], expect.severity, "{name}: {found:#}");
    assert_eq!(found["file"], expect.file, "{name}: {found:#}");
    assert_eq!(found["line"], expect.line, "{name}: {found:#}");
    assert_eq!(found["column"], expect.column, "{name}: {found:#}");
    let message = found["message"].as_str().expect("message");
    assert!(message.contains(expect.message), "{name}: {message}");
    let help = found["help"].as_str().unwrap_or_default();
    assert!(help.contains(expect.help), "{name}: help {help:?}");
    for item in &items {
        assert!(
            item["line"].is_u64(),
            "{name}: finding without a line: {item:#}"
        );
        assert!(
            item["help"].is_string(),
            "{name}: finding without a hint: {item:#}"
        );
    }
    assert_eq!(items.len(), count, "{name}: {items:#?}");
    let errors = items.iter().any(|d| d["severity"] == "error");
    assert_eq!(code, if errors { 2 } else { 0 }, "{name}: exit code");
}

macro_rules! fixture_tests {
    ($($test:ident: $name:literal, $count:literal, $code:literal, $severity:literal,
        $file:literal:$line:literal:$column:literal, $message:literal, $help:literal;)*) => {
        $(
            #[test]
            fn $test() {
                check($name, $count, &Expect {
                    code: $code,
                    severity: $severity,
                    file: $file,
                    line: $line,
                    column: $column,
                    message: $message,
                    help: $help,
                });
            }
        )*
    };
}

fixture_tests! {
    yaml_syntax_in_config: "yaml-syntax-config", 1, "yaml-syntax", "error",
        "config.yaml":4:1, "invalid YAML", "brackets";
    yaml_syntax_in_operation_is_reported_once: "yaml-syntax-operation", 1, "yaml-syntax", "error",
        "modules/m/operations/02-second.yaml":4:1, "expected ',' or '}'", "brackets";
    unknown_key_suggests_the_closest: "unknown-key", 1, "unknown-key", "error",
        "modules/m/operations/02-second.yaml":4:3, "unknown key `duraton` in operation", "did you mean `duration`?";
    wrong_type: "wrong-type", 1, "wrong-type", "error",
        "modules/m/module.yaml":7:23, "parallel_group must be a whole number, found `first`", "digits";
    missing_module_id: "missing-module-id", 1, "missing-field", "error",
        "modules/m/module.yaml":2:3, "module has no `id`", "add `id:";
    missing_operation_id: "missing-operation-id", 2, "missing-field", "error",
        "modules/m/operations/02-second.yaml":2:3, "operation has no `id`", "add `id:";
    missing_bash_command: "missing-bash-command", 1, "missing-field", "error",
        "modules/m/operations/02-second.yaml":4:5, "operation.template has no `command`", "template.command";
    missing_run_command_script: "missing-run-command-script", 1, "missing-field", "error",
        "modules/m/operations/02-second.yaml":2:3, "run-command operation has no script", "`apps:`";
    duplicate_operation_id: "duplicate-operation-id", 1, "duplicate-operation", "error",
        "modules/m/operations/03-again.yaml":2:7,
        "`first` is used twice, in `modules/m/operations/01-first.yaml` and `modules/m/operations/03-again.yaml`",
        "unique";
    listed_operation_without_file: "missing-operation-file", 1, "missing-operation-file", "error",
        "modules/m/module.yaml":6:11, "operation `second` is listed but no operation file has that id", "operation.id";
    unlisted_operation_is_a_warning: "unlisted-operation", 1, "unlisted-operation", "warning",
        "modules/m/operations/03-extra.yaml":2:7, "not listed in any module.yaml", "module.operations";
    unknown_requirement: "unknown-requirement", 1, "unknown-requirement", "error",
        "modules/m/operations/02-second.yaml":5:14, "`second` requires unknown operation `frist`", "did you mean `first`?";
    optional_unknown_requirement_is_a_warning: "optional-unknown-requirement", 1, "unknown-requirement", "warning",
        "modules/m/operations/02-second.yaml":6:18, "unknown operation `cleanup-old-image`", "operation.id";
    requirement_cycle: "requirement-cycle", 1, "requirement-cycle", "error",
        "modules/m/operations/01-first.yaml":2:7, "first -> second -> first", "requires";
    unknown_dependency: "unknown-dependency", 1, "unknown-dependency", "error",
        "modules/m/module.yaml":4:18, "depends on unknown module `00-resource-grp`", "did you mean `00-resource-group`?";
    dependency_cycle: "dependency-cycle", 1, "dependency-cycle", "error",
        "modules/m/module.yaml":2:7, "m -> n -> m", "dependencies";
    unknown_variable_in_command: "unknown-variable-command", 1, "unknown-variable", "error",
        "modules/m/operations/02-second.yaml":8:24, "unknown variable `AZURE_RESOURCE_GRUOP`", "did you mean `AZURE_RESOURCE_GROUP`?";
    unknown_variable_in_powershell: "unknown-variable-powershell", 1, "unknown-variable", "error",
        "modules/m/operations/02-second.yaml":11:28, "unknown variable `IMAGE_VERSION`", "config.yaml";
    unknown_variable_in_lock: "unknown-variable-lock", 1, "unknown-variable", "error",
        "modules/m/operations/02-second.yaml":5:17, "unknown variable `NETWORKING_VNET_NAME`", "config.yaml";
    unknown_variable_in_check: "unknown-variable-check", 1, "unknown-variable", "error",
        "modules/m/operations/02-second.yaml":11:25, "unknown variable `GOLDEN_IMAGE_VM`", "did you mean `GOLDEN_IMAGE_VM_NAME`?";
    unknown_variable_in_apps: "unknown-variable-apps", 1, "unknown-variable", "error",
        "modules/m/operations/02-second.yaml":11:38, "unknown variable `CHROME_VERSION`", "config.yaml";
    unknown_variable_in_blocks: "unknown-variable-blocks", 1, "unknown-variable", "error",
        "modules/m/operations/02-second.yaml":13:27, "unknown variable `TIME_ZONE`", "config.yaml";
    variable_cycle: "variable-cycle", 1, "variable-cycle", "error",
        "config.yaml":7:3, "IMAGE_NAME -> IMAGE_TAG -> IMAGE_NAME", "literal value";
    unsafe_substitution_hints_the_environment_variable: "unsafe-substitution", 1, "unsafe-substitution", "error",
        "modules/m/operations/02-second.yaml":8:28, "`AZURE_TAGS_OWNER` contains ';'", "\"$AZURE_TAGS_OWNER\"";
    run_commands_on_one_vm_in_one_group: "run-command-same-vm", 1, "run-command-same-vm", "error",
        "modules/m/module.yaml":7:11,
        "`install-chrome` and `install-adobe` both run a run-command on VM `rg-avd/vm-gi` in parallel group 1",
        "different parallel groups";
    timeout_below_expected: "timeout-below-expected", 1, "timeout-below-expected", "error",
        "modules/m/operations/02-second.yaml":4:39, "timeout (300s) is shorter than the expected duration (600s)", "raise";
    zero_duration: "zero-duration", 1, "non-positive-duration", "error",
        "modules/m/operations/02-second.yaml":4:13, "found 0", "whole seconds";
    negative_duration: "negative-duration", 1, "non-positive-duration", "error",
        "modules/m/operations/02-second.yaml":4:38, "timeout must be more than zero seconds, found -5", "whole seconds";
    unknown_duration_type: "unknown-duration-type", 1, "unknown-duration-type", "error",
        "modules/m/operations/02-second.yaml":4:48, "unknown duration type `QUICK`", "FAST, NORMAL or WAIT";
    unknown_template_type: "unknown-template-type", 1, "unknown-template-type", "error",
        "modules/m/operations/02-second.yaml":6:11, "unknown template type `azure-cli`", "did you mean `azure-cli-bash`?";
    split_parallel_group_is_a_warning: "split-parallel-group", 1, "split-parallel-group", "warning",
        "modules/m/module.yaml":8:11, "`third` is in parallel group 1 but declared after `second`", "next to each other";
    ids_that_cannot_name_a_file: "invalid-id", 1, "invalid-id", "error",
        "modules/m/operations/01-escape.yaml":2:7, "`../../escape` holds characters that cannot name a file", "letters, digits";
    variables_that_would_change_how_bash_runs: "reserved-variable", 1, "reserved-variable", "error",
        "config.yaml":3:11, "`BASH_ENV` would replace the operations' own `BASH_ENV`", "rename";
    parallel_msi_blocks_are_a_warning: "parallel-msi-blocks", 1, "parallel-msi-install", "warning",
        "modules/m/operations/02-second.yaml":2:7, "`chrome` and `adobe` both start an MSI install", "`apps:`";
    unknown_check_type_is_a_warning: "unknown-check-type", 1, "unknown-check-type", "warning",
        "modules/m/operations/02-second.yaml":8:15, "`dns_record_exists` is kept but not run", "known types";
    unknown_error_action_of_a_block: "unknown-error-action", 1, "unknown-choice", "error",
        "modules/m/operations/02-second.yaml":10:21, "unknown block.error_action `Halt`", "`Continue`";
    timeout_of_an_item_out_of_range: "timeout-out-of-range", 1, "timeout-out-of-range", "error",
        "modules/m/operations/02-second.yaml":13:18, "timeout `0` is out of range", "from 1 to 86400";
}

#[test]
fn json_names_the_other_place_of_a_finding() {
    let (_, items) = diagnostics("run-command-same-vm");
    let labels = items[0]["labels"].as_array().expect("labels");
    assert_eq!(labels.len(), 1, "{labels:?}");
    assert_eq!(labels[0]["file"], "modules/m/module.yaml");
    assert_eq!(labels[0]["line"], 5);
    let (_, items) = diagnostics("duplicate-operation-id");
    assert_eq!(
        items[0]["labels"][0]["file"],
        "modules/m/operations/01-first.yaml"
    );
}

#[test]
fn commands_that_need_a_valid_deployment_refuse_with_exit_2() {
    for args in [&["list"][..], &["plan", "m"], &["vars"]] {
        let (code, stdout, stderr) = avdeploy("unknown-template-type", args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains("unknown template type"), "{stderr}");
    }
}

/// The human rendering of a few findings: snippet, caret, hint.
fn human(name: &str) -> String {
    let (code, stdout, stderr) = avdeploy(name, &["validate"]);
    format!("exit code: {code}\n{stdout}{stderr}")
}

#[test]
fn human_rendering_of_an_unknown_key() {
    insta::assert_snapshot!(human("unknown-key"));
}

#[test]
fn human_rendering_of_a_duplicate_operation_id() {
    insta::assert_snapshot!(human("duplicate-operation-id"));
}

#[test]
fn human_rendering_of_two_run_commands_on_one_vm() {
    insta::assert_snapshot!(human("run-command-same-vm"));
}

#[test]
fn human_rendering_of_an_unsafe_substitution() {
    insta::assert_snapshot!(human("unsafe-substitution"));
}

#[test]
fn human_rendering_of_a_split_parallel_group() {
    insta::assert_snapshot!(human("split-parallel-group"));
}

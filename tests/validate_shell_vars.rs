//! `validate` reads every bash command with a bash parser: a `$NAME` that is no deployment
//! variable, engine variable, output or name the script sets is reported at its place in the
//! operation file, as an error when it is a typo of a known name and a warning otherwise.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};
use serde_json::Value;

const CONFIG: &str = "azure:\n  resource_group: \"rg\"\nstorage:\n  share_name: \"profiles\"\n";

/// A deployment of one module whose operations run the given bash commands.
fn deployment(ops: &[(&str, &str)]) -> Deploy {
    let entries: Vec<(&str, Option<u32>)> = ops.iter().map(|(id, _)| (*id, None)).collect();
    ops.iter().enumerate().fold(
        Deploy::new()
            .config(CONFIG)
            .module("m", &module_yaml("m", &entries)),
        |deploy, (i, (id, command))| {
            deploy.operation(
                "m",
                &format!("{:02}-{id}", i + 1),
                &bash_op(id, 60, command),
            )
        },
    )
}

/// `validate --json`: the exit code and the `unknown-shell-variable` findings.
fn findings(deploy: &Deploy) -> (i32, Vec<Value>) {
    let output = deploy
        .cmd(&["validate", "--json"])
        .output()
        .expect("run validate");
    let report: Value = serde_json::from_slice(&output.stdout).expect("validate prints JSON");
    let items = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "unknown-shell-variable")
        .cloned()
        .collect();
    (output.status.code().expect("exit code"), items)
}

#[test]
fn a_typo_is_an_error_with_a_did_you_mean_at_its_file_position() {
    let deploy = deployment(&[(
        "share",
        "echo \"[START] share\"\naz storage share create --name \"$STORAGE_SHARE_NAM\" -o none\n",
    )]);
    let (code, items) = findings(&deploy);
    assert_eq!(code, 2, "{items:#?}");
    assert_eq!(items.len(), 1, "{items:#?}");
    let item = &items[0];
    assert_eq!(item["severity"], "error");
    assert_eq!(item["file"], "modules/m/operations/01-share.yaml");
    // bash_op indents the command by six spaces below `command: |` on line 6.
    assert_eq!(item["line"], 8);
    assert_eq!(item["column"], 39);
    assert!(
        item["message"]
            .as_str()
            .unwrap()
            .contains("`$STORAGE_SHARE_NAM`"),
        "{item:#}"
    );
    assert_eq!(item["help"], "did you mean `STORAGE_SHARE_NAME`?");
}

#[test]
fn the_human_rendering_shows_the_snippet_and_the_suggestion() {
    let deploy = deployment(&[("share", "echo \"${STORAGE_SHARE_NAM}\"\n")]);
    let output = deploy.cmd(&["validate"]).output().expect("run validate");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("modules/m/operations/01-share.yaml:7:13"),
        "{stderr}"
    );
    assert!(stderr.contains("echo \"${STORAGE_SHARE_NAM}\""), "{stderr}");
    assert!(stderr.contains("^^^^^^^^^^^^^^^^^^^^"), "{stderr}");
    assert!(
        stderr.contains("did you mean `STORAGE_SHARE_NAME`?"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_name_without_a_close_match_is_a_warning() {
    let deploy = deployment(&[(
        "op",
        "echo \"$SOMETHING_ELSE_ENTIRELY\" $SOMETHING_ELSE_ENTIRELY\n",
    )]);
    let (code, items) = findings(&deploy);
    assert_eq!(code, 0, "{items:#?}");
    assert_eq!(items.len(), 1, "one finding per name: {items:#?}");
    assert_eq!(items[0]["severity"], "warning");
    assert!(
        items[0]["message"]
            .as_str()
            .unwrap()
            .contains("read 2 times"),
        "{items:#?}"
    );
    assert!(
        items[0]["help"]
            .as_str()
            .unwrap()
            .contains("${SOMETHING_ELSE_ENTIRELY:-}"),
        "{items:#?}"
    );
}

#[test]
fn names_the_script_sets_itself_are_known() {
    let script = r#"COUNT=3
local_fn() { local SCOPED="x"; echo "$SCOPED"; }
for ZONE in 1 2 3; do echo "$ZONE"; done
read -r FIRST SECOND <<< "a b"
echo "$FIRST $SECOND"
export EXPORTED="y"; echo "$EXPORTED"
declare -a LIST=(a b); echo "${LIST[@]}" "${#LIST[@]}"
echo $(( COUNT + 1 )) "$COUNT"
"#;
    let (code, items) = findings(&deployment(&[("op", script)]));
    assert_eq!((code, items.len()), (0, 0), "{items:#?}");
}

#[test]
fn default_expansions_are_accepted_silently() {
    let script = r#"echo "${OPTIONAL_ONE:-fallback}" "${OPTIONAL_TWO-}" "${OPTIONAL_THREE:=x}"
echo "${OPTIONAL_FOUR:+set}" ${OPTIONAL_FIVE+set}
"#;
    let (code, items) = findings(&deployment(&[("op", script)]));
    assert_eq!((code, items.len()), (0, 0), "{items:#?}");
}

#[test]
fn reads_are_found_in_heredocs_subshells_arithmetic_and_quotes() {
    let script = r#"cat <<EOF
share: $IN_HEREDOC
EOF
cat <<'EOF'
$QUOTED_HEREDOC_IS_LITERAL
EOF
id=$(az group show -n "$IN_SUBSHELL" --query id -o tsv)
( echo $IN_PARENS )
echo $(( IN_ARITHMETIC * 2 ))
echo $UNQUOTED "$DOUBLE_QUOTED" '$SINGLE_QUOTED_IS_LITERAL'
"#;
    let (code, items) = findings(&deployment(&[("op", script)]));
    assert_eq!(code, 0);
    let mut names: Vec<&str> = items
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .map(|m| m.split('`').nth(1).unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "$DOUBLE_QUOTED",
            "$IN_HEREDOC",
            "$IN_PARENS",
            "$IN_SUBSHELL",
            "$UNQUOTED",
            "IN_ARITHMETIC"
        ]
    );
    let lines: Vec<u64> = items.iter().map(|d| d["line"].as_u64().unwrap()).collect();
    assert!(
        lines.contains(&8),
        "the heredoc read is on file line 8: {lines:?}"
    );
}

#[test]
fn outputs_printed_by_other_operations_and_engine_variables_are_known() {
    let deploy = deployment(&[
        (
            "first",
            "echo \"[OUTPUT] VNET_ID=$(az network vnet show --query id -o tsv)\"\nprintf '[OUTPUT] SUBNET_ID=%s\\n' x\n",
        ),
        (
            "second",
            "echo \"$VNET_ID $SUBNET_ID $AVD_RUN_ID $AVD_OUTPUT_FILE $HOME $PATH $BASH_VERSION\"\n",
        ),
    ]);
    let (code, items) = findings(&deploy);
    assert_eq!((code, items.len()), (0, 0), "{items:#?}");
}

#[test]
fn teardown_operations_are_checked_too() {
    let module =
        "module:\n  id: \"m\"\n  operations:\n    - id: \"up\"\n  teardown:\n    - id: \"down\"\n";
    let deploy = Deploy::new()
        .config(CONFIG)
        .module("m", module)
        .operation("m", "01-up", &bash_op("up", 60, "echo up\n"))
        .operation(
            "m",
            "02-down",
            &bash_op(
                "down",
                60,
                "az group delete -n \"$AZURE_RESOURCE_GRUOP\" --yes\n",
            ),
        );
    let (code, items) = findings(&deploy);
    assert_eq!(code, 2, "{items:#?}");
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0]["file"], "modules/m/operations/02-down.yaml");
    assert_eq!(items[0]["help"], "did you mean `AZURE_RESOURCE_GROUP`?");
}

#[test]
fn the_catalogs_validate_clean() {
    for deploy in [Deploy::avd(), Deploy::quickstart()] {
        let (code, items) = findings(&deploy);
        assert_eq!((code, items.len()), (0, 0), "{items:#?}");
    }
}

#[test]
fn a_name_read_several_times_is_reported_once_at_its_first_read_with_the_count() {
    let script = "echo \"$UNKNOWN_THING\"\necho \"$STORAGE_SHARE_NAME\"\necho \"${UNKNOWN_THING}\" \"$UNKNOWN_THING\"\n";
    let (code, items) = findings(&deployment(&[("share", script)]));
    let reported: Vec<(&str, i64, &str)> = items
        .iter()
        .map(|item| {
            let message = item["message"].as_str().unwrap_or_default();
            let count = message.rsplit_once(" (").map_or("", |(_, count)| count);
            (
                item["severity"].as_str().unwrap_or_default(),
                item["line"].as_i64().unwrap_or(0),
                count,
            )
        })
        .collect();
    // A warning only, at the first read (line 7), counting all three.
    assert_eq!((code, reported), (0, vec![("warning", 7, "read 3 times)")]));
}

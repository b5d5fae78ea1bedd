//! `validate` on requirements that can never be met: an operation whose file exists but that no
//! module lists is never run by `run all`, so requiring it is an error naming both.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};

fn deployment(requires: &str) -> Deploy {
    let needs = format!(
        "operation:\n  id: \"app-deploy\"\n  requires:\n    - {requires}\n  template:\n    type: \"bash-script\"\n    command: \"true\"\n"
    );
    Deploy::new()
        .config("azure:\n  location: \"westeurope\"\n")
        .module("00-base", &module_yaml("00-base", &[("base-create", None)]))
        .operation("00-base", "01-create", &bash_op("base-create", 30, "true"))
        .operation(
            "00-base",
            "99-legacy",
            &bash_op("base-legacy-check", 30, "true"),
        )
        .module("01-app", &module_yaml("01-app", &[("app-deploy", None)]))
        .operation("01-app", "01-deploy", &needs)
}

fn stderr(deploy: &Deploy, code: i32) -> String {
    let assert = deploy.cmd(&["validate"]).assert().code(code);
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn requiring_an_operation_no_module_lists_is_an_error_naming_both() {
    let deploy = deployment("\"base-legacy-check\"");
    let out = stderr(&deploy, 2);
    assert!(
        out.contains(
            "error[unlisted-requirement]: `app-deploy` requires `base-legacy-check`, which no module lists"
        ),
        "{out}"
    );
    assert!(
        out.contains("modules/01-app/operations/01-deploy.yaml:4:7"),
        "{out}"
    );
    assert!(
        out.contains("modules/00-base/operations/99-legacy.yaml:2:7"),
        "{out}"
    );
    assert!(out.contains("`base-legacy-check` is defined here"), "{out}");
    assert!(
        out.contains("module.operations` of 00-base's module.yaml"),
        "{out}"
    );
    deploy.cmd(&["run", "all", "--simulate"]).assert().code(2);
    assert!(!deploy.path().join(".avdeploy/state.db").exists());
}

#[test]
fn an_optional_one_is_a_warning_and_a_listed_one_is_fine() {
    let optional = deployment("{ operation: \"base-legacy-check\", optional: true }");
    let out = stderr(&optional, 0);
    assert!(out.contains("warning[unlisted-requirement]"), "{out}");

    let listed = deployment("\"base-create\"");
    let out = stderr(&listed, 0);
    assert!(!out.contains("unlisted-requirement"), "{out}");
}

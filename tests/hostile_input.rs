//! Hostile input is refused before anything runs: alias bombs, deep nesting, oversized files,
//! module folders whose module.yaml is missing or unreadable, and variable or output names that
//! would change how operations run. Each is exit 2 with a message naming the file.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use std::time::Duration;

/// A deployment of one operation that would leave `ran` behind if it ever ran.
fn one_op(config: &str) -> Deploy {
    Deploy::new()
        .config(config)
        .module("m", &module_yaml("m", &[("op", None)]))
        .operation("m", "op", &bash_op("op", 30, "touch ran"))
}

/// Billion laughs: nine levels of nine aliases each, 10^9 strings once expanded.
fn alias_bomb() -> String {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    for pair in names.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 9].join(",");
        text.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
    }
    text
}

/// Runs `args` and expects exit 2 within a few seconds, with `needle` on stderr, and nothing run.
fn refused(deploy: &Deploy, args: &[&str], needle: &str) {
    deploy
        .cmd(args)
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(contains(needle));
    assert!(!deploy.path().join("ran").exists(), "an operation ran");
}

#[test]
fn an_alias_bomb_in_config_yaml_is_refused_naming_the_file() {
    let deploy = one_op(&alias_bomb());
    refused(&deploy, &["validate"], "config.yaml:");
    refused(&deploy, &["validate"], "alias bomb");
    refused(&deploy, &["run", "all"], "config.yaml");
}

#[test]
fn an_alias_bomb_in_an_operation_file_is_refused_naming_the_file() {
    let bomb: Vec<String> = alias_bomb().lines().map(|l| format!("      {l}")).collect();
    let op = format!(
        "{}  fixes:\n  - notes:\n{}\n",
        bash_op("op", 30, "touch ran"),
        bomb.join("\n")
    );
    let deploy = one_op("app:\n  name: \"demo\"\n").file("modules/m/operations/op.yaml", &op);
    refused(&deploy, &["validate"], "modules/m/operations/op.yaml:");
    refused(&deploy, &["validate"], "alias bomb");
}

#[test]
fn deep_nesting_is_refused_naming_the_file() {
    // Flow style (the parser's own limit) and block style (avdeploy's).
    let flow = format!("app: {}1{}\n", "[".repeat(50_000), "]".repeat(50_000));
    let deploy = one_op(&flow);
    refused(&deploy, &["validate"], "config.yaml:");
    refused(&deploy, &["validate"], "recursion limit exceeded");
    let block: String = (0..1_000)
        .map(|depth| format!("{}k{depth}:\n", " ".repeat(depth)))
        .collect();
    let deploy = one_op(&format!("{block}{}v: 1\n", " ".repeat(1_000)));
    refused(&deploy, &["validate"], "config.yaml:");
    refused(&deploy, &["validate"], "nest deeper than 128 levels");
}

#[test]
fn an_oversized_file_is_refused_naming_it() {
    let big = format!("app:\n  blob: \"{}\"\n", "x".repeat(9 * 1024 * 1024));
    let deploy = one_op(&big);
    refused(&deploy, &["validate"], "config.yaml");
    refused(&deploy, &["validate"], "at most 8 MiB");
    let deploy = one_op("app:\n  name: \"demo\"\n").file(
        "modules/m/operations/big.yaml",
        &format!("# {}\n", "y".repeat(9 * 1024 * 1024)),
    );
    refused(&deploy, &["validate"], "modules/m/operations/big.yaml");
}

#[test]
fn a_module_folder_without_a_readable_module_yaml_is_an_error_naming_the_path() {
    let base = || {
        one_op("app:\n  name: \"demo\"\n")
            .module("n", &module_yaml("n", &[("other", None)]))
            .operation("n", "other", &bash_op("other", 30, "touch ran"))
    };
    // Missing.
    let deploy = base();
    std::fs::remove_file(deploy.path().join("modules/n/module.yaml")).expect("remove");
    refused(
        &deploy,
        &["validate"],
        "modules/n/module.yaml` does not exist",
    );
    refused(&deploy, &["run", "all"], "modules/n/module.yaml");
    // A directory.
    let deploy = base();
    let path = deploy.path().join("modules/n/module.yaml");
    std::fs::remove_file(&path).expect("remove");
    std::fs::create_dir(&path).expect("mkdir");
    refused(
        &deploy,
        &["validate"],
        "modules/n/module.yaml` cannot be read",
    );
    // A symlink loop.
    let deploy = base();
    let path = deploy.path().join("modules/n/module.yaml");
    std::fs::remove_file(&path).expect("remove");
    std::os::unix::fs::symlink("module.yaml", &path).expect("symlink");
    refused(
        &deploy,
        &["validate"],
        "modules/n/module.yaml` cannot be read",
    );
    // The module folder itself a dangling symlink.
    let deploy = base();
    std::os::unix::fs::symlink("nowhere", deploy.path().join("modules/z")).expect("symlink");
    refused(&deploy, &["validate"], "modules/z` does not exist");
    // A folder starting with a dot is not a module.
    let deploy = base();
    std::fs::create_dir(deploy.path().join("modules/.drafts")).expect("mkdir");
    deploy.cmd(&["validate"]).assert().success();
}

#[test]
fn names_that_change_how_processes_run_are_refused_as_whole_families() {
    for (key, name) in [
        ("ld:\n  audit", "LD_AUDIT"),
        ("ld:\n  library_path", "LD_LIBRARY_PATH"),
        ("pythonpath", "PYTHONPATH"),
        ("pythonhome", "PYTHONHOME"),
        ("gconv_path", "GCONV_PATH"),
        ("bash_xtracefd", "BASH_XTRACEFD"),
        ("avdeploy_sim:\n  faults", "AVDEPLOY_SIM_FAULTS"),
    ] {
        let deploy = one_op(&format!("{key}: \"/tmp/x\"\n"));
        refused(&deploy, &["validate"], &format!("variable `{name}`"));
        refused(&deploy, &["run", "all", "--simulate"], "error");
    }
    let deploy =
        one_op("app:\n  name: \"demo\"\nvariables:\n  BASH_FUNC_az%%: \"() { touch ran; }\"\n");
    deploy.cmd(&["validate"]).assert().code(2);
}

#[test]
fn outputs_named_like_loader_or_interpreter_settings_are_refused() {
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("op", None)]))
        .operation(
            "m",
            "op",
            &bash_op("op", 30, "echo \"[OUTPUT] LD_AUDIT=/tmp/evil.so\""),
        );
    refused(&deploy, &["validate"], "publishes `LD_AUDIT`");
    // Published at run time without being declared: ignored, with a warning.
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("op", None), ("next", None)]))
        .operation(
            "m",
            "op",
            &bash_op("op", 30, "n=PYTHON; echo \"[OUTPUT] ${n}PATH=/tmp/evil\""),
        )
        .operation(
            "m",
            "next",
            &bash_op("next", 30, "echo \"seen=${PYTHONPATH:-none}\" > seen"),
        );
    deploy
        .cmd(&["run", "m"])
        .assert()
        .success()
        .stdout(contains("PYTHONPATH ignored").and(contains("changes how operations run")));
    assert_eq!(deploy.read("seen"), "seen=none\n");
}

#[test]
fn a_config_yaml_that_is_not_a_regular_file_is_named_as_such() {
    // A link to a device that never ends.
    let deploy = one_op("app:\n  name: \"demo\"\n");
    let config = deploy.path().join("config.yaml");
    std::fs::remove_file(&config).expect("remove");
    std::os::unix::fs::symlink("/dev/zero", &config).expect("symlink");
    refused(&deploy, &["validate"], "not a regular file");
    refused(&deploy, &["run", "all"], "not a regular file");
    // A folder.
    std::fs::remove_file(&config).expect("remove");
    std::fs::create_dir(&config).expect("mkdir");
    refused(&deploy, &["validate"], "config.yaml");
    deploy
        .cmd(&["validate"])
        .assert()
        .stderr(contains("not a deployment folder").not());
}

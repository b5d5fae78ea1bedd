//! The fast part of the hostile-input corpus (the slow part, with huge files, is
//! `scripts/hostile.sh`): malformed YAML, wrong types, alias bombs, deep nesting, invalid UTF-8,
//! NUL bytes, duplicate keys, injection attempts in values, ids and outputs. Every case is
//! refused by `validate` and by `run all --simulate` with exit 2 and a message, never a panic,
//! and nothing is executed (no operation leaves its mark, no log is written).

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};

/// One hostile deployment: files written over a valid one, and text stderr must hold.
struct Case {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    expect: &'static str,
}

const CONFIG: &str = "app:\n  name: \"demo\"\n";

fn case(
    name: &'static str,
    path: &'static str,
    text: impl Into<Vec<u8>>,
    expect: &'static str,
) -> Case {
    Case {
        name,
        files: vec![(path, text.into())],
        expect,
    }
}

/// A config value pasted into a command with `{{APP_NAME}}`: refused, never run.
fn injection(name: &'static str, value: &str) -> Case {
    Case {
        name,
        files: vec![
            (
                "config.yaml",
                format!("app:\n  name: \"{}\"\n", value.replace('"', "\\\"")).into_bytes(),
            ),
            (
                "modules/m/operations/op.yaml",
                bash_op("op", 30, "echo {{APP_NAME}}\ntouch ran").into_bytes(),
            ),
        ],
        expect: "unsafe-substitution",
    }
}

fn bomb(levels: usize) -> String {
    let mut text = String::from("b0: &b0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..levels {
        let refs = vec![format!("*b{}", level - 1); 10].join(", ");
        text.push_str(&format!("b{level}: &b{level} [{refs}]\n"));
    }
    text
}

fn corpus() -> Vec<Case> {
    let op = "modules/m/operations/op.yaml";
    let module = "modules/m/module.yaml";
    vec![
        case(
            "unclosed-flow",
            "config.yaml",
            "app: [1, 2\nb: 3\n",
            "invalid YAML",
        ),
        case(
            "tab-indent",
            "config.yaml",
            "app:\n\tname: x\n",
            "invalid YAML",
        ),
        case(
            "unknown-anchor",
            "config.yaml",
            "app: *nowhere\n",
            "unknown anchor",
        ),
        case("bomb-config", "config.yaml", bomb(9), "alias bomb"),
        case(
            "bomb-module",
            module,
            format!(
                "{}{}",
                module_yaml("m", &[("op", None)]),
                bomb(9).replace("b0:", "x:\n  b0:").replace("\nb", "\n  b")
            ),
            "alias bomb",
        ),
        case(
            "bomb-operation",
            op,
            format!(
                "{}  fixes:\n    - notes:\n{}",
                bash_op("op", 30, "touch ran"),
                bomb(9)
                    .lines()
                    .map(|l| format!("        {l}\n"))
                    .collect::<String>()
            ),
            "alias bomb",
        ),
        case(
            "deep-flow",
            "config.yaml",
            format!("app: {}1{}\n", "[".repeat(10_000), "]".repeat(10_000)),
            "recursion limit",
        ),
        case(
            "deep-block",
            "config.yaml",
            (0..300)
                .map(|d| format!("{}k{d}:\n", " ".repeat(d)))
                .collect::<String>()
                + &" ".repeat(300)
                + "v: 1\n",
            "nest deeper than 128",
        ),
        case(
            "invalid-utf8",
            "config.yaml",
            b"app:\n  name: \"\xff\xfe\"\n".to_vec(),
            "not UTF-8",
        ),
        case(
            "nul-byte",
            "config.yaml",
            b"app:\n  name: \"a\x00b\"\n".to_vec(),
            "error",
        ),
        case(
            "duplicate-key",
            "config.yaml",
            "app:\n  name: a\n  name: b\n",
            "duplicate",
        ),
        case(
            "wrong-type-group",
            module,
            "module:\n  id: \"m\"\n  operations:\n    - id: \"op\"\n      parallel_group: \"first\"\n",
            "parallel_group",
        ),
        case(
            "wrong-type-duration",
            op,
            bash_op("op", 30, "touch ran").replace("expected: 1", "expected: \"soon\""),
            "expected",
        ),
        case("list-as-operation", op, "operation: [1, 2]\n", "operation"),
        case(
            "negative-timeout",
            op,
            bash_op("op", 30, "touch ran").replace("timeout: 30", "timeout: -1"),
            "timeout",
        ),
        case(
            "huge-number",
            op,
            bash_op("op", 30, "touch ran")
                .replace("timeout: 30", "timeout: 99999999999999999999999"),
            "at most 604800",
        ),
        case(
            "huge-backoff",
            op,
            bash_op("op", 30, "touch ran").replace(
                "operation:\n",
                "operation:\n  retry: { max_attempts: 3, backoff: 99999999999 }\n",
            ),
            "backoff",
        ),
        injection("semicolon-in-value", "x; touch pwned"),
        injection("substitution-in-value", "$(touch pwned)"),
        injection("backtick-in-value", "`touch pwned`"),
        injection("newline-in-value", "x\\ntouch pwned"),
        injection("quote-in-value", "x' && touch pwned && echo '"),
        case(
            "id-traversal",
            op,
            bash_op("../../pwned", 30, "touch ran"),
            "invalid",
        ),
        case(
            "module-id-traversal",
            module,
            module_yaml("../x", &[("op", None)]),
            "invalid",
        ),
        case(
            "reserved-loader",
            "config.yaml",
            "ld:\n  audit: \"/tmp/x.so\"\n",
            "LD_AUDIT",
        ),
        case(
            "reserved-python",
            "config.yaml",
            "pythonpath: \"/tmp/evil\"\n",
            "PYTHONPATH",
        ),
        case(
            "reserved-engine",
            "config.yaml",
            "avdeploy_sim:\n  faults: \"create => error\"\n",
            "AVDEPLOY_SIM_FAULTS",
        ),
        case(
            "reserved-bash-function",
            "config.yaml",
            "bash_func_az: \"() { touch pwned; }\"\n",
            "BASH_FUNC_AZ",
        ),
        case(
            "reserved-output",
            op,
            bash_op("op", 30, "echo \"[OUTPUT] LD_PRELOAD=/tmp/x.so\""),
            "LD_PRELOAD",
        ),
        case(
            "reserved-declared-output",
            op,
            bash_op("op", 30, "touch ran")
                .replace("operation:\n", "operation:\n  outputs: [\"PATH\"]\n"),
            "PATH",
        ),
        case(
            "variable-cycle",
            "config.yaml",
            "variables:\n  A: \"{{B}}\"\n  B: \"{{A}}\"\n",
            "cycle",
        ),
        case(
            "unknown-variable",
            op,
            bash_op("op", 30, "echo {{NOPE}}"),
            "NOPE",
        ),
    ]
}

#[test]
fn every_hostile_case_is_refused_with_a_message_and_nothing_runs() {
    let mut failures = Vec::new();
    for case in corpus() {
        let deploy = case.files.iter().fold(
            Deploy::new()
                .config(CONFIG)
                .module("m", &module_yaml("m", &[("op", None)]))
                .operation("m", "op", &bash_op("op", 30, "touch ran")),
            |deploy, (path, bytes)| {
                let full = deploy.path().join(path);
                std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
                std::fs::write(full, bytes).expect("write");
                deploy
            },
        );
        for args in [&["validate"][..], &["run", "all", "--simulate"][..]] {
            let output = deploy
                .cmd(args)
                .timeout(std::time::Duration::from_secs(20))
                .output()
                .expect("run avdeploy");
            let stderr = String::from_utf8_lossy(&output.stderr);
            let problem = if output.status.code() != Some(2) {
                Some(format!("exit {:?}", output.status.code()))
            } else if stderr.contains("panicked") {
                Some("panicked".to_owned())
            } else if !stderr.contains(case.expect) {
                Some(format!("stderr lacks `{}`", case.expect))
            } else if ["ran", "pwned", "artifacts/logs"]
                .iter()
                .any(|mark| deploy.path().join(mark).exists())
            {
                Some("something ran".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                failures.push(format!(
                    "{} ({}): {problem}\n{stderr}",
                    case.name,
                    args.join(" ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

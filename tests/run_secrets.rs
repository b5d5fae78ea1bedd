//! Secrets never reach disk or console in clear: not in rendered scripts, attempt logs, the JSONL
//! event log, the state database, `status`, `logs`, nor the run's own output.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};

/// From the environment (overriding config.yaml), from config.yaml, and published at run time.
const SECRETS: [&str; 3] = ["Env-Secret-4711", "Cfg-Secret-9911", "Tok-55-66"];

fn deployment() -> Deploy {
    let leak = "echo \"pw=$APP_ADMIN_PASSWORD\"\necho \"cfg=$APP_DB_SECRET\" >&2\necho \"[PROGRESS] using $APP_ADMIN_PASSWORD\"\necho \"[WARNING] careful with $APP_DB_SECRET\"\ntok=$(printf 'Tok-%s-%s' 55 66)\necho \"[OUTPUT] API_TOKEN=$tok\"";
    let reuse = "echo ${#API_TOKEN} > token-length\necho \"token=$API_TOKEN\"\necho \"[ERROR] rejected $API_TOKEN for $APP_ADMIN_PASSWORD\" >&2\nexit 1";
    Deploy::new()
        .config(
            "app:\n  admin_password: \"in-config-overridden\"\n  db_secret: \"Cfg-Secret-9911\"\n",
        )
        .env("APP_ADMIN_PASSWORD", "Env-Secret-4711")
        .module("m", &module_yaml("m", &[("leak", None), ("reuse", None)]))
        .operation("m", "leak", &bash_op("leak", 30, leak))
        .operation("m", "reuse", &bash_op("reuse", 30, reuse))
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "{secret} appears in {what}:\n{text}"
        );
    }
}

#[test]
fn secrets_appear_nowhere() {
    let deploy = deployment();
    let run = deploy
        .cmd(&["run", "m"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_clean("the run's stdout", &run.stdout);
    assert_clean("the run's stderr", &run.stderr);
    // The operations did see and print the values: they were masked, not missing.
    assert_eq!(deploy.read("token-length"), "9\n");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("[leak] using ***"), "{stdout}");
    assert!(stdout.contains("rejected *** for ***"), "{stdout}");

    for args in [
        &["status"][..],
        &["status", "--json"][..],
        &["logs", "leak"][..],
        &["logs", "reuse"][..],
    ] {
        let output = deploy.cmd(args).assert().success().get_output().clone();
        assert_clean(&format!("`{}`", args.join(" ")), &output.stdout);
    }
    let mut scanned = 0;
    for path in deploy.files() {
        let relative = path.strip_prefix(deploy.path()).expect("inside");
        if relative.starts_with("artifacts") || relative.starts_with(".avdeploy") {
            assert_clean(
                &relative.display().to_string(),
                &std::fs::read(&path).expect("read"),
            );
            scanned += 1;
        }
    }
    assert!(scanned >= 6, "only {scanned} files scanned");
    let log = deploy
        .cmd(&["logs", "leak"])
        .assert()
        .success()
        .get_output()
        .clone();
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(log.contains("pw=***") && log.contains("cfg=***"), "{log}");
}

#[test]
fn json_escaped_secrets_and_the_output_file_are_masked() {
    let secret = r#"Pa"ss\word/1"#;
    let escaped = r#"Pa\"ss\\word/1"#;
    let body = "e=${APP_ADMIN_PASSWORD//\\\\/\\\\\\\\}\ne=${e//\\\"/\\\\\\\"}\necho \"{\\\"password\\\": \\\"$e\\\"}\"\necho \"{\\\"password\\\": \\\"$e\\\", \\\"raw\\\": \\\"$APP_ADMIN_PASSWORD\\\"}\" > \"$AVD_OUTPUT_FILE\"\necho \"$e\" > escaped-seen";
    let deploy = Deploy::new()
        .config("app:\n  admin_password: \"placeholder\"\n")
        .env("APP_ADMIN_PASSWORD", secret)
        .module("m", &module_yaml("m", &[("json", None)]))
        .operation("m", "json", &bash_op("json", 30, body));
    let run = deploy
        .cmd(&["run", "m"])
        .assert()
        .success()
        .get_output()
        .clone();
    // The operation did write the escaped form: it was masked, not missing.
    assert_eq!(deploy.read("escaped-seen").trim_end(), escaped);
    let output_file = deploy.read("artifacts/outputs/json.json");
    assert_eq!(
        output_file.trim_end(),
        r#"{"password": "***", "raw": "***"}"#
    );
    let mut scanned = 0;
    for path in deploy.files() {
        let relative = path.strip_prefix(deploy.path()).expect("inside");
        if relative.starts_with("artifacts") || relative.starts_with(".avdeploy") {
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
            for form in [secret, escaped] {
                assert!(
                    !text.contains(form),
                    "{form} in {}:\n{text}",
                    relative.display()
                );
            }
            scanned += 1;
        }
    }
    assert!(scanned >= 3, "only {scanned} files scanned");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(!stdout.contains(escaped), "{stdout}");
}

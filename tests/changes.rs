//! Runs that follow changes: an operation completed before runs again exactly when what it would
//! run differs from its last completed attempt (a variable it reads, its script, a file it
//! sends, an output it reads), and says why on the console, in the event log and in `status`.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

const CONFIG: &str = "app:\n  name: \"demo\"\n  location: \"westeurope\"\n  admin_password: \"\"\n";

/// `a` reads APP_NAME and publishes A_OUT; `b` pastes APP_LOCATION into its script and reads
/// the secret APP_ADMIN_PASSWORD; `c` reads A_OUT and sends `params.json`.
fn deployment() -> Deploy {
    Deploy::new()
        .config(CONFIG)
        .module(
            "m",
            &module_yaml("m", &[("a", None), ("b", None), ("c", None)]),
        )
        .operation(
            "m",
            "a",
            &bash_op(
                "a",
                30,
                "echo a >> ran\necho \"[OUTPUT] A_OUT=$APP_NAME-out\"",
            ),
        )
        .operation(
            "m",
            "b",
            &bash_op(
                "b",
                30,
                "echo \"b {{APP_LOCATION}}\" >> ran\ntest -n \"$APP_ADMIN_PASSWORD\"",
            ),
        )
        .operation(
            "m",
            "c",
            &bash_op(
                "c",
                30,
                "echo \"c $A_OUT\" >> ran\ncat params.json > /dev/null",
            ),
        )
        .file("params.json", "{\"size\": 1}\n")
        .env("APP_ADMIN_PASSWORD", "s3cret-Value-42")
}

fn ran(deploy: &Deploy) -> Vec<String> {
    deploy.read("ran").lines().map(str::to_owned).collect()
}

fn run(deploy: &Deploy) -> String {
    std::fs::remove_file(deploy.path().join("ran")).ok();
    let output = deploy
        .cmd(&["run", "m"])
        .assert()
        .success()
        .get_output()
        .clone();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn only_operations_whose_inputs_changed_run_again_and_say_why() {
    let deploy = deployment();
    run(&deploy);
    assert_eq!(ran(&deploy), ["a", "b westeurope", "c demo-out"]);

    let stdout = run(&deploy);
    assert!(ran(&deploy).is_empty(), "nothing changed: {stdout}");

    std::fs::write(
        deploy.path().join("config.yaml"),
        CONFIG.replace("westeurope", "northeurope"),
    )
    .expect("write config");
    let stdout = run(&deploy);
    assert_eq!(ran(&deploy), ["b northeurope"]);
    assert!(
        stdout.contains("[*] b changed: APP_LOCATION, script"),
        "{stdout}"
    );

    // A changed output makes its readers change too.
    std::fs::write(
        deploy.path().join("config.yaml"),
        CONFIG
            .replace("westeurope", "northeurope")
            .replace("demo", "prod"),
    )
    .expect("write config");
    let stdout = run(&deploy);
    assert_eq!(ran(&deploy), ["a", "c prod-out"]);
    assert!(stdout.contains("[*] a changed: APP_NAME\n"), "{stdout}");
    assert!(stdout.contains("[*] c changed: A_OUT\n"), "{stdout}");

    // A file the script sends.
    std::fs::write(deploy.path().join("params.json"), "{\"size\": 2}\n").expect("write");
    let stdout = run(&deploy);
    assert_eq!(ran(&deploy), ["c prod-out"]);
    assert!(
        stdout.contains("[*] c changed: file params.json"),
        "{stdout}"
    );

    // A secret read from the environment.
    let deploy = deploy.env("APP_ADMIN_PASSWORD", "an0ther-Value-43");
    let stdout = run(&deploy);
    assert_eq!(ran(&deploy), ["b northeurope"]);
    assert!(
        stdout.contains("[*] b changed: APP_ADMIN_PASSWORD"),
        "{stdout}"
    );

    let events: String = deploy
        .files()
        .iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .map(|path| std::fs::read_to_string(path).expect("read"))
        .collect();
    let changed: Vec<serde_json::Value> = events
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("json"))
        .filter(|record| record["details"].get("changed").is_some())
        .collect();
    assert!(
        changed.iter().any(|record| record["operation"] == "c"
            && record["details"]["changed"] == serde_json::json!(["A_OUT"])
            && record["details"]["reason"] == "changed: A_OUT"),
        "{changed:?}"
    );
}

#[test]
fn force_runs_everything_and_status_says_why_an_operation_ran() {
    let deploy = deployment();
    run(&deploy);
    std::fs::write(
        deploy.path().join("config.yaml"),
        CONFIG.replace("westeurope", "northeurope"),
    )
    .expect("write config");
    run(&deploy);
    deploy
        .cmd(&["status"])
        .assert()
        .success()
        .stdout(contains("changed: APP_LOCATION, script"));
    let status = deploy.json(&["status", "--json"]);
    let b = status["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .find(|op| op["operation"] == "b")
        .expect("b")
        .clone();
    assert_eq!(b["changed"], serde_json::json!(["APP_LOCATION", "script"]));

    deploy
        .cmd(&["run", "m", "--force"])
        .assert()
        .success()
        .stdout(contains("[*] Started a").and(contains("[*] Started c")));
}

#[test]
fn secrets_never_reach_state_or_artifacts_in_clear_or_as_a_plain_hash() {
    use sha2::Digest;
    let deploy = deployment();
    run(&deploy);
    let secret = "s3cret-Value-42";
    let plain_hash: String = sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let db = rusqlite::Connection::open(deploy.path().join(".avdeploy/state.db")).expect("db");
    let prints: Vec<String> = db
        .prepare("SELECT fingerprint FROM attempts WHERE fingerprint IS NOT NULL")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(prints.len(), 3);
    assert!(prints.iter().any(|p| p.contains("APP_ADMIN_PASSWORD")));
    for path in deploy.files() {
        let relative = path.strip_prefix(deploy.path()).expect("inside");
        if !(relative.starts_with(".avdeploy") || relative.starts_with("artifacts")) {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(secret),
            "{} holds the secret",
            path.display()
        );
        assert!(
            !text.contains(&plain_hash),
            "{} holds the secret's SHA-256",
            path.display()
        );
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(deploy.path().join(".avdeploy/fingerprint.key"))
            .expect("key")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn operations_completed_under_schema_4_count_as_up_to_date_until_their_inputs_change() {
    let deploy = deployment();
    run(&deploy);
    {
        // What an avdeploy of schema version 4 left: attempts without fingerprints.
        let db = rusqlite::Connection::open(deploy.path().join(".avdeploy/state.db")).expect("db");
        db.execute_batch(
            "ALTER TABLE attempts DROP COLUMN fingerprint;
             ALTER TABLE attempts DROP COLUMN changed;
             PRAGMA user_version = 4;",
        )
        .expect("downgrade");
    }
    std::fs::remove_file(deploy.path().join(".avdeploy/fingerprint.key")).expect("key");
    deploy
        .cmd(&["status"])
        .assert()
        .success()
        .stdout(contains("a  completed"));

    let stdout = run(&deploy);
    assert!(ran(&deploy).is_empty(), "{stdout}");
    let db = rusqlite::Connection::open(deploy.path().join(".avdeploy/state.db")).expect("db");
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("version");
    assert_eq!(version, 5);
    let adopted: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM attempts WHERE fingerprint IS NOT NULL",
            [],
            |row| row.get(0),
        )
        .expect("count");
    assert_eq!(adopted, 3);

    std::fs::write(
        deploy.path().join("config.yaml"),
        CONFIG.replace("westeurope", "northeurope"),
    )
    .expect("write config");
    let stdout = run(&deploy);
    assert_eq!(ran(&deploy), ["b northeurope"], "{stdout}");
}

//! The JSONL event log holds the whole run: replayed into an empty state database, it gives
//! `status` and `report` exactly what the state the run wrote gives them.

#[path = "common/deploy.rs"]
mod deploy;

use std::path::{Path, PathBuf};

use avdeploy::base::layout::Layout;
use avdeploy::report::replay::{read_log, replay, run_records};
use avdeploy::state::lock_file::DeploymentLock;
use avdeploy::state::{Recorder, StateDb};
use deploy::{Deploy, bash_op, module_yaml};

/// A run with an output, a retry after a failure, a failure and an operation it skips.
fn deployment() -> Deploy {
    let flaky = format!(
        "{}  retry: {{ max_attempts: 2, backoff: 0 }}\n",
        bash_op(
            "flaky",
            30,
            "if [ -f flaky-ran ]; then exit 0; fi\ntouch flaky-ran\necho 'ERROR: not yet' >&2\nexit 1"
        )
    );
    Deploy::new()
        .config("azure:\n  resource_group: \"rg-replay\"\n")
        .module(
            "m",
            &module_yaml(
                "m",
                &[
                    ("publish", None),
                    ("flaky", None),
                    ("broken", None),
                    ("after", None),
                ],
            ),
        )
        .operation(
            "m",
            "01-publish",
            &bash_op(
                "publish",
                30,
                "echo '[PROGRESS] half'\necho '[OUTPUT] VNET_ID=/v/1'",
            ),
        )
        .operation("m", "02-flaky", &flaky)
        .operation(
            "m",
            "03-broken",
            &bash_op("broken", 30, "echo 'ERROR: (Quota) no more' >&2\nexit 1"),
        )
        .operation("m", "04-after", &bash_op("after", 30, "true"))
}

fn event_log(root: &Path) -> PathBuf {
    std::fs::read_dir(root.join("artifacts/logs"))
        .expect("logs folder")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .expect("an event log")
}

#[test]
fn replaying_the_event_log_gives_status_and_report_what_the_state_gives_them() {
    let live = deployment();
    live.cmd(&["run", "m"]).assert().code(1);
    let log = event_log(live.path());
    let records = read_log(&log).expect("the log reads back");
    let run_id = live.json(&["status", "--json"])["run"]["id"]
        .as_str()
        .expect("run id")
        .to_owned();

    let rebuilt = deployment();
    let logs = rebuilt.path().join("artifacts/logs");
    std::fs::create_dir_all(&logs).expect("logs folder");
    std::fs::copy(&log, logs.join(log.file_name().expect("name"))).expect("copy log");
    let layout = Layout::new(rebuilt.path(), Path::new("config.yaml")).expect("layout");
    {
        let lock = DeploymentLock::acquire(&layout.state_dir()).expect("lock");
        let mut recorder = Recorder::new(StateDb::open(&layout, &lock).expect("state"));
        replay(run_records(&records, &run_id), &mut recorder).expect("replay");
    }

    let live_status = live.json(&["status", "--json"]);
    assert_eq!(live_status["run"]["state"], "failed", "{live_status}");
    let operation = |id: &str| {
        live_status["operations"]
            .as_array()
            .expect("operations")
            .iter()
            .find(|op| op["operation"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id} in {live_status}"))
    };
    assert_eq!(
        (
            &operation("flaky")["status"],
            &operation("flaky")["attempts"]
        ),
        (&"completed".into(), &2.into())
    );
    assert_eq!(operation("broken")["status"], "failed");
    assert_eq!(rebuilt.json(&["status", "--json"]), live_status);
    let text = |deploy: &Deploy| {
        let out = deploy.cmd(&["status"]).output().expect("status");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    assert_eq!(text(&rebuilt), text(&live));
    assert!(text(&live).contains("flaky"), "{}", text(&live));

    let page = |deploy: &Deploy| {
        let path = deploy.path().join("run.html");
        deploy
            .cmd(&["report", &run_id, "-o", &path.to_string_lossy()])
            .assert()
            .success();
        std::fs::read_to_string(path).expect("page")
    };
    assert_eq!(page(&rebuilt), page(&live));
}

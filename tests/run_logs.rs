//! Logs: one file per attempt (`artifacts/logs/<op>_<YYYYmmdd-HHMMSS>.log`) with every output
//! line timestamped, and the daily JSONL event log with one JSON object per event, none dropped.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{Deploy, bash_op, module_yaml};

/// How many `[PROGRESS]` lines the chatty operation prints.
const PROGRESS_LINES: usize = 500;

fn deployment() -> Deploy {
    let chatty = format!(
        "for i in $(seq {PROGRESS_LINES}); do echo \"[PROGRESS] step $i\"; done\necho 'to stderr' >&2"
    );
    Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module(
            "m",
            &module_yaml("m", &[("chatty", Some(1)), ("quiet", Some(1))]),
        )
        .operation("m", "chatty", &bash_op("chatty", 30, &chatty))
        .operation("m", "quiet", &bash_op("quiet", 30, "echo hello"))
}

fn is_rfc3339(stamp: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(stamp).is_ok()
}

#[test]
fn every_attempt_has_a_timestamped_log() {
    let deploy = deployment();
    deploy.cmd(&["run", "m"]).assert().success();
    let logs_dir = deploy.path().join("artifacts/logs");
    let mut names: Vec<String> = std::fs::read_dir(&logs_dir)
        .expect("logs folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    let named = |prefix: &str| {
        names
            .iter()
            .find(|n| n.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}* in {names:?}"))
            .clone()
    };
    for op in ["chatty", "quiet"] {
        let name = named(&format!("{op}_"));
        let stamp = name[op.len() + 1..]
            .strip_suffix(".log")
            .unwrap_or_default();
        assert!(
            chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S").is_ok(),
            "{name}"
        );
    }
    let events = named("deployment_");
    let day = events["deployment_".len()..]
        .strip_suffix(".jsonl")
        .unwrap_or_default();
    assert!(
        chrono::NaiveDate::parse_from_str(day, "%Y%m%d").is_ok(),
        "{events}"
    );

    let chatty = std::fs::read_to_string(logs_dir.join(named("chatty_"))).expect("log");
    for line in chatty.lines() {
        let stamp = line.split(' ').next().unwrap_or_default();
        assert!(is_rfc3339(stamp), "untimestamped line: {line}");
    }
    let progress = chatty
        .lines()
        .filter(|l| l.contains("[stdout] [PROGRESS] step "))
        .count();
    assert_eq!(progress, PROGRESS_LINES);
    assert!(chatty.contains("[stderr] to stderr"));

    let shown = deploy
        .cmd(&["logs", "quiet"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&shown.stdout).contains("[stdout] hello"));
}

#[test]
fn every_event_is_one_parseable_json_line() {
    let deploy = deployment();
    deploy.cmd(&["run", "m"]).assert().success();
    let logs_dir = deploy.path().join("artifacts/logs");
    let jsonl = std::fs::read_dir(&logs_dir)
        .expect("logs folder")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .expect("event log");
    let text = std::fs::read_to_string(jsonl).expect("event log");
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    for record in &records {
        for field in [
            "format_version",
            "timestamp",
            "level",
            "run_id",
            "event",
            "message",
        ] {
            assert!(!record[field].is_null(), "{field} missing in {record}");
        }
        assert!(is_rfc3339(record["timestamp"].as_str().unwrap_or_default()));
    }
    let events = |name: &str| records.iter().filter(|r| r["event"] == name).count();
    assert_eq!(events("run_started"), 1);
    assert_eq!(events("operation_started"), 2);
    assert_eq!(events("operation_finished"), 2);
    assert_eq!(events("run_finished"), 1);
    let progress = records
        .iter()
        .filter(|r| {
            r["operation"] == "chatty" && r["message"].as_str().is_some_and(|m| m.contains("step "))
        })
        .count();
    assert_eq!(progress, PROGRESS_LINES, "progress records were dropped");
}

#[test]
fn logs_of_an_operation_leave_out_those_of_an_operation_whose_id_extends_it() {
    let deploy = Deploy::new()
        .config("app:\n  name: \"demo\"\n")
        .module("m", &module_yaml("m", &[("net", None), ("net_2", None)]))
        .operation("m", "net", &bash_op("net", 30, "echo 'net itself'"))
        .operation("m", "net_2", &bash_op("net_2", 30, "echo 'the other one'"));
    deploy.cmd(&["run", "m"]).assert().success();
    let listed = deploy
        .cmd(&["logs", "net", "--all"])
        .output()
        .expect("logs");
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(!listed.contains("net_2_"), "{listed}");
    let latest = deploy.cmd(&["logs", "net"]).output().expect("logs");
    let latest = String::from_utf8_lossy(&latest.stdout).into_owned();
    assert!(
        latest.contains("net itself") && !latest.contains("the other one"),
        "{latest}"
    );
}

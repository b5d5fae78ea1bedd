//! Test helper on top of `deploy.rs`: run a deployment against the simulator and read what the
//! run left behind (console, JSONL events, attempt logs).

#![allow(dead_code, reason = "each test file uses part of the helper")]

use crate::deploy::Deploy;

/// `avdeploy run all --simulate`: the exit code and the console output.
pub(crate) fn run_all(deploy: &Deploy) -> (Option<i32>, String) {
    let out = deploy
        .cmd(&["run", "all", "--simulate"])
        .output()
        .expect("run avdeploy");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The text of the run's JSONL event log.
pub(crate) fn jsonl_text(deploy: &Deploy) -> String {
    let path = deploy
        .files()
        .into_iter()
        .find(|p| {
            p.extension().is_some_and(|e| e == "jsonl")
                && p.to_string_lossy().contains("deployment_")
        })
        .expect("the JSONL event log");
    std::fs::read_to_string(path).expect("read the JSONL event log")
}

/// The records of the run's JSONL event log.
pub(crate) fn jsonl(deploy: &Deploy) -> Vec<serde_json::Value> {
    jsonl_text(deploy)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSONL record"))
        .collect()
}

/// The attempt log files of `op`.
pub(crate) fn logs_of(deploy: &Deploy, op: &str) -> Vec<std::path::PathBuf> {
    deploy
        .files()
        .into_iter()
        .filter(|p| {
            p.parent().is_some_and(|d| d.ends_with("artifacts/logs"))
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{op}_")) && n.ends_with(".log"))
        })
        .collect()
}

//! The real Azure CLI for the tests of `--simulate=azure-cli`: `AVDEPLOY_AZ`, or the one
//! scripts/test-setup.sh installs in target/azure-cli-venv. A test that needs it fails loudly
//! when it is missing: it never passes without having run.

#![allow(dead_code, reason = "each test file uses part of the helper")]

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::deploy::Deploy;

/// The `az` the tests run.
pub(crate) fn az() -> PathBuf {
    if let Some(named) = std::env::var_os("AVDEPLOY_AZ").filter(|v| !v.is_empty()) {
        return PathBuf::from(named);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/azure-cli-venv/bin/az");
    assert!(
        venv.is_file(),
        "the real Azure CLI is not installed: run `bash scripts/test-setup.sh` (it installs \
         azure-cli into target/azure-cli-venv), or set AVDEPLOY_AZ to an az executable; \
         looked for {}",
        venv.display()
    );
    venv
}

/// `deploy` set up to run against the local Azure with the real `az`: fast Azure time,
/// the shim's az kept off the PATH.
pub(crate) fn with_az(deploy: Deploy) -> Deploy {
    deploy
        .env("AVDEPLOY_AZ", &az().to_string_lossy())
        .env("AVDEPLOY_SIM_TIME_SCALE", "0.001")
}

/// How long a run of a few modules may take before the test stops it and fails.
pub(crate) const RUN_LIMIT: Duration = Duration::from_secs(600);

/// `avdeploy run <args> --simulate=azure-cli`: the exit code and console output (both streams).
/// Fails the test, with the output so far, when the run is not over within [`RUN_LIMIT`].
pub(crate) fn run(deploy: &Deploy, args: &[&str]) -> (Option<i32>, String) {
    run_within(deploy, args, RUN_LIMIT)
}

/// [`run`] stopped after `limit`: interrupted as Ctrl-C would (the engine stops its operations
/// and their `az` processes), killed if still there 30 s later, and the test failed.
pub(crate) fn run_within(deploy: &Deploy, args: &[&str], limit: Duration) -> (Option<i32>, String) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.push("--simulate=azure-cli");
    // Files rather than pipes: an `az` left behind by a killed run cannot hold the test up.
    let console = tempfile::tempfile().expect("a console file");
    let mut child = deploy
        .std_cmd(&all)
        .stdin(Stdio::null())
        .stdout(console.try_clone().expect("console file"))
        .stderr(console.try_clone().expect("console file"))
        .spawn()
        .expect("run avdeploy");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for avdeploy") {
            break Some(status);
        }
        if started.elapsed() > limit {
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let Some(status) = status else {
        let pid = libc::pid_t::try_from(child.id()).expect("a pid");
        // SAFETY: signals the child this test started and still owns (not yet reaped).
        unsafe { libc::kill(pid, libc::SIGINT) };
        let grace = Instant::now();
        while child.try_wait().expect("wait").is_none() && grace.elapsed().as_secs() < 30 {
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "avdeploy {} did not end within {}s; its console so far:\n{}",
            all.join(" "),
            limit.as_secs(),
            console_text(console)
        );
    };
    (status.code(), console_text(console))
}

/// Everything written to the console file.
fn console_text(mut console: std::fs::File) -> String {
    let mut text = String::new();
    console
        .seek(SeekFrom::Start(0))
        .expect("rewind the console file");
    let mut bytes = Vec::new();
    console
        .read_to_end(&mut bytes)
        .expect("read the console file");
    text.push_str(&String::from_utf8_lossy(&bytes));
    text
}

/// The requests the local Azure logged: (method, path) of each.
pub(crate) fn requests(deploy: &Deploy) -> Vec<(String, String)> {
    deploy
        .read(".avdeploy/sim/requests.jsonl")
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON request record"))
        .map(|r| {
            (
                r["method"].as_str().unwrap_or_default().to_owned(),
                r["path"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The ids of everything the local Azure holds (`sim show --backend azure-cli --json`).
pub(crate) fn stored_ids(deploy: &Deploy) -> std::collections::BTreeSet<String> {
    let shown = deploy.json(&["sim", "show", "--backend", "azure-cli", "--json"]);
    shown
        .as_object()
        .into_iter()
        .flat_map(|by_type| by_type.values())
        .flat_map(|items| items.as_array().cloned().unwrap_or_default())
        .filter_map(|item| item["id"].as_str().map(str::to_ascii_lowercase))
        .collect()
}

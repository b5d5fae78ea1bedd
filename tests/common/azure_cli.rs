//! The real Azure CLI for the tests of `--simulate=azure-cli`: `AVDEPLOY_AZ`, or the one
//! scripts/test-setup.sh installs in target/azure-cli-venv. A test that needs it fails loudly
//! when it is missing: it never passes without having run.

#![allow(dead_code, reason = "each test file uses part of the helper")]

use std::path::PathBuf;

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

/// `avdeploy run <args> --simulate=azure-cli`: the exit code and console output (both streams).
pub(crate) fn run(deploy: &Deploy, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.push("--simulate=azure-cli");
    let out = deploy.cmd(&all).output().expect("run avdeploy");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
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

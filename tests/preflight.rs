//! The preflight of a real run, against a fake `az` put first on PATH that records every call
//! with the `AZURE_CONFIG_DIR` it saw, and answers `account show` and `account set` as the
//! test's variables say: no login, another tenant, an unknown subscription, the pinned
//! subscription selected in the run's own folder while the user's folder stays as it was.

#[path = "common/deploy.rs"]
mod deploy;

use std::collections::BTreeMap;
use std::path::Path;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::str::contains;

/// The fake `az`. A call other than `account` notes the subscription its folder selects and
/// the files in that folder.
const FAKE_AZ: &str = r#"#!/usr/bin/env bash
echo "${AZURE_CONFIG_DIR:-} | $*" >> "$FAKE_AZ_CALLS"
case "$1 $2" in
  "account show")
    if [ -n "${FAKE_AZ_LOGGED_OUT:-}" ]; then
      echo "ERROR: Please run 'az login' to setup account." >&2
      exit 1
    fi
    sub=$(cat "$AZURE_CONFIG_DIR/selected" 2>/dev/null || echo "$FAKE_AZ_DEFAULT")
    printf '{"id":"%s","name":"Sub %s","tenantId":"%s","user":{"name":"ana@contoso.com","type":"user"}}\n' \
      "$sub" "$sub" "$FAKE_AZ_TENANT" ;;
  "account set")
    if [ "$4" != "$FAKE_AZ_KNOWN" ]; then
      echo "ERROR: The subscription of '$4' doesn't exist in cloud 'AzureCloud'." >&2
      exit 1
    fi
    echo "$4" > "$AZURE_CONFIG_DIR/selected" ;;
  *)
    echo "sees $(cat "$AZURE_CONFIG_DIR/selected" 2>/dev/null || echo default) in $(ls "$AZURE_CONFIG_DIR" | tr '\n' ' ')" >> "$FAKE_AZ_CALLS" ;;
esac
"#;

/// The user's CLI folder: a login, settings, and files of the CLI's own.
const USER_FILES: [(&str, &str); 6] = [
    (
        "azureProfile.json",
        "{\"subscriptions\": [\"sub-default\", \"sub-prod\"]}",
    ),
    ("msal_token_cache.json", "{\"AccessToken\": {}}"),
    ("config", "[core]\noutput = table\n"),
    (
        "clouds.config",
        "[AzureCloud]\nsubscription = sub-default\n",
    ),
    ("commandIndex.json", "{}"),
    ("telemetry.txt", "x"),
];

struct Setup {
    deploy: Deploy,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    user_dir: std::path::PathBuf,
    calls: std::path::PathBuf,
}

/// A deployment pinned to `sub-prod` in `tenant-1`, whose one operation calls `az`; the fake
/// `az` knows `sub-prod`, selects `sub-default` and signs in to `tenant-1`.
fn setup() -> Setup {
    use std::os::unix::fs::PermissionsExt;
    let (bin, user) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let az = bin.path().join("az");
    std::fs::write(&az, FAKE_AZ).unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let user_dir = user.path().join(".azure");
    std::fs::create_dir(&user_dir).unwrap();
    for (name, text) in USER_FILES {
        std::fs::write(user_dir.join(name), text).unwrap();
    }
    let calls = user.path().join("calls");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let deploy = Deploy::new()
        .config(
            "azure:\n  subscription_id: \"sub-prod\"\n  tenant_id: \"tenant-1\"\n  resource_group: \"rg\"\n",
        )
        .module("m", &module_yaml("m", &[("rg", None)]))
        .operation(
            "m",
            "rg",
            &bash_op(
                "rg",
                30,
                "az group create -n \"$AZURE_RESOURCE_GROUP\" -o none\necho rg >> ran",
            ),
        )
        .env("PATH", &path)
        .env("AZURE_CONFIG_DIR", &user_dir.display().to_string())
        .env("FAKE_AZ_CALLS", &calls.display().to_string())
        .env("FAKE_AZ_DEFAULT", "sub-default")
        .env("FAKE_AZ_KNOWN", "sub-prod")
        .env("FAKE_AZ_TENANT", "tenant-1");
    Setup {
        deploy,
        _dirs: (bin, user),
        user_dir,
        calls,
    }
}

fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(entry.path()).unwrap())
        })
        .collect()
}

/// What was left in the state folder: nothing ran, no run folder of the CLI stayed behind.
fn assert_nothing_started(deploy: &Deploy) {
    assert!(!deploy.path().join("ran").exists(), "an operation ran");
    let state = deploy.path().join(".avdeploy");
    let left: Vec<String> = std::fs::read_dir(&state)
        .into_iter()
        .flatten()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "left in .avdeploy: {left:?}");
}

#[test]
fn not_logged_in_stops_before_anything_starts() {
    let setup = setup();
    let deploy = setup.deploy.env("FAKE_AZ_LOGGED_OUT", "1");
    deploy
        .cmd(&["run", "all", "--yes"])
        .assert()
        .code(2)
        .stderr(contains("not logged in to Azure: run `az login`"));
    assert_nothing_started(&deploy);
}

#[test]
fn a_subscription_of_another_tenant_or_unknown_is_refused() {
    let setup = setup();
    let deploy = setup.deploy.env("FAKE_AZ_TENANT", "tenant-2");
    deploy
        .cmd(&["run", "all", "--yes"])
        .assert()
        .code(2)
        .stderr(contains(
            "azure.tenant_id is `tenant-1` but subscription `sub-prod` belongs to tenant `tenant-2`",
        ));
    assert_nothing_started(&deploy);
    let deploy = deploy
        .env("FAKE_AZ_TENANT", "tenant-1")
        .env("FAKE_AZ_KNOWN", "sub-other");
    deploy
        .cmd(&["run", "all", "--yes"])
        .assert()
        .code(2)
        .stderr(contains(
            "subscription `sub-prod` (azure.subscription_id) is not available",
        ));
    assert_nothing_started(&deploy);
}

#[test]
fn no_az_is_invalid_input() {
    let setup = setup();
    let deploy = setup.deploy.env("AVDEPLOY_AZ", "/nonexistent/az");
    deploy
        .cmd(&["run", "all", "--yes"])
        .assert()
        .code(2)
        .stderr(contains(
            "no Azure CLI found: a real run (without --simulate) needs `az`",
        ));
    assert_nothing_started(&deploy);
}

#[test]
fn a_pinned_subscription_is_selected_in_the_runs_own_folder_only() {
    let setup = setup();
    let before = contents(&setup.user_dir);
    let out = setup
        .deploy
        .cmd(&["run", "all", "--yes"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{out:?}");
    assert!(
        stdout.contains(
            "about to run 1 operation in subscription Sub sub-prod (sub-prod) as ana@contoso.com"
        ),
        "{stdout}"
    );
    assert_eq!(setup.deploy.read("ran"), "rg\n");
    let calls = std::fs::read_to_string(&setup.calls).unwrap();
    let user_dir = setup.user_dir.display().to_string();
    let lines: Vec<&str> = calls.lines().collect();
    // The login is proven in the user's folder; everything after in the run's.
    assert_eq!(
        lines[0],
        format!("{user_dir} | account show -o json"),
        "{calls}"
    );
    let run_dir = lines[1]
        .strip_suffix(" | account set --subscription sub-prod")
        .unwrap_or_else(|| panic!("{calls}"));
    let state = setup.deploy.path().join(".avdeploy").display().to_string();
    assert!(
        run_dir.starts_with(&format!("{state}/azure-cli-")),
        "{calls}"
    );
    assert_eq!(
        lines[2],
        format!("{run_dir} | account show -o json"),
        "{calls}"
    );
    assert_eq!(
        lines[3],
        format!("{run_dir} | group create -n rg -o none"),
        "{calls}"
    );
    assert_eq!(
        lines[4],
        "sees sub-prod in azureProfile.json clouds.config config msal_token_cache.json selected ",
        "{calls}"
    );
    assert_eq!(
        contents(&setup.user_dir),
        before,
        "the user's folder changed"
    );
    assert!(
        !Path::new(run_dir).exists(),
        "the run's folder is left behind"
    );
}

#[test]
fn without_a_terminal_only_yes_proceeds() {
    let setup = setup();
    setup
        .deploy
        .cmd(&["run", "all"])
        .assert()
        .code(2)
        .stdout(contains(
            "about to run 1 operation in subscription Sub sub-prod",
        ))
        .stderr(contains("pass --yes to run without asking"));
    assert_nothing_started(&setup.deploy);
    let deploy = setup.deploy.env("AVDEPLOY_YES", "1");
    deploy.cmd(&["run", "all"]).assert().success();
    assert_eq!(deploy.read("ran"), "rg\n");
}

//! `avdeploy migrate` on a folder written for the bash engine (tests/fixtures/bash-engine):
//! aliases, shell mode, secrets out of bash, module order, findings; then `validate` reports
//! only what migrate listed, and the folder runs under the simulator as the bash engine ran it.

#[path = "common/deploy.rs"]
mod deploy;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use deploy::Deploy;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bash-engine");
const PASSWORD: &str = "Env-Only-Pa55word!";

/// A `yq` that answers `yq e '.a.b' FILE` with the value of key `b` in FILE, as the scripts
/// of the bash engine call it.
const FAKE_YQ: &str = "#!/bin/sh\n[ \"$1\" = \"e\" ] || exit 2\nkey=${2##*.}\nsed -n \"s/^ *$key: *\\\"\\{0,1\\}\\([^\\\"#]*\\)\\\"\\{0,1\\}.*/\\1/p\" \"$3\" | head -n 1 | sed 's/ *$//'\n";

fn fixture() -> Deploy {
    let mut files = Vec::new();
    collect(Path::new(FIXTURE), &mut files);
    files.into_iter().fold(Deploy::new(), |deploy, path| {
        let relative = path.strip_prefix(FIXTURE).expect("inside the fixture");
        let text = std::fs::read_to_string(&path).expect("fixture file");
        deploy.file(&relative.to_string_lossy(), &text)
    })
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("fixture folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Every file of the folder and its bytes.
fn snapshot(deploy: &Deploy) -> BTreeMap<PathBuf, Vec<u8>> {
    deploy
        .files()
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read");
            (path, bytes)
        })
        .collect()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn migrate(deploy: &Deploy) -> String {
    let output = deploy.cmd(&["migrate"]).output().expect("migrate");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

#[test]
fn a_migrated_folder_validates_but_for_its_findings_and_runs_as_before() {
    let deploy = fixture();
    let before = snapshot(&deploy);
    let out = migrate(&deploy);
    for expected in [
        "config.yaml:33: variables: ENTRA_GROUP_USERS_STANDARD = {{ENTRA_ID_GROUP_USERS_STANDARD}} (from entra_id.group_users_standard)",
        "variables: NETWORKING_SESSION_HOST_SUBNET_NAME = {{NETWORKING_SUBNETS_0_NAME}} (from networking.subnets[0].name)",
        "variables: AUTOSCALING_MIN_VMS = {{AUTOSCALING_CAPACITY_MIN_VMS}} (from autoscaling.capacity.min_vms)",
        "variables: ENTRA_GROUP_USERS_STANDARD_DESCRIPTION = {{ENTRA_ID_GROUP_USERS_STANDARD_DESCRIPTION}}",
        "modules/00-resource-group/module.yaml:2: shell: plain (`resource-group-create` set no errexit themselves)",
        "modules/01-networking/module.yaml:2: dependencies: [\"00-resource-group\"] (the bash engine's module order)",
        "modules/02-entra-groups/module.yaml:4: dependencies: [\"01-networking\"]",
        "modules/04-storage/module.yaml:2: shell: plain (`storage-create-share` set no errexit themselves)",
        "modules/03-golden-image/operations/01-create-vm.yaml:14: {{GOLDEN_IMAGE_ADMIN_PASSWORD}} -> $GOLDEN_IMAGE_ADMIN_PASSWORD",
        "modules/01-networking/operations/99-legacy-check.yaml:2:7: operation `networking-legacy-check` is in no module's list",
        "modules/03-golden-image/operations/01-create-vm.yaml:7:7: `golden-image-create-vm` requires `networking-legacy-check`, which no module lists",
        "pass a value through `/tmp/avd_legacy_vnet_id.txt`",
        "echo \"[OUTPUT] AVD_LEGACY_VNET_ID=$value\"",
        "reads `.networking.vnet_name` from config.yaml with yq",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    // Entra groups set errexit themselves: that module stays strict.
    assert!(
        !out.contains("02-entra-groups/module.yaml:2: shell"),
        "{out}"
    );
    assert!(
        !deploy
            .read("modules/02-entra-groups/module.yaml")
            .contains("shell:")
    );

    // The user's comments and layout stay; the backup holds the files as they were.
    let config = deploy.read("config.yaml");
    assert!(
        config.contains("  vnet_name: \"vnet-avd-legacy\"   # hub peering comes later\n"),
        "{config}"
    );
    assert!(config.contains("\nvariables:\n  AUTOSCALING_MIN_VMS: \"{{AUTOSCALING_CAPACITY_MIN_VMS}}\"   # autoscaling.capacity.min_vms\n"), "{config}");
    let vm = deploy.read("modules/03-golden-image/operations/01-create-vm.yaml");
    assert!(
        vm.contains("--admin-password \"$GOLDEN_IMAGE_ADMIN_PASSWORD\" \\\n"),
        "{vm}"
    );
    let backups: Vec<_> = std::fs::read_dir(deploy.path().join(".avdeploy/migrate-backup"))
        .expect("a backup folder")
        .flatten()
        .collect();
    assert_eq!(backups.len(), 1);
    for (path, bytes) in &before {
        let relative = path.strip_prefix(deploy.path()).expect("inside");
        let backup = backups[0].path().join(relative);
        if backup.exists() {
            assert_eq!(
                &std::fs::read(&backup).expect("backup"),
                bytes,
                "{}",
                relative.display()
            );
        }
    }
    assert_eq!(
        std::fs::read_to_string(backups[0].path().join("config.yaml")).expect("config backup"),
        String::from_utf8_lossy(&before[&deploy.path().join("config.yaml")])
    );

    // validate reports exactly the requirement migrate listed.
    let output = deploy.cmd(&["validate"]).output().expect("validate");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("1 error, 1 warning"), "{stderr}");
    assert!(stderr.contains("error[unlisted-requirement]"), "{stderr}");

    // The user follows the finding's help; then the folder validates and runs.
    let module = deploy.read("modules/01-networking/module.yaml").replace(
        "    - id: \"networking-create-nsg\"",
        "    - id: \"networking-legacy-check\"\n    - id: \"networking-create-nsg\"",
    );
    let deploy = deploy
        .file("modules/01-networking/module.yaml", &module)
        .file("bin/yq", FAKE_YQ)
        .env("GOLDEN_IMAGE_ADMIN_PASSWORD", PASSWORD);
    make_executable(&deploy.path().join("bin/yq"));
    let path = format!(
        "{}:{}",
        deploy.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let deploy = deploy.env("PATH", &path);
    deploy.cmd(&["validate"]).assert().success();
    let output = deploy
        .cmd(&["run", "all", "--simulate"])
        .output()
        .expect("run");
    let out = stdout(&output);
    assert!(
        output.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(out.contains("7 completed"), "{out}");
    // The data-plane share commands find the account by its name alone, and the share they
    // create is the one Resource Manager shows.
    let share = log_of(&deploy, "storage-create-share");
    assert!(share.contains("[stdout] 100\n"), "{share}");
    assert!(share.contains("[stdout] stavdlegacy01\n"), "{share}");
    let rm = deploy.cmd(&["sim", "show"]).output().expect("sim show");
    let shown = stdout(&rm);
    assert!(
        shown.contains("storage share-rm                         profiles  [rg-avd-legacy]"),
        "{shown}"
    );
    let nsg = log_of(&deploy, "networking-create-nsg");
    assert!(nsg.contains("virtualNetworks/vnet-avd-legacy"), "{nsg}");
    let plain = deploy.read("artifacts/scripts/resource-group-create.sh");
    assert!(!plain.contains("set -e"), "{plain}");
    for path in deploy.files() {
        let bytes = std::fs::read(&path).expect("read");
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PASSWORD),
            "the password reached {}",
            path.display()
        );
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn log_of(deploy: &Deploy, op: &str) -> String {
    std::fs::read_dir(deploy.path().join("artifacts/logs"))
        .expect("logs")
        .flatten()
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("{op}_"))
        })
        .map(|e| std::fs::read_to_string(e.path()).expect("log"))
        .unwrap_or_default()
}

#[test]
fn migrating_twice_changes_nothing_the_second_time() {
    let deploy = fixture();
    migrate(&deploy);
    let once = snapshot(&deploy);
    let out = migrate(&deploy);
    assert!(
        out.starts_with("nothing to change: the folder is migrated\n"),
        "{out}"
    );
    assert!(
        out.contains("is in no module's list"),
        "findings are listed again:\n{out}"
    );
    assert_eq!(snapshot(&deploy), once);
}

#[test]
fn a_dry_run_prints_the_diff_and_writes_nothing() {
    let deploy = fixture();
    let before = snapshot(&deploy);
    let output = deploy
        .cmd(&["migrate", "--dry-run"])
        .output()
        .expect("migrate");
    assert!(output.status.success());
    let out = stdout(&output);
    assert!(
        out.contains("--- a/config.yaml\n+++ b/config.yaml\n@@ -31,3 +31,11 @@\n"),
        "{out}"
    );
    assert!(
        out.contains("-  dependencies: []\n+  dependencies: [\"01-networking\"]\n"),
        "{out}"
    );
    assert!(out.contains("-        --admin-username \"{{GOLDEN_IMAGE_ADMIN_USERNAME}}\" --admin-password \"{{GOLDEN_IMAGE_ADMIN_PASSWORD}}\" \\\n+"), "{out}");
    assert!(out.contains("would change (15 edits):"), "{out}");
    assert_eq!(snapshot(&deploy), before);
}

#[test]
fn a_folder_that_cannot_be_read_is_refused_and_left_alone() {
    let deploy = fixture().file(
        "modules/01-networking/module.yaml",
        "module:\n  id: \"01-networking\n  operations: [\n",
    );
    let before = snapshot(&deploy);
    let output = deploy.cmd(&["migrate"]).output().expect("migrate");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("modules/01-networking/module.yaml:"),
        "{stderr}"
    );
    assert_eq!(snapshot(&deploy), before);
}

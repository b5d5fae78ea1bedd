//! Run-command operations run by avdeploy against the simulator: the verdict on a failing script,
//! the bash-engine command form, secrets kept off disk, and the managed mode end to end.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/sim_run.rs"]
mod sim_run;

use deploy::{Deploy, bash_op, module_yaml};
use serde_json::Value;
use sim_run::{logs_of, run_all};

const CONFIG: &str = "\
azure:
  resource_group: \"rg-rc\"
vm:
  name: \"vm-rc\"
  admin_password: \"Pa55-word-42!\"
  join_key: \"Join-Key-77\"
secrets: [\"VM_JOIN_KEY\"]
";

const SECRETS: [&str; 2] = ["Pa55-word-42!", "Join-Key-77"];

/// A deployment whose module `m` creates the resource group and VM, then runs `ops` (operation
/// id and file body).
fn deployment(ops: &[(&str, String)]) -> Deploy {
    let setup = bash_op(
        "setup",
        60,
        "az group create -n \"$AZURE_RESOURCE_GROUP\" -l westeurope -o none\n\
         az vm create -g \"$AZURE_RESOURCE_GROUP\" -n \"$VM_NAME\" --image win11 \
         --admin-password \"$VM_ADMIN_PASSWORD\" -o none",
    );
    let mut entries = vec![("setup", None)];
    entries.extend(ops.iter().map(|(id, _)| (*id, None)));
    let mut deploy = Deploy::new()
        .config(CONFIG)
        .module("m", &module_yaml("m", &entries))
        .operation("m", "00-setup", &setup);
    for (i, (id, body)) in ops.iter().enumerate() {
        deploy = deploy.operation("m", &format!("{:02}-{id}", i + 1), body);
    }
    deploy
}

/// A run-command operation on `{{VM_NAME}}` with `extra` template keys and this PowerShell.
fn run_command_op(id: &str, extra: &str, powershell: &str) -> String {
    let mut yaml = format!(
        "operation:\n  id: \"{id}\"\n  duration: {{ expected: 20, timeout: 120, type: FAST }}\n  \
         template:\n    type: \"az-vm-run-command\"\n    vm: \"{{{{VM_NAME}}}}\"\n    \
         resource_group: \"{{{{AZURE_RESOURCE_GROUP}}}}\"\n{extra}  powershell:\n    content: |\n"
    );
    for line in powershell.lines() {
        yaml.push_str(&format!("      {line}\n"));
    }
    yaml
}

fn status_of(deploy: &Deploy, op: &str) -> Value {
    let out = deploy.cmd(&["status", "--json"]).output().expect("status");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("status json");
    doc["operations"]
        .as_array()
        .and_then(|ops| ops.iter().find(|o| o["operation"] == op))
        .cloned()
        .unwrap_or(Value::Null)
}

fn log_of(deploy: &Deploy, op: &str) -> String {
    logs_of(deploy, op)
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect()
}

/// Every file avdeploy or the simulator wrote that holds a secret in clear.
fn files_with_secrets(deploy: &Deploy) -> Vec<String> {
    deploy
        .files()
        .iter()
        .filter(|p| !p.ends_with("config.yaml") && !p.to_string_lossy().contains("/bin/"))
        .filter(|p| {
            let bytes = std::fs::read(p).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            SECRETS.iter().any(|s| text.contains(s))
        })
        .map(|p| p.display().to_string())
        .collect()
}

#[test]
fn a_script_that_exits_1_fails_and_no_secret_reaches_disk() {
    let script = "Write-Host '[INFO] joining'\n$key = '{{VM_JOIN_KEY}}'\n$pw = '{{VM_ADMIN_PASSWORD}}'\nexit 1";
    let deploy = deployment(&[("join", run_command_op("join", "", script))]);
    let (code, stdout) = run_all(&deploy);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("[x] Operation join failed (exit code: 1)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the script exited with code 1 on the VM"),
        "{stdout}"
    );
    let status = status_of(&deploy, "join");
    assert_eq!(
        (status["status"].as_str(), status["exit_code"].as_i64()),
        (Some("failed"), Some(1))
    );
    let answer: Value =
        serde_json::from_str(&deploy.read("artifacts/outputs/join.json")).expect("answer json");
    assert_eq!(
        answer["value"][0]["code"],
        "ComponentStatus/StdOut/succeeded"
    );
    let log = log_of(&deploy, "join");
    assert!(log.contains("[vm-stdout] [INFO] joining"), "{log}");
    assert!(log.contains("[vm-stdout] AVDEPLOY_EXIT_CODE=1"), "{log}");
    assert!(
        deploy
            .read("artifacts/scripts/join.ps1")
            .contains("$key = '***'")
    );
    let calls = deploy.read(".avdeploy/sim/calls.jsonl");
    assert!(calls.contains("\"run-command\",\"invoke\""), "{calls}");
    assert_eq!(files_with_secrets(&deploy), Vec::<String>::new());
}

#[test]
fn an_error_marker_fails_a_script_that_exits_0() {
    let script = "Write-Host '[ERROR] Job failed: Chrome: 404'\nexit 0";
    let deploy = deployment(&[("apps", run_command_op("apps", "", script))]);
    let (code, stdout) = run_all(&deploy);
    assert_eq!(code, Some(1), "{stdout}");
    let status = status_of(&deploy, "apps");
    assert_eq!(status["status"], "failed");
    assert_eq!(status["error"], "[ERROR] Job failed: Chrome: 404");
}

#[test]
fn the_bash_engine_command_names_the_target_vm() {
    let op = "\
operation:
  id: \"legacy\"
  duration: { expected: 20, timeout: 120, type: FAST }
  template:
    type: \"az-vm-run-command\"
    command: |
      az vm run-command invoke --resource-group \"$AZURE_RESOURCE_GROUP\" --name \"${VM_NAME}\" \\
        --command-id RunPowerShellScript --scripts \"@modules/m/scripts/legacy.ps1\" --output json > out.json
  powershell:
    file: \"legacy.ps1\"
    content: |
      Write-Host '[SUCCESS] legacy done'
";
    let deploy = deployment(&[("legacy", op.to_owned())]);
    deploy.cmd(&["run", "all", "--simulate"]).assert().success();
    let calls = deploy.read(".avdeploy/sim/calls.jsonl");
    let invoke = calls
        .lines()
        .find(|l| l.contains("\"invoke\""))
        .expect("an invoke call");
    assert!(
        invoke.contains("\"--resource-group\",\"rg-rc\",\"--name\",\"vm-rc\""),
        "{invoke}"
    );
    assert!(log_of(&deploy, "legacy").contains("[vm-stdout] [SUCCESS] legacy done"));
    assert_eq!(status_of(&deploy, "legacy")["status"], "completed");
}

#[test]
fn managed_mode_streams_output_reports_the_real_exit_code_and_deletes_the_run_command() {
    let managed = "    mode: managed\n";
    let ok = "Write-Host '[INFO] one'\nWrite-Host '[PROGRESS] two'\nWrite-Host '[OUTPUT] IMAGE_VERSION=1.0.0'\n$k = '{{VM_JOIN_KEY}}'";
    let failing = "Write-Host '[INFO] installing'\nexit 1603";
    let deploy = deployment(&[
        ("managed-ok", run_command_op("managed-ok", managed, ok)),
        (
            "managed-fail",
            run_command_op("managed-fail", managed, failing),
        ),
    ])
    .env("AVDEPLOY_SIM_TIME_SCALE", "0.02")
    .env("AVD_POLL_SECONDS", "0.05");
    let (code, stdout) = run_all(&deploy);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("[managed-ok] two"), "{stdout}");
    assert!(
        stdout.contains("[x] Operation managed-fail failed (exit code: 1603)"),
        "{stdout}"
    );
    assert_eq!(status_of(&deploy, "managed-ok")["status"], "completed");
    assert_eq!(status_of(&deploy, "managed-fail")["exit_code"], 1603);
    let log = log_of(&deploy, "managed-ok");
    for line in [
        "[INFO] one",
        "[PROGRESS] two",
        "[OUTPUT] IMAGE_VERSION=1.0.0",
    ] {
        assert_eq!(log.matches(line).count(), 1, "{line} in {log}");
    }
    let view: Value = serde_json::from_str(&deploy.read("artifacts/outputs/managed-ok.json"))
        .expect("instance view json");
    assert_eq!(
        (view["executionState"].as_str(), view["exitCode"].as_i64()),
        (Some("Succeeded"), Some(0))
    );
    let calls = deploy.read(".avdeploy/sim/calls.jsonl");
    let polls = calls
        .lines()
        .filter(|l| l.contains("\"show\"") && l.contains("instanceView.executionState"))
        .count();
    assert!(polls >= 4, "{polls} polls in {calls}");
    assert_eq!(
        calls.matches("\"run-command\",\"delete\"").count(),
        2,
        "{calls}"
    );
    assert!(
        !deploy
            .read("artifacts/scripts/managed-ok.ps1")
            .contains("AVDEPLOY_EXIT_CODE")
    );
    let sim = deploy
        .cmd(&["sim", "show", "--json", "--simulate"])
        .output()
        .expect("sim show");
    let snapshot = String::from_utf8_lossy(&sim.stdout);
    assert!(!snapshot.contains("run-command"), "{snapshot}");
    assert_eq!(files_with_secrets(&deploy), Vec::<String>::new());
}

/// An `az` that records how it was called: its own command line as the kernel shows it to every
/// local user, the mode of the folder of every `@file` argument, and whether that file held the
/// join key. It answers the preflight's `account show`, `invoke` and the managed `show` calls as Azure does.
const RECORDING_AZ: &str = r#"#!/usr/bin/env bash
rec="$AVD_TEST_RECORD"
tr '\0' ' ' < /proc/$$/cmdline >> "$rec/cmdlines"
echo >> "$rec/cmdlines"
for arg; do
  case $arg in
    @*) file=${arg#@}
        echo "$file" >> "$rec/files"
        stat -c %a "$(dirname "$file")" >> "$rec/modes"
        grep -c 'Join-Key-77' "$file" >> "$rec/secret_in_file" ;;
  esac
done
case "$*" in
  "account show -o json")
    printf '%s' '{"id":"sub-1","name":"Test","tenantId":"t-1","user":{"name":"ana@contoso.com"}}' ;;
  *"run-command invoke"*)
    printf '%s' '{"value":[{"code":"ComponentStatus/StdOut/succeeded","message":"AVDEPLOY_EXIT_CODE=0\n"},{"code":"ComponentStatus/StdErr/succeeded","message":""}]}' ;;
  *"instanceView.executionState"*) echo Succeeded ;;
  *"--query instanceView.output"*) echo "[INFO] done" ;;
  *"--query instanceView --output json"*)
    printf '%s' '{"executionState":"Succeeded","exitCode":0,"output":"[INFO] done\n","error":""}' ;;
esac
"#;

#[test]
fn scripts_reach_az_as_a_file_in_a_private_folder_never_on_its_command_line() {
    use std::os::unix::fs::PermissionsExt as _;
    let script = "$key = '{{VM_JOIN_KEY}}'\nWrite-Host '[INFO] joined'";
    let plain = "Write-Host '[INFO] nothing secret'";
    let managed = "    mode: managed\n";
    let deploy = deployment(&[
        ("invoke-secret", run_command_op("invoke-secret", "", script)),
        ("invoke-plain", run_command_op("invoke-plain", "", plain)),
        (
            "managed-secret",
            run_command_op("managed-secret", managed, script),
        ),
    ])
    .file("bin/az", RECORDING_AZ)
    .file("record/.keep", "");
    let az = deploy.path().join("bin/az");
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        deploy.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let record = deploy.path().join("record");
    let deploy = deploy
        .env("PATH", &path)
        .env("AVD_TEST_RECORD", &record.display().to_string())
        .env("AVD_POLL_SECONDS", "0.05");
    let out = deploy.cmd(&["run", "all", "--yes"]).output().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let read = |name: &str| std::fs::read_to_string(record.join(name)).unwrap_or_default();
    // The setup's `vm create --admin-password` is the test's own bash, not a script sent by avdeploy.
    let cmdlines: String = read("cmdlines")
        .lines()
        .filter(|line| line.contains("run-command"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(cmdlines.contains("run-command invoke"), "{cmdlines}");
    assert!(cmdlines.contains("run-command create"), "{cmdlines}");
    for secret in SECRETS {
        assert!(
            !cmdlines.contains(secret),
            "{secret} on a command line:\n{cmdlines}"
        );
    }
    let files: Vec<String> = read("files").lines().map(str::to_owned).collect();
    assert_eq!(files.len(), 3, "one @file per script sent: {files:?}");
    assert_eq!(read("modes").lines().collect::<Vec<_>>(), ["700"; 3]);
    // The two scripts holding the key did carry it to az: through the file, not the command line.
    assert_eq!(
        read("secret_in_file").lines().collect::<Vec<_>>(),
        ["1", "0", "1"]
    );
    for file in &files {
        let folder = std::path::Path::new(file).parent().expect("a folder");
        assert!(!folder.exists(), "{} is left behind", folder.display());
    }
}

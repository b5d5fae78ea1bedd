//! `validate`, `list`, `vars`, help and completions on whole deployments: the existing bash
//! engine's files load unchanged, variables follow design §3, output lists everything in order.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::Deploy;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use serde_json::Value;

const LEGACY_MODULE: &str = r#"module:
  id: "05-golden-image"
  name: "Golden Image"
  description: "Golden image build"
  version: "1.2.0"
  config:
    resource_group: "AZURE_RESOURCE_GROUP"
  dependencies: []
  operations:
    - id: "golden-image-create-vm"
      name: "Create VM"
      description: "Temporary VM"
      duration: 420
      type: "WAIT"
      script: "operations/01-create-vm.yaml"
    - id: "golden-image-install-apps"
      duration: 900
      type: "NORMAL"
  validation:
    enabled: true
    checks:
      - type: "resource_exists"
        resource_type: "Microsoft.Compute/virtualMachines"
  total_duration:
    expected: 1320
    timeout: 3600
  state_file: "state/golden-image.json"
  artifacts:
    logs: "artifacts/logs"
    outputs: "artifacts/outputs"
    scripts: "artifacts/scripts"
  metadata:
    author: "avd-team"
    tags: ["image", "windows"]
"#;

const LEGACY_CREATE_VM: &str = r#"operation:
  id: "golden-image-create-vm"
  name: "Create VM"
  description: "Creates the temporary VM"
  requires:
    - "resource-group-create"
    - operation: "networking-create-vnet"
      status: "completed"
      optional: true
  prerequisites:
    required: ["resource group"]
  template:
    type: "azure-cli-bash"
    command: |
      az vm create -g "$AZURE_RESOURCE_GROUP" -n "{{GOLDEN_IMAGE_VM_NAME}}" -o none
  validation:
    enabled: true
    checks:
      - type: "provisioning_state"
        description: "VM succeeded"
        expected: "Succeeded"
      - type: "vm_agent_ready"
        description: "agent"
      - type: "image_version_matches"
        description: "a check type this engine does not know"
        version: "1.0"
  fixes: null
"#;

const LEGACY_INSTALL: &str = r#"operation:
  id: "golden-image-install-apps"
  name: "Install apps"
  duration:
    expected: 900
    timeout: 2700
    type: "SLOW"
  requires: ["golden-image-create-vm"]
  template:
    type: "az-vm-run-command"
    command: |
      az vm run-command invoke --resource-group "{{AZURE_RESOURCE_GROUP}}" --name "{{GOLDEN_IMAGE_VM_NAME}}" \
        --command-id RunPowerShellScript --scripts "@artifacts/scripts/install.ps1" --output json > artifacts/outputs/install.json
  powershell:
    file: "install.ps1"
    content: |
      Write-Output "[START] Installing"
      Write-Output "[SUCCESS] Installed"
  validation:
    enabled: true
    checks:
      - type: "file_exists"
        path: 'C:\Program Files\Google\Chrome\Application\chrome.exe'
        alternative_path: 'C:\Program Files (x86)\Google\Chrome\Application\chrome.exe'
      - type: "registry_key"
        path: 'HKLM:\SOFTWARE\FSLogix'
  fixes:
    - issue: "Chrome MSI 1618"
      detected: "2024-05-01"
      fix: "install sequentially"
      applied_to_template: true
      error: "exit code 1618"
      root_cause: "two MSI installs at once"
      notes: "see seed document"
"#;

fn legacy() -> Deploy {
    Deploy::new()
        .config(
            "azure:\n  resource_group: \"rg-avd\"\ngolden_image:\n  vm_name: \"vm-gi\"\n",
        )
        .module(
            "00-resource-group",
            "module:\n  id: \"00-resource-group\"\n  operations:\n    - id: \"resource-group-create\"\n",
        )
        .operation(
            "00-resource-group",
            "01-create",
            "operation:\n  id: \"resource-group-create\"\n  duration: { expected: 10, timeout: 60, type: FAST }\n  template:\n    type: \"az-cli\"\n    command: \"az group create -n \\\"$AZURE_RESOURCE_GROUP\\\" -l westeurope\"\n",
        )
        .module("05-golden-image", LEGACY_MODULE)
        .operation("05-golden-image", "01-create-vm", LEGACY_CREATE_VM)
        .operation("05-golden-image", "02-install-apps", LEGACY_INSTALL)
}

fn json(deploy: &Deploy, args: &[&str]) -> Value {
    let output = deploy.cmd(args).output().expect("run avdeploy");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn the_bash_engines_files_load_unchanged() {
    let deploy = legacy();
    let report = json(&deploy, &["validate", "--json"]);
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().expect("code"))
        .collect();
    // The optional requirement names an operation this deployment lacks: a warning.
    assert_eq!(
        codes,
        ["unknown-requirement", "unknown-check-type"],
        "{report:#}"
    );
    assert_eq!(report["valid"], true);
    deploy.cmd(&["validate"]).assert().success();
}

#[test]
fn module_entry_durations_and_types_apply_to_operations_without_their_own() {
    let list = json(&legacy(), &["list", "--json"]);
    let ops = &list["modules"][1]["operations"];
    assert_eq!(ops[0]["id"], "golden-image-create-vm");
    assert_eq!(ops[0]["expected_seconds"], 420);
    assert_eq!(ops[1]["expected_seconds"], 900);
    assert_eq!(ops[1]["timeout_seconds"], 2700);
    assert_eq!(ops[1]["template"], "az-vm-run-command");
}

#[test]
fn list_shows_modules_and_operations_in_declared_order() {
    let deploy = Deploy::new()
        .config("azure:\n  resource_group: \"rg\"\n")
        .module(
            "m",
            "module:\n  id: \"m\"\n  name: \"Networking\"\n  description: \"VNet and NSGs\"\n  operations:\n    - id: \"zeta\"\n    - id: \"alpha\"\n      parallel_group: 3\n",
        )
        .operation("m", "01-alpha", &deploy::bash_op("alpha", 60, "echo a"))
        .operation("m", "02-zeta", &deploy::bash_op("zeta", 60, "echo z"));
    let list = json(&deploy, &["list", "--json"]);
    let module = &list["modules"][0];
    assert_eq!(module["id"], "m");
    assert_eq!(module["name"], "Networking");
    assert_eq!(module["description"], "VNet and NSGs");
    assert_eq!(module["operations"][0]["id"], "zeta");
    assert_eq!(module["operations"][1]["id"], "alpha");
    assert_eq!(module["operations"][1]["parallel_group"], 3);
    assert_eq!(module["operations"][1]["template"], "bash-script");
    assert_eq!(module["operations"][1]["expected_seconds"], 1);
    deploy.cmd(&["list"]).assert().success().stdout(
        contains("m  Networking - VNet and NSGs")
            .and(contains("1. zeta"))
            .and(contains("2. alpha  bash-script        group 3")),
    );
}

#[test]
fn variables_follow_config_paths_sections_environment_and_secrets() {
    let deploy = Deploy::new()
        .config(concat!(
            "azure:\n  resource_group: \"rg-avd\"\n  location: \"westeurope\"\n",
            "  tags: [\"env=dev\", \"owner=avd\"]\n",
            "session-hosts:\n  vm.size: \"Standard_D4s_v5\"\n",
            "golden_image:\n  admin_password: \"P@ss-word-1\"\n",
            "storage:\n  key: \"account-key-value\"\n",
            "secrets: [\"STORAGE_KEY\"]\n",
            "variables:\n  VNET_NAME: \"vnet-{{AZURE_LOCATION}}\"\n",
        ))
        .module("m", "module:\n  id: \"m\"\n  operations: []\n")
        .env("AVDEPLOY_VAR_AZURE_LOCATION", "northeurope");
    let rows = json(&deploy, &["vars", "--json"]);
    let value = |name: &str| {
        rows.as_array()
            .expect("rows")
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {rows:#}"))
            .clone()
    };
    assert_eq!(value("AZURE_RESOURCE_GROUP")["value"], "rg-avd");
    assert_eq!(value("AZURE_TAGS")["value"], "env=dev owner=avd");
    assert_eq!(value("SESSION_HOSTS_VM_SIZE")["value"], "Standard_D4s_v5");
    assert_eq!(value("AZURE_LOCATION")["value"], "northeurope");
    assert_eq!(value("AZURE_LOCATION")["origin"]["kind"], "environment");
    assert_eq!(value("VNET_NAME")["value"], "vnet-northeurope");
    assert_eq!(value("GOLDEN_IMAGE_ADMIN_PASSWORD")["value"], "***");
    assert_eq!(value("STORAGE_KEY")["value"], "***");
    assert_eq!(value("STORAGE_KEY")["secret"], true);
    deploy.cmd(&["vars"]).assert().success().stdout(
        contains("GOLDEN_IMAGE_ADMIN_PASSWORD")
            .and(contains("***"))
            .and(contains("P@ss-word-1").not())
            .and(contains("account-key-value").not()),
    );
}

#[test]
fn a_secret_written_into_a_bash_script_is_refused() {
    Deploy::new()
        .config("app:\n  api_token: \"abc123\"\n")
        .module("m", &deploy::module_yaml("m", &[("call", None)]))
        .operation(
            "m",
            "01-call",
            &deploy::bash_op("call", 60, "curl -H 'X-Token: {{APP_API_TOKEN}}' x"),
        )
        .cmd(&["validate"])
        .assert()
        .code(2)
        .stderr(contains("error[secret-in-script]").and(contains("\"$APP_API_TOKEN\"")));
}

#[test]
fn config_option_and_dir_option_pick_the_files() {
    let deploy = Deploy::new()
        .file("prod.yaml", "azure:\n  resource_group: \"rg-prod\"\n")
        .module("m", "module:\n  id: \"m\"\n  operations: []\n");
    deploy
        .cmd(&["validate"])
        .assert()
        .code(2)
        .stderr(contains("not a deployment folder (no config.yaml here)"));
    deploy
        .cmd(&["--config", "prod.yaml", "vars"])
        .assert()
        .success()
        .stdout(contains("rg-prod"));
}

#[test]
fn every_command_explains_its_options() {
    let help = |args: &[&str]| {
        let output = assert_cmd::Command::cargo_bin("avdeploy")
            .expect("binary")
            .args(args)
            .output()
            .expect("run");
        assert!(output.status.success(), "{args:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let top = help(&["--help"]);
    for word in [
        "--dir",
        "-C",
        "--config",
        "validate",
        "list",
        "plan",
        "vars",
        "completions",
    ] {
        assert!(top.contains(word), "`{word}` missing from --help:\n{top}");
    }
    for (command, options) in [
        ("validate", &["--json", "--dir", "--config"][..]),
        ("list", &["--json"]),
        (
            "plan",
            &["--throttle", "--json", "[TARGET]", "`all`", "--destroy"],
        ),
        ("destroy", &["--yes", "--simulate", "teardown:"]),
        ("vars", &["--json"]),
        ("completions", &["bash", "zsh", "fish"]),
    ] {
        let text = help(&[command, "--help"]);
        for option in options {
            assert!(
                text.contains(option),
                "`{option}` missing from {command} --help:\n{text}"
            );
        }
    }
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        assert_cmd::Command::cargo_bin("avdeploy")
            .expect("binary")
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(
                contains("avdeploy")
                    .and(contains("validate"))
                    .and(contains("throttle")),
            );
    }
}

#[test]
fn validate_range_checks_the_error_catalog() {
    let deploy = legacy().file(
        "errors.yaml",
        "errors:\n  - class: slow\n    match: [\"slow\"]\n    policy: retry\n    max_delay: 18446744073709551615\n",
    );
    deploy
        .cmd(&["validate"])
        .assert()
        .code(2)
        .stderr(contains("errors.yaml").and(contains("`max_delay` must be at most 86400")));
}

#[test]
fn a_large_deployment_reports_every_finding_at_its_own_file_in_file_order() {
    // Enough operation files to be read on several threads at once.
    let mut deploy = Deploy::new().config("app:\n  name: \"demo\"\n");
    let mut broken = Vec::new();
    for module in ["m1", "m2", "m3"] {
        let ids: Vec<String> = (0..150).map(|i| format!("{module}-op{i:03}")).collect();
        let entries: Vec<(&str, Option<u32>)> = ids.iter().map(|id| (id.as_str(), None)).collect();
        deploy = deploy.module(module, &deploy::module_yaml(module, &entries));
        for (i, id) in ids.iter().enumerate() {
            let mut op = deploy::bash_op(id, 30, "true");
            if i % 37 == 5 {
                op = op.replace("timeout:", "timeuot:");
                broken.push(format!("modules/{module}/operations/{id}.yaml"));
            }
            deploy = deploy.operation(module, id, &op);
        }
    }
    let report = json(&deploy, &["validate", "--json"]);
    let found: Vec<(String, u64, u64)> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            assert_eq!(d["code"], "unknown-key", "{d:#}");
            (
                d["file"].as_str().expect("file").to_owned(),
                d["line"].as_u64().expect("line"),
                d["column"].as_u64().expect("column"),
            )
        })
        .collect();
    let expected: Vec<(String, u64, u64)> = broken.into_iter().map(|f| (f, 3, 28)).collect();
    assert_eq!(found, expected);
}

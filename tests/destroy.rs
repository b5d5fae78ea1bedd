//! `teardown:` and `avdeploy destroy`: teardown runs only in `destroy`, modules in reverse
//! dependency order, against the simulator; it asks (refuses without a terminal unless --yes),
//! marks the deployment destroyed so the next `run` starts from nothing, and a destroy that
//! failed is finished by `resume`.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/sim_run.rs"]
mod sim_run;

use deploy::Deploy;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

fn op(id: &str, keys: &str, command: &str) -> String {
    let mut yaml = format!(
        "operation:\n  id: \"{id}\"\n{keys}  duration: {{ expected: 10, timeout: 120, type: FAST }}\n  template:\n    type: \"azure-cli-bash\"\n    command: |\n"
    );
    for line in command.lines() {
        yaml.push_str(&format!("      {line}\n"));
    }
    yaml
}

/// A resource group (00-rg) and a VNet in it (01-net, depending on 00-rg), each with a
/// teardown; `note-delete` fails until the file `fixed` exists when `FLAKY` is set.
fn deployment() -> Deploy {
    Deploy::new()
        .config("azure:\n  resource_group: rg-demo\n  location: westeurope\n")
        .module(
            "00-rg",
            "module:\n  id: \"00-rg\"\n  operations:\n    - id: \"rg-create\"\n  teardown:\n    - id: \"rg-delete\"\n",
        )
        .module(
            "01-net",
            "module:\n  id: \"01-net\"\n  dependencies: [\"00-rg\"]\n  operations:\n    - id: \"vnet-create\"\n  teardown:\n    - id: \"vnet-delete\"\n    - id: \"note-delete\"\n",
        )
        .operation(
            "00-rg",
            "rg-create",
            &op(
                "rg-create",
                "",
                "az group create --name \"$AZURE_RESOURCE_GROUP\" --location \"$AZURE_LOCATION\" -o none\necho \"[OUTPUT] RG_STAMP=$(date +%s%N)\"",
            ),
        )
        .operation(
            "00-rg",
            "rg-delete",
            &op(
                "rg-delete",
                "",
                "az group delete --name \"$AZURE_RESOURCE_GROUP\" --yes\necho rg >> order",
            ),
        )
        .operation(
            "01-net",
            "vnet-create",
            &op(
                "vnet-create",
                "  requires: [\"rg-create\"]\n",
                "az network vnet create --resource-group \"$AZURE_RESOURCE_GROUP\" --name vnet1 --address-prefixes 10.0.0.0/16 -o none",
            ),
        )
        .operation(
            "01-net",
            "vnet-delete",
            &op(
                "vnet-delete",
                "",
                "az network vnet delete --resource-group \"$AZURE_RESOURCE_GROUP\" --name vnet1\necho vnet >> order",
            ),
        )
        .operation(
            "01-net",
            "note-delete",
            &op(
                "note-delete",
                "  requires: [\"vnet-delete\"]\n",
                "if [ -n \"${FLAKY:-}\" ] && [ ! -e fixed ]; then echo '[ERROR] not yet'; exit 4; fi\necho note >> order",
            ),
        )
}

fn resources(deploy: &Deploy) -> Vec<String> {
    let doc = deploy.json(&["sim", "show", "--json"]);
    doc["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn plan_destroy_shows_teardown_in_reverse_dependency_order() {
    let deploy = deployment();
    let plan = deploy.json(&["plan", "--destroy", "--json"]);
    assert_eq!(plan["target"], "destroy");
    let modules: Vec<&str> = plan["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| m["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(modules, ["01-net", "00-rg"]);
    assert_eq!(plan["predicted_seconds"], 30);
    deploy
        .cmd(&["plan", "--destroy"])
        .assert()
        .success()
        .stdout(contains("rg-delete").and(contains("rg-create").not()));
    deploy
        .cmd(&["plan", "all"])
        .assert()
        .success()
        .stdout(contains("rg-create").and(contains("rg-delete").not()));
    deploy
        .cmd(&["list"])
        .assert()
        .success()
        .stdout(contains("teardown (run by `destroy`):"));
}

#[test]
fn destroy_takes_the_deployment_down_and_the_next_run_starts_from_nothing() {
    let deploy = deployment();
    let (code, out) = sim_run::run_all(&deploy);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("rg-delete"), "teardown ran in `run`: {out}");
    assert_eq!(resources(&deploy), ["rg-demo", "vnet1"]);

    deploy
        .cmd(&["destroy", "--simulate"])
        .assert()
        .code(2)
        .stdout(contains("01-net: vnet-delete, note-delete"))
        .stderr(contains("pass --yes to destroy without asking"));
    deploy
        .cmd(&["run", "00-rg", "rg-delete", "--simulate"])
        .assert()
        .code(2)
        .stderr(contains(
            "`rg-delete` is a teardown operation of module `00-rg`",
        ));
    assert_eq!(resources(&deploy), ["rg-demo", "vnet1"]);

    deploy
        .cmd(&["destroy", "--yes", "--simulate"])
        .assert()
        .success()
        .stdout(contains("[v] Deployment destroyed"));
    assert!(resources(&deploy).is_empty());
    assert_eq!(deploy.read("order"), "vnet\nnote\nrg\n");
    let status = deploy.json(&["status", "--json"]);
    assert_eq!(status["run"]["target"], "destroy");
    assert!(status["destroyed"]["run_id"].is_string(), "{status}");
    assert!(status["resume"].is_null(), "{status}");
    deploy
        .cmd(&["status"])
        .assert()
        .stdout(contains("the next run starts from nothing"));

    let (code, out) = sim_run::run_all(&deploy);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("[*] Started rg-create") && out.contains("[*] Started vnet-create"),
        "{out}"
    );
    assert_eq!(resources(&deploy), ["rg-demo", "vnet1"]);
    let status = deploy.json(&["status", "--json"]);
    assert!(status["destroyed"]["run_id"].is_string(), "{status}");
}

#[test]
fn a_failed_destroy_is_finished_by_resume_and_only_then_marked_destroyed() {
    let deploy = deployment().env("FLAKY", "1");
    assert_eq!(sim_run::run_all(&deploy).0, Some(0));
    deploy
        .cmd(&["destroy", "--yes", "--simulate"])
        .assert()
        .code(1)
        .stdout(
            contains("[x] Operation note-delete failed")
                .and(contains("Deployment destroyed").not()),
        );
    assert_eq!(resources(&deploy), ["rg-demo"]);
    let status = deploy.json(&["status", "--json"]);
    assert!(status["destroyed"].is_null(), "{status}");
    assert_eq!(status["resume"]["target"], "destroy");

    std::fs::write(deploy.path().join("fixed"), "").expect("fix");
    deploy
        .cmd(&["resume", "--yes", "--simulate"])
        .assert()
        .success()
        .stdout(
            contains("[-] Operation vnet-delete skipped: already completed")
                .and(contains("[v] Deployment destroyed")),
        );
    assert!(resources(&deploy).is_empty());
    assert_eq!(deploy.read("order"), "vnet\nnote\nrg\n");
    let status = deploy.json(&["status", "--json"]);
    let vnet_delete = status["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .find(|op| op["operation"] == "vnet-delete")
        .expect("vnet-delete in status")
        .clone();
    assert_eq!(vnet_delete["status"], "completed", "{status}");
}

#[test]
fn teardown_requirements_stay_among_teardown_operations() {
    let deploy = deployment()
        .operation(
            "01-net",
            "note-delete",
            &op("note-delete", "  requires: [\"vnet-create\"]\n", "true"),
        )
        .operation(
            "01-net",
            "vnet-create",
            &op("vnet-create", "  requires: [\"rg-delete\"]\n", "true"),
        );
    let output = deploy
        .cmd(&["validate", "--json"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let found: Vec<String> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            format!(
                "{} {}:{}:{}",
                d["code"].as_str().unwrap_or_default(),
                d["file"].as_str().unwrap_or_default(),
                d["line"],
                d["column"]
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "teardown-requirement modules/01-net/operations/note-delete.yaml:3:14",
            "teardown-requirement modules/01-net/operations/vnet-create.yaml:3:14",
        ]
    );
    deploy.cmd(&["destroy", "--yes"]).assert().code(2);
}

#[test]
fn an_operation_listed_both_ways_and_reserved_module_ids_are_refused() {
    let deploy = Deploy::new()
        .config("a: 1\n")
        .module(
            "destroy",
            "module:\n  id: \"destroy\"\n  operations:\n    - id: \"x\"\n  teardown:\n    - id: \"x\"\n",
        )
        .operation("destroy", "x", &op("x", "", "true"));
    deploy.cmd(&["validate"]).assert().code(2).stderr(
        contains("module id `destroy` is reserved")
            .and(contains("modules/destroy/module.yaml:2:7"))
            .and(contains(
                "`x` is listed under both `operations:` and `teardown:`",
            ))
            .and(contains("modules/destroy/module.yaml:6:11")),
    );
}

#[test]
fn nothing_to_destroy_without_teardown() {
    Deploy::new()
        .config("a: 1\n")
        .module(
            "m",
            "module:\n  id: \"m\"\n  operations:\n    - id: \"x\"\n",
        )
        .operation("m", "x", &op("x", "", "true"))
        .cmd(&["destroy"])
        .assert()
        .success()
        .stdout(contains("Nothing to destroy"));
}

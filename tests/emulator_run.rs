//! `run --simulate=azure-cli`: the real az, logged in to the local Azure for the run, creates
//! resources the local Azure keeps; a second run of the same scripts creates nothing; the
//! run's CLI folder is gone afterwards; `sim show --backend azure-cli` lists what was made;
//! without an az the run refuses with exit 2 before starting anything.

#[path = "common/azure_cli.rs"]
mod azure_cli;
#[path = "common/deploy.rs"]
mod deploy;

use azure_cli::{requests, run, with_az};
use deploy::{Deploy, bash_op, module_yaml};

const CONFIG: &str = "azure:\n  resource_group: \"rg-emu\"\n  location: \"westeurope\"\n";

/// One module: the resource group, then a VNet and an NSG in parallel, each created only when
/// missing (as the catalog's scripts do).
fn deployment() -> Deploy {
    Deploy::new()
        .config(CONFIG)
        .module(
            "net",
            &module_yaml("net", &[("rg", None), ("vnet", Some(1)), ("nsg", Some(1))]),
        )
        .operation(
            "net",
            "01-rg",
            &bash_op(
                "rg",
                300,
                "if [ \"$(az group exists -n \"$AZURE_RESOURCE_GROUP\")\" != true ]; then\n  \
                 az group create -n \"$AZURE_RESOURCE_GROUP\" -l \"$AZURE_LOCATION\" -o none\nfi\n\
                 echo \"[OUTPUT] RG_ID=$(az group show -n \"$AZURE_RESOURCE_GROUP\" --query id -o tsv)\"",
            ),
        )
        .operation(
            "net",
            "02-vnet",
            &bash_op(
                "vnet",
                300,
                "az network vnet show -g \"$AZURE_RESOURCE_GROUP\" -n vnet1 -o none 2>/dev/null || \\\n  \
                 az network vnet create -g \"$AZURE_RESOURCE_GROUP\" -n vnet1 --address-prefixes 10.1.0.0/16 -o none",
            ),
        )
        .operation(
            "net",
            "03-nsg",
            &bash_op(
                "nsg",
                300,
                "az network nsg show -g \"$AZURE_RESOURCE_GROUP\" -n nsg1 -o none 2>/dev/null || \\\n  \
                 az network nsg create -g \"$AZURE_RESOURCE_GROUP\" -n nsg1 -o none",
            ),
        )
}

/// The writes to Resource Manager or Graph (a login's token request is no resource).
fn writes(requests: &[(String, String)]) -> Vec<&(String, String)> {
    requests
        .iter()
        .filter(|(method, _)| matches!(method.as_str(), "PUT" | "PATCH" | "POST" | "DELETE"))
        .filter(|(_, path)| path.starts_with("/subscriptions") || path.starts_with("/v1.0"))
        .collect()
}

#[test]
fn the_real_az_creates_resources_once_and_a_second_run_creates_nothing() {
    let deploy = with_az(deployment());
    let (code, out) = run(&deploy, &["all", "--throttle", "8"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("3 completed"), "{out}");
    let first = requests(&deploy);
    let created: Vec<&str> = writes(&first)
        .iter()
        .map(|(_, path)| path.as_str())
        .collect();
    for name in [
        "resourcegroups/rg-emu",
        "virtualNetworks/vnet1",
        "networkSecurityGroups/nsg1",
    ] {
        assert!(
            created.iter().any(|path| path
                .to_ascii_lowercase()
                .ends_with(&name.to_ascii_lowercase())),
            "no write of {name} in {created:#?}"
        );
    }
    assert!(out.contains("rg published RG_ID"), "{out}");

    // The run's CLI folder (login, tokens) is gone with the run.
    let leftovers: Vec<_> = std::fs::read_dir(deploy.path().join(".avdeploy/sim"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("azure-cli-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The same scripts again, against what the first run made: reads only.
    let (code, out) = run(&deploy, &["all", "--force"]);
    assert_eq!(code, Some(0), "{out}");
    let second = requests(&deploy);
    assert!(second.len() > first.len(), "the second run made no request");
    let again = writes(&second[first.len()..]);
    assert!(again.is_empty(), "the second run wrote: {again:#?}");

    let show = deploy
        .cmd(&["sim", "show", "--backend", "azure-cli"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(show.status.success(), "{text}");
    for line in [
        "Microsoft.Network/virtualNetworks (1): vnet1",
        "Microsoft.Network/networkSecurityGroups (1): nsg1",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
}

#[test]
fn without_an_azure_cli_the_run_refuses_with_exit_2_and_starts_nothing() {
    let empty = tempfile::tempdir().unwrap();
    let deploy = deployment()
        .env("AVDEPLOY_AZ", "")
        .env("PATH", &format!("{}:/usr/bin:/bin", empty.path().display()));
    let out = deploy
        .cmd(&["run", "all", "--simulate=azure-cli"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no Azure CLI found: --simulate=azure-cli runs the real `az`"),
        "{stderr}"
    );
    assert!(!deploy.path().join(".avdeploy/sim/requests.jsonl").exists());
    let by_env = deploy
        .cmd(&["run", "all"])
        .env("AVDEPLOY_SIMULATE", "azure-cli")
        .output()
        .unwrap();
    assert_eq!(by_env.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&by_env.stderr).contains("no Azure CLI found"));
    let named = deploy.env("AVDEPLOY_AZ", "/nonexistent/az");
    let out = named
        .cmd(&["run", "all", "--simulate=azure-cli"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("AVDEPLOY_AZ=/nonexistent/az is not an executable file")
    );
}

#[test]
fn an_unknown_backend_is_refused_with_the_two_choices() {
    let out = deployment()
        .cmd(&["run", "all", "--simulate=azure"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`azure` is not a simulator backend"),
        "{stderr}"
    );
}

#[test]
fn eight_operations_at_once_share_one_login_without_cache_or_config_errors() {
    let ids: Vec<String> = (1..=8).map(|n| format!("read{n}")).collect();
    let entries: Vec<(&str, Option<u32>)> = ids.iter().map(|id| (id.as_str(), Some(1))).collect();
    let mut deploy = Deploy::new()
        .config(CONFIG)
        .module("par", &module_yaml("par", &entries));
    for id in &ids {
        deploy = deploy.operation(
            "par",
            id,
            &bash_op(
                id,
                300,
                "az account show --query id -o tsv\n\
                 az group list --query \"length(@)\" -o tsv\n\
                 az ad group list --filter \"displayName eq 'nobody'\" --query \"length(@)\" -o tsv 2>&1",
            ),
        );
    }
    let deploy = with_az(deploy);
    let (code, out) = run(&deploy, &["all", "--throttle", "8"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("8 completed"), "{out}");
    let mut checked = 0;
    for file in deploy.files() {
        let name = file.to_string_lossy().into_owned();
        if !(name.contains("artifacts/logs/read") && name.ends_with(".log")) {
            continue;
        }
        checked += 1;
        let log = std::fs::read_to_string(&file).unwrap();
        for bad in [
            "Failed to load",
            "JSONDecodeError",
            "az login",
            "Traceback",
            "WARNING",
        ] {
            assert!(!log.contains(bad), "{name} has `{bad}`:\n{log}");
        }
        // `az account show` printed the local subscription: the shared login worked.
        assert!(
            log.contains("5e1d0c0a-0000-4000-8000-00000000a2de"),
            "{log}"
        );
    }
    assert_eq!(checked, 8, "one attempt log per operation");
}

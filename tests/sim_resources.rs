//! Every simulated resource family round-trips through the `az` shim: create, show, list,
//! delete, and show again exits 3 with ResourceNotFound.

#[path = "common/sim_az.rs"]
mod sim_az;

use sim_az::{Sim, code, stderr};

/// (create line, address flags shared by show/delete, list line, expected ARM type).
const FAMILIES: &[(&str, &str, &str, &str)] = &[
    (
        "network vnet create --address-prefixes 10.9.0.0/16",
        "-g rg -n v9",
        "network vnet list -g rg",
        "Microsoft.Network/virtualNetworks",
    ),
    (
        "network vnet subnet create --address-prefixes 10.0.5.0/24",
        "-g rg --vnet-name vnet -n s5",
        "network vnet subnet list -g rg --vnet-name vnet",
        "Microsoft.Network/virtualNetworks/subnets",
    ),
    (
        "network nsg create",
        "-g rg -n nsg2",
        "network nsg list -g rg",
        "Microsoft.Network/networkSecurityGroups",
    ),
    (
        "network nsg rule create --priority 100 --access Allow --protocol Tcp --destination-port-ranges 443",
        "-g rg --nsg-name nsg -n allow-https",
        "network nsg rule list -g rg --nsg-name nsg",
        "Microsoft.Network/networkSecurityGroups/securityRules",
    ),
    (
        "network private-dns zone create",
        "-g rg -n privatelink.blob.core.windows.net",
        "network private-dns zone list -g rg",
        "Microsoft.Network/privateDnsZones",
    ),
    (
        "network private-dns link vnet create --virtual-network vnet --registration-enabled false",
        "-g rg --zone-name privatelink.file.core.windows.net -n link1",
        "network private-dns link vnet list -g rg --zone-name privatelink.file.core.windows.net",
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
    ),
    (
        "network private-endpoint create --vnet-name vnet --subnet default --private-connection-resource-id /x --group-id file --connection-name c",
        "-g rg -n pe2",
        "network private-endpoint list -g rg",
        "Microsoft.Network/privateEndpoints",
    ),
    (
        "network private-endpoint dns-zone-group create --private-dns-zone privatelink.file.core.windows.net --zone-name file",
        "-g rg --endpoint-name pe -n zg",
        "network private-endpoint dns-zone-group list -g rg --endpoint-name pe",
        "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
    ),
    (
        "storage account create --sku Premium_LRS --kind FileStorage",
        "-g rg -n stavd2",
        "storage account list -g rg",
        "Microsoft.Storage/storageAccounts",
    ),
    (
        "storage share-rm create --quota 100",
        "-g rg --storage-account stavd -n profiles",
        "storage share-rm list -g rg --storage-account stavd",
        "Microsoft.Storage/storageAccounts/fileServices/shares",
    ),
    (
        "vm create --image MicrosoftWindowsDesktop:windows-11:win11-24h2-avd:latest --admin-username avdadmin --admin-password Pw-123456789",
        "-g rg -n vm2",
        "vm list -g rg",
        "Microsoft.Compute/virtualMachines",
    ),
    (
        "vm extension set --publisher Microsoft.Powershell",
        "-g rg --vm-name vm -n DSC",
        "vm extension list -g rg --vm-name vm",
        "Microsoft.Compute/virtualMachines/extensions",
    ),
    (
        "sig create",
        "-g rg --gallery-name gal2",
        "sig list -g rg",
        "Microsoft.Compute/galleries",
    ),
    (
        "sig image-definition create --publisher p --offer o --sku s --os-type Windows --hyper-v-generation V2",
        "-g rg --gallery-name gal --gallery-image-definition def2",
        "sig image-definition list -g rg --gallery-name gal",
        "Microsoft.Compute/galleries/images",
    ),
    (
        "sig image-version create --virtual-machine /vm",
        "-g rg --gallery-name gal --gallery-image-definition def --gallery-image-version 1.0.0",
        "sig image-version list -g rg --gallery-name gal --gallery-image-definition def",
        "Microsoft.Compute/galleries/images/versions",
    ),
    (
        "desktopvirtualization hostpool create --host-pool-type Pooled --load-balancer-type BreadthFirst --preferred-app-group-type Desktop",
        "-g rg -n hp2",
        "desktopvirtualization hostpool list -g rg",
        "Microsoft.DesktopVirtualization/hostPools",
    ),
    (
        "desktopvirtualization applicationgroup create --application-group-type Desktop --host-pool-arm-path /hp",
        "-g rg -n dag",
        "desktopvirtualization applicationgroup list -g rg",
        "Microsoft.DesktopVirtualization/applicationGroups",
    ),
    (
        "desktopvirtualization workspace create",
        "-g rg -n ws",
        "desktopvirtualization workspace list -g rg",
        "Microsoft.DesktopVirtualization/workspaces",
    ),
];

fn setup() -> Sim {
    let sim = Sim::new();
    for line in [
        "group create -n rg -l eastus",
        "network vnet create -g rg -n vnet --address-prefixes 10.0.0.0/16 --subnet-name default --subnet-prefixes 10.0.0.0/24",
        "network nsg create -g rg -n nsg",
        "network private-dns zone create -g rg -n privatelink.file.core.windows.net",
        "network private-endpoint create -g rg -n pe --vnet-name vnet --subnet default --private-connection-resource-id /x --group-id file --connection-name c",
        "storage account create -g rg -n stavd",
        "vm create -g rg -n vm --image Win11 --admin-username a --admin-password Pw-123456789",
        "sig create -g rg --gallery-name gal",
        "sig image-definition create -g rg --gallery-name gal --gallery-image-definition def --publisher p --offer o --sku s --os-type Windows",
    ] {
        sim.ok(line);
    }
    sim
}

fn verb_line(create: &str, verb: &str, address: &str) -> String {
    let path: Vec<&str> = create
        .split_whitespace()
        .take_while(|w| *w != "create" && *w != "set")
        .collect();
    format!("{} {verb} {address}", path.join(" "))
}

#[test]
fn every_family_round_trips() {
    let sim = setup();
    for (create, address, list, arm_type) in FAMILIES {
        let created = sim.json(&format!("{create} {address}"));
        let shown = sim.json(&verb_line(create, "show", address));
        assert_eq!(shown["type"], *arm_type, "{create}");
        if !create.starts_with("storage share-rm") {
            assert_eq!(shown["provisioningState"], "Succeeded", "{create}");
        }
        assert!(
            shown["id"].as_str().unwrap().starts_with("/subscriptions/"),
            "{create}"
        );
        let created = created
            .get("newVNet")
            .or(created.get("NewNSG"))
            .unwrap_or(&created);
        if !create.starts_with("vm create") {
            assert_eq!(created["id"], shown["id"], "{create}");
        }
        let name = shown["name"].as_str().unwrap().to_owned();
        let listed = sim.json(list);
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["name"] == name.as_str()),
            "{list}"
        );
        let yes = if create.starts_with("vm create") {
            " --yes"
        } else {
            ""
        };
        sim.ok(&format!("{}{yes}", verb_line(create, "delete", address)));
        let gone = sim.az(&verb_line(create, "show", address));
        assert_eq!(code(&gone), 3, "{create}");
        assert!(
            stderr(&gone).starts_with("ERROR: (ResourceNotFound)"),
            "{}",
            stderr(&gone)
        );
    }
}

#[test]
fn ids_names_and_properties_look_like_azure() {
    let sim = setup();
    let subnet = sim.json("network vnet subnet show -g rg --vnet-name vnet -n default");
    assert!(subnet["id"].as_str().unwrap().ends_with(
        "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"
    ));
    assert_eq!(subnet["addressPrefix"], "10.0.0.0/24");
    let vnet = sim.json("network vnet show -g rg -n vnet");
    assert_eq!(vnet["addressSpace"]["addressPrefixes"][0], "10.0.0.0/16");
    assert_eq!(vnet["subnets"][0]["name"], "default");
    let vm = sim.json("vm show -g rg -n vm");
    assert_eq!(vm["image"], "Win11");
    assert!(vm.get("adminPassword").is_none() && vm.get("_sim").is_none());
    let tagged =
        sim.json("network nsg create -g rg -n tagged --tags env=dev team=avd")["NewNSG"].clone();
    assert_eq!(tagged["tags"]["team"], "avd");
    assert_eq!(tagged["location"], "eastus");
}

#[test]
fn groups_exist_and_missing_parents_are_not_found() {
    let sim = setup();
    assert_eq!(sim.ok("group exists -n rg"), "true\n");
    assert_eq!(sim.ok("group exists -n other"), "false\n");
    let out = sim.az("network vnet create -g missing -n v");
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out)
            .contains("(ResourceGroupNotFound) Resource group 'missing' could not be found.")
    );
    let out = sim.az(
        "network vnet subnet create -g rg --vnet-name nope -n s --address-prefixes 10.0.0.0/24",
    );
    assert_eq!(code(&out), 3);
    let out = sim.az("network vnet subnet create -g rg -n s");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("the following arguments are required: --vnet-name"));
    sim.ok("group delete -n rg --yes");
    assert_eq!(code(&sim.az("vm show -g rg -n vm")), 3);
}

#[test]
fn account_directory_and_role_assignments() {
    let sim = setup();
    assert_eq!(sim.json("account show")["state"], "Enabled");
    let id = sim
        .ok("ad group create --display-name AVD-Users --mail-nickname avd-users --query id -o tsv");
    let id = id.trim();
    let found = sim.json_args(&[
        "ad",
        "group",
        "list",
        "--filter",
        "displayName eq 'AVD-Users'",
    ]);
    assert_eq!(found[0]["id"], id);
    assert_eq!(sim.json("ad group show --group AVD-Users")["id"], id);
    assert_eq!(code(&sim.az("ad group show --group nobody")), 3);
    let sp = sim.json_args(&[
        "ad",
        "sp",
        "list",
        "--display-name",
        "Azure Virtual Desktop",
    ]);
    assert_eq!(sp[0]["appId"], "9cdead84-a844-4324-93f2-b2e6bb768d07");
    let scope = "/subscriptions/x/resourceGroups/rg";
    let line = format!(
        "role assignment create --assignee-object-id {id} --assignee-principal-type Group --role Desktop-Virtualization-User --scope {scope}"
    );
    let created = sim.json(&line);
    assert_eq!(created["principalId"], id);
    let listed = sim.json(&format!("role assignment list --assignee {id}"));
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[test]
fn vm_lifecycle_and_host_pool_token() {
    let sim = setup();
    let view = sim.json("vm get-instance-view -g rg -n vm");
    assert_eq!(
        view["instanceView"]["statuses"][1]["code"],
        "PowerState/running"
    );
    assert_eq!(
        view["instanceView"]["vmAgent"]["statuses"][0]["displayStatus"],
        "Ready"
    );
    assert_eq!(code(&sim.az("vm generalize -g rg -n vm")), 1);
    sim.ok("vm deallocate -g rg -n vm");
    sim.ok("vm generalize -g rg -n vm");
    assert_eq!(
        sim.json("vm show -g rg -n vm -d")["powerState"],
        "VM deallocated"
    );
    sim.ok("desktopvirtualization hostpool create -g rg -n hp --host-pool-type Pooled --load-balancer-type BreadthFirst --preferred-app-group-type Desktop");
    let token = sim.ok("desktopvirtualization hostpool update -g rg -n hp --registration-info expiration-time=2030-01-01T00:00:00Z registration-token-operation=Update --query registrationInfo.token -o tsv");
    assert!(token.trim().len() > 20, "{token}");
    let keys = sim.json("storage account keys list -g rg --account-name stavd");
    assert_eq!(keys[0]["keyName"], "key1");
}

#[test]
fn run_command_echoes_the_script_and_honours_the_sentinel() {
    let sim = setup();
    let script = avdeploy_wire::sentinel::wrap(
        "Write-Host '[START] install'\nif ($bad) {\n  Write-Host '[ERROR] hidden'\n  exit 1\n}\nWrite-Output \"[SUCCESS] done\"\nexit 3010\n",
    )
    .unwrap();
    let out = sim.run_script("rg", "vm", &script);
    assert_eq!(out["value"][0]["code"], "ComponentStatus/StdOut/succeeded");
    assert_eq!(
        out["value"][0]["message"],
        "[START] install\n[SUCCESS] done\nAVDEPLOY_EXIT_CODE=3010\n"
    );
    assert_eq!(out["value"][1]["code"], "ComponentStatus/StdErr/succeeded");
    let missing = sim.az_args(&[
        "vm",
        "run-command",
        "invoke",
        "-g",
        "rg",
        "-n",
        "nope",
        "--command-id",
        "RunPowerShellScript",
        "--scripts",
        "Write-Host 'x'",
    ]);
    assert_eq!(code(&missing), 3);
}

#[test]
fn every_call_is_logged_with_secrets_masked() {
    let sim = Sim::new();
    sim.ok("group create -n rg -l eastus");
    sim.ok("vm create -g rg -n vm --image Win11 --admin-username a --admin-password Pw-123456789");
    let _ = sim.az("group show -n nope");
    let calls = avdeploy_sim::calls::read(&sim.dir).unwrap();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].argv[..2], ["group", "create"]);
    assert!(calls[1].argv.contains(&"***".to_owned()));
    assert!(!calls[1].argv.iter().any(|a| a.contains("Pw-123456789")));
    assert_eq!(calls[2].exit, 3);
}

#[test]
fn refuses_without_a_simulator_directory() {
    let sim = Sim::new();
    let out = sim
        .command(&["group", "list"])
        .env_remove("AVDEPLOY_SIM_DIR")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("AVDEPLOY_SIM_DIR is not set"));
    let help = sim.ok("--help");
    assert!(help.contains("test double"));
}

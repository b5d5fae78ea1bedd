//! The emulator over real HTTPS: a client that trusts only the run's CA logs in, creates and
//! reads resources, polls long-running operations, meets the run-command Conflict, the
//! throttling 429 and the request log, and a second emulator on the same folder sees the first's
//! resources.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::time::{Duration, Instant};

use avdeploy_emu::Emulator;
use common::{Client, SUB, config, rg};
use serde_json::{Value, json};

#[test]
fn resources_live_through_long_running_operations_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(config(dir.path(), "", 0.002)).unwrap();
    let mode = std::fs::metadata(emulator.ca_bundle())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let client = Client::new(&emulator);

    let subs = client.call("GET", "/subscriptions?api-version=2022-12-01", None);
    assert_eq!(subs.body["value"][0]["subscriptionId"], SUB);

    let missing = client.call(
        "PUT",
        &format!(
            "{}?api-version=2024-05-01",
            rg("/providers/Microsoft.Network/virtualNetworks/v1")
        ),
        Some(json!({"location": "eastus"})),
    );
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error"]["code"], "ResourceGroupNotFound");

    let group = client.call(
        "PUT",
        &format!("/subscriptions/{SUB}/resourcegroups/rg1?api-version=2022-09-01"),
        Some(json!({"location": "eastus", "tags": {"env": "test"}})),
    );
    assert_eq!(group.status, 201);
    assert_eq!(group.body["id"], rg(""));
    assert_eq!(group.body["properties"]["provisioningState"], "Succeeded");

    let vnet_path = format!(
        "{}?api-version=2024-05-01",
        rg("/providers/Microsoft.Network/virtualNetworks/v1")
    );
    let body = json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "s1", "properties": {"addressPrefix": "10.0.1.0/24"}}]}});
    let created = client.call("PUT", &vnet_path, Some(body));
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["properties"]["provisioningState"], "Creating");
    assert!(created.headers.contains_key("retry-after"));
    assert_eq!(client.wait(&created)["status"], "Succeeded");
    let vnet = client.call("GET", &vnet_path, None);
    assert_eq!(vnet.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(vnet.body["properties"]["subnets"][0]["name"], "s1");
    let subnet = client.call(
        "GET",
        &format!(
            "{}?api-version=2024-05-01",
            rg("/providers/Microsoft.Network/virtualNetworks/v1/subnets/s1")
        ),
        None,
    );
    assert_eq!(subnet.body["properties"]["addressPrefix"], "10.0.1.0/24");

    let nic_path = format!(
        "{}?api-version=2024-05-01",
        rg("/providers/Microsoft.Network/networkInterfaces/n1")
    );
    let dangling = json!({"location": "eastus", "properties": {"ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": rg("/providers/Microsoft.Network/virtualNetworks/v1/subnets/nope")}}}]}});
    let refused = client.call("PUT", &nic_path, Some(dangling));
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["error"]["code"], "InvalidResourceReference");

    let patched = client.call(
        "PATCH",
        &format!("/subscriptions/{SUB}/resourcegroups/rg1?api-version=2022-09-01"),
        Some(json!({"tags": {"owner": "me"}})),
    );
    assert_eq!(patched.body["tags"], json!({"owner": "me"}));
    assert_eq!(patched.body["location"], "eastus");

    let listed = client.call("GET", &format!("/subscriptions/{SUB}/resources?$filter=resourceType%20eq%20%27Microsoft.Network%2FvirtualNetworks%27&api-version=2022-09-01"), None);
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    drop(client);
    emulator.shutdown();

    let again = Emulator::start(config(dir.path(), "", 0.002)).unwrap();
    let client = Client::new(&again);
    let vnet = client.call("GET", &vnet_path, None);
    assert_eq!(
        vnet.status, 200,
        "a second run sees the first run's resources"
    );
    let deleted = client.call(
        "DELETE",
        &format!("/subscriptions/{SUB}/resourcegroups/rg1?api-version=2022-09-01"),
        None,
    );
    assert_eq!(deleted.status, 202);
    assert!(deleted.headers.contains_key("location"));
    assert_eq!(
        client.call("GET", &vnet_path, None).body["error"]["code"],
        "ResourceGroupNotFound"
    );

    let log = std::fs::read_to_string(dir.path().join("requests.jsonl")).unwrap();
    let first: Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(first["method"], "POST");
    assert!(
        log.lines()
            .any(|l| l.contains("\"api-version\":\"2024-05-01\"") && l.contains("\"status\":201"))
    );
}

#[test]
fn run_commands_conflict_and_faults_answer_in_azures_format() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(config(
        dir.path(),
        "group create call=1 => throttle 30",
        0.02,
    ))
    .unwrap();
    let mut client = Client::new(&emulator);
    client.command = Some("group create".to_owned());
    let group_path = format!("/subscriptions/{SUB}/resourcegroups/rg1?api-version=2022-09-01");
    let throttled = client.call("PUT", &group_path, Some(json!({"location": "eastus"})));
    assert_eq!(throttled.status, 429);
    assert_eq!(
        throttled.body["error"]["code"],
        "SubscriptionRequestsThrottled"
    );
    assert_eq!(throttled.headers["retry-after"], "0.600");
    for _ in 0..3 {
        let retried = client.call("PUT", &group_path, Some(json!({"location": "eastus"})));
        assert_eq!(
            retried.status, 429,
            "the client's own retries are throttled too"
        );
    }
    assert_eq!(
        client
            .call("PUT", &group_path, Some(json!({"location": "eastus"})))
            .status,
        201
    );
    client.command = None;

    let vm_path = rg("/providers/Microsoft.Compute/virtualMachines/vm1");
    let vm = client.call("PUT", &format!("{vm_path}?api-version=2024-07-01"), Some(json!({"location": "eastus", "identity": {"type": "SystemAssigned"},
        "properties": {"osProfile": {"computerName": "vm1", "adminUsername": "u", "adminPassword": "P@ssw0rd-never-stored"}}})));
    assert_eq!(vm.status, 201);
    assert!(vm.body["identity"]["principalId"].is_string());
    client.wait(&vm);
    let stored = std::fs::read_to_string(dir.path().join("emulator.json")).unwrap();
    assert!(
        !stored.contains("never-stored"),
        "admin passwords never reach disk"
    );

    let run = format!("{vm_path}/runCommand?api-version=2024-07-01");
    let script = json!({"commandId": "RunPowerShellScript", "script": ["Write-Output 'hello'"]});
    let first = client.call("POST", &run, Some(script.clone()));
    assert_eq!(first.status, 202);
    let second = client.call("POST", &run, Some(script));
    assert_eq!(second.status, 409);
    assert_eq!(second.body["error"]["code"], "Conflict");
    assert!(
        second.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Run command extension execution is in progress.")
    );
    client.wait(&first);
    let location = first.headers["location"].to_str().unwrap();
    let path = &location[location.find("/subscriptions").unwrap()..];
    let result = client.call("GET", path, None);
    assert_eq!(result.status, 200);
    assert_eq!(
        result.body["value"][0]["code"],
        "ComponentStatus/StdOut/succeeded"
    );
    assert!(
        result.body["value"][0]["message"]
            .as_str()
            .unwrap()
            .contains("hello")
    );

    let generalize = client.call(
        "POST",
        &format!("{vm_path}/generalize?api-version=2024-07-01"),
        None,
    );
    assert_eq!(generalize.status, 409, "a running VM cannot be generalized");
    let deallocate = client.call(
        "POST",
        &format!("{vm_path}/deallocate?api-version=2024-07-01"),
        None,
    );
    assert_eq!(deallocate.status, 202);
    client.wait(&deallocate);
    let view = client.call(
        "GET",
        &format!("{vm_path}/instanceView?api-version=2024-07-01"),
        None,
    );
    assert_eq!(view.body["statuses"][1]["code"], "PowerState/deallocated");
    assert_eq!(
        client
            .call(
                "POST",
                &format!("{vm_path}/generalize?api-version=2024-07-01"),
                None
            )
            .status,
        200
    );

    let unauthenticated = Client {
        token: String::new(),
        ..client
    };
    let refused = unauthenticated.call("GET", "/subscriptions?api-version=2022-12-01", None);
    assert_eq!(refused.status, 401);
}

#[test]
fn shapes_the_cli_reads_are_azures() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(config(dir.path(), "", 0.02)).unwrap();
    let client = Client::new(&emulator);
    let group = format!("/subscriptions/{SUB}/resourcegroups/rg1?api-version=2024-11-01");
    assert_eq!(
        client
            .call("PUT", &group, Some(json!({"location": "westeurope"})))
            .status,
        201
    );

    let check = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Storage/checkNameAvailability?api-version=2025-08-01"
    );
    let free = client.call(
        "POST",
        &check,
        Some(json!({"name": "avdprofiles", "type": "Microsoft.Storage/storageAccounts"})),
    );
    assert_eq!(free.body, json!({"nameAvailable": true}));
    let account = client.call(
        "PUT",
        &format!(
            "{}?api-version=2025-08-01",
            rg("/providers/Microsoft.Storage/storageAccounts/avdprofiles")
        ),
        Some(
            json!({"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Premium_LRS"}}),
        ),
    );
    assert_eq!(
        account.status, 202,
        "storage accounts answer 202 + Location, never 201"
    );
    assert!(account.headers.contains_key("location"));
    let taken = client.call("POST", &check, Some(json!({"name": "avdprofiles"})));
    assert_eq!(taken.body["reason"], "AlreadyExists");
    let keys = client.call(
        "POST",
        &format!(
            "{}?api-version=2025-08-01",
            rg("/providers/Microsoft.Storage/storageAccounts/avdprofiles/listKeys")
        ),
        None,
    );
    assert_eq!(keys.body["keys"][1]["keyName"], "key2");

    let nsg = client.call(
        "PUT",
        &format!(
            "{}?api-version=2022-01-01",
            rg("/providers/Microsoft.Network/networkSecurityGroups/nsg1")
        ),
        Some(json!({"location": "westeurope"})),
    );
    client.wait(&nsg);
    let rule = client.call("PUT", &format!("{}?api-version=2022-01-01", rg("/providers/Microsoft.Network/networkSecurityGroups/nsg1/securityRules/r1")),
        Some(json!({"properties": {"priority": 100, "access": "Allow", "direction": "Inbound", "protocol": "Tcp"}})));
    client.wait(&rule);
    let shown = client.call(
        "GET",
        &format!(
            "{}?api-version=2022-01-01",
            rg("/providers/Microsoft.Network/networkSecurityGroups/nsg1")
        ),
        None,
    );
    assert_eq!(
        shown.body["properties"]["securityRules"][0]["name"], "r1",
        "{}",
        shown.body
    );
    assert_eq!(
        shown.body["properties"]["defaultSecurityRules"]
            .as_array()
            .unwrap()
            .len(),
        6
    );

    let versions = client.call("GET", &format!("/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westeurope/publishers/MicrosoftWindowsDesktop/artifacttypes/vmimage/offers/windows-11/skus/win11-24h2-avd/versions?$top=1&api-version=2024-11-01"), None);
    let listed = versions
        .body
        .as_array()
        .expect("a bare array, as Azure answers");
    let version = listed[0]["id"].as_str().unwrap();
    let image = client.call("GET", &format!("{version}?api-version=2024-11-01"), None);
    assert_eq!(image.body["properties"]["hyperVGeneration"], "V2");

    let vm_path = rg("/providers/Microsoft.Compute/virtualMachines/vm1");
    let vm = client.call(
        "PUT",
        &format!("{vm_path}?api-version=2024-07-01"),
        Some(json!({"location": "westeurope", "properties": {}})),
    );
    client.wait(&vm);
    let expanded = client.call(
        "GET",
        &format!("{vm_path}?$expand=instanceView&api-version=2024-07-01"),
        None,
    );
    assert_eq!(
        expanded.body["properties"]["instanceView"]["vmAgent"]["statuses"][0]["displayStatus"],
        "Ready"
    );
    assert!(expanded.body.get("_emulator").is_none());

    let managed = format!("{vm_path}/runCommands/rc1?api-version=2024-11-01");
    let script = "Write-Output 'one'\nWrite-Output 'two'\nexit 3";
    let created = client.call("PUT", &managed, Some(json!({"location": "westeurope", "properties": {"asyncExecution": true, "source": {"script": script}}})));
    assert_eq!(created.status, 201, "{}", created.body);
    let busy = client.call(
        "POST",
        &format!("{vm_path}/runCommand?api-version=2024-11-01"),
        Some(json!({"commandId": "RunPowerShellScript", "script": ["hostname"]})),
    );
    assert_eq!(busy.status, 409, "a managed run command holds its VM too");
    let deadline = Instant::now() + Duration::from_secs(20);
    let view = loop {
        let read = client.call(
            "GET",
            &format!("{vm_path}/runCommands/rc1?$expand=instanceView&api-version=2024-11-01"),
            None,
        );
        let view = read.body["properties"]["instanceView"].clone();
        if view["executionState"] != "Running" {
            break view;
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(30));
    };
    assert_eq!(view["executionState"], "Failed");
    assert_eq!(view["exitCode"], 3);
    assert!(view["output"].as_str().unwrap().contains("two"));
    assert_eq!(client.call("DELETE", &managed, None).status, 200);
}

/// The template `az vm create` sends (a NIC on an existing subnet, the VM depending on it).
fn vm_template(subnet: &str) -> Value {
    json!({"properties": {"mode": "incremental",
    "parameters": {"adminPassword": {"value": "Sup3r-secret-pw"}},
    "template": {"$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"adminPassword": {"type": "securestring"}},
        "variables": {}, "outputs": {},
        "resources": [
            {"apiVersion": "2015-06-15", "type": "Microsoft.Network/networkInterfaces", "name": "vm1VMNic",
             "location": "westeurope", "tags": {}, "dependsOn": [],
             "properties": {"ipConfigurations": [{"name": "ipconfigvm1", "properties": {
                 "privateIPAllocationMethod": "Dynamic", "subnet": {"id": subnet}}}]}},
            {"apiVersion": "2026-04-01", "type": "Microsoft.Compute/virtualMachines", "name": "vm1",
             "location": "westeurope", "tags": {}, "identity": {"type": "SystemAssigned"},
             "dependsOn": ["Microsoft.Network/networkInterfaces/vm1VMNic"],
             "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                "networkProfile": {"networkInterfaces": [{"id": "[resourceId('Microsoft.Network/networkInterfaces', 'vm1VMNic')]"}]},
                "storageProfile": {"osDisk": {"createOption": "fromImage", "name": null, "caching": "ReadWrite",
                    "managedDisk": {"storageAccountType": null}},
                    "imageReference": {"publisher": "MicrosoftWindowsDesktop", "offer": "windows-11", "sku": "win11-24h2-avd", "version": "latest"}},
                "osProfile": {"computerName": "vm1", "adminUsername": "azureuser", "adminPassword": "[parameters('adminPassword')]"}}}
        ]}}})
}

#[test]
fn template_deployments_create_what_az_vm_create_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(config(dir.path(), "", 0.002)).unwrap();
    let client = Client::new(&emulator);
    let group = format!("/subscriptions/{SUB}/resourcegroups/rg1?api-version=2024-11-01");
    assert_eq!(
        client
            .call("PUT", &group, Some(json!({"location": "westeurope"})))
            .status,
        201
    );
    let vnet = client.call("PUT", &format!("{}?api-version=2024-05-01", rg("/providers/Microsoft.Network/virtualNetworks/v1")),
        Some(json!({"location": "westeurope", "properties": {"subnets": [{"name": "hosts", "properties": {"addressPrefix": "10.0.1.0/24"}}]}})));
    client.wait(&vnet);
    let deployments = rg("/providers/Microsoft.Resources/deployments");

    let dangling = vm_template(&rg(
        "/providers/Microsoft.Network/virtualNetworks/v1/subnets/none",
    ));
    let failed = client.call(
        "PUT",
        &format!("{deployments}/d0?api-version=2024-11-01"),
        Some(dangling),
    );
    assert_eq!(failed.status, 201);
    let status = client.wait(&failed);
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "DeploymentFailed");
    assert_eq!(
        status["error"]["details"][0]["code"],
        "InvalidResourceReference"
    );

    let good = vm_template(&rg(
        "/providers/Microsoft.Network/virtualNetworks/v1/subnets/hosts",
    ));
    let accepted = client.call(
        "PUT",
        &format!("{deployments}/d1?api-version=2024-11-01"),
        Some(good),
    );
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    assert_eq!(accepted.body["properties"]["provisioningState"], "Accepted");
    assert_eq!(client.wait(&accepted)["status"], "Succeeded");
    let deployment = client.call(
        "GET",
        &format!("{deployments}/d1?api-version=2024-11-01"),
        None,
    );
    assert_eq!(
        deployment.body["properties"]["provisioningState"],
        "Succeeded"
    );
    assert_eq!(
        deployment.body["properties"]["parameters"]["adminPassword"],
        json!({"type": "securestring"})
    );

    let vm = client.call(
        "GET",
        &format!(
            "{}?$expand=instanceView&api-version=2024-11-01",
            rg("/providers/Microsoft.Compute/virtualMachines/vm1")
        ),
        None,
    );
    assert_eq!(vm.status, 200);
    assert_eq!(
        vm.body["properties"]["instanceView"]["statuses"][1]["code"],
        "PowerState/running"
    );
    assert!(vm.body["identity"]["principalId"].is_string());
    let disk_id = vm.body["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"]
        .as_str()
        .unwrap();
    let disk = client.call("GET", &format!("{disk_id}?api-version=2025-01-02"), None);
    assert_eq!(
        disk.body["managedBy"],
        rg("/providers/Microsoft.Compute/virtualMachines/vm1")
    );
    let nic = client.call(
        "GET",
        &format!(
            "{}?api-version=2022-01-01",
            rg("/providers/Microsoft.Network/networkInterfaces/vm1VMNic")
        ),
        None,
    );
    assert!(
        nic.body["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"].is_string()
    );
    assert_eq!(
        client
            .call("DELETE", &format!("{disk_id}?api-version=2025-01-02"), None)
            .status,
        409,
        "an attached disk stays"
    );

    let deleted = client.call(
        "DELETE",
        &format!(
            "{}?api-version=2024-11-01",
            rg("/providers/Microsoft.Compute/virtualMachines/vm1")
        ),
        None,
    );
    assert_eq!(deleted.status, 202);
    let detached = client.call("DELETE", &format!("{disk_id}?api-version=2025-01-02"), None);
    assert!(matches!(detached.status, 200 | 202), "{}", detached.body);

    let stored = std::fs::read_to_string(dir.path().join("emulator.json")).unwrap();
    assert!(
        !stored.contains("Sup3r-secret-pw"),
        "the password never reaches disk"
    );
    let log = std::fs::read_to_string(dir.path().join("requests.jsonl")).unwrap();
    assert!(!log.contains("Sup3r-secret-pw"));

    let bad = client.call("PUT", &format!("{deployments}/d2?api-version=2024-11-01"),
        Some(json!({"properties": {"mode": "incremental", "template": {"parameters": {"p": {"type": "string"}}, "resources": []}}})));
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["code"], "InvalidTemplate");
}

#[test]
fn extension_versions_are_found_through_publishers_and_types_as_az_vm_extension_set_looks() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(config(dir.path(), "", 0.02)).unwrap();
    let client = Client::new(&emulator);
    let base = format!("/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westeurope");
    let publishers = client.call(
        "GET",
        &format!("{base}/publishers?api-version=2024-07-01"),
        None,
    );
    assert_eq!(publishers.status, 200, "{}", publishers.body);
    assert!(
        publishers
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "Microsoft.Azure.ActiveDirectory"),
        "{}",
        publishers.body
    );
    let publisher =
        format!("{base}/publishers/Microsoft.Azure.ActiveDirectory/artifacttypes/vmextension");
    let types = client.call(
        "GET",
        &format!("{publisher}/types?api-version=2024-07-01"),
        None,
    );
    assert_eq!(types.status, 200, "{}", types.body);
    assert!(
        types
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "AADLoginForWindows")
    );
    let versions = client.call(
        "GET",
        &format!("{publisher}/types/AADLoginForWindows/versions?api-version=2024-07-01"),
        None,
    );
    assert_eq!(versions.status, 200);
    assert!(versions.body[0]["name"].is_string(), "{}", versions.body);
}

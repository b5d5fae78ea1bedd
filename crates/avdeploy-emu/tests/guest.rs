//! What a run command's script does to its VM as Azure reports it: a guest that shuts itself
//! down (sysprep `/shutdown`, `Stop-Computer`) runs until the run command returns, then is
//! stopped but not deallocated; one that restarts itself runs on.

mod common;

use avdeploy_emu::Emulator;
use common::{Client, config, rg};
use serde_json::json;

/// The power state code of `vm_path`'s instance view.
fn power(client: &Client, vm_path: &str) -> String {
    let view = client.call(
        "GET",
        &format!("{vm_path}/instanceView?api-version=2024-07-01"),
        None,
    );
    assert_eq!(view.status, 200, "{}", view.body);
    view.body["statuses"][1]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Creates the resource group and a running VM `name`; its path.
fn running_vm(client: &Client, name: &str) -> String {
    let group = client.call(
        "PUT",
        &format!("{}?api-version=2022-09-01", rg("")),
        Some(json!({"location": "eastus"})),
    );
    assert!(matches!(group.status, 200 | 201), "{}", group.body);
    let vm_path = rg(&format!(
        "/providers/Microsoft.Compute/virtualMachines/{name}"
    ));
    let vm = client.call(
        "PUT",
        &format!("{vm_path}?api-version=2024-07-01"),
        Some(json!({"location": "eastus", "properties": {"osProfile": {"computerName": name}}})),
    );
    assert_eq!(vm.status, 201, "{}", vm.body);
    client.wait(&vm);
    vm_path
}

#[test]
fn sysprep_shutdown_leaves_the_vm_stopped_once_the_run_command_returned() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(config(dir.path(), "", 0.02)).unwrap();
    let client = Client::new(&emulator);
    let vm_path = running_vm(&client, "gold");
    let script = json!({"commandId": "RunPowerShellScript", "script": [
        "$p = Start-Process -FilePath 'C:\\Windows\\System32\\Sysprep\\sysprep.exe' -ArgumentList '/generalize', '/oobe', '/shutdown', '/mode:vm' -PassThru",
        "Write-Output 'sysprep started'",
    ]});
    let run = client.call(
        "POST",
        &format!("{vm_path}/runCommand?api-version=2024-07-01"),
        Some(script),
    );
    assert_eq!(run.status, 202, "{}", run.body);
    assert_eq!(
        power(&client, &vm_path),
        "PowerState/running",
        "the guest runs while the script does"
    );
    client.wait(&run);
    assert_eq!(power(&client, &vm_path), "PowerState/stopped");
    // Stopped, not deallocated: generalize still needs the deallocation.
    let start = client.call(
        "POST",
        &format!("{vm_path}/start?api-version=2024-07-01"),
        None,
    );
    assert_eq!(start.status, 202);
    client.wait(&start);
    assert_eq!(power(&client, &vm_path), "PowerState/running");
}

#[test]
fn stop_computer_in_a_managed_run_command_stops_the_vm_restart_computer_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(config(dir.path(), "", 0.02)).unwrap();
    let client = Client::new(&emulator);
    let vm_path = running_vm(&client, "vm1");
    let managed = |name: &str, script: &str| {
        let put = client.call(
            "PUT",
            &format!("{vm_path}/runCommands/{name}?api-version=2024-11-01"),
            Some(json!({"location": "eastus", "properties": {
                "source": {"script": script}, "asyncExecution": false}})),
        );
        assert!(matches!(put.status, 200 | 201), "{}", put.body);
        if put.headers.contains_key("azure-asyncoperation") {
            client.wait(&put);
        }
    };
    managed("restart", "Restart-Computer -Force");
    std::thread::sleep(std::time::Duration::from_millis(
        (avdeploy_sim::catalog::RUN_COMMAND_DEFAULT_SECONDS * 20.0) as u64 + 50,
    ));
    assert_eq!(power(&client, &vm_path), "PowerState/running");
    managed("stop", "Write-Output 'bye'\nStop-Computer -Force");
    std::thread::sleep(std::time::Duration::from_millis(
        (avdeploy_sim::catalog::RUN_COMMAND_DEFAULT_SECONDS * 20.0) as u64 + 50,
    ));
    assert_eq!(power(&client, &vm_path), "PowerState/stopped");
}

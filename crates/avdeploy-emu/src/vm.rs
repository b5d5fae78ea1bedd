//! A virtual machine's guest as Azure reports it: power state, instance view, the run-command
//! slot and the instance view of managed run commands.

use avdeploy_sim::catalog::RUN_COMMAND_DEFAULT_SECONDS;
use avdeploy_sim::clock;
use avdeploy_sim::failure::RUN_COMMAND_CONFLICT;
use serde_json::{Value, json};

use crate::arm_id::ResourceRef;
use crate::exchange::Response;
use crate::store::PRIVATE;
use crate::world::World;

/// Adds `properties.instanceView` to a VM or managed run command read with
/// `$expand=instanceView`.
pub(crate) fn expand_instance_view(world: &World, resource: &ResourceRef, body: &mut Value) {
    let Some(stored) = world.store.get(&resource.id) else {
        return;
    };
    let kind = resource.type_name.to_ascii_lowercase();
    if kind == "microsoft.compute/virtualmachines" {
        body["properties"]["instanceView"] = instance_view(stored);
    } else if kind == "microsoft.compute/virtualmachines/runcommands" {
        body["properties"]["instanceView"] = managed_view(stored);
    }
}

/// The power state of a stored VM (`running`, `deallocated`, `stopped`).
pub(crate) fn power_state(vm: &Value) -> &str {
    vm[PRIVATE]["powerState"].as_str().unwrap_or("running")
}

/// The VM's instance view: provisioning and power states, agent ready.
pub(crate) fn instance_view(vm: &Value) -> Value {
    let power = power_state(vm);
    let display = match power {
        "deallocated" => "VM deallocated",
        "stopped" => "VM stopped",
        _ => "VM running",
    };
    let now = clock::iso_now();
    let mut view = json!({
        "computerName": vm["properties"]["osProfile"]["computerName"],
        "osName": "Windows 11 Enterprise multi-session",
        "vmAgent": {
            "vmAgentVersion": "2.7.41491.1102",
            "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info",
                "displayStatus": "Ready", "message": "GuestAgent is running and processing the extensions.", "time": now}],
        },
        "statuses": [
            {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded", "time": now},
            {"code": format!("PowerState/{power}"), "level": "Info", "displayStatus": display},
        ],
    });
    if vm[PRIVATE]["generalized"] == json!(true)
        && let Some(statuses) = view["statuses"].as_array_mut()
    {
        statuses.push(json!({"code": "OSState/generalized", "level": "Info", "displayStatus": "VM generalized"}));
    }
    view
}

/// The run-command overlap answer (HTTP 409, code `Conflict`).
pub(crate) fn run_command_conflict() -> Response {
    Response::error(409, "Conflict", RUN_COMMAND_CONFLICT)
}

/// The Azure seconds a run command takes here.
pub(crate) const RUN_COMMAND_SECONDS: f64 = RUN_COMMAND_DEFAULT_SECONDS;

/// The instance view of a stored managed run command (execution state, exit code, output).
pub(crate) fn managed_view(stored: &Value) -> Value {
    let private = &stored[PRIVATE];
    let wrapped = json!({ avdeploy_sim::resource::PRIVATE: private });
    avdeploy_sim::managed_command::view(&wrapped, true, clock::now_ms())["instanceView"].clone()
}

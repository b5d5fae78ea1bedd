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

/// The power state of a stored VM (`running`, `deallocated`, `stopped`): a guest that shuts
/// itself down still runs until the run command that shut it down has returned.
pub(crate) fn power_state(vm: &Value) -> &str {
    let private = &vm[PRIVATE];
    if private[SHUTS_DOWN_AT]
        .as_i64()
        .is_some_and(|at| clock::now_ms() < at)
    {
        return "running";
    }
    private["powerState"].as_str().unwrap_or("running")
}

/// The private field holding when (ms) the guest's own shutdown leaves the VM stopped.
const SHUTS_DOWN_AT: &str = "shutsDownAt";

/// Records that the guest of `vm` shuts itself down when the run command ending at `ends` (ms)
/// has returned: Azure then reports it stopped, still allocated.
pub(crate) fn shut_down_after(vm: &mut Value, ends: i64) {
    vm[PRIVATE]["powerState"] = json!("stopped");
    vm[PRIVATE][SHUTS_DOWN_AT] = json!(ends);
}

/// Sets the power state of `vm` as an action on it leaves it.
pub(crate) fn set_power(vm: &mut Value, state: &str) {
    vm[PRIVATE]["powerState"] = json!(state);
    if let Some(private) = vm[PRIVATE].as_object_mut() {
        private.remove(SHUTS_DOWN_AT);
    }
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

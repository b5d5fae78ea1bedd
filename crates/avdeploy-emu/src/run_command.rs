//! `POST …/virtualMachines/{vm}/runCommand`: one script at a time per VM (a second gets the
//! 409 `Conflict`), the script answered by the shim's PowerShell evaluator, the `value[]` result
//! read from the operation's `Location`.

use avdeploy_sim::clock;
use avdeploy_sim::runcommand::run_script;
use serde_json::{Value, json};

use crate::actions::{RUN_COMMAND_SECONDS, power_state, run_command_conflict};
use crate::arm_id::ResourceRef;
use crate::exchange::{Request, Response};
use crate::faults::Injected;
use crate::lro::{Outcome, Polling};
use crate::resources::operation_urls;
use crate::world::World;

/// Starts a run command on `vm`.
pub(crate) fn invoke(
    world: &mut World,
    request: &Request,
    resource: &ResourceRef,
    vm: &Value,
    fault: Option<Injected>,
) -> Response {
    let body = match request.json() {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    if body["commandId"].as_str().is_none_or(str::is_empty) {
        return Response::error(
            400,
            "InvalidParameter",
            "Required parameter 'commandId' is missing (null).",
        );
    }
    if power_state(vm) != "running" {
        return Response::error(
            409,
            "OperationNotAllowed",
            "The operation requires the VM to be running (or set to run).",
        );
    }
    let key = resource.id.to_ascii_lowercase();
    let now = clock::now_ms();
    if world
        .run_commands
        .get(&key)
        .is_some_and(|until| now < *until)
    {
        return run_command_conflict();
    }
    let script = body["script"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let forced_exit = match fault {
        Some(Injected::ScriptExit(code)) => Some(code),
        _ => None,
    };
    let (stdout, stderr) = run_script(&script, forced_exit);
    let duration = clock::scaled(RUN_COMMAND_SECONDS, world.config.time_scale);
    world
        .run_commands
        .insert(key, now + clock::millis(duration));
    let result = json!({"value": [
        status("StdOut", &stdout),
        status("StdErr", &stderr),
    ]});
    let op = world
        .operations
        .start(duration, Outcome::Succeeded(Some(result)));
    let urls = operation_urls(world, request, resource);
    world
        .operations
        .accepted(Response::empty(202), &op, &urls, Polling::AsyncOperation)
}

fn status(stream: &str, message: &str) -> Value {
    json!({
        "code": format!("ComponentStatus/{stream}/succeeded"),
        "level": "Info",
        "displayStatus": "Provisioning succeeded",
        "message": message,
    })
}

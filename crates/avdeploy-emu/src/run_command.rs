//! `POST …/virtualMachines/{vm}/runCommand`: one script at a time per VM (a second gets the
//! 409 `Conflict`), the script answered by the shim's PowerShell evaluator, the `value[]` result
//! read from the operation's `Location`. A script that shuts the guest down
//! ([`script_effects::shuts_down`]) leaves the VM stopped once it has returned.

use avdeploy_sim::clock;
use avdeploy_sim::runcommand::{script_run, transcript};
use avdeploy_sim::script_effects;
use serde_json::{Value, json};

use crate::arm_id::ResourceRef;
use crate::exchange::{Request, Response};
use crate::faults::Injected;
use crate::lro::{Outcome, Polling};
use crate::views::operation_urls;
use crate::vm::{RUN_COMMAND_SECONDS, power_state, run_command_conflict, shut_down_after};
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
    let run = script_run(&script, forced_exit);
    let duration = clock::scaled(RUN_COMMAND_SECONDS, world.config.time_scale);
    let ends = now + clock::millis(duration);
    if script_effects::shuts_down(&run) {
        let mut vm = vm.clone();
        shut_down_after(&mut vm, ends);
        world.store.put(vm);
        if let Err(refused) = world.save() {
            return refused;
        }
    }
    let (stdout, stderr) = transcript(run);
    world.run_commands.insert(key, ends);
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

/// Azure keeps at most this many managed run commands per VM.
const MANAGED_PER_VM: usize = avdeploy_sim::managed_command::MAX_PER_VM;

/// Completes a managed run command (`PUT …/runCommands/{name}`): the VM must run and be free;
/// the script runs at once and its output is revealed over its scaled duration.
pub(crate) fn complete_managed(
    world: &mut World,
    resource: &ResourceRef,
    next: &mut Value,
    fault: Option<&Injected>,
) -> Result<(), Response> {
    let vm_id = resource.parent.clone().unwrap_or_default();
    let vm = world.store.get(&vm_id).cloned().unwrap_or(Value::Null);
    if power_state(&vm) != "running" {
        return Err(Response::error(
            409,
            "OperationNotAllowed",
            "The operation requires the VM to be running (or set to run).",
        ));
    }
    let prefix = format!("{}/runcommands/", vm_id.to_ascii_lowercase());
    let others = world
        .store
        .resources()
        .filter_map(|r| r["id"].as_str())
        .filter(|id| {
            let id = id.to_ascii_lowercase();
            id.starts_with(&prefix) && id != resource.id.to_ascii_lowercase()
        })
        .count();
    if others >= MANAGED_PER_VM {
        return Err(Response::error(
            409,
            "OperationNotAllowed",
            &format!(
                "The maximum number of run commands ({MANAGED_PER_VM}) for virtual machine '{}' has been reached. Delete run commands that are no longer needed and try again.",
                vm_id.rsplit('/').next().unwrap_or_default()
            ),
        ));
    }
    let key = vm_id.to_ascii_lowercase();
    let now = clock::now_ms();
    if world
        .run_commands
        .get(&key)
        .is_some_and(|until| now < *until)
    {
        return Err(run_command_conflict());
    }
    let props = &mut next["properties"];
    let script = props["source"]["script"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let forced_exit = match fault {
        Some(Injected::ScriptExit(code)) => Some(*code),
        _ => None,
    };
    let run = script_run(&script, forced_exit);
    let duration = clock::scaled(RUN_COMMAND_SECONDS, world.config.time_scale);
    let ends = now + clock::millis(duration);
    if vm.is_object() && script_effects::shuts_down(&run) {
        let mut vm = vm;
        shut_down_after(&mut vm, ends);
        world.store.put(vm);
    }
    let timeout = props["timeoutInSeconds"].as_f64().filter(|t| *t > 0.0);
    // Azure never returns protected parameters; the stored script is masked like the shim's.
    if let Some(map) = props.as_object_mut() {
        map.remove("protectedParameters");
    }
    let masked = avdeploy_sim::calls::env_redactor()
        .redact(&script)
        .into_owned();
    props["source"]["script"] = json!(masked);
    next[crate::store::PRIVATE] = json!({
        "started": now,
        "ends": ends,
        "timedOut": timeout.is_some_and(|t| RUN_COMMAND_SECONDS > t),
        "stdout": run.stdout,
        "stderr": run.stderr,
        "code": run.code,
    });
    world.run_commands.insert(key, ends);
    Ok(())
}

//! POST actions on resources: VM power actions, generalize and instance view, run commands,
//! storage account keys and host pool registration tokens.

use avdeploy_sim::clock;
use serde_json::{Value, json};

use crate::arm_id::ResourceRef;
use crate::exchange::{Request, Response};
use crate::faults::Injected;
use crate::lro::{Outcome, Polling};
use crate::store::PRIVATE;
use crate::views::{missing, operation_urls};
use crate::vm::{instance_view, power_state, set_power};
use crate::world::World;

/// VM actions: (action, Azure seconds, power state after).
const VM_ACTIONS: &[(&str, f64, &str)] = &[
    ("deallocate", 30.0, "deallocated"),
    ("poweroff", 20.0, "stopped"),
    ("restart", 30.0, "running"),
    ("start", 30.0, "running"),
];

/// Answers `POST {resource}/{action}` (and `GET …/instanceView`).
pub(crate) fn respond(
    world: &mut World,
    request: &Request,
    resource: &ResourceRef,
    action: &str,
    fault: Option<Injected>,
) -> Response {
    let Some(stored) = world.store.get(&resource.id).cloned() else {
        return missing(world, resource);
    };
    let kind = resource.type_name.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    match (kind.as_str(), action.as_str()) {
        ("microsoft.compute/virtualmachines", "instanceview") => {
            Response::json(200, instance_view(&stored))
        }
        ("microsoft.compute/virtualmachines", "runcommand") => {
            crate::run_command::invoke(world, request, resource, &stored, fault)
        }
        ("microsoft.compute/virtualmachines", "generalize") => generalize(world, resource, stored),
        ("microsoft.compute/virtualmachines", power) => {
            match VM_ACTIONS.iter().find(|(a, _, _)| *a == power) {
                Some((_, seconds, state)) => {
                    power_action(world, request, resource, stored, *seconds, state)
                }
                None => no_route(request),
            }
        }
        ("microsoft.storage/storageaccounts", "listkeys") => Response::json(
            200,
            json!({"keys": [key(resource, "key1"), key(resource, "key2")]}),
        ),
        ("microsoft.desktopvirtualization/hostpools", "retrieveregistrationtoken") => {
            let info = &stored["properties"]["registrationInfo"];
            Response::json(
                200,
                json!({
                    "expirationTime": info["expirationTime"],
                    "token": info["token"],
                    "registrationTokenOperation": info["registrationTokenOperation"],
                }),
            )
        }
        _ => no_route(request),
    }
}

fn power_action(
    world: &mut World,
    request: &Request,
    resource: &ResourceRef,
    mut vm: Value,
    seconds: f64,
    state: &str,
) -> Response {
    set_power(&mut vm, state);
    world.store.put(vm);
    if let Err(refused) = world.save() {
        return refused;
    }
    let duration = clock::scaled(seconds, world.config.time_scale);
    let op = world.operations.start(duration, Outcome::Succeeded(None));
    let urls = operation_urls(world, request, resource);
    world
        .operations
        .accepted(Response::empty(202), &op, &urls, Polling::AsyncOperation)
}

fn generalize(world: &mut World, resource: &ResourceRef, mut vm: Value) -> Response {
    if power_state(&vm) == "running" {
        return Response::error(
            409,
            "OperationNotAllowed",
            &format!(
                "Operation 'generalize' is not allowed on VM '{}' since the VM is running. Please power off (deallocate) the VM and try again.",
                resource.name
            ),
        );
    }
    vm[PRIVATE]["generalized"] = json!(true);
    world.store.put(vm);
    match world.save() {
        Ok(()) => Response::empty(200),
        Err(refused) => refused,
    }
}

/// A storage key derived from the account id: stable, never stored.
fn key(resource: &ResourceRef, name: &str) -> Value {
    let seed = format!("{}|{name}", resource.id.to_ascii_lowercase());
    let mut bytes = Vec::with_capacity(64);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed.bytes() {
        h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    while bytes.len() < 64 {
        h = h.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) ^ 0x2545_f491_4f6c_dd1d;
        bytes.extend_from_slice(&h.to_le_bytes());
    }
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let value: String = bytes
        .iter()
        .take(64)
        .map(|b| char::from(alphabet[usize::from(*b) % 64]))
        .collect();
    json!({
        "keyName": name,
        "value": format!("{}==", &value[..86.min(value.len())]),
        "permissions": "FULL",
        "creationTime": "2026-01-01T00:00:00.0000000Z",
    })
}

fn no_route(request: &Request) -> Response {
    Response::error(
        404,
        "NotFound",
        &format!(
            "No HTTP resource was found that matches the request URI '{}'.",
            request.path
        ),
    )
}

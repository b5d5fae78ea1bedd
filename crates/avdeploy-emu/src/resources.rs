//! One resource by its ARM id: PUT creates or replaces, PATCH merges, GET and HEAD read, DELETE
//! removes it with everything under it; long-running types answer as ARM does (201/202 and
//! polling headers), and references to parents and other resources are checked.

use serde_json::{Map, Value, json};

use crate::arm_id::{self, ResourceRef};
use crate::durations;
use crate::exchange::{Request, Response};
use crate::faults::Injected;
use crate::lro::{Outcome, Polling};
use crate::views::{INLINE, get, missing, operation_urls, view};
use crate::world::World;

/// Answers a request on one resource.
pub(crate) fn respond(
    world: &mut World,
    request: &Request,
    resource: &ResourceRef,
    fault: Option<Injected>,
) -> Response {
    match request.method.as_str() {
        "GET" => {
            let mut answer = get(world, resource);
            let expand = request.query("$expand").unwrap_or_default();
            if expand.eq_ignore_ascii_case("instanceView")
                && let Some(body) = answer.body.as_mut()
                && answer.status == 200
            {
                crate::vm::expand_instance_view(world, resource, body);
            }
            answer
        }
        "HEAD" => match world.store.get(&resource.id) {
            Some(_) => Response::empty(204),
            None => Response::empty(404),
        },
        "PUT" => match request.json() {
            Ok(body) => write(world, request, resource, body, false, fault),
            Err(refused) => refused,
        },
        "PATCH" => match request.json() {
            Ok(body) => write(world, request, resource, body, true, fault),
            Err(refused) => refused,
        },
        "DELETE" => delete(world, request, resource, fault),
        method => Response::error(
            405,
            "MethodNotAllowed",
            &format!("The requested resource does not support http method '{method}'."),
        ),
    }
}

fn write(
    world: &mut World,
    request: &Request,
    resource: &ResourceRef,
    body: Value,
    merge: bool,
    fault: Option<Injected>,
) -> Response {
    let (next, created) = match prepare(world, resource, body, merge, fault.as_ref()) {
        Ok(prepared) => prepared,
        Err(refused) => return refused,
    };
    // Updates of Location-polled types (storage accounts) answer synchronously, as Azure does.
    let timing = durations::write(&resource.type_name, created, world.config.time_scale)
        .filter(|t| !(merge && t.polling == Polling::Location));
    if let Some(Injected::FailOperation(code, message)) = fault {
        let Some(timing) = timing else {
            return Response::error(409, &code, &message);
        };
        let failed = Outcome::Failed {
            code,
            message,
            details: Vec::new(),
        };
        let op = world.operations.start(timing.duration, failed);
        let mut shown = next;
        shown["properties"]["provisioningState"] = json!("Updating");
        let urls = operation_urls(world, request, resource);
        return world
            .operations
            .accepted(Response::json(201, shown), &op, &urls, timing.polling);
    }
    let shown = match commit(world, resource, next) {
        Ok(shown) => shown,
        Err(refused) => return refused,
    };
    let status = if created { 201 } else { 200 };
    let Some(timing) = timing.filter(|t| !t.duration.is_zero()) else {
        // Location-polled types answer 200 or 202, never 201.
        let location_polled = timing.is_some_and(|t| t.polling == Polling::Location);
        return Response::json(if location_polled { 200 } else { status }, shown);
    };
    let op = world
        .operations
        .start(timing.duration, Outcome::Succeeded(Some(shown.clone())));
    let state = if created { "Creating" } else { "Updating" };
    world
        .pending
        .insert(resource.id.to_ascii_lowercase(), (op.clone(), state));
    let urls = operation_urls(world, request, resource);
    let answer = match timing.polling {
        Polling::AsyncOperation => {
            // The accepted answer always reads as started, however fast the operation is.
            let mut started = shown;
            started["properties"]["provisioningState"] = json!(state);
            Response::json(status, started)
        }
        Polling::Location => Response::empty(202),
    };
    world
        .operations
        .accepted(answer, &op, &urls, timing.polling)
}

/// Checks and completes a PUT body (or a PATCH merged into the stored resource) as Azure
/// would store it; returns it with whether it creates the resource.
pub(crate) fn prepare(
    world: &mut World,
    resource: &ResourceRef,
    body: Value,
    merge: bool,
    fault: Option<&Injected>,
) -> Result<(Value, bool), Response> {
    let Value::Object(body) = body else {
        return Err(Response::error(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: the body must be a JSON object.",
        ));
    };
    if let Some(refused) = check_container(world, resource) {
        return Err(refused);
    }
    let existing = world.store.get(&resource.id).cloned();
    let mut next = match (&existing, merge) {
        (Some(old), true) => {
            let mut merged = old.clone();
            merge_into(&mut merged, &Value::Object(body));
            merged
        }
        (None, true) => return Err(missing(world, resource)),
        _ => Value::Object(body),
    };
    normalise(&mut next, resource, existing.as_ref());
    crate::shapes::complete(world, resource, &mut next, existing.as_ref(), fault)?;
    if let Some(refused) = check_references(world, resource, &next) {
        return Err(refused);
    }
    Ok((next, existing.is_none()))
}

/// Stores a prepared resource (its inline children as child resources) and returns how a
/// client reads it.
pub(crate) fn commit(
    world: &mut World,
    resource: &ResourceRef,
    mut next: Value,
) -> Result<Value, Response> {
    let inline = take_inline(&mut next);
    world.store.put(next.clone());
    store_inline(world, resource, inline);
    crate::attachments::after_write(world, resource, &next);
    world.save()?;
    let stored = world.store.get(&resource.id).cloned().unwrap_or(next);
    Ok(view(world, &stored))
}

fn delete(
    world: &mut World,
    request: &Request,
    resource: &ResourceRef,
    fault: Option<Injected>,
) -> Response {
    if world.store.get(&resource.id).is_none() {
        return if resource.is_group() {
            missing(world, resource)
        } else {
            Response::empty(204)
        };
    }
    if let Some(Injected::FailOperation(code, message)) = fault {
        return Response::error(409, &code, &message);
    }
    if let Some(refused) = crate::shapes::check_delete(world, resource)
        .or_else(|| crate::attachments::check_delete(world, resource))
    {
        return refused;
    }
    world.store.remove_tree(&resource.id);
    free_run_command(world, resource);
    crate::attachments::after_delete(world, resource);
    if let Err(refused) = world.save() {
        return refused;
    }
    let (timing, polling) = if resource.is_group() {
        let seconds = f64::from(durations::write_seconds(&resource.type_name).unwrap_or(3));
        let duration = avdeploy_sim::clock::scaled(seconds, world.config.time_scale);
        (Some(duration), Polling::Location)
    } else {
        match durations::write(&resource.type_name, false, world.config.time_scale) {
            Some(t) => (Some(t.duration), t.polling),
            None => (None, Polling::Location),
        }
    };
    let Some(duration) = timing else {
        return Response::empty(200);
    };
    let op = world.operations.start(duration, Outcome::Succeeded(None));
    let urls = operation_urls(world, request, resource);
    world
        .operations
        .accepted(Response::empty(202), &op, &urls, polling)
}

/// Deleting a VM or one of its managed run commands frees the VM's run-command slot.
fn free_run_command(world: &mut World, resource: &ResourceRef) {
    let kind = resource.type_name.to_ascii_lowercase();
    let vm = match kind.as_str() {
        "microsoft.compute/virtualmachines" => Some(resource.id.clone()),
        "microsoft.compute/virtualmachines/runcommands" => resource.parent.clone(),
        _ => None,
    };
    if let Some(vm) = vm {
        world.run_commands.remove(&vm.to_ascii_lowercase());
    }
}

/// The group, the parent and the scope of an extension resource must exist.
fn check_container(world: &World, resource: &ResourceRef) -> Option<Response> {
    if resource.is_group() {
        return None;
    }
    if let Some(group) = &resource.group {
        let group_id = arm_id::group_ref(&resource.subscription, group).id;
        if world.store.get(&group_id).is_none() {
            return Some(Response::error(
                404,
                "ResourceGroupNotFound",
                &format!("Resource group '{group}' could not be found."),
            ));
        }
    }
    let parent = resource.parent.clone().or_else(|| {
        arm_id::resource(&resource.scope)
            .filter(|scope| !scope.is_group())
            .map(|scope| scope.id)
    });
    let parent = parent?;
    if crate::views::scope_exists(world, &parent) {
        return None;
    }
    let name = parent.rsplit('/').next().unwrap_or_default();
    Some(Response::error(
        404,
        "ParentResourceNotFound",
        &format!(
            "Failed to perform '{}' on resource(s) of type '{}', because the parent resource '{parent}' could not be found.",
            "write", resource.type_name
        )
        .replace(&format!("'{parent}'"), &format!("'{name}'")),
    ))
}

/// Every `{"id": ...}` naming a resource of this subscription elsewhere must exist.
fn check_references(world: &World, resource: &ResourceRef, body: &Value) -> Option<Response> {
    let own = resource.id.to_ascii_lowercase();
    let sub = format!("/subscriptions/{}/", world.config.subscription_id).to_ascii_lowercase();
    let mut ids = Vec::new();
    collect_ids(&body["properties"], &mut ids);
    let missing = ids.into_iter().find(|id| {
        let lower = id.to_ascii_lowercase();
        lower.starts_with(&sub)
            && lower.contains("/resourcegroups/")
            && !lower.starts_with(&own)
            && world.store.get(id).is_none()
    })?;
    Some(Response::error(
        400,
        "InvalidResourceReference",
        &format!(
            "Resource {missing} referenced by resource {} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
            resource.id
        ),
    ))
}

fn collect_ids(value: &Value, ids: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("id") {
                ids.push(id.clone());
            }
            map.iter()
                .filter(|(k, _)| *k != "id")
                .for_each(|(_, v)| collect_ids(v, ids));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_ids(v, ids)),
        _ => {}
    }
}

/// Sets the fields ARM owns: id, name, type, provisioning state.
fn normalise(next: &mut Value, resource: &ResourceRef, existing: Option<&Value>) {
    let kind = existing
        .and_then(|e| e["type"].as_str())
        .unwrap_or(&resource.type_name)
        .to_owned();
    let id = existing
        .and_then(|e| e["id"].as_str())
        .unwrap_or(&resource.id)
        .to_owned();
    next["id"] = json!(id);
    next["name"] = json!(resource.name);
    next["type"] = json!(kind);
    if !next["properties"].is_object() {
        next["properties"] = json!({});
    }
    next["properties"]["provisioningState"] = json!("Succeeded");
}

/// ARM's PATCH: objects merge key by key; tags and arrays are replaced.
fn merge_into(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(key) {
                    Some(slot) if key != "tags" && slot.is_object() && value.is_object() => {
                        merge_into(slot, value);
                    }
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

fn take_inline(next: &mut Value) -> Option<(&'static str, Vec<Value>)> {
    let kind = next["type"].as_str().unwrap_or_default().to_owned();
    let (_, property) = INLINE.iter().find(|(t, _)| kind.eq_ignore_ascii_case(t))?;
    let items = next["properties"].as_object_mut()?.remove(*property)?;
    Some((property, items.as_array().cloned().unwrap_or_default()))
}

fn store_inline(world: &mut World, parent: &ResourceRef, inline: Option<(&str, Vec<Value>)>) {
    let Some((property, items)) = inline else {
        return;
    };
    let prefix = format!("{}/{property}/", parent.id);
    let old: Vec<String> = world
        .store
        .resources()
        .filter_map(|r| r["id"].as_str())
        .filter(|id| {
            id.to_ascii_lowercase()
                .starts_with(&prefix.to_ascii_lowercase())
        })
        .map(str::to_owned)
        .collect();
    let mut kept = Vec::new();
    for item in items {
        let Some(name) = item["name"].as_str() else {
            continue;
        };
        let id = format!("{prefix}{name}");
        let mut child = Map::new();
        child.insert("id".into(), json!(id));
        child.insert("name".into(), json!(name));
        child.insert(
            "type".into(),
            json!(format!("{}/{property}", parent.type_name)),
        );
        let mut properties = item["properties"].clone();
        if !properties.is_object() {
            properties = json!({});
        }
        properties["provisioningState"] = json!("Succeeded");
        child.insert("properties".into(), properties);
        kept.push(id.to_ascii_lowercase());
        world.store.put(Value::Object(child));
    }
    for id in old {
        if !kept.contains(&id.to_ascii_lowercase()) {
            world.store.remove_tree(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_merges_objects_and_replaces_tags() {
        let mut target = json!({"tags": {"a": "1"}, "properties": {"x": 1, "y": {"z": 2}}});
        merge_into(
            &mut target,
            &json!({"tags": {"b": "2"}, "properties": {"y": {"w": 3}}}),
        );
        assert_eq!(
            target,
            json!({"tags": {"b": "2"}, "properties": {"x": 1, "y": {"z": 2, "w": 3}}})
        );
    }

    #[test]
    fn collects_nested_reference_ids() {
        let mut ids = Vec::new();
        collect_ids(
            &json!({"ipConfigurations": [{"id": "own", "properties": {"subnet": {"id": "/s/x"}}}]}),
            &mut ids,
        );
        assert_eq!(ids, ["own", "/s/x"]);
    }
}

//! How stored resources read: the client's view (provisioning state while an operation runs,
//! inline children, no private bookkeeping), ARM's not-found answers, and where a resource's
//! operations are polled.

use serde_json::{Value, json};

use crate::arm_id::{self, ResourceRef};
use crate::exchange::Request;
use crate::exchange::Response;
use crate::lro::OperationUrls;
use crate::world::World;

/// Child collections Azure also shows inline in their parent's properties.
pub(crate) const INLINE: &[(&str, &str)] = &[
    ("Microsoft.Network/virtualNetworks", "subnets"),
    ("Microsoft.Network/networkSecurityGroups", "securityRules"),
    ("Microsoft.Network/routeTables", "routes"),
];

/// The stored resource as a client reads it, or ARM's not-found answer.
pub(crate) fn get(world: &World, resource: &ResourceRef) -> Response {
    match world.store.get(&resource.id) {
        Some(stored) => Response::json(200, view(world, stored)),
        None => missing(world, resource),
    }
}

/// The resource as a client sees it: its provisioning state while an operation runs and its
/// inline children.
pub(crate) fn view(world: &World, stored: &Value) -> Value {
    let mut shown = stored.clone();
    if let Some(map) = shown.as_object_mut() {
        map.remove(crate::store::PRIVATE);
    }
    let id = stored["id"].as_str().unwrap_or_default();
    if let Some((op, state)) = world.pending.get(&id.to_ascii_lowercase())
        && world.operations.running(op)
    {
        shown["properties"]["provisioningState"] = json!(state);
    }
    let kind = stored["type"].as_str().unwrap_or_default();
    for (parent, property) in INLINE {
        if kind.eq_ignore_ascii_case(parent) {
            let prefix = format!("{id}/{property}/").to_ascii_lowercase();
            let children: Vec<Value> = world
                .store
                .resources()
                .filter(|r| {
                    r["id"]
                        .as_str()
                        .is_some_and(|c| c.to_ascii_lowercase().starts_with(&prefix))
                })
                .map(|child| view(world, child))
                .collect();
            shown["properties"][*property] = json!(children);
        }
    }
    shown
}

/// Whether the resource an extension resource hangs under exists; role scopes name file shares
/// `fileshares` where their ids say `shares`, and Azure accepts both.
pub(crate) fn scope_exists(world: &World, id: &str) -> bool {
    world.store.get(id).is_some()
        || world
            .store
            .get(&id.replace("/fileshares/", "/shares/"))
            .is_some()
}

/// ARM's answer for a resource that does not exist (or whose group does not).
pub(crate) fn missing(world: &World, resource: &ResourceRef) -> Response {
    if let Some(group) = &resource.group {
        let group_id = arm_id::group_ref(&resource.subscription, group).id;
        if world.store.get(&group_id).is_none() {
            return Response::error(
                404,
                "ResourceGroupNotFound",
                &format!("Resource group '{group}' could not be found."),
            );
        }
    }
    Response::error(
        404,
        "ResourceNotFound",
        &format!(
            "The Resource '{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            resource.typed_name(),
            resource.group.as_deref().unwrap_or_default()
        ),
    )
}

/// Where the operations of `resource`'s namespace are polled, in its location.
pub(crate) fn operation_urls(
    world: &World,
    request: &Request,
    resource: &ResourceRef,
) -> OperationUrls {
    let namespace = resource
        .type_name
        .split('/')
        .next()
        .unwrap_or("Microsoft.Resources");
    let location = world
        .store
        .get(&resource.id)
        .or_else(|| {
            let group = resource.group.as_deref()?;
            world
                .store
                .get(&arm_id::group_ref(&resource.subscription, group).id)
        })
        .and_then(|r| r["location"].as_str())
        .unwrap_or("eastus")
        .to_owned();
    OperationUrls {
        prefix: format!(
            "{}/subscriptions/{}/providers/{namespace}/locations/{location}",
            world.base_url, resource.subscription
        ),
        api_version: request.api_version().unwrap_or("2022-09-01").to_owned(),
    }
}

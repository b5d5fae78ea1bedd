//! Microsoft Graph's `remoteDesktopSecurityConfiguration` of a service principal (Entra single
//! sign-on for Azure Virtual Desktop) and its `targetDeviceGroups`, as `az rest` reaches them:
//! read (`isRemoteDesktopProtocolEnabled` false until set), PATCH 204, target device groups
//! listed, added (201; the group must exist, a second time 409) and removed (204).

use avdeploy_sim::directory::find_sp;
use serde_json::{Value, json};

use crate::exchange::{Request, Response};
use crate::graph::{graph_error, is_group, not_found};
use crate::world::World;

/// The `@odata.type` a stored configuration carries.
const CONFIG_TYPE: &str = "#microsoft.graph.remoteDesktopSecurityConfiguration";

/// Answers a Graph request on a service principal's `remoteDesktopSecurityConfiguration`, or
/// `None` for any other Graph path.
pub(crate) fn route(world: &mut World, request: &Request) -> Option<Response> {
    let segments = request.segments();
    match segments.get(1..)? {
        [
            "servicePrincipals",
            sp,
            "remoteDesktopSecurityConfiguration",
            rest @ ..,
        ] => Some(respond(world, request, sp, rest)),
        _ => None,
    }
}

/// Answers `…/servicePrincipals/{sp}/remoteDesktopSecurityConfiguration[/rest…]`.
fn respond(world: &mut World, request: &Request, sp: &str, rest: &[&str]) -> Response {
    let Some((_, _, object_id)) = find_sp(sp) else {
        return not_found(sp);
    };
    let mut config = stored(world, object_id);
    let context = format!(
        "{}/v1.0/$metadata#servicePrincipals('{object_id}')/remoteDesktopSecurityConfiguration",
        world.base_url
    );
    let answer = match (request.method.as_str(), rest) {
        ("GET", []) => {
            return Response::json(
                200,
                json!({"@odata.context": format!("{context}/$entity"), "id": config["id"],
                    "isRemoteDesktopProtocolEnabled": config["isRemoteDesktopProtocolEnabled"]}),
            );
        }
        ("PATCH", []) => {
            let body = match request.json() {
                Ok(body) => body,
                Err(refused) => return refused,
            };
            if let Some(enabled) = body.get("isRemoteDesktopProtocolEnabled") {
                if !enabled.is_boolean() {
                    return graph_error(
                        400,
                        "BadRequest",
                        "Invalid value for property 'isRemoteDesktopProtocolEnabled'.",
                    );
                }
                config["isRemoteDesktopProtocolEnabled"] = enabled.clone();
            }
            Response::empty(204)
        }
        ("GET", ["targetDeviceGroups"]) => {
            return Response::json(
                200,
                json!({"@odata.context": format!("{context}/targetDeviceGroups"),
                    "value": config["targetDeviceGroups"]}),
            );
        }
        ("POST", ["targetDeviceGroups"]) => match add_group(world, request, &mut config) {
            Ok(group) => {
                let mut created = group;
                created["@odata.context"] = json!(format!("{context}/targetDeviceGroups/$entity"));
                Response::json(201, created)
            }
            Err(refused) => return refused,
        },
        ("DELETE", ["targetDeviceGroups", id]) => {
            let groups = config["targetDeviceGroups"].as_array_mut();
            let Some(groups) = groups.filter(|g| g.iter().any(|x| x["id"] == *id)) else {
                return not_found(id);
            };
            groups.retain(|g| g["id"] != *id);
            Response::empty(204)
        }
        _ => {
            return graph_error(
                400,
                "BadRequest",
                &format!(
                    "Resource not found for the segment '{}'.",
                    rest.last().unwrap_or(&"remoteDesktopSecurityConfiguration")
                ),
            );
        }
    };
    world.store.put_object(config);
    match world.save() {
        Ok(()) => answer,
        Err(refused) => refused,
    }
}

/// The configuration of the service principal `object_id`: stored, or as Graph shows it before
/// anything was set.
fn stored(world: &World, object_id: &str) -> Value {
    world
        .store
        .objects()
        .find(|o| o["@odata.type"] == CONFIG_TYPE && o["servicePrincipalId"] == object_id)
        .cloned()
        .unwrap_or_else(|| {
            json!({"@odata.type": CONFIG_TYPE, "id": crate::ids::guid(),
                "servicePrincipalId": object_id, "isRemoteDesktopProtocolEnabled": false,
                "targetDeviceGroups": []})
        })
}

/// Adds the group the request names to `config`'s target device groups.
fn add_group(world: &World, request: &Request, config: &mut Value) -> Result<Value, Response> {
    let body = request.json()?;
    let Some(id) = body["id"].as_str().filter(|id| !id.is_empty()) else {
        return Err(graph_error(
            400,
            "BadRequest",
            "Invalid value specified for property 'id' of resource 'TargetDeviceGroup'.",
        ));
    };
    if !is_group(world, id) {
        return Err(not_found(id));
    }
    let mut groups = config["targetDeviceGroups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if groups.iter().any(|g| g["id"] == id) {
        return Err(graph_error(
            409,
            "conflictingObjects",
            "A target device group with this id already exists.",
        ));
    }
    let group = json!({"id": id, "displayName": body["displayName"]});
    groups.push(group.clone());
    config["targetDeviceGroups"] = Value::Array(groups);
    Ok(group)
}

//! Microsoft Graph v1.0 for `az ad`: security groups (create, list with `$filter`, show,
//! delete), their members (`$ref` add and remove, list, `checkMemberGroups`) and service
//! principal lookups (their single sign-on configuration is in the `sso` module), with Graph's error
//! format.

use avdeploy_sim::clock;
use avdeploy_sim::directory::SERVICE_PRINCIPALS;
use serde_json::{Value, json};

use crate::exchange::{Request, Response};
use crate::world::World;

const GROUP_TYPE: &str = "#microsoft.graph.group";
const SP_TYPE: &str = "#microsoft.graph.servicePrincipal";

/// Whether the path is a Graph one (`/v1.0/…` or `/beta/…`).
pub(crate) fn is_graph(path: &str) -> bool {
    path.starts_with("/v1.0/") || path.starts_with("/beta/")
}

/// Answers a Graph request.
pub(crate) fn respond(world: &mut World, request: &Request) -> Response {
    let segs = request.segments();
    let method = request.method.as_str();
    match (method, &segs[1..]) {
        ("GET", ["groups"]) => list(world, request, GROUP_TYPE),
        ("POST", ["groups"]) => create_group(world, request),
        ("GET", ["groups", id]) => object(world, id, GROUP_TYPE),
        ("DELETE", ["groups", id]) => delete_group(world, id),
        ("GET", ["groups", id, "members"]) => members(world, id),
        ("POST", ["groups", id, "members", "$ref"]) => add_member(world, request, id),
        ("DELETE", ["groups", id, "members", member, "$ref"]) => remove_member(world, id, member),
        ("POST", ["directoryObjects", member, "checkMemberGroups"]) => {
            check_member_groups(world, request, member)
        }
        ("POST", ["directoryObjects", "getByIds"]) => by_ids(world, request),
        ("GET", ["servicePrincipals"]) => list(world, request, SP_TYPE),
        ("GET", ["servicePrincipals", id]) => object(world, id, SP_TYPE),
        ("GET", ["directoryObjects", id]) => match find(world, id) {
            Some(found) => Response::json(200, found),
            None => not_found(id),
        },
        _ => graph_error(
            400,
            "BadRequest",
            &format!(
                "Resource not found for the segment '{}'.",
                segs.last().unwrap_or(&"")
            ),
        ),
    }
}

fn create_group(world: &mut World, request: &Request) -> Response {
    let body = match request.json() {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(name) = body["displayName"].as_str().filter(|n| !n.is_empty()) else {
        return graph_error(
            400,
            "Request_BadRequest",
            "Invalid value specified for property 'displayName' of resource 'Group'.",
        );
    };
    let Some(nickname) = body["mailNickname"].as_str().filter(|n| !n.is_empty()) else {
        return graph_error(
            400,
            "Request_BadRequest",
            "Invalid value specified for property 'mailNickname' of resource 'Group'.",
        );
    };
    let group = json!({
        "@odata.type": GROUP_TYPE,
        "id": crate::ids::guid(),
        "displayName": name,
        "mailNickname": nickname,
        "description": body["description"],
        "securityEnabled": body["securityEnabled"].as_bool().unwrap_or(true),
        "mailEnabled": body["mailEnabled"].as_bool().unwrap_or(false),
        "groupTypes": body["groupTypes"].as_array().cloned().unwrap_or_default(),
        "createdDateTime": clock::iso_now(),
        "mail": null,
        "visibility": null,
        "isAssignableToRole": body["isAssignableToRole"],
    });
    world.store.put_object(group.clone());
    match world.save() {
        Ok(()) => Response::json(201, with_context(world, group, "groups/$entity")),
        Err(refused) => refused,
    }
}

fn delete_group(world: &mut World, id: &str) -> Response {
    if !is_kind(world.store.object(id), GROUP_TYPE) {
        return not_found(id);
    }
    world.store.remove_object(id);
    match world.save() {
        Ok(()) => Response::empty(204),
        Err(refused) => refused,
    }
}

fn members(world: &World, id: &str) -> Response {
    if !is_kind(world.store.object(id), GROUP_TYPE) {
        return not_found(id);
    }
    let value: Vec<Value> = world
        .store
        .members(id)
        .iter()
        .map(|m| {
            find(world, m).unwrap_or_else(
                || json!({"@odata.type": "#microsoft.graph.directoryObject", "id": m}),
            )
        })
        .collect();
    Response::json(200, json!({"value": value}))
}

fn add_member(world: &mut World, request: &Request, id: &str) -> Response {
    if !is_kind(world.store.object(id), GROUP_TYPE) {
        return not_found(id);
    }
    let body = match request.json() {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let member = body["@odata.id"]
        .as_str()
        .and_then(|url| url.rsplit('/').next())
        .unwrap_or_default()
        .to_owned();
    if find(world, &member).is_none() {
        return not_found(&member);
    }
    if !world.store.add_member(id, &member) {
        return graph_error(
            400,
            "Request_BadRequest",
            "One or more added object references already exist for the following modified properties: 'members'.",
        );
    }
    match world.save() {
        Ok(()) => Response::empty(204),
        Err(refused) => refused,
    }
}

fn remove_member(world: &mut World, id: &str, member: &str) -> Response {
    if !world.store.remove_member(id, member) {
        return not_found(member);
    }
    match world.save() {
        Ok(()) => Response::empty(204),
        Err(refused) => refused,
    }
}

fn check_member_groups(world: &World, request: &Request, member: &str) -> Response {
    let body = request.json().unwrap_or(Value::Null);
    let value: Vec<Value> = body["groupIds"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .filter(|g| {
            world
                .store
                .members(g)
                .iter()
                .any(|m| m.eq_ignore_ascii_case(member))
        })
        .map(|g| json!(g))
        .collect();
    Response::json(200, json!({"value": value}))
}

fn by_ids(world: &World, request: &Request) -> Response {
    let body = request.json().unwrap_or(Value::Null);
    let value: Vec<Value> = body["ids"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|id| find(world, id))
        .collect();
    Response::json(200, json!({"value": value}))
}

fn object(world: &World, id: &str, kind: &str) -> Response {
    match find(world, id).filter(|o| o["@odata.type"] == kind) {
        Some(found) => Response::json(200, found),
        None => not_found(id),
    }
}

fn list(world: &World, request: &Request, kind: &str) -> Response {
    let filter = request.query("$filter");
    let value: Vec<Value> = everything(world)
        .into_iter()
        .filter(|o| o["@odata.type"] == kind)
        .filter(|o| filter.is_none_or(|f| odata_matches(o, f)))
        .collect();
    Response::json(200, json!({"value": value}))
}

/// Stored objects and the tenant's well-known service principals.
fn everything(world: &World) -> Vec<Value> {
    let mut all: Vec<Value> = world.store.objects().cloned().collect();
    all.extend(
        SERVICE_PRINCIPALS
            .iter()
            .map(|(name, app, id)| sp(name, app, id)),
    );
    all
}

fn find(world: &World, id: &str) -> Option<Value> {
    everything(world)
        .into_iter()
        .find(|o| o["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
}

fn sp(name: &str, app: &str, id: &str) -> Value {
    json!({
        "@odata.type": SP_TYPE,
        "id": id,
        "appId": app,
        "displayName": name,
        "servicePrincipalNames": [app],
        "servicePrincipalType": "Application",
        "accountEnabled": true,
    })
}

/// Graph `$filter`s az sends: `field eq 'v'`, `startswith(field,'v')`,
/// `servicePrincipalNames/any(c:c eq 'v')`, joined by `and`.
fn odata_matches(object: &Value, filter: &str) -> bool {
    filter.split(" and ").all(|clause| {
        let clause = clause.trim();
        if let Some(inner) = clause
            .strip_prefix("startswith(")
            .and_then(|c| c.strip_suffix(')'))
        {
            let (field, value) = inner.split_once(',').unwrap_or((inner, ""));
            let value = value.trim().trim_matches('\'').to_ascii_lowercase();
            return object[field.trim()]
                .as_str()
                .is_some_and(|v| v.to_ascii_lowercase().starts_with(&value));
        }
        if let Some((field, rest)) = clause.split_once("/any(") {
            let value = rest.rsplit(" eq ").next().unwrap_or_default();
            let value = value.trim_end_matches(')').trim().trim_matches('\'');
            return object[field].as_array().is_some_and(|items| {
                items
                    .iter()
                    .any(|i| i.as_str().is_some_and(|s| s.eq_ignore_ascii_case(value)))
            });
        }
        let Some((field, value)) = clause.split_once(" eq ") else {
            return true;
        };
        let value = value.trim().trim_matches('\'').replace("''", "'");
        object[field.trim()]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case(&value))
    })
}

/// Whether `id` is a group of the tenant.
pub(crate) fn is_group(world: &World, id: &str) -> bool {
    is_kind(world.store.object(id), GROUP_TYPE)
}

fn is_kind(object: Option<&Value>, kind: &str) -> bool {
    object.is_some_and(|o| o["@odata.type"] == kind)
}

fn with_context(world: &World, mut object: Value, entity: &str) -> Value {
    object["@odata.context"] = json!(format!("{}/v1.0/$metadata#{entity}", world.base_url));
    object
}

/// Graph's 404 for an object that does not exist.
pub(crate) fn not_found(id: &str) -> Response {
    graph_error(
        404,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

/// An error in Graph's format.
pub(crate) fn graph_error(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        json!({"error": {"code": code, "message": message, "innerError": {
            "date": clock::iso_now(), "request-id": crate::ids::guid(), "client-request-id": crate::ids::guid(),
        }}}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_filters_az_sends() {
        let g = json!({"displayName": "AVD Users", "servicePrincipalNames": ["abc"]});
        assert!(odata_matches(&g, "displayName eq 'AVD Users'"));
        assert!(!odata_matches(&g, "displayName eq 'AVD'"));
        assert!(odata_matches(&g, "startswith(displayName,'avd')"));
        assert!(odata_matches(&g, "servicePrincipalNames/any(c:c eq 'ABC')"));
    }
}

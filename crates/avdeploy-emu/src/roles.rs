//! Azure RBAC: the built-in role definitions, and the checks a role assignment PUT passes
//! (a known role, a principal that exists and has replicated, no duplicate assignment).

use avdeploy_sim::clock;
use avdeploy_sim::roles::{REPLICATION_SECONDS, ROLES};
use serde_json::{Value, json};

use crate::arm_id::ResourceRef;
use crate::exchange::{Request, Response};
use crate::world::World;

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions[?$filter=roleName eq '…']`.
pub(crate) fn definitions(world: &World, request: &Request, scope: &str) -> Response {
    let found: Vec<Value> = ROLES
        .iter()
        .map(|(name, guid)| definition(world, scope, name, guid))
        .filter(|d| crate::filter::filter_matches(d, request.query("$filter")))
        .collect();
    Response::json(200, json!({"value": found}))
}

/// `GET …/roleDefinitions/{guid}`.
pub(crate) fn definition_by_id(world: &World, resource: &ResourceRef) -> Response {
    ROLES
        .iter()
        .find(|(_, guid)| guid.eq_ignore_ascii_case(&resource.name))
        .map_or_else(
            || role_missing(&resource.name),
            |(name, guid)| Response::json(200, definition(world, &resource.scope, name, guid)),
        )
}

/// Completes a role assignment before it is stored, or refuses it as Azure does.
pub(crate) fn complete_assignment(
    world: &World,
    resource: &ResourceRef,
    next: &mut Value,
    existing: Option<&Value>,
) -> Result<(), Response> {
    let properties = &next["properties"];
    let role = properties["roleDefinitionId"].as_str().unwrap_or_default();
    let role_guid = role.rsplit('/').next().unwrap_or_default();
    if !ROLES.iter().any(|(_, g)| g.eq_ignore_ascii_case(role_guid)) {
        return Err(role_missing(role_guid));
    }
    let principal = properties["principalId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let typed = properties["principalType"].as_str().is_some();
    check_principal(world, &principal, typed)?;
    let duplicate = world.store.resources().find(|r| {
        r["type"] == next["type"]
            && r["id"] != next["id"]
            && r["properties"]["scope"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(&resource.scope))
            && r["properties"]["principalId"]
                .as_str()
                .is_some_and(|p| p.eq_ignore_ascii_case(&principal))
            && r["properties"]["roleDefinitionId"]
                .as_str()
                .is_some_and(|d| d.rsplit('/').next() == Some(role_guid))
    });
    if duplicate.is_some() {
        return Err(Response::error(
            409,
            "RoleAssignmentExists",
            "The role assignment already exists.",
        ));
    }
    let now = clock::iso_now();
    let created = existing
        .and_then(|e| e["properties"]["createdOn"].as_str())
        .map_or(now.clone(), str::to_owned);
    let props = &mut next["properties"];
    props["scope"] = json!(resource.scope);
    props["createdOn"] = json!(created);
    props["updatedOn"] = json!(now);
    if props["principalType"].is_null() {
        props["principalType"] = json!(principal_type(world, &principal));
    }
    Ok(())
}

fn check_principal(world: &World, principal: &str, typed: bool) -> Result<(), Response> {
    let object = world.store.object(principal);
    let replicated = object.is_some_and(|o| {
        let created = o["createdDateTime"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        created.is_none_or(|created| {
            let age = clock::now_ms() - created.timestamp_millis();
            age >= clock::millis(clock::scaled(REPLICATION_SECONDS, world.config.time_scale))
        })
    });
    let known = (object.is_some() && (replicated || typed))
        || avdeploy_sim::directory::find_sp(principal).is_some()
        || vm_identity(world, principal);
    if known {
        return Ok(());
    }
    Err(Response::error(
        400,
        "PrincipalNotFound",
        &format!(
            "Principal {} does not exist in the directory {}. Check that you have the correct principal ID. \
             If you are creating this principal and then immediately assigning a role, this error might be \
             related to a replication delay. In this case, set the role assignment principalType property to \
             a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
            principal.replace('-', ""),
            world.config.tenant_id
        ),
    ))
}

fn vm_identity(world: &World, principal: &str) -> bool {
    world.store.resources().any(|r| {
        r["identity"]["principalId"]
            .as_str()
            .is_some_and(|p| p.eq_ignore_ascii_case(principal))
    })
}

fn principal_type(world: &World, principal: &str) -> &'static str {
    match world
        .store
        .object(principal)
        .and_then(|o| o["@odata.type"].as_str())
    {
        Some("#microsoft.graph.group") => "Group",
        Some("#microsoft.graph.user") => "User",
        _ => "ServicePrincipal",
    }
}

fn definition(world: &World, scope: &str, name: &str, guid: &str) -> Value {
    let scope = if scope.is_empty() {
        format!("/subscriptions/{}", world.config.subscription_id)
    } else {
        scope.to_owned()
    };
    json!({
        "id": format!("{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
        "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": format!("Built-in role {name}"),
            "assignableScopes": ["/"],
            "permissions": [{"actions": [], "notActions": [], "dataActions": [], "notDataActions": []}],
        },
    })
}

fn role_missing(guid: &str) -> Response {
    Response::error(
        400,
        "RoleDefinitionDoesNotExist",
        &format!("The specified role definition with ID '{guid}' does not exist."),
    )
}

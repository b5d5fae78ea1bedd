//! Lists as Resource Manager answers them (`{"value": [...]}`): resource groups, resources by
//! group or subscription with `$filter`, a type under a scope, the children of a resource.

use serde_json::{Value, json};

use crate::arm_id::{self, GROUP_TYPE, ResourceRef};
use crate::exchange::{Request, Response};
use crate::filter::{filter_matches, type_is};
use crate::world::World;

/// `GET /subscriptions/{s}/resourcegroups`.
pub(crate) fn groups(world: &World, request: &Request) -> Response {
    let found = world
        .store
        .resources()
        .filter(|r| type_is(r, GROUP_TYPE))
        .filter(|r| filter_matches(r, request.query("$filter")))
        .map(|r| crate::views::view(world, r))
        .collect();
    list(found)
}

/// `GET /subscriptions/{s}[/resourceGroups/{g}]/resources`.
pub(crate) fn resources(world: &World, request: &Request, group: Option<&str>) -> Response {
    let prefix = match group {
        Some(g) => format!(
            "{}/",
            arm_id::group_ref(&world.config.subscription_id, g).id
        ),
        None => format!(
            "/subscriptions/{}/resourcegroups/",
            world.config.subscription_id
        ),
    };
    if let Some(g) = group {
        let group_ref = arm_id::group_ref(&world.config.subscription_id, g);
        if world.store.get(&group_ref.id).is_none() {
            return crate::views::missing(world, &group_ref);
        }
    }
    let found = world
        .store
        .resources()
        .filter(|r| !type_is(r, GROUP_TYPE) && top_level(r))
        .filter(|r| id_under(r, &prefix))
        .filter(|r| filter_matches(r, request.query("$filter")))
        .map(summary)
        .collect();
    list(found)
}

/// `GET {scope}/providers/{namespace}/{type}`: that type in a group, a subscription or, for
/// extension types such as role assignments, at and below a resource.
pub(crate) fn collection(
    world: &World,
    request: &Request,
    scope: &str,
    type_name: &str,
) -> Response {
    if type_name.eq_ignore_ascii_case("Microsoft.Authorization/roleDefinitions") {
        return crate::roles::definitions(world, request, scope);
    }
    if let Some(scope_ref) = arm_id::resource(scope)
        && !crate::views::scope_exists(world, &scope_ref.id)
    {
        return crate::views::missing(world, &scope_ref);
    }
    let prefix = format!("{scope}/");
    let at_scope = request
        .query("$filter")
        .is_some_and(|f| f.contains("atScope()"));
    let found = world
        .store
        .resources()
        .filter(|r| type_is(r, type_name))
        .filter(|r| above(r, scope) || (!at_scope && id_under(r, &prefix)))
        .filter(|r| filter_matches(r, request.query("$filter")))
        .map(|r| crate::views::view(world, r))
        .collect();
    list(found)
}

/// `GET {resource}/{children}`, e.g. the subnets of a virtual network.
pub(crate) fn children(
    world: &World,
    request: &Request,
    parent: &ResourceRef,
    segment: &str,
) -> Response {
    if world.store.get(&parent.id).is_none() {
        return crate::views::missing(world, parent);
    }
    let prefix = format!("{}/{segment}/", parent.id);
    let depth = prefix.matches('/').count();
    let found = world
        .store
        .resources()
        .filter(|r| {
            r["id"]
                .as_str()
                .is_some_and(|id| id.matches('/').count() == depth)
                && id_under(r, &prefix)
        })
        .filter(|r| filter_matches(r, request.query("$filter")))
        .map(|r| crate::views::view(world, r))
        .collect();
    list(found)
}

fn list(values: Vec<Value>) -> Response {
    Response::json(200, json!({"value": values}))
}

/// The generic `resources` list shows the common fields only.
fn summary(resource: &Value) -> Value {
    let mut shown = json!({});
    for key in [
        "id",
        "name",
        "type",
        "location",
        "tags",
        "kind",
        "sku",
        "identity",
        "managedBy",
    ] {
        if let Some(v) = resource.get(key) {
            shown[key] = v.clone();
        }
    }
    shown
}

/// An extension resource at `scope` or at a scope above it (`atScope()`).
fn above(resource: &Value, scope: &str) -> bool {
    let Some(id) = resource["id"].as_str() else {
        return false;
    };
    let own = id
        .rfind("/providers/")
        .map_or("", |i| &id[..i])
        .to_ascii_lowercase();
    let scope = scope
        .to_ascii_lowercase()
        .replace("/fileshares/", "/shares/");
    let own = own.replace("/fileshares/", "/shares/");
    scope == own || scope.starts_with(&format!("{own}/"))
}

fn id_under(resource: &Value, prefix: &str) -> bool {
    resource["id"].as_str().is_some_and(|id| {
        id.len() > prefix.len() && id[..prefix.len()].eq_ignore_ascii_case(prefix)
    })
}

/// Not a child resource: one provider segment and one type below it.
fn top_level(resource: &Value) -> bool {
    resource["type"]
        .as_str()
        .is_some_and(|t| t.matches('/').count() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_by_type_tags_and_properties() {
        let r = json!({"type": "Microsoft.Network/virtualNetworks", "name": "v",
            "tags": {"env": "dev"}, "properties": {"principalId": "P1"}});
        assert!(filter_matches(&r, None));
        assert!(filter_matches(
            &r,
            Some("resourceType eq 'microsoft.network/virtualnetworks'")
        ));
        assert!(!filter_matches(
            &r,
            Some("resourceType eq 'Microsoft.Compute/disks'")
        ));
        assert!(filter_matches(
            &r,
            Some("tagName eq 'env' and tagValue eq 'dev'")
        ));
        assert!(!filter_matches(
            &r,
            Some("tagName eq 'env' and tagValue eq 'prod'")
        ));
        assert!(filter_matches(
            &r,
            Some("atScope() and principalId eq 'p1'")
        ));
        assert!(!filter_matches(&r, Some("principalId eq 'p2'")));
    }
}

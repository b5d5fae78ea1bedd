//! Resource Manager's front door: checks the subscription, spends write tokens, and sends each
//! target to the subscription, resource, list, action or operation handlers.

use serde_json::{Value, json};

use crate::arm_id::Target;
use crate::exchange::{Request, Response};
use crate::faults::Injected;
use crate::world::World;

/// Answers a Resource Manager request.
pub(crate) fn respond(
    world: &mut World,
    request: &Request,
    target: Target,
    fault: Option<Injected>,
) -> Response {
    if let Some(refused) = check_subscription(world, &target) {
        return refused;
    }
    let polls = matches!(target, Target::Operation { .. });
    if request.method != "GET" && request.method != "HEAD" && !polls {
        match world.faults.spend_write() {
            Ok(_) => {}
            Err(Injected::Throttle(wait, message)) => {
                return crate::faults::throttled(wait, &message);
            }
            Err(_) => {}
        }
    }
    if crate::images::is_marketplace(&request.path) {
        return crate::images::respond(request);
    }
    match (request.method.as_str(), target) {
        ("POST", Target::Collection { type_name, .. })
            if type_name.eq_ignore_ascii_case("Microsoft.Storage/checkNameAvailability") =>
        {
            storage_name(world, request)
        }
        ("GET", Target::Subscriptions) => {
            Response::json(200, json!({"value": [subscription(world)]}))
        }
        ("GET", Target::Subscription { .. }) => Response::json(200, subscription(world)),
        ("GET", Target::Tenants) => Response::json(200, json!({"value": [tenant(world)]})),
        ("GET", Target::Groups { .. }) => crate::lists::groups(world, request),
        ("GET", Target::Resources { group, .. }) => {
            crate::lists::resources(world, request, group.as_deref())
        }
        ("GET" | "POST", Target::Provider { namespace }) => {
            Response::json(200, provider(world, &namespace))
        }
        ("GET", Target::Operation { id, result }) => {
            let answer = if result {
                world.operations.result(&id)
            } else {
                world.operations.status(&id)
            };
            answer.unwrap_or_else(|| {
                Response::error(404, "NotFound", &format!("Operation '{id}' was not found."))
            })
        }
        ("GET", Target::Collection { scope, type_name }) => {
            crate::lists::collection(world, request, &scope, &type_name)
        }
        ("GET", Target::Resource(resource))
            if resource
                .type_name
                .eq_ignore_ascii_case("Microsoft.Authorization/roleDefinitions") =>
        {
            crate::roles::definition_by_id(world, &resource)
        }
        ("PUT", Target::Resource(resource))
            if resource
                .type_name
                .eq_ignore_ascii_case("Microsoft.Resources/deployments") =>
        {
            crate::deployments::put(world, request, &resource, fault)
        }
        (_, Target::Resource(resource)) => {
            crate::resources::respond(world, request, &resource, fault)
        }
        ("POST", Target::Collection { type_name, .. })
            if type_name.to_ascii_lowercase().ends_with("/register") =>
        {
            let namespace = type_name.split('/').next().unwrap_or_default();
            Response::json(200, provider(world, namespace))
        }
        (method, Target::Trailing { resource, segment })
            if method == "POST" || segment.eq_ignore_ascii_case("instanceView") =>
        {
            crate::actions::respond(world, request, &resource, &segment, fault)
        }
        ("GET", Target::Trailing { resource, segment }) => {
            crate::lists::children(world, request, &resource, &segment)
        }
        (method, _) => Response::error(
            405,
            "MethodNotAllowed",
            &format!("The requested resource does not support http method '{method}'."),
        ),
    }
}

/// `checkNameAvailability` for storage accounts, whose names are global.
fn storage_name(world: &World, request: &Request) -> Response {
    let body = match request.json() {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let name = body["name"].as_str().unwrap_or_default();
    let valid = (3..=24).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !valid {
        return Response::json(
            200,
            json!({"nameAvailable": false, "reason": "AccountNameInvalid",
            "message": format!("{name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.")}),
        );
    }
    let taken = world.store.resources().any(|r| {
        r["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Storage/storageAccounts"))
            && r["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    });
    if taken {
        return Response::json(
            200,
            json!({"nameAvailable": false, "reason": "AlreadyExists",
            "message": format!("The storage account named {name} is already taken.")}),
        );
    }
    Response::json(200, json!({"nameAvailable": true}))
}

fn check_subscription(world: &World, target: &Target) -> Option<Response> {
    let asked = match target {
        Target::Groups { subscription }
        | Target::Resources { subscription, .. }
        | Target::Subscription { subscription } => subscription,
        Target::Resource(r) | Target::Trailing { resource: r, .. } => &r.subscription,
        Target::Collection { scope, .. } => scope.split('/').nth(2).unwrap_or_default(),
        _ => return None,
    };
    (!asked.eq_ignore_ascii_case(&world.config.subscription_id)).then(|| {
        Response::error(
            404,
            "SubscriptionNotFound",
            &format!("The subscription '{asked}' could not be found."),
        )
    })
}

fn subscription(world: &World) -> Value {
    let id = &world.config.subscription_id;
    json!({
        "id": format!("/subscriptions/{id}"),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": id,
        "tenantId": world.config.tenant_id,
        "displayName": world.config.subscription_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    })
}

fn tenant(world: &World) -> Value {
    let id = &world.config.tenant_id;
    json!({
        "id": format!("/tenants/{id}"),
        "tenantId": id,
        "countryCode": "US",
        "displayName": "avdeploy emulated tenant",
        "domains": ["avdeploy.onmicrosoft.com"],
        "tenantCategory": "Home",
        "defaultDomain": "avdeploy.onmicrosoft.com",
        "tenantType": "AAD",
    })
}

fn provider(world: &World, namespace: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{}/providers/{namespace}", world.config.subscription_id),
        "namespace": namespace,
        "registrationState": "Registered",
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [],
    })
}

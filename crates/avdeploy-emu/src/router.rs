//! The dispatch of each request: cloud metadata, identity, then (with a bearer token) faults,
//! Microsoft Graph or Resource Manager.

use crate::cloud::CloudEndpoints;
use crate::exchange::{Request, Response};
use crate::faults::Injected;
use crate::world::World;

/// Answers one request.
pub(crate) fn respond(world: &mut World, request: &Request) -> Response {
    let path = request.path.to_ascii_lowercase();
    if path == "/metadata/endpoints" {
        let endpoints = CloudEndpoints::for_base(&world.base_url);
        return Response::json(200, endpoints.metadata_document());
    }
    if path == "/metadata/vm-image-aliases" {
        return Response::json(200, crate::images::alias_document());
    }
    if let Some(response) =
        crate::identity::respond(request, &world.base_url, &world.config.tenant_id)
    {
        return response;
    }
    let Some(authorization) = request.header("Authorization") else {
        return Response::error(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        );
    };
    if crate::identity::claims(authorization).is_none() {
        return Response::error(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        );
    }
    let fault = world.faults.decide(request);
    let fault = match fault {
        Some(Injected::Refuse(status, code, message)) => {
            return Response::error(status, &code, &message);
        }
        Some(Injected::Throttle(wait, message)) => return crate::faults::throttled(wait, &message),
        Some(Injected::Hang) => {
            let mut response = Response::error(
                504,
                "GatewayTimeout",
                "The gateway did not receive a response within the specified time period.",
            );
            response.delay = std::time::Duration::from_secs(24 * 3600);
            return response;
        }
        other => other,
    };
    if crate::graph::is_graph(&request.path) {
        if let Some(answer) = crate::sso::route(world, request) {
            return answer;
        }
        return crate::graph::respond(world, request);
    }
    match crate::arm_id::parse(&request.path) {
        Some(target) => crate::arm::respond(world, request, target, fault),
        None => Response::error(
            404,
            "NotFound",
            &format!(
                "The emulator does not serve {} {}.",
                request.method, request.path
            ),
        ),
    }
}

//! The emulator's state behind the server: the store, the running operations, the fault
//! counters, and the dispatch of each request to identity, Resource Manager or Graph.

use std::collections::HashMap;

use serde_json::json;

use crate::cloud::CloudEndpoints;
use crate::config::EmulatorConfig;
use crate::error::EmuError;
use crate::exchange::{Request, Response};
use crate::faults::{Injected, Injector};
use crate::lro::Operations;
use crate::store::Store;

/// Everything a request may read or change.
#[derive(Debug)]
pub(crate) struct World {
    /// How the emulator was started.
    pub(crate) config: EmulatorConfig,
    /// `https://127.0.0.1:<port>`.
    pub(crate) base_url: String,
    /// Resources and directory objects.
    pub(crate) store: Store,
    /// Long-running operations.
    pub(crate) operations: Operations,
    /// Fault rules and the write bucket.
    pub(crate) faults: Injector,
    /// The provisioning state (`Creating`, `Updating`) of resources whose operation runs, by
    /// lower-case id, with the operation's id.
    pub(crate) pending: HashMap<String, (String, &'static str)>,
    /// When each VM's current run command ends (ms since the epoch), by lower-case VM id.
    pub(crate) run_commands: HashMap<String, i64>,
}

impl World {
    /// Opens the store of the configured state directory.
    pub(crate) fn open(config: EmulatorConfig, base_url: String) -> Result<Self, EmuError> {
        let store = Store::open(&config.state_dir)?;
        let faults = Injector::new(
            config.faults.clone(),
            config.time_scale,
            config.subscription_id.clone(),
        );
        Ok(Self {
            config,
            base_url,
            store,
            operations: Operations::default(),
            faults,
            pending: HashMap::new(),
            run_commands: HashMap::new(),
        })
    }

    /// Answers one request.
    pub(crate) fn respond(&mut self, request: &Request) -> Response {
        let path = request.path.to_ascii_lowercase();
        if path == "/metadata/endpoints" {
            let endpoints = CloudEndpoints::for_base(&self.base_url);
            return Response::json(200, endpoints.metadata_document());
        }
        if path == "/metadata/vm-image-aliases" {
            return Response::json(200, crate::images::alias_document());
        }
        if let Some(response) =
            crate::identity::respond(request, &self.base_url, &self.config.tenant_id)
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
        let fault = self.faults.decide(request);
        let fault = match fault {
            Some(Injected::Refuse(status, code, message)) => {
                return Response::error(status, &code, &message);
            }
            Some(Injected::Throttle(wait, message)) => return throttled(wait, &message),
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
            return crate::graph::respond(self, request);
        }
        match crate::arm_id::parse(&request.path) {
            Some(target) => crate::arm::respond(self, request, target, fault),
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

    /// Persists the store; a failure becomes a 500 in ARM's format.
    pub(crate) fn save(&self) -> Result<(), Response> {
        self.store.save().map_err(|e| {
            Response::error(
                500,
                "InternalServerError",
                &format!("{e}: {:?}", e.to_string()),
            )
        })
    }
}

/// A 429 with `Retry-After` in real seconds and the ARM throttling headers.
pub(crate) fn throttled(wait: std::time::Duration, message: &str) -> Response {
    Response::json(
        429,
        json!({"error": {"code": "SubscriptionRequestsThrottled", "message": message}}),
    )
    .with_header("Retry-After", crate::lro::seconds(wait))
    .with_header("x-ms-ratelimit-remaining-subscription-writes", "0")
}

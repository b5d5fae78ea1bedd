//! Long-running operations as Resource Manager runs them: an accepted request names an
//! operation (`Azure-AsyncOperation` status, `Location` result), clients poll until its
//! scaled duration has passed, then read the outcome.

use std::collections::HashMap;
use std::time::Duration;

use avdeploy_sim::clock;
use serde_json::{Value, json};

use crate::exchange::Response;

/// How an operation ends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// Failed with an ARM error code and message.
    Failed {
        /// The error code.
        code: String,
        /// The error message.
        message: String,
        /// Inner errors (the failed resources of a deployment).
        details: Vec<Value>,
    },
    /// Succeeded; the body the `Location` URL answers with, if any.
    Succeeded(Option<Value>),
}

#[derive(Debug, Clone)]
struct Operation {
    started_ms: i64,
    done_ms: i64,
    outcome: Outcome,
}

/// Which headers an accepted request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Polling {
    /// `Azure-AsyncOperation` and `Location` (compute, network, deployments, actions).
    AsyncOperation,
    /// `Location` only (storage accounts, resource group deletion).
    Location,
}

/// The running and finished operations of this emulator.
#[derive(Debug, Default)]
pub(crate) struct Operations {
    by_id: HashMap<String, Operation>,
}

impl Operations {
    /// Starts an operation lasting `duration` (real time) and returns its id.
    pub(crate) fn start(&mut self, duration: Duration, outcome: Outcome) -> String {
        let id = crate::ids::guid();
        let now = clock::now_ms();
        self.by_id.insert(
            id.clone(),
            Operation {
                started_ms: now,
                done_ms: now + clock::millis(duration),
                outcome,
            },
        );
        id
    }

    /// Adds the polling headers of operation `id` to `response`.
    pub(crate) fn accepted(
        &self,
        response: Response,
        id: &str,
        urls: &OperationUrls,
        polling: Polling,
    ) -> Response {
        let wait = self.remaining(id);
        let response = response
            .with_header("Location", urls.result(id))
            .with_header("Retry-After", seconds(wait));
        match polling {
            Polling::AsyncOperation => {
                response.with_header("Azure-AsyncOperation", urls.status(id))
            }
            Polling::Location => response,
        }
    }

    /// The `Azure-AsyncOperation` status document.
    pub(crate) fn status(&self, id: &str) -> Option<Response> {
        let op = self.by_id.get(id)?;
        let now = clock::now_ms();
        let mut body = json!({
            "id": id,
            "name": id,
            "startTime": clock::iso(op.started_ms),
            "status": "InProgress",
        });
        if now < op.done_ms {
            return Some(
                Response::json(200, body).with_header("Retry-After", seconds(self.remaining(id))),
            );
        }
        body["endTime"] = json!(clock::iso(op.done_ms));
        match &op.outcome {
            Outcome::Succeeded(_) => body["status"] = json!("Succeeded"),
            Outcome::Failed {
                code,
                message,
                details,
            } => {
                body["status"] = json!("Failed");
                body["error"] = json!({"code": code, "message": message, "details": details});
            }
        }
        Some(Response::json(200, body))
    }

    /// The `Location` answer: 202 while running, then the outcome.
    pub(crate) fn result(&self, id: &str) -> Option<Response> {
        let op = self.by_id.get(id)?;
        if clock::now_ms() < op.done_ms {
            return Some(
                Response::empty(202).with_header("Retry-After", seconds(self.remaining(id))),
            );
        }
        Some(match &op.outcome {
            Outcome::Succeeded(Some(body)) => Response::json(200, body.clone()),
            Outcome::Succeeded(None) => Response::empty(204),
            Outcome::Failed { code, message, .. } => Response::error(400, code, message),
        })
    }

    /// Whether operation `id` is still running.
    pub(crate) fn running(&self, id: &str) -> bool {
        self.by_id
            .get(id)
            .is_some_and(|op| clock::now_ms() < op.done_ms)
    }

    fn remaining(&self, id: &str) -> Duration {
        self.by_id.get(id).map_or(Duration::ZERO, |op| {
            let left = (op.done_ms - clock::now_ms()).max(0);
            Duration::from_millis(u64::try_from(left).unwrap_or(0))
        })
    }
}

/// Where a namespace's operations are polled.
#[derive(Debug, Clone)]
pub(crate) struct OperationUrls {
    /// `https://127.0.0.1:<port>/subscriptions/<s>/providers/<ns>/locations/<l>`.
    pub(crate) prefix: String,
    /// The api-version the client used.
    pub(crate) api_version: String,
}

impl OperationUrls {
    fn status(&self, id: &str) -> String {
        format!(
            "{}/operations/{id}?api-version={}",
            self.prefix, self.api_version
        )
    }

    fn result(&self, id: &str) -> String {
        format!(
            "{}/operationResults/{id}?api-version={}",
            self.prefix, self.api_version
        )
    }
}

/// The shortest wait a `Retry-After` asks for: azure-core treats `0` as absent and then
/// sleeps its 30-second default.
const MIN_WAIT: Duration = Duration::from_millis(50);

/// A `Retry-After` value in real seconds (at least [`MIN_WAIT`]): whole when it is, else to the
/// millisecond.
pub(crate) fn seconds(wait: Duration) -> String {
    let ms = wait.max(MIN_WAIT).as_millis();
    if ms.is_multiple_of(1000) {
        return (ms / 1000).to_string();
    }
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> OperationUrls {
        OperationUrls {
            prefix: "https://h/subscriptions/s/providers/Microsoft.Network/locations/eastus".into(),
            api_version: "2024-05-01".into(),
        }
    }

    #[test]
    fn polls_until_done_then_reports_the_outcome() {
        let mut ops = Operations::default();
        let id = ops.start(
            Duration::from_millis(500),
            Outcome::Succeeded(Some(json!({"a": 1}))),
        );
        let accepted = ops.accepted(Response::empty(201), &id, &urls(), Polling::AsyncOperation);
        assert!(
            accepted
                .header("Azure-AsyncOperation")
                .unwrap()
                .contains(&format!("/operations/{id}?api-version=2024-05-01"))
        );
        assert!(
            accepted
                .header("Location")
                .unwrap()
                .contains("/operationResults/")
        );
        assert_eq!(
            ops.status(&id).unwrap().body.unwrap()["status"],
            "InProgress"
        );
        assert_eq!(ops.result(&id).unwrap().status, 202);
        assert!(ops.running(&id));
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(
            ops.status(&id).unwrap().body.unwrap()["status"],
            "Succeeded"
        );
        assert_eq!(ops.result(&id).unwrap().body, Some(json!({"a": 1})));
        assert!(ops.status("nope").is_none());
    }

    #[test]
    fn failures_carry_arms_error() {
        let mut ops = Operations::default();
        let id = ops.start(
            Duration::ZERO,
            Outcome::Failed {
                code: "AnotherOperationInProgress".into(),
                message: "busy".into(),
                details: Vec::new(),
            },
        );
        let status = ops.status(&id).unwrap().body.unwrap();
        assert_eq!(status["status"], "Failed");
        assert_eq!(status["error"]["code"], "AnotherOperationInProgress");
        let without_async = ops.accepted(Response::empty(202), &id, &urls(), Polling::Location);
        assert!(without_async.header("Azure-AsyncOperation").is_none());
    }

    #[test]
    fn retry_after_is_in_real_seconds() {
        assert_eq!(seconds(Duration::from_secs(3)), "3");
        assert_eq!(seconds(Duration::from_millis(50)), "0.050");
        assert_eq!(seconds(Duration::ZERO), "0.050");
    }
}

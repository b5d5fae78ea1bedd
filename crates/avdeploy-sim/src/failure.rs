//! Azure errors as the CLI reports them: an `ERROR: (Code) message` text on stderr and an exit
//! code (1 for service errors, 2 for bad arguments, 3 for a missing resource).

use std::fmt::Write as _;

use serde_json::json;

use crate::error::SimError;

/// The text Azure returns when a run command overlaps another on the same VM.
pub const RUN_COMMAND_CONFLICT: &str = "Run command extension execution is in progress. Please wait for completion before invoking a run command.";

/// A failed `az` call: what goes to stderr and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzFailure {
    /// The process exit code.
    pub exit: i32,
    /// The complete stderr text.
    pub stderr: String,
}

impl AzFailure {
    /// A service error with an Azure error code, printed like the CLI does.
    pub fn service(code: &str, message: &str, exit: i32) -> Self {
        let mut stderr = String::new();
        let _ = writeln!(stderr, "ERROR: ({code}) {message}");
        let _ = writeln!(stderr, "Code: {code}");
        let _ = writeln!(stderr, "Message: {message}");
        Self { exit, stderr }
    }

    /// A command-line usage error (exit 2).
    pub fn usage(message: &str) -> Self {
        Self {
            exit: 2,
            stderr: format!("ERROR: {message}\n"),
        }
    }

    /// An error without an Azure error code (exit 1).
    pub fn service_plain(message: &str) -> Self {
        Self {
            exit: 1,
            stderr: format!("ERROR: {message}\n"),
        }
    }

    /// A missing resource (exit 3).
    pub fn not_found(type_name: &str, name: &str, rg: &str) -> Self {
        let message = format!(
            "The Resource '{type_name}/{name}' under resource group '{rg}' was not found. \
             For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        );
        Self::service("ResourceNotFound", &message, 3)
    }

    /// A missing resource group (exit 3).
    pub fn group_not_found(rg: &str) -> Self {
        Self::service(
            "ResourceGroupNotFound",
            &format!("Resource group '{rg}' could not be found."),
            3,
        )
    }

    /// The run-command Conflict (exit 1).
    pub fn run_command_conflict() -> Self {
        Self::service("Conflict", RUN_COMMAND_CONFLICT, 1)
    }

    /// A write that overlaps another write under the same virtual network (exit 1).
    pub fn another_operation(subscription: &str, location: &str, op: &str) -> Self {
        let message = format!(
            "Another operation on this or dependent resource is in progress. To retrieve status of \
             the operation use uri: https://management.azure.com/subscriptions/{subscription}/providers/\
             Microsoft.Network/locations/{location}/operations/{op}?api-version=2024-05-01."
        );
        Self::service("AnotherOperationInProgress", &message, 1)
    }

    /// A write refused by the subscription's token bucket (exit 1), with its Retry-After.
    pub fn throttled(subscription: &str, retry_after: u64) -> Self {
        let message = format!(
            "Number of 'write' requests for subscription '{subscription}' actor \
             'a1b2c3d4-0000-4000-8000-000000000000' on scope 'subscription' exceeded. Please try \
             again after '{retry_after}' seconds after additional tokens are available. Refer to \
             https://aka.ms/arm-throttling for additional information."
        );
        let mut failure = Self::service("SubscriptionRequestsThrottled", &message, 1);
        let _ = writeln!(
            failure.stderr,
            "Status: 429 (Too Many Requests), Retry-After: {retry_after}"
        );
        failure
    }
}

/// Why an `az` call did not succeed: a simulated Azure error, or the simulator's own failure.
#[derive(Debug)]
pub enum CallError {
    /// Azure (as simulated) refused the call.
    Az(AzFailure),
    /// The simulator could not do its work.
    Sim(SimError),
}

impl From<AzFailure> for CallError {
    fn from(failure: AzFailure) -> Self {
        Self::Az(failure)
    }
}

impl From<SimError> for CallError {
    fn from(error: SimError) -> Self {
        Self::Sim(error)
    }
}

/// The failure `az rest` prints for an HTTP error answer.
pub fn http_error(status: &str, code: &str, message: &str) -> AzFailure {
    let body = json!({ "error": { "code": code, "message": message } });
    AzFailure::service_plain(&format!("{status}({body})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_print_like_the_cli() {
        let f = AzFailure::run_command_conflict();
        assert_eq!(f.exit, 1);
        assert!(
            f.stderr
                .starts_with("ERROR: (Conflict) Run command extension execution is in progress.")
        );
        assert!(f.stderr.contains("\nCode: Conflict\n"));
    }

    #[test]
    fn throttling_names_its_retry_after() {
        let f = AzFailure::throttled("sub", 7);
        assert!(f.stderr.contains("Please try again after '7' seconds"));
        assert!(f.stderr.contains("Retry-After: 7"));
    }
}

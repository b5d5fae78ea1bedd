//! Seeded fault injection and write throttling in Azure's wire format. The rules are the shim's
//! (`AVDEPLOY_SIM_FAULTS`); a request is matched through the words of the `az` command that sent
//! it (`CommandName` header), its flags (`ParameterSetName`) and the segments of its URL.

use std::collections::HashMap;
use std::time::Duration;

use avdeploy_sim::clock;
use avdeploy_sim::failure::AzFailure;
use avdeploy_sim::faults::Fault;
use avdeploy_sim::throttle::Bucket;

use crate::config::FaultConfig;
use crate::exchange::{Request, Response};
use serde_json::json;

/// How often azure-core's retry policy repeats a throttled request: a throttle fault keeps
/// answering 429 to those retries, as a throttled subscription does, so the client gives up.
const CLIENT_RETRIES: u32 = 3;

/// What a fault does to one request, decided before the request is served.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Injected {
    /// Accept the write, then fail its operation with this ARM error (code, message).
    FailOperation(String, String),
    /// Hold the request without answering.
    Hang,
    /// Answer at once with this status, ARM error code and message.
    Refuse(u16, String, String),
    /// Answer 429 with `Retry-After` (real seconds) and this message.
    Throttle(Duration, String),
    /// A run command whose script ends with this exit code.
    ScriptExit(i32),
}

/// The counters of the fault rules and the subscription's write bucket.
#[derive(Debug)]
pub(crate) struct Injector {
    config: FaultConfig,
    time_scale: f64,
    subscription: String,
    calls: HashMap<usize, u64>,
    repeats: HashMap<String, (u32, Injected)>,
    tokens: f64,
    tokens_at_ms: i64,
}

impl Injector {
    /// Counters at zero and a full bucket.
    pub(crate) fn new(config: FaultConfig, time_scale: f64, subscription: String) -> Self {
        Self {
            config,
            time_scale,
            subscription,
            calls: HashMap::new(),
            repeats: HashMap::new(),
            tokens: 0.0,
            tokens_at_ms: i64::MIN,
        }
    }

    /// The fault for this request, if a rule fires; counts it against every matching rule.
    pub(crate) fn decide(&mut self, request: &Request) -> Option<Injected> {
        if !is_primary(request) {
            return None;
        }
        let key = format!("{} {}", request.method, request.path.to_ascii_lowercase());
        if let Some((left, injected)) = self.repeats.get_mut(&key) {
            let again = injected.clone();
            *left -= 1;
            if *left == 0 {
                self.repeats.remove(&key);
            }
            return Some(again);
        }
        let argv = argv(request);
        let mut chosen = None;
        for (index, rule) in self.config.rules.iter().enumerate() {
            if !rule.matches(&argv) {
                continue;
            }
            let call = self.calls.entry(index).or_insert(0);
            *call += 1;
            if chosen.is_none() && rule.fires(*call, self.config.seed) {
                chosen = Some(rule.fault);
            }
        }
        let injected = chosen.map(|fault| self.injected(fault, request))?;
        if matches!(injected, Injected::Throttle(..)) {
            self.repeats.insert(key, (CLIENT_RETRIES, injected.clone()));
        }
        Some(injected)
    }

    /// Spends a write token: `Err` with the 429 to answer when the bucket is empty.
    pub(crate) fn spend_write(&mut self) -> Result<f64, Injected> {
        let Some(burst) = self.config.write_burst else {
            return Ok(f64::INFINITY);
        };
        let bucket = Bucket {
            burst,
            refill: self.config.write_refill,
            scale: self.time_scale,
        };
        let now = clock::now_ms();
        let tokens = bucket.refilled(self.tokens, self.tokens_at_ms, now);
        self.tokens_at_ms = now;
        match bucket.take(tokens) {
            Ok(left) => {
                self.tokens = left;
                Ok(left)
            }
            Err(retry_after) => {
                self.tokens = tokens;
                Err(self.throttle(retry_after))
            }
        }
    }

    fn injected(&self, fault: Fault, request: &Request) -> Injected {
        let run_command = request.path.to_ascii_lowercase().ends_with("/runcommand");
        match fault {
            Fault::Busy => {
                let (code, message) = parts(&AzFailure::another_operation(
                    &self.subscription,
                    "eastus",
                    &crate::ids::guid(),
                ));
                if request.method == "GET" {
                    Injected::Refuse(409, code, message)
                } else {
                    Injected::FailOperation(code, message)
                }
            }
            Fault::Conflict => {
                let (code, message) = parts(&AzFailure::run_command_conflict());
                Injected::Refuse(409, code, message)
            }
            Fault::Exit(code) if run_command => Injected::ScriptExit(code),
            Fault::Error | Fault::Exit(_) => {
                let (code, message) = parts(&AzFailure::service(
                    "BadRequest",
                    "The request is invalid (simulated fault injected by the avdeploy emulator).",
                    1,
                ));
                Injected::Refuse(400, code, message)
            }
            Fault::Hang => Injected::Hang,
            Fault::Login => Injected::Refuse(
                401,
                "ExpiredAuthenticationToken".to_owned(),
                format!(
                    "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                    clock::iso(clock::now_ms() - 60_000),
                    clock::iso_now()
                ),
            ),
            Fault::Throttle(seconds) => self.throttle(seconds),
        }
    }

    fn throttle(&self, seconds: u64) -> Injected {
        let (_, message) = parts(&AzFailure::throttled(&self.subscription, seconds));
        #[expect(clippy::cast_precision_loss, reason = "Retry-After is small")]
        let wait = clock::scaled(seconds as f64, self.time_scale);
        Injected::Throttle(wait, message)
    }
}

/// The request's command words, flags and URL segments, in that order.
pub(crate) fn argv(request: &Request) -> Vec<String> {
    let words = request.header("CommandName").unwrap_or_default();
    let flags = request.header("ParameterSetName").unwrap_or_default();
    words
        .split_whitespace()
        .chain(flags.split_whitespace())
        .chain(request.segments())
        .map(str::to_owned)
        .collect()
}

/// Whether this request stands for its `az` call: the writes of a command that writes, the
/// reads of one that only reads (show, list, exists...); never a poll or a token request.
fn is_primary(request: &Request) -> bool {
    let Some(command) = request.header("CommandName") else {
        return false;
    };
    let path = request.path.to_ascii_lowercase();
    if path.contains("/operations/") || path.contains("/operationresults/") {
        return false;
    }
    let verb = command.split_whitespace().last().unwrap_or_default();
    let reads_only = ["show", "list", "exists", "check", "get"]
        .iter()
        .any(|read| verb == *read || verb.starts_with(&format!("{read}-")));
    (request.method == "GET") == reads_only
}

/// The code and message of a shim failure, which prints `Code: …` and `Message: …` lines.
fn parts(failure: &AzFailure) -> (String, String) {
    let line = |prefix: &str| {
        failure
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_default()
            .to_owned()
    };
    (line("Code: "), line("Message: "))
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

#[cfg(test)]
mod tests {
    use super::*;
    use avdeploy_sim::faults::FaultRule;

    fn request(method: &str, command: &str, path: &str) -> Request {
        let mut request = Request {
            method: method.into(),
            path: path.into(),
            ..Request::default()
        };
        request.headers.insert("commandname".into(), command.into());
        request.headers.insert(
            "parametersetname".into(),
            "--resource-group --name --scripts".into(),
        );
        request
    }

    fn injector(rules: &str, burst: Option<f64>) -> Injector {
        let config = FaultConfig {
            seed: 0,
            rules: FaultRule::parse_all(rules).unwrap(),
            write_burst: burst,
            write_refill: 0.001,
        };
        Injector::new(config, 0.01, "sub".into())
    }

    const VM1: &str = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/runCommand";

    #[test]
    fn shim_rules_match_command_words_flags_and_url() {
        let mut faults = injector("vm run-command invoke --name vm1 call=2 => conflict", None);
        let invoke = request("POST", "vm run-command invoke", VM1);
        assert_eq!(faults.decide(&invoke), None);
        let Some(Injected::Refuse(409, code, message)) = faults.decide(&invoke) else {
            panic!()
        };
        assert_eq!(code, "Conflict");
        assert!(message.starts_with("Run command extension execution is in progress."));
        assert_eq!(faults.decide(&invoke), None);
        let other = request("POST", "vm run-command invoke", &VM1.replace("vm1", "vm2"));
        assert_eq!(faults.decide(&other), None);
    }

    #[test]
    fn only_the_commands_own_request_counts() {
        let mut faults = injector("vm create call=1 => throttle 20", None);
        let read = request("GET", "vm create", "/subscriptions/sub/resourceGroups/rg");
        assert_eq!(faults.decide(&read), None);
        let poll = request(
            "GET",
            "vm create",
            "/subscriptions/sub/providers/Microsoft.Resources/locations/x/operations/1",
        );
        assert_eq!(faults.decide(&poll), None);
        let write = request(
            "PUT",
            "vm create",
            "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Resources/deployments/d",
        );
        let Some(Injected::Throttle(wait, message)) = faults.decide(&write) else {
            panic!()
        };
        assert_eq!(wait, Duration::from_millis(200));
        assert!(message.contains("Please try again after '20' seconds"));
        for _ in 0..CLIENT_RETRIES {
            assert!(matches!(
                faults.decide(&write),
                Some(Injected::Throttle(..))
            ));
        }
        assert_eq!(
            faults.decide(&write),
            None,
            "the rule fired once: call 1 only"
        );
        let mut login = injector("group show => login", None);
        let show = request("GET", "group show", "/subscriptions/sub/resourceGroups/rg");
        assert!(matches!(
            login.decide(&show),
            Some(Injected::Refuse(401, ..))
        ));
    }

    #[test]
    fn the_write_bucket_empties_and_asks_to_wait() {
        let mut faults = injector("", Some(2.0));
        assert!(faults.spend_write().is_ok());
        assert!(faults.spend_write().is_ok());
        let Err(Injected::Throttle(_, message)) = faults.spend_write() else {
            panic!()
        };
        assert!(message.contains("'write' requests for subscription 'sub'"));
        assert_eq!(injector("", None).spend_write(), Ok(f64::INFINITY));
    }
}

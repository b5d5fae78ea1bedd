//! The managed run command: `az vm run-command create/show/list/delete`. A created run command
//! holds its VM like an invoked one, runs for the scaled expected duration (`Running`, output
//! revealed line by line), then ends `Succeeded` or `Failed` with the script's exit code.

use serde_json::{Value, json};

use crate::call::{Call, Outcome};
use crate::calls;
use crate::catalog::{RUN_COMMAND_DEFAULT_SECONDS, by_path};
use crate::clock;
use crate::failure::AzFailure;
use crate::resource::{Address, PRIVATE, public};
use crate::runcommand::{self, OUTPUT_LIMIT, tail};
use crate::store::{Busy, Record};

/// Azure keeps at most this many run commands per VM.
pub const MAX_PER_VM: usize = 25;

/// The store family of managed run commands.
const FAMILY: &str = "vm run-command";

/// Azure time an asynchronous `create` takes to return.
const CREATE_SECONDS: f64 = 2.0;

/// Where a managed run command lives: its VM and its own name.
struct Target {
    vm: Address,
    name: String,
}

impl Target {
    fn from_call(call: &Call) -> Result<Self, AzFailure> {
        let family = by_path("vm").ok_or_else(|| AzFailure::usage("vm is not simulated"))?;
        let rg = call.args.require("--resource-group")?.to_owned();
        let vm = call.args.require("--vm-name")?.to_owned();
        let name = call
            .args
            .get("--name")
            .or_else(|| call.args.get("--run-command-name"))
            .ok_or_else(|| AzFailure::usage("the following arguments are required: --name/-n"))?
            .to_owned();
        Ok(Self {
            vm: Address {
                family,
                rg,
                names: vec![vm],
            },
            name,
        })
    }

    fn key(&self) -> String {
        format!("{FAMILY}|{}|{}/{}", self.vm.rg, self.vm.name(), self.name).to_lowercase()
    }

    fn holder(&self) -> String {
        format!("run-command {}", self.key())
    }

    fn missing(&self) -> AzFailure {
        AzFailure::not_found(
            "Microsoft.Compute/virtualMachines/runCommands",
            &self.name,
            &self.vm.rg,
        )
    }
}

/// Answers `az vm run-command <verb>` for the managed verbs; `None` for other verbs.
pub fn dispatch(call: &mut Call, verb: &str) -> Option<Outcome> {
    Some(match verb {
        "create" => create(call, None),
        "delete" => delete(call),
        "list" => list(call),
        "show" => show(call),
        _ => return None,
    })
}

/// `create --resource-group --vm-name --name --script S [--async-execution true]
/// [--timeout-in-seconds N]`; `forced_exit` is a fault's exit code for the script.
pub fn create(call: &mut Call, forced_exit: Option<i32>) -> Outcome {
    let target = Target::from_call(call)?;
    let script = runcommand::read_scripts(call.args.values("--script"), "--script")?;
    let vm = call.existing(&target.vm)?;
    let asynchronous = call
        .args
        .get("--async-execution")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let timeout = call
        .args
        .get("--timeout-in-seconds")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|t| *t > 0.0);
    let expected = call
        .settings
        .expected_seconds
        .unwrap_or(RUN_COMMAND_DEFAULT_SECONDS);
    let seconds = timeout.map_or(expected, |t| expected.min(t));
    let others = call
        .store
        .list(FAMILY, Some(&target.vm.rg.to_lowercase()), None)?
        .into_iter()
        .filter(|r| r.parent == target.vm.name().to_lowercase() && r.key != target.key())
        .count();
    if others >= MAX_PER_VM {
        return Err(AzFailure::service(
            "OperationNotAllowed",
            &format!(
                "The maximum number of run commands ({MAX_PER_VM}) for virtual machine '{}' has \
                 been reached. Delete run commands that are no longer needed and try again.",
                target.vm.name()
            ),
            1,
        )
        .into());
    }
    let run = runcommand::script_run(&script, forced_exit);
    let location = vm["location"].clone();
    let body = call.write(CREATE_SECONDS, None, |call| {
        let now = clock::now_ms();
        let ends = now + clock::millis(clock::scaled(seconds, call.settings.time_scale));
        let busy = Busy {
            key: runcommand::vm_key(&target.vm),
            holder: target.holder(),
            until_ms: ends,
        };
        if call.store.claim(&busy, now)?.is_some() {
            return Err(AzFailure::run_command_conflict().into());
        }
        // The stored script is masked: the simulated subscription never holds a secret.
        let stored_script = calls::env_redactor().redact(&script).into_owned();
        let body = json!({
            "asyncExecution": asynchronous,
            "id": format!("{}/runCommands/{}", target.vm.id(&call.settings.subscription), target.name),
            "location": location,
            "name": target.name,
            "provisioningState": "Succeeded",
            "resourceGroup": target.vm.rg,
            "source": { "script": stored_script },
            "tags": {},
            "timeoutInSeconds": timeout.unwrap_or(0.0),
            "type": "Microsoft.Compute/virtualMachines/runCommands",
            PRIVATE: {
                "started": now,
                "ends": ends,
                "timedOut": timeout.is_some_and(|t| expected > t),
                "stdout": run.stdout,
                "stderr": run.stderr,
                "code": run.code,
            },
        });
        call.store.put(&record(&target, body.clone()))?;
        Ok(body)
    })?;
    if !asynchronous {
        clock::pass(seconds, call.settings.time_scale);
    }
    Ok(public(&body))
}

fn record(target: &Target, body: Value) -> Record {
    Record {
        key: target.key(),
        family: FAMILY.to_owned(),
        rg: target.vm.rg.to_lowercase(),
        parent: target.vm.name().to_lowercase(),
        name: target.name.clone(),
        body,
    }
}

fn show(call: &mut Call) -> Outcome {
    let target = Target::from_call(call)?;
    call.read_delay();
    let record = call
        .store
        .get(&target.key())?
        .ok_or_else(|| target.missing())?;
    let expand = call
        .args
        .get("--expand")
        .is_some_and(|v| v.eq_ignore_ascii_case("instanceView"));
    Ok(view(&record.body, expand, clock::now_ms()))
}

fn list(call: &mut Call) -> Outcome {
    let target_rg = call.args.require("--resource-group")?.to_lowercase();
    let vm = call.args.require("--vm-name")?.to_lowercase();
    call.read_delay();
    let expand = call
        .args
        .get("--expand")
        .is_some_and(|v| v.eq_ignore_ascii_case("instanceView"));
    let now = clock::now_ms();
    let items = call
        .store
        .list(FAMILY, Some(&target_rg), Some(&vm))?
        .iter()
        .map(|r| view(&r.body, expand, now))
        .collect();
    Ok(Value::Array(items))
}

/// `delete ... --yes`: removes the run command; a running one is cancelled and frees its VM.
fn delete(call: &mut Call) -> Outcome {
    let target = Target::from_call(call)?;
    if !call.args.has("--yes") {
        return Err(AzFailure::service_plain(
            "Unable to prompt for confirmation as no tty available. Use --yes.",
        )
        .into());
    }
    call.write(CREATE_SECONDS, None, |call| {
        call.store.delete(&target.key())?;
        call.store
            .release(&runcommand::vm_key(&target.vm), &target.holder())?;
        Ok(Value::Null)
    })
}

/// What Azure shows for a stored run command at `now_ms` (with its instance view if `expand`).
pub fn view(body: &Value, expand: bool, now_ms: i64) -> Value {
    let mut out = public(body);
    if expand {
        out["instanceView"] = instance_view(&body[PRIVATE], now_ms);
    }
    out
}

fn instance_view(private: &Value, now_ms: i64) -> Value {
    let started = private["started"].as_i64().unwrap_or(0);
    let ends = private["ends"].as_i64().unwrap_or(0);
    let lines: Vec<&str> = private["stdout"]
        .as_array()
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let code = private["code"].as_i64().unwrap_or(0);
    let finished = now_ms >= ends;
    let shown = if finished {
        lines.len()
    } else {
        revealed(lines.len(), now_ms - started, ends - started)
    };
    let mut output = lines[..shown].join("\n");
    if !output.is_empty() {
        output.push('\n');
    }
    let output = tail(&output, OUTPUT_LIMIT).to_owned();
    let (state, exit_code, message, error) = match (finished, private["timedOut"].as_bool()) {
        (false, _) => ("Running", 0, "", ""),
        (true, Some(true)) => (
            "TimedOut",
            -1,
            "The script execution timed out.",
            private["stderr"].as_str().unwrap_or_default(),
        ),
        (true, _) => (
            if code == 0 { "Succeeded" } else { "Failed" },
            code,
            "",
            private["stderr"].as_str().unwrap_or_default(),
        ),
    };
    json!({
        "endTime": finished.then(|| clock::iso(ends)),
        "error": error,
        "executionMessage": message,
        "executionState": state,
        "exitCode": exit_code,
        "output": output,
        "startTime": clock::iso(started),
        "statuses": null,
    })
}

/// How many of `total` lines a script has printed `elapsed` into a run of `length` ms.
fn revealed(total: usize, elapsed: i64, length: i64) -> usize {
    if length <= 0 {
        return total;
    }
    let fraction = u128::try_from(elapsed.clamp(0, length)).unwrap_or(0);
    let length = u128::try_from(length).unwrap_or(1);
    let count = u128::try_from(total).unwrap_or(0) * fraction / length;
    usize::try_from(count).unwrap_or(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(code: i32, timed_out: bool) -> Value {
        json!({
            "name": "rc",
            PRIVATE: {
                "started": 1_000, "ends": 2_000, "timedOut": timed_out,
                "stdout": ["[INFO] a", "[INFO] b", "[SUCCESS] c", "[INFO] d"],
                "stderr": if code == 0 { "" } else { "boom\n" }, "code": code,
            },
        })
    }

    #[test]
    fn running_reveals_output_line_by_line() {
        let view = view(&stored(0, false), true, 1_500);
        let instance = &view["instanceView"];
        assert_eq!(instance["executionState"], "Running");
        assert_eq!(instance["output"], "[INFO] a\n[INFO] b\n");
        assert!(instance["endTime"].is_null());
        assert!(view.get(PRIVATE).is_none());
    }

    #[test]
    fn finished_views_carry_the_exit_code() {
        let done = view(&stored(0, false), true, 2_000);
        assert_eq!(done["instanceView"]["executionState"], "Succeeded");
        assert_eq!(done["instanceView"]["exitCode"], 0);
        assert!(
            done["instanceView"]["output"]
                .as_str()
                .unwrap()
                .ends_with("[INFO] d\n")
        );
        let failed = view(&stored(3, false), true, 5_000);
        assert_eq!(failed["instanceView"]["executionState"], "Failed");
        assert_eq!(failed["instanceView"]["exitCode"], 3);
        assert_eq!(failed["instanceView"]["error"], "boom\n");
        let timed_out = view(&stored(0, true), true, 5_000);
        assert_eq!(timed_out["instanceView"]["executionState"], "TimedOut");
        assert!(
            view(&stored(0, false), false, 5_000)
                .get("instanceView")
                .is_none()
        );
    }

    #[test]
    fn reveals_proportionally() {
        assert_eq!(revealed(4, 0, 100), 0);
        assert_eq!(revealed(4, 50, 100), 2);
        assert_eq!(revealed(4, 500, 100), 4);
        assert_eq!(revealed(4, 10, 0), 4);
    }
}

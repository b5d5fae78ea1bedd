//! The `az` shim: the entry point when the binary runs as `az`, and its installation as a link
//! in the simulator directory.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::args::AzArgs;
use crate::call::{Call, Outcome};
use crate::calls::{self, CallRecord};
use crate::failure::{AzFailure, CallError};
use crate::faults::{self, Fault};
use crate::output;
use crate::query::Query;
use crate::settings::{DIR_VAR, Settings};
use crate::store::Store;
use crate::{catalog, command_tree, managed_command, runcommand, special, verbs};

const HELP: &str = "\
az: avdeploy's Azure simulator, a test double for the Azure CLI.

This `az` answers like the Azure CLI from a simulated subscription kept in $AVDEPLOY_SIM_DIR.
It does not contact Azure. `avdeploy run --simulate` puts it first on the operations' PATH;
real deployments use the real Azure CLI. See docs/simulator.md for what is simulated.
";

/// Runs the shim with the arguments after `az`; returns the exit code.
pub fn az_main(args: Vec<OsString>) -> i32 {
    let started = Instant::now();
    let argv: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let settings = match Settings::from_env(|name| std::env::var(name).ok()) {
        Ok(Some(settings)) => settings,
        Ok(None) => {
            eprintln!(
                "az: this is avdeploy's Azure simulator and {DIR_VAR} is not set.\n\
                 It runs only under `avdeploy run --simulate`; use the real Azure CLI for real deployments."
            );
            return 2;
        }
        Err(error) => {
            eprintln!("az: avdeploy simulator: {}", chain(&error));
            return 2;
        }
    };
    let (exit, stdout, stderr) = answer(&settings, &argv);
    let _ = std::io::stdout().write_all(stdout.as_bytes());
    let _ = std::io::stderr().write_all(stderr.as_bytes());
    let record = CallRecord::new(
        &argv,
        exit,
        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        |name| std::env::var(name).ok(),
    );
    if let Err(error) = calls::append(&settings.dir, &record) {
        eprintln!(
            "az: avdeploy simulator: failed to append to {}: {error}",
            calls::CALLS_FILE
        );
    }
    exit
}

/// Creates `<sim_dir>/bin/az` as a link to this executable (replacing a stale one) and returns
/// `<sim_dir>/bin`.
pub fn install_shim(sim_dir: &Path) -> std::io::Result<PathBuf> {
    let bin = sim_dir.join("bin");
    std::fs::create_dir_all(&bin)?;
    let link = bin.join("az");
    let exe = std::env::current_exe()?;
    if std::fs::read_link(&link).is_ok_and(|target| target == exe) {
        return Ok(bin);
    }
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(&link)?;
    }
    std::os::unix::fs::symlink(&exe, &link)?;
    Ok(bin)
}

/// The exit code, stdout and stderr of one call.
fn answer(settings: &Settings, argv: &[String]) -> (i32, String, String) {
    let args = match AzArgs::parse(argv) {
        Ok(args) => args,
        Err(failure) => return (failure.exit, String::new(), failure.stderr),
    };
    if args.help || args.path.is_empty() {
        if args.has("--version") {
            return (
                0,
                "azure-cli (avdeploy simulator) 2.67.0\n".to_owned(),
                String::new(),
            );
        }
        return (0, HELP.to_owned(), String::new());
    }
    if !command_tree::is_command(&args.path) {
        return match command_tree::not_a_command(&args.path) {
            Ok(help) => (0, help, String::new()),
            Err(failure) => (failure.exit, String::new(), failure.stderr),
        };
    }
    let query = match args.query.as_deref().map(Query::compile).transpose() {
        Ok(query) => query,
        Err(failure) => return (failure.exit, String::new(), failure.stderr),
    };
    let format = args.output;
    let result = Store::open(&settings.dir)
        .map_err(CallError::from)
        .and_then(|store| {
            let mut call = Call {
                argv: argv.to_vec(),
                args,
                settings: settings.clone(),
                store,
            };
            execute(&mut call)
        })
        .and_then(|value| match &query {
            Some(query) => Ok(query.apply(&value)?),
            None => Ok(value),
        });
    match result {
        Ok(value) => {
            let orders = query.as_ref().map_or(&[][..], Query::key_orders);
            (
                0,
                output::render(&value, format, orders, query.is_some()),
                String::new(),
            )
        }
        Err(CallError::Az(failure)) => (failure.exit, String::new(), failure.stderr),
        Err(CallError::Sim(error)) => (
            1,
            String::new(),
            format!("ERROR: avdeploy simulator: {}\n", chain(&error)),
        ),
    }
}

/// Applies fault injection, then answers the command.
fn execute(call: &mut Call) -> Outcome {
    let fault = faults::decide(
        &call.settings.faults,
        &call.argv,
        &mut call.store,
        call.settings.seed,
    )?;
    let run_command_verb = match call.args.path.as_slice() {
        [vm, rc, verb] if vm == "vm" && rc == "run-command" => verb.as_str(),
        _ => "",
    };
    match fault {
        None => {}
        Some(Fault::Exit(code)) if run_command_verb == "invoke" => {
            return runcommand::invoke_with(call, Some(code));
        }
        Some(Fault::Exit(code)) if run_command_verb == "create" => {
            return managed_command::create(call, Some(code));
        }
        Some(fault) => return Err(fault_failure(call, fault).into()),
    }
    if let Some(outcome) = special::dispatch(call) {
        return outcome;
    }
    let path = call.args.path.clone();
    match catalog::find(&path) {
        Some((family, Some(verb)))
            if family.has_verb(verb) && path.len() == family.path.split(' ').count() + 1 =>
        {
            verbs::handle(call, family, verb)
        }
        _ => Err(command_tree::not_a_command(&path)
            .err()
            .unwrap_or_else(|| AzFailure::usage("the command is not simulated"))
            .into()),
    }
}

fn fault_failure(call: &Call, fault: Fault) -> AzFailure {
    let subscription = &call.settings.subscription;
    match fault {
        Fault::Busy => AzFailure::another_operation(
            subscription,
            "eastus",
            "00000000-fa17-4000-8000-000000000000",
        ),
        Fault::Conflict => AzFailure::run_command_conflict(),
        Fault::Error => AzFailure::service(
            "BadRequest",
            "The request is invalid (simulated fault injected by the avdeploy simulator).",
            1,
        ),
        Fault::Exit(code) => AzFailure {
            exit: code,
            stderr: format!("ERROR: simulated failure (exit code {code})\n"),
        },
        Fault::Login => AzFailure {
            exit: 1,
            stderr: "ERROR: Please run 'az login' to setup account.\n".to_owned(),
        },
        Fault::Hang => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        Fault::Throttle(seconds) => AzFailure::throttled(subscription, seconds),
    }
}

/// An error and its sources, joined with ": ".
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_shim_links_this_executable_and_replaces_a_stale_link() {
        let dir = tempfile::tempdir().unwrap();
        let bin = install_shim(dir.path()).unwrap();
        assert_eq!(bin, dir.path().join("bin"));
        let exe = std::env::current_exe().unwrap();
        assert_eq!(std::fs::read_link(bin.join("az")).unwrap(), exe);
        std::fs::remove_file(bin.join("az")).unwrap();
        std::os::unix::fs::symlink("/nonexistent/avdeploy", bin.join("az")).unwrap();
        install_shim(dir.path()).unwrap();
        assert_eq!(std::fs::read_link(bin.join("az")).unwrap(), exe);
    }

    #[test]
    fn unknown_commands_and_verbs_exit_2() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::for_dir(dir.path().to_path_buf());
        let settings = Settings {
            time_scale: 0.0,
            ..settings
        };
        let (exit, help, _) = answer(&settings, &["network".to_owned(), "vnet".to_owned()]);
        assert_eq!(exit, 0);
        assert!(help.contains("subnet"), "{help}");
        for line in ["frobnicate now", "network vnet frob -g rg -n v"] {
            let argv: Vec<String> = line.split(' ').map(str::to_owned).collect();
            let (exit, _, stderr) = answer(&settings, &argv);
            assert_eq!(exit, 2, "{line}");
            assert!(
                stderr.contains("is misspelled or not recognized"),
                "{stderr}"
            );
        }
    }
}

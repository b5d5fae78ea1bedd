//! The `avdeploy` command: the engine with the two simulated Azures plugged in behind
//! `--simulate` and `avdeploy sim`: the built-in `az` shim, and the local Azure
//! (crates/avdeploy-emu) that the real `az` runs against under `--simulate=azure-cli`. Started
//! under the name `az` (the link `--simulate` puts first on the operations' PATH), the
//! executable is the shim's `az` instead.

mod local_azure;

use std::path::Path;

use avdeploy::simulator::{Backend, Session, Simulator, SimulatorError};
use avdeploy_sim::{SimCommand, SimError};
use clap::{FromArgMatches, Subcommand};

/// mimalloc, not the system's allocator: loading a large deployment makes millions of small
/// allocations on several threads, which it serves in about two thirds of the time (see
/// scripts/bench-validate.sh). Transparent huge pages are left off, so memory is not taken in
/// 2 MiB steps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's `mi_option_set` (its include/mimalloc.h), linked in with the allocator.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in mimalloc's `mi_option_t`.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// Milliseconds after which mimalloc gives memory freed back to the system. Its default, a
/// second, is the whole life of most commands: a command that frees one phase's data (a large
/// load's cache entries, validation's script facts) and then builds the next would hold both
/// in memory. `MIMALLOC_PURGE_DELAY` in the environment still decides when set.
const PURGE_DELAY_MS: std::ffi::c_long = 10;

fn main() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: called once, before any other thread exists; the option is a plain number.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let code = if Path::new(&argv0).file_name() == Some(std::ffi::OsStr::new("az")) {
        avdeploy_sim::az_main(args.collect())
    } else {
        avdeploy::run(&AzureSimulator)
    };
    std::process::exit(code);
}

/// The simulated Azures, seen through the engine's [`Simulator`] interface.
struct AzureSimulator;

impl Simulator for AzureSimulator {
    fn command(&self) -> clap::Command {
        let sim = clap::Command::new("sim")
            .about(
                "Inspect or clear the simulated Azure subscription used by --simulate (a test \
                 double); --backend azure-cli: the local Azure of --simulate=azure-cli.",
            )
            .subcommand_required(true)
            .arg_required_else_help(true);
        local_azure::with_backend_flag(SimCommand::augment_subcommands(sim))
    }

    fn execute(&self, matches: &clap::ArgMatches, dir: &Path) -> Result<(), SimulatorError> {
        if local_azure::backend_of(matches) == Backend::AzureCli {
            return local_azure::execute(matches, dir);
        }
        let command = SimCommand::from_arg_matches(matches).map_err(|error| SimulatorError {
            invalid_input: true,
            error: Box::new(error),
        })?;
        avdeploy_sim::execute(&command, dir).map_err(simulator_error)
    }

    fn start(&self, backend: Backend, dir: &Path) -> Result<Box<dyn Session>, SimulatorError> {
        match backend {
            Backend::Shim => Ok(Box::new(ShimSession::install(dir)?)),
            Backend::AzureCli => Ok(Box::new(local_azure::LocalAzure::start(dir)?)),
        }
    }

    fn time_scale(&self, var: &dyn Fn(&str) -> Option<String>) -> Result<f64, SimulatorError> {
        avdeploy_sim::settings::time_scale(&var).map_err(simulator_error)
    }
}

/// The shim's `az` installed for a run: first on the operations' `PATH`.
struct ShimSession {
    environment: Vec<(String, String)>,
}

impl ShimSession {
    fn install(dir: &Path) -> Result<Self, SimulatorError> {
        let bin = avdeploy_sim::install_shim(dir).map_err(|error| SimulatorError {
            invalid_input: false,
            error: format!(
                "cannot create the simulator's az in {}: {error}",
                dir.display()
            )
            .into(),
        })?;
        let path = std::env::var("PATH").unwrap_or_default();
        Ok(Self {
            environment: vec![
                ("PATH".to_owned(), format!("{}:{path}", bin.display())),
                (
                    avdeploy_sim::settings::DIR_VAR.to_owned(),
                    dir.display().to_string(),
                ),
            ],
        })
    }
}

impl Session for ShimSession {
    fn environment(&self) -> Vec<(String, String)> {
        self.environment.clone()
    }

    fn not_covered(&self, _script: &str) -> Option<String> {
        None
    }
}

/// A simulator error for the engine: a bad setting is invalid input (exit 2).
fn simulator_error(error: SimError) -> SimulatorError {
    SimulatorError {
        invalid_input: matches!(error, SimError::Setting { .. }),
        error: Box::new(error),
    }
}

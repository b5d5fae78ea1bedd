//! `--simulate=azure-cli`: the local Azure (crates/avdeploy-emu) served for the run, and the
//! real `az` registered with it and logged in (the engine's `azure_cli`); `sim show|reset
//! --backend azure-cli` on its store.

use std::path::Path;
use std::time::Duration;

use avdeploy::azure_cli::{self, AzCliError, LocalCloud, Login};
use avdeploy::simulator::{Backend, Session, SimulatorError};
use avdeploy_emu::{EmuError, Emulator, EmulatorConfig};

/// The name the local cloud is registered under in the run's CLI folder.
const CLOUD_NAME: &str = "AvdeployLocal";

/// The `--backend` flag of `sim show` and `sim reset`.
const BACKEND_ARG: &str = "backend";

/// The local Azure of one run and the `az` logged in to it. Dropping it logs out (removes the
/// run's CLI folder), then stops the server.
pub(crate) struct LocalAzure {
    login: Login,
    time_scale: f64,
    _emulator: Emulator,
}

/// Real time an operation may spend starting `az` on top of its timeout at the time scale: about
/// 60 az calls on a loaded machine. A wait that can never end (`az vm wait` on a state the local
/// Azure never reaches) fails as timed out after this, naming the operation.
const AZ_START_ALLOWANCE: Duration = Duration::from_secs(300);

impl LocalAzure {
    /// Finds `az`, starts the emulator on the subscription kept in `dir`, and logs in to it.
    pub(crate) fn start(dir: &Path) -> Result<Self, SimulatorError> {
        let var = |name: &str| std::env::var(name).ok();
        let az = azure_cli::find_az(&var, var("PATH").as_deref()).map_err(cli_error)?;
        let config = EmulatorConfig::from_env(dir.to_path_buf(), var).map_err(emu_error)?;
        let tenant_id = config.tenant_id.clone();
        let time_scale = config.time_scale;
        let emulator = Emulator::start(config).map_err(emu_error)?;
        let cloud = LocalCloud {
            name: CLOUD_NAME.to_owned(),
            // `az cloud register` appends `/metadata/endpoints` to this: no trailing slash.
            resource_manager: emulator.base_url(),
            ca_bundle: emulator.ca_bundle().to_path_buf(),
            tenant_id,
        };
        let login = Login::prepare(&az, &cloud, dir).map_err(cli_error)?;
        Ok(Self {
            login,
            time_scale,
            _emulator: emulator,
        })
    }
}

impl Session for LocalAzure {
    fn environment(&self) -> Vec<(String, String)> {
        self.login
            .environment(std::env::var("PATH").ok().as_deref())
    }

    fn not_covered(&self, script: &str) -> Option<String> {
        azure_cli::uncovered(script)
    }

    /// The timeout at the local Azure's time scale plus [`AZ_START_ALLOWANCE`], never more than
    /// the timeout itself: the real `az` waits in real seconds (`az vm wait --timeout 2700`).
    fn operation_timeout(&self, timeout: Duration) -> Duration {
        bounded_timeout(timeout, self.time_scale)
    }
}

/// `timeout` at `time_scale` plus [`AZ_START_ALLOWANCE`], at most `timeout`.
fn bounded_timeout(timeout: Duration, time_scale: f64) -> Duration {
    Duration::try_from_secs_f64(timeout.as_secs_f64() * time_scale)
        .unwrap_or(timeout)
        .saturating_add(AZ_START_ALLOWANCE)
        .min(timeout)
}

/// `sim` with `--backend shim|azure-cli` on its `show` and `reset`.
pub(crate) fn with_backend_flag(sim: clap::Command) -> clap::Command {
    let flag = clap::Arg::new(BACKEND_ARG)
        .long(BACKEND_ARG)
        .value_name("BACKEND")
        .value_parser(["shim", "azure-cli"])
        .default_value("shim")
        .help("Which simulated Azure: the az shim of --simulate, or the local Azure of --simulate=azure-cli");
    sim.mut_subcommand("show", |show| show.arg(flag.clone()))
        .mut_subcommand("reset", |reset| reset.arg(flag.clone()))
}

/// The backend a `sim` command names.
pub(crate) fn backend_of(matches: &clap::ArgMatches) -> Backend {
    let chosen = matches
        .subcommand()
        .and_then(|(_, sub)| sub.try_get_one::<String>(BACKEND_ARG).ok().flatten());
    match chosen.map(String::as_str) {
        Some("azure-cli") => Backend::AzureCli,
        _ => Backend::Shim,
    }
}

/// `sim show|reset --backend azure-cli`: the local Azure's stored resources, by type.
pub(crate) fn execute(matches: &clap::ArgMatches, dir: &Path) -> Result<(), SimulatorError> {
    match matches.subcommand() {
        Some(("reset", _)) => {
            let path = dir.join(avdeploy_emu::store::STORE_FILE);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(SimulatorError {
                        invalid_input: false,
                        error: format!("cannot remove {}: {error}", path.display()).into(),
                    });
                }
            }
            println!(
                "Local Azure of --simulate=azure-cli in {} reset.",
                dir.display()
            );
            Ok(())
        }
        Some(("show", sub)) => {
            let by_type = avdeploy_emu::show(dir).map_err(emu_error)?;
            if sub.get_flag("json") {
                let text =
                    serde_json::to_string_pretty(&by_type).map_err(|error| SimulatorError {
                        invalid_input: false,
                        error: Box::new(error),
                    })?;
                println!("{text}");
                return Ok(());
            }
            print!("{}", summary(&by_type));
            Ok(())
        }
        _ => Err(SimulatorError {
            invalid_input: true,
            error: "`sim` needs `show` or `reset`".into(),
        }),
    }
}

/// One line per resource type: how many, and their names.
fn summary(by_type: &std::collections::BTreeMap<String, Vec<serde_json::Value>>) -> String {
    if by_type.is_empty() {
        return "The local Azure of --simulate=azure-cli holds no resources.\n".to_owned();
    }
    let mut text = String::from("Local Azure of --simulate=azure-cli:\n");
    for (kind, items) in by_type {
        let names: Vec<&str> = items
            .iter()
            .map(|item| {
                item["name"]
                    .as_str()
                    .or_else(|| item["displayName"].as_str())
                    .unwrap_or("?")
            })
            .collect();
        text.push_str(&format!(
            "  {kind} ({}): {}\n",
            items.len(),
            names.join(", ")
        ));
    }
    text
}

fn cli_error(error: AzCliError) -> SimulatorError {
    SimulatorError {
        invalid_input: error.invalid_input(),
        error: Box::new(error),
    }
}

fn emu_error(error: EmuError) -> SimulatorError {
    SimulatorError {
        invalid_input: matches!(error, EmuError::Setting { .. }),
        error: Box::new(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_count_at_the_time_scale_plus_the_az_start_allowance() {
        let hour = Duration::from_secs(3600);
        assert_eq!(bounded_timeout(hour, 0.001), Duration::from_millis(303_600));
        assert_eq!(bounded_timeout(hour, 1.0), hour);
        assert_eq!(bounded_timeout(hour, 2.0), hour);
        let short = Duration::from_secs(120);
        assert_eq!(bounded_timeout(short, 0.001), short);
    }
}

//! Registering the local cloud with the real `az` and logging in to it, once per run, in the
//! run's own configuration folder. Operations then share that login: the tokens are fetched
//! here (Resource Manager and Graph), so concurrent `az` processes only read the cache.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{AzCliError, ConfigDir};

/// The service principal the run logs in as. The local cloud accepts any client: this is no
/// secret, and it is the only credential that ever reaches `az`'s argv or its folder.
const CLIENT_ID: &str = "avdeploy-local-client";
/// The matching client secret (see [`CLIENT_ID`]).
const CLIENT_SECRET: &str = "local-cloud-accepts-any-secret";

/// How long one set-up step of `az` may take before the run gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(300);

/// The CLI settings of the run's folder: no instance discovery (it asks
/// login.microsoftonline.com about the authority), no telemetry, no extension installs.
const CONFIG: &str = "[core]\ninstance_discovery = false\ncollect_telemetry = false\n\
                      [extension]\nuse_dynamic_install = no\n[output]\nshow_survey_link = no\n";

/// A cloud served on this machine.
#[derive(Clone, Debug)]
pub struct LocalCloud {
    /// The name `az cloud register` gives it.
    pub name: String,
    /// Its Resource Manager endpoint (`https://127.0.0.1:<port>`, no trailing slash: az appends
    /// `/metadata/endpoints` and reads the other endpoints there).
    pub resource_manager: String,
    /// The PEM bundle of the certificate authority its HTTPS certificate is signed by.
    pub ca_bundle: PathBuf,
    /// The tenant to log in to.
    pub tenant_id: String,
}

/// The real `az`, registered with a local cloud and logged in, in a folder of its own.
#[derive(Debug)]
pub struct Login {
    dir: ConfigDir,
    ca_bundle: PathBuf,
}

impl Login {
    /// Makes the run's configuration folder under `parent`, registers and selects `cloud`,
    /// logs in and fetches the tokens operations will use.
    pub fn prepare(az: &Path, cloud: &LocalCloud, parent: &Path) -> Result<Self, AzCliError> {
        let dir = ConfigDir::create(parent)?;
        let io = |action, path: PathBuf| {
            move |source| AzCliError::Io {
                action,
                path,
                source,
            }
        };
        let config = dir.path().join("config");
        std::fs::write(&config, CONFIG).map_err(io("write", config.clone()))?;
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).map_err(io("create", bin.clone()))?;
        let az = std::path::absolute(az).map_err(io("resolve", az.to_path_buf()))?;
        std::os::unix::fs::symlink(&az, bin.join("az")).map_err(io("link", bin.join("az")))?;
        let login = Self {
            dir,
            ca_bundle: cloud.ca_bundle.clone(),
        };
        let register = ["cloud", "register", "--name", &cloud.name];
        login.step(
            &[
                &register[..],
                &["--endpoint-resource-manager", &cloud.resource_manager],
            ]
            .concat(),
        )?;
        login.step(&["cloud", "set", "--name", &cloud.name])?;
        login.step(&[
            "login",
            "--service-principal",
            "--username",
            CLIENT_ID,
            "--password",
            CLIENT_SECRET,
            "--tenant",
            &cloud.tenant_id,
            "--output",
            "none",
        ])?;
        login.step(&["account", "get-access-token", "--output", "none"])?;
        login.step(&[
            "account",
            "get-access-token",
            "--resource-type",
            "ms-graph",
            "--output",
            "none",
        ])?;
        Ok(login)
    }

    /// The run's configuration folder (`AZURE_CONFIG_DIR`).
    pub fn config_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The variables that make an operation's `az` this one, logged in to the local cloud:
    /// `path` is the `PATH` to put its folder in front of.
    pub fn environment(&self, path: Option<&str>) -> Vec<(String, String)> {
        let bin = self.dir.path().join("bin").display().to_string();
        vec![
            (
                "PATH".to_owned(),
                path.map_or(bin.clone(), |path| format!("{bin}:{path}")),
            ),
            (
                "AZURE_CONFIG_DIR".to_owned(),
                self.dir.path().display().to_string(),
            ),
            (
                "REQUESTS_CA_BUNDLE".to_owned(),
                self.ca_bundle.display().to_string(),
            ),
            (
                "AZURE_CORE_COLLECT_TELEMETRY".to_owned(),
                "false".to_owned(),
            ),
        ]
    }

    /// Runs one set-up step of `az` with the run's folder, or says what it printed.
    fn step(&self, args: &[&str]) -> Result<(), AzCliError> {
        let shown = args
            .iter()
            .map(|arg| if *arg == CLIENT_SECRET { "***" } else { arg })
            .collect::<Vec<_>>()
            .join(" ");
        let failed = |code, output| AzCliError::Step {
            step: shown.clone(),
            code,
            output,
        };
        let az = self.dir.path().join("bin").join("az");
        let mut command = Command::new(&az);
        command
            .args(args)
            .envs(self.environment(std::env::var("PATH").ok().as_deref()));
        let finished =
            super::invoke::run(command, STEP_TIMEOUT).map_err(|source| AzCliError::Io {
                action: "start",
                path: az,
                source,
            })?;
        if finished.timed_out {
            return Err(failed(
                -1,
                format!("no answer within {}s", STEP_TIMEOUT.as_secs()),
            ));
        }
        if finished.success() {
            return Ok(());
        }
        let output = finished.stdout + &finished.stderr;
        Err(failed(
            finished.code.unwrap_or(-1),
            output.trim_end().to_owned(),
        ))
    }
}

//! The preflight of a real run (`run`, `resume`, `destroy` without `--simulate`): before the
//! lock is taken, `az` is found, the login proven, the config's subscription selected in the
//! run's own CLI folder and its tenant checked; then the run says where it deploys and asks.

use std::path::PathBuf;

use crate::azure_cli::preflight::{self, PreflightError, Proven, Target};
use crate::azure_cli::{self, AzCliError};
use crate::cmd::confirm;
use crate::cmd::settings::ExecSettings;
use crate::error::Error;
use crate::model::deployment::Deployment;
use crate::model::operation::{Action, Operation};

/// A login proven for this run; holds the run's CLI folder until dropped.
#[derive(Debug)]
pub(crate) struct Preflight {
    proven: Proven,
}

impl Preflight {
    /// Proves the login for a real run of `operations`. `None` under `--simulate`, and when
    /// none of them talks to Azure (no run-command operation, no bash script calling `az`):
    /// such a run needs no login.
    pub(crate) fn prove<'a>(
        deployment: &Deployment,
        mut operations: impl Iterator<Item = &'a Operation>,
        settings: &ExecSettings<'_>,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, Error> {
        if settings.simulator.is_some() || !operations.any(calls_azure) {
            return Ok(None);
        }
        let az = azure_cli::find_az(var, var("PATH").as_deref()).map_err(|error| match error {
            AzCliError::NotFound { detail } => PreflightError::NoCli { detail },
            other => PreflightError::Folder(other),
        })?;
        let config = |name: &str| {
            deployment
                .variables
                .get(name)
                .map(|variable| variable.value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let target = Target {
            subscription_id: config("AZURE_SUBSCRIPTION_ID"),
            tenant_id: config("AZURE_TENANT_ID"),
        };
        let user_dir: PathBuf = preflight::user_config_dir(var);
        let proven = preflight::prove(&az, &target, &user_dir, &deployment.layout.state_dir())?;
        Ok(Some(Self { proven }))
    }

    /// `about to run N operations in subscription <name> (<id>) as <user>`.
    pub(crate) fn summary(&self, operations: usize) -> String {
        let account = &self.proven.account;
        format!(
            "about to run {} in subscription {} ({}) as {}",
            crate::base::text::plural(operations, "operation"),
            account.name,
            account.id,
            account.user.name
        )
    }

    /// Prints the summary and asks (see [`confirm::confirmed`]); nothing to run asks nothing.
    pub(crate) fn confirmed(
        &self,
        operations: usize,
        yes: bool,
        command: &str,
    ) -> Result<bool, Error> {
        println!("{}", self.summary(operations));
        Ok(operations == 0 || confirm::confirmed(yes, command)?)
    }

    /// The environment every operation of the run gets (see [`Proven::environment`]).
    pub(crate) fn environment(&self) -> Vec<(String, String)> {
        self.proven.environment(&|name| std::env::var(name).ok())
    }
}

/// The environment of a run's operations: the preflight's, or nothing.
pub(crate) fn environment(preflight: Option<&Preflight>) -> Vec<(String, String)> {
    preflight.map(Preflight::environment).unwrap_or_default()
}

/// Whether an operation talks to Azure: run-command operations always do, a bash script when
/// it runs the `az` command (found by the bash parser, not by searching its text).
fn calls_azure(operation: &Operation) -> bool {
    match &operation.action {
        Action::RunCommand(_) => true,
        Action::Bash { command } => crate::model::shell_vars::analyze(&command.value)
            .commands
            .contains("az"),
    }
}

//! Operational errors: everything that stops a command other than findings about the input,
//! with the exit code each maps to.

use std::path::PathBuf;

use crate::exit_code;

/// A command failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The deployment folder could not be read.
    #[error(transparent)]
    Load(#[from] crate::load::deployment::LoadError),
    /// The config file's name cannot name an environment.
    #[error(transparent)]
    Layout(#[from] crate::base::layout::LayoutError),
    /// The deployment has errors; they were already printed.
    #[error("the deployment has {count} error(s); run `avdeploy validate` for details")]
    Invalid {
        /// How many errors.
        count: usize,
    },
    /// The folder holds no config file: the command has nothing to work on.
    #[error("not a deployment folder (no {config} here): use -C DIR or `avdeploy init DIR`")]
    NotADeployment {
        /// The config file as named (`config.yaml`, or the `--config` file).
        config: String,
    },
    /// The target of `run`/`plan` names nothing.
    #[error(transparent)]
    Plan(#[from] crate::plan::graph::PlanError),
    /// Bad usage that clap cannot see.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
    },
    /// A file could not be written or read.
    #[error("cannot {action} `{path}`")]
    Io {
        /// What was being done (`write`, `read`, `create`).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Reading an answer from standard input failed.
    #[error("cannot read the answer from standard input")]
    Input(#[source] std::io::Error),
    /// Writing to standard output failed.
    #[error("cannot write output")]
    Output(#[from] std::io::Error),
    /// Another avdeploy process holds the deployment's lock.
    #[error(transparent)]
    Locked(crate::state::LockError),
    /// An operation a dead engine left running survived SIGKILL: nothing may start beside it.
    #[error(
        "operation `{operation}` left running by an engine that died cannot be stopped (process group {pid} survived SIGKILL); nothing was started"
    )]
    OrphanAlive {
        /// The operation id.
        operation: String,
        /// Its process group.
        pid: u32,
    },
    /// Interrupted while stopping what a dead engine left running, before anything started.
    #[error("interrupted before anything started")]
    Interrupted,
    /// The state database failed.
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    /// A reporter failed (console, event log or state recorder).
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    /// The event log could not be read back.
    #[error(transparent)]
    Replay(#[from] crate::report::replay::ReplayError),
    /// The error catalog file is invalid.
    #[error(transparent)]
    Catalog(#[from] crate::exec::error_catalog::CatalogError),
    /// The async runtime or signal handlers could not start.
    #[error("cannot start the engine")]
    Runtime(#[source] std::io::Error),
    /// Signal handlers could not be installed.
    #[error(transparent)]
    Signal(#[from] crate::exec::signal::SignalError),
    /// The simulator failed or has a bad setting.
    #[error(transparent)]
    Sim(#[from] crate::simulator::SimulatorError),
    /// A real run cannot start: no `az`, no login, the wrong subscription or tenant.
    #[error(transparent)]
    Preflight(#[from] crate::azure_cli::preflight::PreflightError),
    /// The fingerprint key could not be read or written.
    #[error(transparent)]
    Key(#[from] crate::base::fingerprint_key::KeyError),
    /// JSON serialisation failed.
    #[error("cannot encode JSON")]
    Json(#[from] serde_json::Error),
}

impl From<crate::state::LockError> for Error {
    fn from(error: crate::state::LockError) -> Self {
        Self::Locked(error)
    }
}

impl Error {
    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            Self::Load(_)
            | Self::Layout(_)
            | Self::Invalid { .. }
            | Self::NotADeployment { .. }
            | Self::Plan(_)
            | Self::Usage { .. } => exit_code::INVALID_INPUT,
            Self::Sim(error) if error.invalid_input => exit_code::INVALID_INPUT,
            Self::Catalog(_) => exit_code::INVALID_INPUT,
            Self::Preflight(error) if error.invalid_input() => exit_code::INVALID_INPUT,
            Self::Locked(crate::state::LockError::Held { .. }) => exit_code::LOCKED,
            Self::Interrupted => exit_code::INTERRUPTED,
            Self::Io { .. }
            | Self::Input(_)
            | Self::Output(_)
            | Self::Json(_)
            | Self::Key(_)
            | Self::Locked(_)
            | Self::OrphanAlive { .. }
            | Self::State(_)
            | Self::Report(_)
            | Self::Replay(_)
            | Self::Runtime(_)
            | Self::Signal(_)
            | Self::Preflight(_)
            | Self::Sim(_) => exit_code::OPERATION_FAILED,
        }
    }
}

/// `error: message` followed by an indented `caused by:` chain.
pub(crate) fn display_chain(error: &dyn std::error::Error) -> String {
    let mut out = format!("error: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    out
}

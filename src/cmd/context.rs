//! What most commands start with: the deployment loaded and checked, findings printed.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::Error;
use crate::load::deployment::{self, Loaded};
use crate::model::deployment::Deployment;
use crate::validate::diagnostic::Diagnostic;
use crate::validate::{checks, render};

/// The deployment folder as an absolute path: operations run with it as working directory, so
/// every path handed to them must not depend on where avdeploy was started.
pub fn root(global: &GlobalArgs) -> PathBuf {
    std::path::absolute(&global.dir).unwrap_or_else(|_| global.dir.clone())
}

/// Loads the deployment and runs every check; returns the deployment and all findings, sorted.
pub fn load_checked(global: &GlobalArgs) -> Result<(Deployment, Vec<Diagnostic>), Error> {
    let env = |name: &str| std::env::var(name).ok();
    let Loaded {
        deployment,
        mut diagnostics,
    } = deployment::load(&root(global), &global.config, &env)?;
    checks::check(&deployment, &mut diagnostics);
    Ok((deployment, diagnostics.into_sorted()))
}

/// Loads a deployment that must be free of errors: findings are printed to stderr, and errors
/// stop the command with exit code 2. Warnings are printed only when `show_warnings`.
pub fn load_valid(global: &GlobalArgs, show_warnings: bool) -> Result<Deployment, Error> {
    let (deployment, diagnostics) = load_checked(global)?;
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let shown: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| show_warnings || d.is_error())
        .collect();
    if !shown.is_empty() {
        let color = std::io::stderr().is_terminal();
        eprint!("{}", render::human(&deployment.sources, &shown, color));
    }
    if errors > 0 {
        return Err(Error::Invalid { count: errors });
    }
    Ok(deployment)
}

//! What most commands start with: the deployment loaded and checked, findings printed.

use crate::base::diagnostic::Diagnostic;
use crate::cli::GlobalArgs;
use crate::error::Error;
use crate::load::cache::CacheUse;
use crate::load::deployment::{self, Loaded};
use crate::model::deployment::Deployment;
use crate::model::operation::Operation;
use crate::validate::{checks, render};

/// Refuses a config file that cannot name an environment, and a folder without the config file
/// (`-C` and `--config` say where it is), before anything is read or created there. A config
/// path that is there but is no regular file (a folder, a device, a dangling link) is left to
/// loading, which says what it is.
pub(crate) fn require_deployment(global: &GlobalArgs) -> Result<(), Error> {
    global.layout()?;
    if std::fs::symlink_metadata(global.dir.join(&global.config)).is_ok() {
        Ok(())
    } else {
        Err(Error::NotADeployment {
            config: global.config.display().to_string(),
        })
    }
}

/// Loads the deployment (with the load cache as `cache` says) and runs every check; returns
/// the deployment and all findings, sorted.
pub(crate) fn load_checked(
    global: &GlobalArgs,
    cache: CacheUse,
) -> Result<(Deployment, Vec<Diagnostic>), Error> {
    let env = |name: &str| std::env::var(name).ok();
    let Loaded {
        deployment,
        mut diagnostics,
    } = deployment::load_with(&global.dir, &global.config, &env, cache)?;
    checks::check(&deployment, &mut diagnostics);
    Ok((deployment, diagnostics.into_sorted()))
}

/// Loads a deployment that must be free of errors: findings are printed to stderr, and errors
/// stop the command with exit code 2. Warnings are printed only when `show_warnings`.
pub(crate) fn load_valid(
    global: &GlobalArgs,
    show_warnings: bool,
    cache: CacheUse,
) -> Result<Deployment, Error> {
    let (deployment, diagnostics) = load_checked(global, cache)?;
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let shown: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| show_warnings || d.is_error())
        .collect();
    if !shown.is_empty() {
        let color = global.stderr_painter().enabled();
        eprint!("{}", render::human(&deployment.sources, &shown, color));
    }
    if errors > 0 {
        return Err(Error::Invalid { count: errors });
    }
    Ok(deployment)
}

/// The operation named on the command line by its id, or by its file name without `.yaml` when
/// that names exactly one operation.
pub(crate) fn find_operation<'a>(
    deployment: &'a Deployment,
    name: &str,
) -> Result<&'a Operation, Error> {
    if let Some(op) = deployment.operation(name) {
        return Ok(op);
    }
    let by_stem: Vec<&Operation> = deployment
        .operations
        .iter()
        .filter(|op| op.stem() == name)
        .map(Box::as_ref)
        .collect();
    match by_stem.as_slice() {
        [op] => Ok(op),
        [] => Err(Error::Usage {
            message: match crate::base::text::closest(
                name,
                deployment.operations.iter().map(|op| op.id.value.as_str()),
            ) {
                Some(best) => format!("no operation `{name}` (did you mean `{best}`?)"),
                None => format!("no operation `{name}`"),
            },
        }),
        many => {
            let ids: Vec<&str> = many.iter().map(|op| op.id.value.as_str()).collect();
            Err(Error::Usage {
                message: format!(
                    "`{name}` is the file name of several operations ({}); name one by its id",
                    crate::base::text::code_list(&ids)
                ),
            })
        }
    }
}

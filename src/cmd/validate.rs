//! `avdeploy validate`: every finding at once, exit 2 when any is an error.

use std::io::Write;

use crate::cli::{GlobalArgs, JsonArg};
use crate::cmd::checked;
use crate::error::Error;
use crate::exit_code;
use crate::validate::render;

/// Runs `validate` and returns the exit code.
pub(crate) fn run(global: &GlobalArgs, args: &JsonArg) -> Result<i32, Error> {
    let (deployment, diagnostics) = checked::load_checked(global, global.cache_for_checks())?;
    crate::cmd::run::catalog(&deployment.root)?;
    let has_errors = diagnostics.iter().any(|d| d.is_error());
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let report = render::json(&deployment.sources, &diagnostics);
        writeln!(stdout, "{}", serde_json::to_string_pretty(&report)?)?;
    } else if diagnostics.is_empty() {
        let ops = deployment.operations.len();
        writeln!(
            stdout,
            "valid: {} and {} checked, no findings",
            crate::base::text::plural(deployment.modules.len(), "module"),
            crate::base::text::plural(ops, "operation"),
        )?;
    } else {
        let color = global.stderr_painter().enabled();
        eprint!(
            "{}",
            render::human(&deployment.sources, &diagnostics, color)
        );
    }
    // The process ends next: freeing a large deployment piece by piece only costs time.
    std::mem::forget(deployment);
    Ok(if has_errors {
        exit_code::INVALID_INPUT
    } else {
        exit_code::SUCCESS
    })
}

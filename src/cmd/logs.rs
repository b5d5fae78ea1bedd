//! `avdeploy logs`: the log of an operation's latest attempt, or the list of all its logs.

use std::io::Write;

use crate::cli::{GlobalArgs, LogsArgs};
use crate::cmd::checked;
use crate::error::Error;

/// Runs `logs`.
pub(crate) fn run(global: &GlobalArgs, args: &LogsArgs) -> Result<i32, Error> {
    let deployment = checked::load_valid(global, false, global.cache())?;
    let (name, item) = crate::model::instances::split_instance(&args.operation);
    let op = checked::find_operation(&deployment, name)?;
    let id = item.map_or_else(
        || op.id.value.to_string(),
        |item| crate::model::instances::instance_id(&op.id.value, item),
    );
    let logs = deployment.layout.attempt_logs(&id);
    let mut out = std::io::stdout().lock();
    if args.all {
        for log in &logs {
            writeln!(out, "{}", log.display())?;
        }
        return Ok(crate::exit_code::SUCCESS);
    }
    let Some(latest) = logs.last() else {
        return Err(Error::Usage {
            message: format!("`{id}` has no log yet: it has not run"),
        });
    };
    let text = std::fs::read(latest).map_err(|source| Error::Io {
        action: "read",
        path: latest.clone(),
        source,
    })?;
    out.write_all(&text)?;
    Ok(crate::exit_code::SUCCESS)
}

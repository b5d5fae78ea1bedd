//! `avdeploy logs`: the log of an operation's latest attempt, or the list of all its logs.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::{GlobalArgs, LogsArgs};
use crate::cmd::context;
use crate::error::Error;

/// Runs `logs`.
pub fn run(global: &GlobalArgs, args: &LogsArgs) -> Result<i32, Error> {
    let deployment = context::load_valid(global, false)?;
    let (name, item) = crate::model::instances::split_instance(&args.operation);
    let op = context::find_operation(&deployment, name)?;
    let id = item.map_or_else(
        || op.id.value.clone(),
        |item| crate::model::instances::instance_id(&op.id.value, item),
    );
    let logs = attempt_logs(&deployment.root.join("artifacts").join("logs"), &id);
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

/// Log files of an operation (`<op>_<YYYYmmdd-HHMMSS>[-N].log`), oldest first.
fn attempt_logs(dir: &std::path::Path, operation: &str) -> Vec<PathBuf> {
    let prefix = format!("{operation}_");
    let mut logs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_prefix(&prefix).is_some_and(|rest| {
                rest.ends_with(".log") && rest.starts_with(|c: char| c.is_ascii_digit())
            })
        })
        .map(|entry| {
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (modified, entry.path())
        })
        .collect();
    logs.sort();
    logs.into_iter().map(|(_, path)| path).collect()
}

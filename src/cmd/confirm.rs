//! Asking before a command that changes the deployment: on a terminal the user answers; without
//! one (CI, cron) only `--yes` proceeds.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::Error;

/// Whether to go on with `command`: `yes`, or a `y` typed on the terminal. Without a terminal
/// and without `yes`, an error that says so.
pub(crate) fn confirmed(yes: bool, command: &str) -> Result<bool, Error> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage {
            message: format!(
                "standard input is not a terminal; pass --yes to {command} without asking"
            ),
        });
    }
    print!("Proceed? [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(Error::Input)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

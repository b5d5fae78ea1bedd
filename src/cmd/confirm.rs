//! Asking before a command that changes the deployment: on a terminal the user answers; without
//! one (CI, cron) only `--yes` proceeds.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::Error;

/// Whether to go on with `command`: `yes`, or a `y` typed on the terminal. Without a terminal
/// and without `yes`, says why on standard error and returns false.
pub fn confirmed(yes: bool, command: &str) -> Result<bool, Error> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        eprintln!(
            "error: standard input is not a terminal; pass --yes to {command} without asking"
        );
        return Ok(false);
    }
    print!("Proceed? [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

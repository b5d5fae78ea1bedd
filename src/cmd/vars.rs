//! `avdeploy vars`: every variable, its value (secrets as ***) and where it came from.

use std::io::Write;

use crate::cli::{GlobalArgs, JsonArg};
use crate::cmd::checked;
use crate::error::Error;
use crate::model::variables::{Origin, Variables};
use avdeploy_wire::redact::MASK;

/// A variable in `vars --json`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct VarJson<'a> {
    /// The name.
    pub name: &'a str,
    /// The value, `***` for secrets.
    pub value: &'a str,
    /// Whether it is a secret.
    pub secret: bool,
    /// Where it came from.
    pub origin: &'a Origin,
}

/// The variables as JSON rows, secrets masked.
pub(crate) fn rows(vars: &Variables) -> Vec<VarJson<'_>> {
    vars.iter()
        .map(|v| VarJson {
            name: &v.name,
            value: if v.secret { MASK } else { &v.value },
            secret: v.secret,
            origin: &v.origin,
        })
        .collect()
}

/// Runs `vars`.
pub(crate) fn run(global: &GlobalArgs, args: &JsonArg) -> Result<i32, Error> {
    let deployment = checked::load_valid(global, false, global.cache())?;
    let rows = rows(&deployment.variables);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(crate::exit_code::SUCCESS);
    }
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for row in rows {
        let origin = match row.origin {
            Origin::Config => "config".to_owned(),
            Origin::Environment => "environment".to_owned(),
            Origin::Item => "for_each item".to_owned(),
            Origin::Output(op) => format!("output of {op}"),
            Origin::Section => "variables".to_owned(),
        };
        writeln!(out, "{:<width$}  {:<12} {}", row.name, origin, row.value)?;
    }
    Ok(crate::exit_code::SUCCESS)
}

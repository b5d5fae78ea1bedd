//! `avdeploy outputs`: every value operations published with `[OUTPUT] NAME=value` that later
//! operations receive, the operation that published it and when. Reads the state only.

use std::io::Write;

use crate::cli::{GlobalArgs, JsonArg};
use crate::error::Error;
use crate::report::outputs_view::{OutputJson, render_outputs};
use crate::state::StateDb;

/// Runs `outputs`.
pub(crate) fn run(global: &GlobalArgs, args: &JsonArg) -> Result<i32, Error> {
    let store = StateDb::open_read_only(&global.layout()?)?;
    let mut out = std::io::stdout().lock();
    let Some(store) = store else {
        if args.json {
            writeln!(out, "[]")?;
        } else {
            writeln!(out, "No outputs published yet: no run recorded.")?;
        }
        return Ok(crate::exit_code::SUCCESS);
    };
    let outputs = OutputJson::all(&store.outputs()?);
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&outputs)?)?;
    } else {
        out.write_all(render_outputs(&outputs).as_bytes())?;
    }
    Ok(crate::exit_code::SUCCESS)
}

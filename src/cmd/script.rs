//! `avdeploy script`: the script an operation runs, as rendered now (before the run-command
//! exit-code wrapper), with secrets as ***.

use crate::cli::{GlobalArgs, ScriptArgs};
use crate::cmd::checked;
use crate::error::Error;
use crate::exec::launcher::powershell;
use crate::model::operation::{Action, PowerShell};
use crate::model::variables::Destination;

/// Runs `script`.
pub(crate) fn run(global: &GlobalArgs, args: &ScriptArgs) -> Result<i32, Error> {
    let deployment = checked::load_valid(global, false, global.cache())?;
    // `<id>@<item>` shows one instance of a `for_each` operation, with its `{{AVD_ITEM}}`.
    let (name, item) = crate::model::instances::split_instance(&args.operation);
    let op = checked::find_operation(&deployment, name)?;
    let vars = &deployment.variables.for_item(item);
    let render = |text: &str, context| {
        vars.render(text, context)
            .unwrap_or_else(|_| text.to_owned())
    };
    // A placeholder that cannot be rendered yet (an output of an earlier operation) is shown as
    // written.
    let script = match &op.action {
        Action::Bash { command } => render(command, Destination::Script),
        Action::RunCommand(rc) => {
            powershell(&rc.script, vars).unwrap_or_else(|_| match &rc.script {
                PowerShell::Content { content, .. } => content.value.clone(),
                PowerShell::Generated(spec) => crate::ps::generate(spec),
            })
        }
    };
    let text = crate::ps::redact_script(&script, &vars.secret_values());
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(crate::exit_code::SUCCESS)
}

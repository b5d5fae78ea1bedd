//! Turns a planned operation into a unit at the moment it starts: renders its script with the
//! variables known then (outputs included), writes the on-disk copy without secrets, and builds
//! its environment.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::base::layout::Layout;
use crate::exec::backoff::RetryPolicy;
use crate::exec::orphans::RUN_MARKER_VAR;
use crate::exec::run_command::RunCommandCheck;
use crate::exec::scheduler::Prepare;
use crate::exec::spawn::Bash;
use crate::exec::unit::UnitSpec;
use crate::model::deployment::Deployment;
use crate::model::operation::{Action, Operation, PowerShell, RunCommand, RunCommandMode};
use crate::model::shell::ShellMode;
use crate::model::variables::{Destination, RenderError, Variables};
use crate::plan::graph::PlannedOperation;
use crate::ps::spec::ScriptSpec;
use crate::runcmd::script_file::{self, ScriptSource};
use crate::simulator::Session;
use avdeploy_wire::sentinel;

/// The preamble of the bash the engine itself writes around a run command: stop at the first
/// failing command or pipeline, whatever the module's shell mode.
const BASH_PREAMBLE: &str = ShellMode::Strict.preamble();

/// How a run-command operation is invoked: the bash script, its extra environment, and how its
/// answer is judged.
type Invocation = (String, Vec<(String, String)>, Option<RunCommandCheck>);

/// Folder layout and settings shared by every launch of a run.
pub(crate) struct Launcher<'a> {
    /// The deployment.
    pub deployment: &'a Deployment,
    /// The run's id (`AVD_RUN_ID`).
    pub run_id: String,
    /// Extra environment for every operation (the simulator's PATH and state folder).
    pub extra_env: Vec<(String, String)>,
    /// Grace period between SIGTERM and SIGKILL.
    pub grace: Duration,
    /// Real seconds per Azure second for retry waits (see [`UnitSpec::retry_time_scale`]).
    pub retry_time_scale: f64,
    /// The simulated Azure the operations run against, which bounds their timeouts.
    pub session: Option<&'a dyn Session>,
}

impl Launcher<'_> {
    fn layout(&self) -> &Layout {
        &self.deployment.layout
    }

    fn environment(
        &self,
        op: &Operation,
        id: &str,
        vars: &Variables,
        output_file: &Path,
    ) -> Vec<(String, String)> {
        let mut env = vars.environment();
        env.push((RUN_MARKER_VAR.into(), self.run_id.clone()));
        env.push(("AVD_OPERATION_ID".into(), id.to_owned()));
        env.push(("AVD_OUTPUT_FILE".into(), output_file.display().to_string()));
        let secret_names: Vec<&str> = vars.secrets().map(|v| v.name.as_str()).collect();
        env.push(("AVD_SECRET_NAMES".into(), secret_names.join(" ")));
        env.push((
            "AVD_EXPECTED_SECONDS".into(),
            op.duration.expected.to_string(),
        ));
        env.extend(self.extra_env.iter().cloned());
        env
    }

    /// Renders the run-command script and returns (bash script, extra environment, check).
    fn run_command(
        &self,
        op: &Operation,
        id: &str,
        rc: &RunCommand,
        vars: &Variables,
        output_file: &Path,
    ) -> Result<Invocation, String> {
        let value = |text: &str| {
            vars.render(text, Destination::Value)
                .map_err(|e| render_failure(op, &e))
        };
        let vm = value(&rc.vm)?;
        let resource_group = value(&rc.resource_group)?;
        let script = powershell(&rc.script, vars).map_err(|e| render_failure(op, &e))?;
        // A managed run command reports the real exit code: only `invoke` needs the sentinel.
        let wrapped = match rc.mode {
            RunCommandMode::Invoke => sentinel::wrap(&script)
                .map_err(|e| format!("cannot wrap the PowerShell script: {e}"))?,
            RunCommandMode::Managed => script,
        };
        let on_disk = crate::ps::redact_script(&wrapped, &vars.secret_values());
        let ps_path = self.layout().powershell_script(id);
        write(&ps_path, on_disk.as_bytes())?;
        let mut env = vec![
            ("AVD_VM_NAME".to_owned(), vm),
            ("AVD_VM_RESOURCE_GROUP".to_owned(), resource_group),
            (
                "AVD_TIMEOUT_SECONDS".to_owned(),
                op.duration.timeout.to_string(),
            ),
        ];
        // A script holding a secret travels in memory (an environment variable), never on disk
        // outside the private folder the bash writes it to for `az`.
        let source = if on_disk == wrapped {
            env.push((
                script_file::SCRIPT_FILE_VAR.to_owned(),
                ps_path.display().to_string(),
            ));
            ScriptSource::File
        } else {
            if wrapped.len() > script_file::MAX_ENV_SCRIPT_BYTES {
                return Err(format!(
                    "the PowerShell script holds a secret and is {} bytes long; at most {} bytes \
                     can be handed to `az` without writing the secret to disk",
                    wrapped.len(),
                    script_file::MAX_ENV_SCRIPT_BYTES
                ));
            }
            env.push((script_file::SCRIPT_VAR.to_owned(), wrapped));
            ScriptSource::Environment
        };
        let prepare = script_file::prepare(source);
        let bash = match rc.mode {
            RunCommandMode::Invoke => format!(
                "{BASH_PREAMBLE}{prepare}az vm run-command invoke --resource-group \"$AVD_VM_RESOURCE_GROUP\" --name \"$AVD_VM_NAME\" \\\n  --command-id RunPowerShellScript --scripts \"{}\" --output json > \"$AVD_OUTPUT_FILE\"\n{}",
                script_file::SCRIPTS_ARG,
                script_file::REMOVE
            ),
            RunCommandMode::Managed => format!(
                "{BASH_PREAMBLE}{prepare}{}",
                crate::runcmd::managed::polling_script()
            ),
        };
        let check = Some(RunCommandCheck {
            output_json: output_file.to_path_buf(),
            mode: rc.mode,
        });
        Ok((bash, env, check))
    }
}

impl Prepare for Launcher<'_> {
    fn prepare(
        &mut self,
        planned: &PlannedOperation,
        vars: &Variables,
    ) -> Result<UnitSpec, String> {
        let op = &self.deployment.operations[planned.index];
        let id = planned.id.as_str();
        let vars = &vars.for_item(planned.item.as_deref());
        let output_file = self.layout().output_file(id);
        let mut env = self.environment(op, id, vars, &output_file);
        let (script, check) = match &op.action {
            Action::Bash { command } => {
                let rendered = vars
                    .render(command, Destination::Script)
                    .map_err(|e| render_failure(op, &e))?;
                let preamble = self.deployment.shell_mode(&op.module).preamble();
                (format!("{preamble}{rendered}\n"), None)
            }
            Action::RunCommand(rc) => {
                let (script, extra, check) = self.run_command(op, id, rc, vars, &output_file)?;
                env.extend(extra);
                (script, check)
            }
        };
        let script_path = self.layout().bash_script(id);
        write(&script_path, script.as_bytes())?;
        Ok(UnitSpec {
            retry_time_scale: self.retry_time_scale,
            module: op.module.to_string(),
            operation: id.to_owned(),
            script: script_path,
            process: Arc::new(Bash),
            env,
            cwd: self.deployment.root.clone(),
            log_dir: self.layout().logs_dir(),
            expected: op.duration.expected(),
            timeout: self.session.map_or(op.duration.timeout(), |session| {
                session.operation_timeout(op.duration.timeout())
            }),
            heartbeat: Some(op.duration.kind.heartbeat()),
            grace: self.grace,
            retry: op
                .retry()
                .map_or_else(RetryPolicy::default, |r| RetryPolicy {
                    max_attempts: r.max_attempts,
                    backoff: Duration::from_secs(r.backoff),
                }),
            run_command: check,
            redactor: Arc::new(vars.redactor()),
            fingerprint: None,
            changed: Vec::new(),
        })
    }
}

/// Writes a rendered script. Unlike other artifacts it is not synced to disk: it is run at once
/// and rendered again by any later run, and a sync per operation would cost more than the
/// operation itself. An unchanged script is left as it is.
fn write(path: &Path, contents: &[u8]) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    match std::fs::read(path) {
        Ok(existing) if existing == contents => return Ok(()),
        // A process of an earlier run may still be reading the old script: replace it by
        // rename, never in place.
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return std::fs::write(path, contents).map_err(failed);
        }
        Err(e) => return Err(failed(e)),
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temp, contents).map_err(failed)?;
    std::fs::rename(&temp, path).map_err(failed)
}

fn render_failure(op: &Operation, errors: &[RenderError]) -> String {
    let reasons: Vec<String> = errors.iter().map(RenderError::message).collect();
    format!("cannot render `{}`: {}", op.id.value, reasons.join("; "))
}

/// The PowerShell a run-command operation sends, with variables substituted (before the
/// exit-code wrapper).
pub(crate) fn powershell(
    script: &PowerShell,
    vars: &Variables,
) -> Result<String, Vec<RenderError>> {
    match script {
        PowerShell::Content { content, .. } => vars.render(content, Destination::PowerShell),
        PowerShell::Generated(spec) => Ok(crate::ps::generate(&render_spec(spec, vars)?)),
    }
}

/// Substitutes variables in every text of a generated-script spec; the generator quotes them.
fn render_spec(spec: &ScriptSpec, vars: &Variables) -> Result<ScriptSpec, Vec<RenderError>> {
    let render = |text: &str| vars.render(text, Destination::Value);
    let mut out = spec.clone();
    if let Some(apps) = &mut out.apps {
        apps.download_dir = render(&apps.download_dir)?;
        for item in &mut apps.items {
            item.name = render(&item.name)?;
            item.file = render(&item.file)?;
            item.url = item.url.as_deref().map(render).transpose()?;
            item.install.args = render(&item.install.args)?;
            for path in &mut item.install.verify {
                *path = render(path)?;
            }
            if let Some(step) = &mut item.download_step {
                step.command = render(&step.command)?;
                step.args = render(&step.args)?;
            }
        }
    }
    for block in &mut out.blocks {
        block.content = vars.render(&block.content, Destination::PowerShell)?;
    }
    Ok(out)
}

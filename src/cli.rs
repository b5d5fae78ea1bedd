//! The command line: global options and one subcommand per action.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::simulator::{Backend, Simulator};

/// avdeploy runs Azure Virtual Desktop deployments described in YAML: a config.yaml plus
/// modules of operations (bash scripts driving the az CLI, and PowerShell pushed into VMs with
/// az vm run-command). It runs them in order, in parallel wherever Azure allows it, with
/// retries, timeouts, live progress, logs, and a state that survives crashes and can be resumed.
#[derive(Debug, Parser)]
#[command(
    name = "avdeploy",
    version,
    max_term_width = 100,
    after_help = "Exit codes: 0 success, 1 an operation failed, 2 invalid input, 3 another run holds \
                  the folder's lock, 130 interrupted.\nDocumentation: README.md and docs/ in the \
                  source repository."
)]
pub(crate) struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The whole command line: [`Cli`] with the simulator's `sim` subcommand listed after `script`.
pub(crate) fn command(simulator: &dyn Simulator) -> clap::Command {
    let cli = Cli::command();
    let order = cli
        .find_subcommand("script")
        .map_or(usize::MAX, clap::Command::get_display_order);
    cli.subcommand(simulator.command().display_order(order))
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Work on the deployment in DIR instead of the current folder (like `git -C`).
    #[arg(
        short = 'C',
        long = "dir",
        value_name = "DIR",
        global = true,
        default_value = "."
    )]
    pub dir: PathBuf,
    /// The config file, relative to the deployment folder. Its stem names the environment: any
    /// other than `config.yaml` keeps its state in .avdeploy/<stem>/ and artifacts/<stem>/.
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        env = "AVDEPLOY_CONFIG",
        default_value = "config.yaml"
    )]
    pub config: PathBuf,
    /// When to colour output: `auto` colours a terminal unless `NO_COLOR` is set.
    #[arg(long, value_name = "WHEN", global = true, default_value = "auto")]
    pub color: crate::report::color::ColorChoice,
    /// Decode every operation file instead of taking unchanged ones from the load cache
    /// (.avdeploy/cache/, used from 256 operation files on by commands that run nothing).
    #[arg(long, global = true)]
    pub no_cache: bool,
}

impl GlobalArgs {
    /// The folders of the deployment's environment (the one `--config` names).
    pub(crate) fn layout(
        &self,
    ) -> Result<crate::base::layout::Layout, crate::base::layout::LayoutError> {
        crate::base::layout::Layout::new(&self.dir, &self.config)
    }

    /// Whether a command that runs nothing may use the load cache.
    pub(crate) fn cache(&self) -> crate::load::cache::CacheUse {
        if self.no_cache {
            crate::load::cache::CacheUse::Off
        } else {
            crate::load::cache::CacheUse::Use
        }
    }

    /// How a command that only checks uses the load cache: as [`GlobalArgs::cache`], letting
    /// go of script texts.
    pub(crate) fn cache_for_checks(&self) -> crate::load::cache::CacheUse {
        match self.cache() {
            crate::load::cache::CacheUse::Use => crate::load::cache::CacheUse::Check,
            other => other,
        }
    }

    /// The painter for standard output.
    pub(crate) fn stdout_painter(&self) -> crate::report::color::Painter {
        use std::io::IsTerminal;
        crate::report::color::Painter::new(self.color.enabled_for(std::io::stdout().is_terminal()))
    }

    /// The painter for standard error.
    pub(crate) fn stderr_painter(&self) -> crate::report::color::Painter {
        use std::io::IsTerminal;
        crate::report::color::Painter::new(self.color.enabled_for(std::io::stderr().is_terminal()))
    }
}

/// `--json` for commands that can print machine-readable output.
#[derive(Debug, Args)]
pub(crate) struct JsonArg {
    /// Print JSON (a stable, versioned schema) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check config.yaml, every module and operation; report all findings with file:line:column.
    /// Exits 0 when there are no errors (warnings allowed), 2 otherwise.
    Validate(JsonArg),
    /// List every module and its operations in declared order.
    List(JsonArg),
    /// Show the stages (or graph) of a module or of all modules, each operation's predicted start
    /// and end under the throttle and locks, the critical path, and the saving over a sequential
    /// run.
    Plan(PlanArgs),
    /// Print every variable (config paths in UPPER_SNAKE, `variables:`, environment overrides)
    /// with secrets shown as ***.
    Vars(JsonArg),
    /// Run a module, one of its operations, or `all` modules.
    #[command(
        long_about = "Run a module, one of its operations, or `all` modules.\n\nOperations run in \
                      declared order; those sharing a parallel_group start together and the next \
                      stage waits for all of them. Operations completed before are skipped (see \
                      --force). Ctrl-C once stops new launches and waits for running operations; \
                      twice kills them. State, logs and rendered scripts go to .avdeploy/ and \
                      artifacts/."
    )]
    Run(RunArgs),
    /// Take the deployment down: run every module's `teardown:` operations, modules in reverse
    /// dependency order, then mark the deployment destroyed so the next `run` starts from nothing.
    #[command(
        long_about = "Take the deployment down: run every module's `teardown:` operations, modules in \
                      reverse dependency order (a module's teardown waits for those of the modules \
                      that depend on it), then mark the deployment destroyed in the state, so the \
                      next `run` starts from nothing. Asks on a terminal; without one it refuses \
                      unless --yes. `plan --destroy` shows what it would run; `resume` continues a \
                      destroy that did not complete."
    )]
    Destroy(DestroyArgs),
    /// Run again what the last unfinished run did not complete (failed, timed out, interrupted,
    /// never started). Completed operations are never re-run.
    Resume(ResumeArgs),
    /// Show each operation's status, duration, attempts and last error, the last run, and what
    /// `resume` would do.
    Status(JsonArg),
    /// Write the timeline of a run (the last one, or RUN_ID) as a self-contained HTML page: a bar
    /// per attempt, the predicted bar beside it, the critical path, and a summary.
    Report(ReportArgs),
    /// Print every output operations published with `[OUTPUT] NAME=value` (secrets as ***), the
    /// operation that published it and when.
    Outputs(JsonArg),
    /// Print the log of an operation's latest attempt (or list all attempts' logs).
    Logs(LogsArgs),
    /// Print the script an operation runs, as rendered, with secrets as ***. For run-command
    /// operations this is the PowerShell sent to the VM, before the exit-code wrapper.
    Script(ScriptArgs),
    /// Write a working deployment folder (config.yaml and modules) from a built-in example:
    /// `avd` (default, the complete Azure Virtual Desktop deployment) or `quickstart`.
    Init(InitArgs),
    /// Convert a folder written for the bash engine in place (after a backup under
    /// .avdeploy/migrate-backup/): `variables:` aliases for the names its scripts use, `shell:
    /// plain` where scripts rely on no errexit, secrets out of bash text, the module order as
    /// `dependencies`; then list what to review by hand. Re-running it changes nothing.
    Migrate(MigrateArgs),
    /// Print shell completions for bash, zsh, fish, elvish or powershell.
    Completions(CompletionsArgs),
}

impl Command {
    /// Whether the command works on an existing deployment folder (the `-C` folder holding the
    /// `--config` file); `init`, `migrate` and `completions` do not.
    pub(crate) fn needs_deployment(&self) -> bool {
        !matches!(
            self,
            Self::Init(_) | Self::Migrate(_) | Self::Completions(_)
        )
    }
}

/// `plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// A module id, or `all`.
    #[arg(required_unless_present = "destroy", conflicts_with = "destroy")]
    pub target: Option<String>,
    /// Plan what `destroy` would run: every module's teardown, in reverse dependency order.
    #[arg(long)]
    pub destroy: bool,
    /// How many operations may run at once.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    pub throttle: u16,
    /// Plan `all` one module at a time, as `run all --sequential` runs it.
    #[arg(long)]
    pub sequential: bool,
    /// Show every operation as will run, as `run --force` runs them.
    #[arg(long)]
    pub force: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// A module id, or `all` for every module in dependency order.
    pub module: String,
    /// One operation of the module (its id, or its file name without .yaml); all its
    /// `for_each` instances run, or only one with `<id>@<item>`.
    pub operation: Option<String>,
    /// Re-run operations that are already completed.
    #[arg(long)]
    pub force: bool,
    /// With `all`: run one module at a time, in dependency order, instead of starting each
    /// module as soon as the modules it depends on have completed.
    #[arg(long)]
    pub sequential: bool,
    /// Asking first (a real run says where it deploys and asks).
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    /// How the operations are executed.
    #[command(flatten)]
    pub exec: ExecArgs,
}

/// The options of the commands that execute operations (`run`, `resume`, `destroy`); the
/// environment adds to them (see `cmd::settings`).
#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    /// How many operations may run at once across the whole run [default: 5; `resume`: the
    /// resumed run's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub throttle: Option<u16>,
    /// Run against a simulated Azure instead of the real one (a test double): `--simulate`
    /// alone is the built-in az shim, `--simulate=azure-cli` the real az against a local
    /// emulation of Azure's REST APIs (see docs/emulator.md).
    #[arg(
        long,
        env = "AVDEPLOY_SIMULATE",
        value_name = "BACKEND",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "shim",
        value_parser = parse_simulate
    )]
    pub simulate: Option<Simulate>,
}

/// `--yes` of the commands that ask before they change the deployment.
#[derive(Debug, Args)]
pub(crate) struct ConfirmArgs {
    /// Proceed without asking (required when standard input is not a terminal); also
    /// `AVDEPLOY_YES=1`.
    #[arg(
        long,
        short = 'y',
        env = "AVDEPLOY_YES",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub yes: bool,
}

/// `resume`.
#[derive(Debug, Args)]
pub(crate) struct ResumeArgs {
    /// Asking first.
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    /// How the operations are executed.
    #[command(flatten)]
    pub exec: ExecArgs,
}

/// `report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The run to show (as `status` names it); the last run when left out.
    pub run_id: Option<String>,
    /// Where to write the page (default: artifacts/reports/<RUN_ID>.html).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// `destroy`.
#[derive(Debug, Args)]
pub(crate) struct DestroyArgs {
    /// Asking first.
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    /// How the operations are executed.
    #[command(flatten)]
    pub exec: ExecArgs,
}

/// `logs`.
#[derive(Debug, Args)]
pub(crate) struct LogsArgs {
    /// The operation id (or file name without .yaml); `<id>@<item>` for one `for_each`
    /// instance.
    pub operation: String,
    /// List every attempt's log file instead of printing the latest.
    #[arg(long)]
    pub all: bool,
}

/// `script`.
#[derive(Debug, Args)]
pub(crate) struct ScriptArgs {
    /// The operation id (or file name without .yaml); `<id>@<item>` for one `for_each`
    /// instance.
    pub operation: String,
}

/// `init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The folder to create (must be empty or absent).
    #[arg(required_unless_present = "list_examples")]
    pub dir: Option<PathBuf>,
    /// The example to write: `avd` (the complete Azure Virtual Desktop deployment) or
    /// `quickstart` (a small demo); see --list-examples.
    #[arg(long, default_value = crate::examples::DEFAULT_EXAMPLE)]
    pub example: String,
    /// List the built-in examples and exit.
    #[arg(long, conflicts_with = "dir")]
    pub list_examples: bool,
}

/// `migrate`.
#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    /// The folder to migrate (default: the `-C` folder, else the current one).
    pub dir: Option<PathBuf>,
    /// Print the unified diff of every change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// The value of `--simulate[=BACKEND]` or `AVDEPLOY_SIMULATE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Simulate(pub Option<Backend>);

impl Simulate {
    /// The backend to run against, or `None` for the real Azure.
    pub(crate) fn backend(option: Option<Self>) -> Option<Backend> {
        option.and_then(|simulate| simulate.0)
    }
}

/// Reads `shim` or `azure-cli`; a yes/no word as `AVDEPLOY_SIMULATE` takes it (`1`, `true`:
/// the shim; `0`, `false`, empty: no simulation).
fn parse_simulate(text: &str) -> Result<Simulate, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "shim" | "1" | "true" | "yes" | "on" | "y" => Ok(Simulate(Some(Backend::Shim))),
        "azure-cli" => Ok(Simulate(Some(Backend::AzureCli))),
        "" | "0" | "false" | "no" | "off" | "n" => Ok(Simulate(None)),
        _ => Err(format!(
            "`{text}` is not a simulator backend: use `--simulate` (the built-in shim) or \
             `--simulate=azure-cli` (the real az against a local Azure)"
        )),
    }
}

//! A validated operation: what it runs, how long it may take, what it needs and holds.

use std::path::Path;
use std::sync::{Arc, LazyLock};

use compact_str::CompactString;

use crate::base::source::FileId;
use crate::base::span::Spanned;
use crate::model::duration::Durations;
use crate::model::instances::ForEach;
use crate::model::shell_facts::ShellFacts;
use crate::model::variables::Destination;
use crate::ps::spec::ScriptSpec;

/// How an operation's command runs (`template.type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TemplateKind {
    /// `az-cli`: bash.
    #[serde(rename = "az-cli")]
    AzCli,
    /// `az-vm-run-command`: PowerShell pushed into a VM.
    #[serde(rename = "az-vm-run-command")]
    AzVmRunCommand,
    /// `azure-cli-bash`: bash.
    #[serde(rename = "azure-cli-bash")]
    AzureCliBash,
    /// `bash-script`: bash.
    #[serde(rename = "bash-script")]
    BashScript,
}

impl TemplateKind {
    /// The names accepted in YAML.
    pub const NAMES: [&'static str; 4] = [
        "azure-cli-bash",
        "az-cli",
        "bash-script",
        "az-vm-run-command",
    ];

    /// Parses a YAML name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "azure-cli-bash" => Some(Self::AzureCliBash),
            "az-cli" => Some(Self::AzCli),
            "bash-script" => Some(Self::BashScript),
            "az-vm-run-command" => Some(Self::AzVmRunCommand),
            _ => None,
        }
    }

    /// The YAML name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AzCli => "az-cli",
            Self::AzVmRunCommand => "az-vm-run-command",
            Self::AzureCliBash => "azure-cli-bash",
            Self::BashScript => "bash-script",
        }
    }
}

/// Which operation, by module and operation id: how a run's plan names its operations.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct OperationKey {
    /// The module id.
    pub module: String,
    /// The operation id (`<id>@<item>` for an instance).
    pub operation: String,
}

impl OperationKey {
    /// The key of `operation` in `module`.
    pub fn new(module: impl Into<String>, operation: impl Into<String>) -> Self {
        Self {
            module: module.into(),
            operation: operation.into(),
        }
    }
}

/// One entry of `requires`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Requirement {
    /// The operation that must be completed.
    pub operation: Spanned<CompactString>,
    /// Whether a missing operation is only a warning.
    pub optional: bool,
}

/// How the run-command is invoked (`template.mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunCommandMode {
    /// `az vm run-command invoke`: one call, output at the end.
    #[default]
    Invoke,
    /// `az vm run-command create --async-execution` and polling: real exit code and progress.
    Managed,
}

/// The PowerShell a run-command operation sends.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PowerShell {
    /// `powershell.content`, with its `file` name when given.
    Content {
        /// The script file name of the bash engine's format (informational).
        file: Option<String>,
        /// The script, with `{{VARS}}` not yet substituted.
        content: Spanned<String>,
    },
    /// A script generated from `apps:` and `blocks:` (never in the load cache: it is made
    /// from config.yaml as well as the file).
    #[serde(skip)]
    Generated(Box<ScriptSpec>),
}

/// A run-command operation's target and script.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunCommand {
    /// The VM name (may hold `{{VARS}}` or `$VARS`).
    pub vm: Spanned<String>,
    /// The VM's resource group (may hold `{{VARS}}` or `$VARS`).
    pub resource_group: Spanned<String>,
    /// Invoke or managed.
    pub mode: RunCommandMode,
    /// What runs in the VM.
    pub script: PowerShell,
}

/// What an operation runs.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Action {
    /// A bash script (azure-cli-bash, az-cli, bash-script).
    Bash {
        /// The script, with `{{VARS}}` not yet substituted.
        command: Spanned<String>,
    },
    /// PowerShell pushed into a VM.
    RunCommand(Box<RunCommand>),
}

/// The operation's own retry policy for failures the error catalog does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Retry {
    /// Total attempts, 1 = no retry.
    pub max_attempts: u32,
    /// Base backoff in seconds.
    pub backoff: u64,
}

/// A validation check, kept as written (type plus its other fields). Its texts are short and
/// mostly kept inline (see [`CompactString`]): a large deployment holds several per operation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// `type` of the check.
    pub kind: Spanned<CompactString>,
    /// `description`.
    pub description: CompactString,
    /// Other scalar fields (`command`, `path`, `expected`, ...).
    pub fields: Box<[(CompactString, Spanned<CompactString>)]>,
}

/// A validated operation. Its serialized form is the load cache's: where the file is (`module`,
/// `file`, `path`) is left out, the loader sets it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Operation {
    /// `operation.id`.
    pub id: Spanned<CompactString>,
    /// The module it belongs to.
    #[serde(skip)]
    pub module: CompactString,
    /// The operation file.
    #[serde(skip)]
    pub file: FileId,
    /// The operation file's path relative to the deployment folder (shared with its source).
    #[serde(skip, default = "no_path")]
    pub path: Arc<Path>,
    /// Display name.
    pub name: CompactString,
    /// Durations.
    pub duration: Durations,
    /// `template.type`.
    pub template: TemplateKind,
    /// What runs.
    pub action: Action,
    /// Operations that must be completed first.
    pub requires: Box<[Requirement]>,
    /// What few operations have: `for_each`, `when`, `retry`, a description, texts of `apps:`
    /// (boxed, and none when it would be empty: a large deployment holds a hundred thousand).
    pub rare: Option<Box<Rare>>,
    /// Named exclusive locks (may hold `{{VARS}}`).
    pub locks: Box<[Spanned<CompactString>]>,
    /// Values the operation publishes with `[OUTPUT] NAME=value`.
    pub outputs: Box<[CompactString]>,
    /// Validation checks.
    pub checks: Box<[Check]>,
    /// What the bash script reads, binds and publishes (empty for run-command operations).
    pub shell: ShellFacts,
}

/// The parts of an operation that most operations leave out.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rare {
    /// `description`.
    pub description: String,
    /// `for_each:`: one instance per item.
    pub for_each: Option<ForEach>,
    /// `when:`: rendered at start; a false value skips the operation.
    pub when: Option<Spanned<String>>,
    /// The operation's retry policy, if any.
    pub retry: Option<Retry>,
    /// The texts of `apps:` and `blocks:` as written, with where each is substituted into, so
    /// their `{{VARS}}` are checked like the other texts.
    pub script_texts: Vec<(Spanned<String>, Destination)>,
}

impl Rare {
    /// Boxed, or none when every part is left out.
    pub fn boxed(self) -> Option<Box<Self>> {
        (self != Self::default()).then(|| Box::new(self))
    }
}

/// The path of an operation read back from the load cache, until the loader places it (one
/// for all of them).
fn no_path() -> Arc<Path> {
    static EMPTY: LazyLock<Arc<Path>> = LazyLock::new(|| Arc::from(Path::new("")));
    Arc::clone(&EMPTY)
}

impl Operation {
    /// Lets go of the text of the bash script, once what checks need of it is known (see
    /// [`ShellFacts::text_let_go`]): a finding that quotes it reads the file again.
    pub fn let_go_of_script(&mut self) {
        if let Action::Bash { command } = &mut self.action {
            command.value = String::new();
            self.shell.text_let_go = true;
        }
    }

    /// Lets go of what only validation needs, once it has run: the analysis of the bash script
    /// and the `validation` checks. For a plan that is not compared with a state, which builds
    /// itself on top of the deployment.
    pub fn let_go_of_check_facts(&mut self) {
        self.shell = ShellFacts {
            text_let_go: self.shell.text_let_go,
            ..ShellFacts::default()
        };
        self.checks = Box::default();
    }

    /// `for_each:`, if given.
    pub fn for_each(&self) -> Option<&ForEach> {
        self.rare.as_ref()?.for_each.as_ref()
    }

    /// `when:`, if given.
    pub fn when(&self) -> Option<&Spanned<String>> {
        self.rare.as_ref()?.when.as_ref()
    }

    /// The operation's own retry policy, if given.
    pub fn retry(&self) -> Option<Retry> {
        self.rare.as_ref()?.retry
    }

    /// The texts of `apps:` and `blocks:`, with where each is substituted into.
    pub fn script_texts(&self) -> &[(Spanned<String>, Destination)] {
        self.rare.as_ref().map_or(&[], |rare| &rare.script_texts)
    }

    /// The operation file's stem, accepted as an alias on the command line.
    pub fn stem(&self) -> std::borrow::Cow<'_, str> {
        self.path
            .file_stem()
            .map(|stem| stem.to_string_lossy())
            .unwrap_or_default()
    }
}

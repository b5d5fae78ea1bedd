//! Checks the `$NAME` reads of bash commands: each names a deployment variable, an engine
//! variable, an output some operation publishes, a name the script sets itself, or a well-known
//! environment variable. A read close to a known name is an error (a typo), any other a warning.

use compact_str::CompactString;

use crate::base::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::base::span::Spanned;
use crate::model::deployment::Deployment;
use crate::model::instances::ITEM_VARIABLE;
use crate::model::operation::{Action, Operation};
use crate::model::shell_facts::Read;
use crate::validate::checks::ENGINE_VARIABLES;
use crate::validate::scalar_position::span_in_file;

/// Environment variables a script may read without defining them: set by bash itself, by the
/// login session, or read by the tools operations run.
pub const ENVIRONMENT_VARIABLES: &[&str] = &[
    "AZURE_CONFIG_DIR",
    "AZURE_CORE_OUTPUT",
    "AZURE_EXTENSION_DIR",
    "BASH",
    "BASHOPTS",
    "BASHPID",
    "CDPATH",
    "CI",
    "COLUMNS",
    "DISPLAY",
    "EDITOR",
    "EPOCHREALTIME",
    "EPOCHSECONDS",
    "EUID",
    "FUNCNAME",
    "GROUPS",
    "HISTFILE",
    "HOME",
    "HOSTNAME",
    "HOSTTYPE",
    "IFS",
    "LANG",
    "LANGUAGE",
    "LINENO",
    "LINES",
    "LOGNAME",
    "MACHTYPE",
    "MAIL",
    "OLDPWD",
    "OPTARG",
    "OPTERR",
    "OPTIND",
    "OSTYPE",
    "PAGER",
    "PATH",
    "PIPESTATUS",
    "PPID",
    "PS1",
    "PS2",
    "PS4",
    "PWD",
    "RANDOM",
    "REPLY",
    "SECONDS",
    "SHELL",
    "SHELLOPTS",
    "SHLVL",
    "SRANDOM",
    "TERM",
    "TMPDIR",
    "TZ",
    "UID",
    "USER",
    "VISUAL",
];

/// Prefixes of environment variable families (`LC_ALL`, `BASH_REMATCH`, `XDG_RUNTIME_DIR`).
const ENVIRONMENT_PREFIXES: &[&str] = &["BASH_", "LC_", "XDG_"];

/// Whether `name` is a well-known environment variable.
pub fn is_environment_variable(name: &str) -> bool {
    ENVIRONMENT_VARIABLES.contains(&name)
        || ENVIRONMENT_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// Checks every bash command of the deployment, teardown operations included. The caller
/// drops these findings while config.yaml has errors: its variables are not all known then,
/// and every read of them would be reported again.
pub fn check(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    let mut variables: Vec<&str> = deployment.variables.names().collect();
    variables.extend(ENGINE_VARIABLES);
    let outputs = deployment
        .operations
        .iter()
        .flat_map(|op| op.outputs.iter().map(CompactString::as_str))
        .collect();
    let known = Known::new(variables, outputs);
    for op in &deployment.operations {
        if let Action::Bash { command } = &op.action {
            check_script(deployment, op, command, &known, diagnostics);
        }
    }
}

/// The names a script may read: the deployment's and the engine's variables, few and searched
/// first, and the operations' outputs, one or more for every operation.
struct Known<'a> {
    variables: Vec<&'a str>,
    outputs: hashbrown::HashSet<&'a str>,
    /// The outputs in order, for suggestions: sorted only for the first unknown name.
    sorted: std::cell::OnceCell<Vec<&'a str>>,
}

impl<'a> Known<'a> {
    fn new(mut variables: Vec<&'a str>, outputs: hashbrown::HashSet<&'a str>) -> Self {
        variables.sort_unstable();
        variables.dedup();
        Self {
            variables,
            outputs,
            sorted: std::cell::OnceCell::new(),
        }
    }

    fn contains(&self, name: &str) -> bool {
        self.variables.binary_search(&name).is_ok() || self.outputs.contains(name)
    }

    fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let sorted = self.sorted.get_or_init(|| {
            let mut sorted: Vec<&str> = self.outputs.iter().copied().collect();
            sorted.sort_unstable();
            sorted
        });
        self.variables.iter().chain(sorted).copied()
    }
}

fn check_script(
    deployment: &Deployment,
    op: &Operation,
    command: &Spanned<String>,
    known: &Known<'_>,
    diagnostics: &mut Diagnostics,
) {
    let vars = &op.shell;
    let provided = |read: &Read| {
        known.contains(&read.name)
            || is_environment_variable(&read.name)
            || (read.name == ITEM_VARIABLE && op.for_each().is_some())
    };
    for read in vars.open_reads.iter().filter(|read| !provided(read)) {
        let times = read.times;
        let candidates = known
            .iter()
            .chain(vars.bound.iter().map(CompactString::as_str));
        let suggestion = closest_name(&read.name, candidates);
        diagnostics.push(finding(deployment, op, command, read, times, suggestion));
    }
}

fn finding(
    deployment: &Deployment,
    op: &Operation,
    command: &Spanned<String>,
    read: &Read,
    times: u32,
    suggestion: Option<&str>,
) -> Diagnostic {
    let source = deployment.sources.get(op.file);
    // The script as written (read again from its file when its text was let go).
    let command = &Spanned::new(
        deployment.script_text(op, command).into_owned(),
        command.span,
    );
    let span = span_in_file(source, command, read.range()).unwrap_or(command.span);
    let location = Location {
        file: op.file,
        span: Some(span),
    };
    // A file changed since it was loaded may no longer hold the read where it was.
    let written = format!("${}", read.name);
    let snippet = command.value.get(read.range()).unwrap_or(&written);
    let also = match times {
        1 => String::new(),
        n => format!(" (read {n} times)"),
    };
    let what = format!(
        "`{snippet}` is not a deployment variable, an engine variable, an output of an operation or set in the script{also}"
    );
    match suggestion {
        Some(best) => Diagnostic::error("unknown-shell-variable", location, what)
            .with_help(format!("did you mean `{best}`?")),
        None => Diagnostic::warning("unknown-shell-variable", location, what).with_help(format!(
            "define `{name}` in config.yaml or `variables:`, publish it with `[OUTPUT] {name}=` from an earlier operation, or write `${{{name}:-}}` when it may be unset",
            name = read.name
        )),
    }
}

/// The known name a read most likely misspells: at most one edit away for short names, two
/// for long ones (a letter left out, doubled, swapped or replaced).
fn closest_name<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = match name.len() {
        0..4 => return None,
        4..10 => 1,
        _ => 2,
    };
    candidates
        .filter(|candidate| *candidate != name)
        .map(|candidate| (strsim::osa_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_names_a_typo_away() {
        let known = [
            "STORAGE_SHARE_NAME",
            "STORAGE_ACCOUNT_NAME",
            "AZURE_LOCATION",
        ];
        assert_eq!(
            closest_name("STORAGE_SHARE_NAM", known.into_iter()),
            Some("STORAGE_SHARE_NAME")
        );
        assert_eq!(
            closest_name("AZURE_LOACTION", known.into_iter()),
            Some("AZURE_LOCATION")
        );
        assert_eq!(closest_name("UNRELATED_NAME", known.into_iter()), None);
        assert_eq!(closest_name("ABC", ["ABD"].into_iter()), None);
        assert_eq!(closest_name("SKUS", ["SKU"].into_iter()), Some("SKU"));
    }

    #[test]
    fn knows_environment_families() {
        assert!(is_environment_variable("PATH"));
        assert!(is_environment_variable("BASH_REMATCH"));
        assert!(is_environment_variable("LC_ALL"));
        assert!(!is_environment_variable("STORAGE_SHARE_NAME"));
    }
}

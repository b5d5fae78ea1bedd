//! Plans the edits that make a bash-engine folder run under avdeploy as it ran there:
//! `variables:` aliases for the names the scripts use, `shell: plain` where scripts rely on no
//! errexit, secrets out of bash text, the module order as `dependencies`; and what it cannot fix.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use compact_str::CompactString;

use crate::load::node::{Node, NodeKind};
use crate::load::yaml;
use crate::migrate::aliases::{self, Alias, Source};
use crate::migrate::edits::{FileEdits, line_end, line_start};
use crate::migrate::findings::{self, Finding, line_col};
use crate::migrate::shell_refs;
use crate::model::deployment::Deployment;
use crate::model::module::Module;
use crate::model::operation::{Action, Operation, PowerShell};
use crate::model::shell::ShellMode;
use crate::model::variables::placeholders;
use avdeploy_wire::redact::is_secret_name;

/// Names an operation's environment holds without config.yaml defining them.
const ENVIRONMENT_NAMES: &[&str] = &[
    "AZURE_CONFIG_DIR",
    "BASHPID",
    "BASH_SOURCE",
    "EUID",
    "HOME",
    "HOSTNAME",
    "IFS",
    "LANG",
    "LC_ALL",
    "LINENO",
    "OLDPWD",
    "OSTYPE",
    "PATH",
    "PIPESTATUS",
    "PPID",
    "PWD",
    "RANDOM",
    "SECONDS",
    "SHELL",
    "TERM",
    "TMPDIR",
    "UID",
    "USER",
];

/// One change made (or, with `--dry-run`, to be made).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    /// The file, relative to the deployment folder.
    pub file: PathBuf,
    /// 1-based line of the original file where it applies.
    pub line: usize,
    /// What changes, and why.
    pub what: String,
}

/// Everything `migrate` would do to a folder.
#[derive(Debug, Default)]
pub(crate) struct Migration {
    /// Edited files by path (relative to the deployment folder unless `--config` is absolute).
    pub files: BTreeMap<PathBuf, FileEdits>,
    /// The changes, in file order.
    pub changes: Vec<Change>,
    /// What to review by hand.
    pub findings: Vec<Finding>,
}

impl Migration {
    fn edit(&mut self, deployment: &Deployment, file: usize) -> &mut FileEdits {
        let source = deployment.sources.get(file);
        self.files
            .entry(source.path.to_path_buf())
            .or_insert_with(|| FileEdits::new(source.text().to_owned()))
    }

    fn change(&mut self, deployment: &Deployment, file: usize, offset: usize, what: String) {
        let source = deployment.sources.get(file);
        let (line, _) = line_col(source.text(), offset);
        self.changes.push(Change {
            file: source.path.to_path_buf(),
            line,
            what,
        });
    }
}

/// Plans the migration of a loaded deployment (which loaded without errors).
pub(crate) fn plan(deployment: &Deployment) -> Migration {
    let mut migration = Migration::default();
    let config = deployment.sources.get(deployment.config_file);
    let config_root = yaml::parse(config).ok();
    let leaves = config_root
        .as_ref()
        .map(aliases::leaves)
        .unwrap_or_default();
    let found = aliases_needed(deployment, &leaves, &mut migration.findings);
    if let Some(root) = &config_root {
        add_aliases(deployment, root, &found, &mut migration);
    }
    let secret_aliases: BTreeSet<&str> = found
        .iter()
        .filter(|a| is_secret(deployment, &a.target))
        .map(|a| a.name.as_str())
        .collect();
    for op in &deployment.operations {
        secrets_out_of_bash(deployment, op, &secret_aliases, &mut migration);
    }
    for (index, module) in deployment.modules.iter().enumerate() {
        let previous = index.checked_sub(1).map(|i| &deployment.modules[i]);
        module_order_and_shell(deployment, module, previous, &mut migration);
    }
    migration.findings.extend(findings::collect(deployment));
    migration
        .findings
        .sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    migration
        .changes
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    migration
}

fn is_secret(deployment: &Deployment, name: &str) -> bool {
    is_secret_name(name) || deployment.variables.get(name).is_some_and(|v| v.secret)
}

/// The texts of an operation that may hold `{{NAME}}`.
fn texts(op: &Operation) -> Vec<&str> {
    let mut out: Vec<&str> = op.locks.iter().map(|l| l.value.as_str()).collect();
    out.extend(op.when().map(|w| w.value.as_str()));
    out.extend(op.script_texts().iter().map(|(t, _)| t.value.as_str()));
    out.extend(
        op.checks
            .iter()
            .flat_map(|c| c.fields.iter().map(|(_, v)| v.value.as_str())),
    );
    match &op.action {
        Action::Bash { command } => out.push(&command.value),
        Action::RunCommand(rc) => {
            out.extend([rc.vm.value.as_str(), rc.resource_group.value.as_str()]);
            if let PowerShell::Content { content, .. } = &rc.script {
                out.push(&content.value);
            }
        }
    }
    out
}

/// The aliases the operations need; names without an obvious source become findings.
fn aliases_needed(
    deployment: &Deployment,
    leaves: &[aliases::Leaf],
    findings: &mut Vec<Finding>,
) -> Vec<Alias> {
    let mut known: BTreeSet<String> = deployment.variables.names().map(str::to_owned).collect();
    known.extend(
        deployment
            .operations
            .iter()
            .flat_map(|op| op.outputs.iter().map(CompactString::to_string)),
    );
    known.extend(ENVIRONMENT_NAMES.iter().map(|n| (*n).to_owned()));
    // Name -> (operation, whether it is a `{{NAME}}` rather than a `$NAME`).
    let mut unknown: BTreeMap<String, (&Operation, bool)> = BTreeMap::new();
    for op in &deployment.operations {
        for text in texts(op) {
            for placeholder in placeholders(text) {
                if !known.contains(&placeholder.name) {
                    unknown.entry(placeholder.name).or_insert((op, true));
                }
            }
        }
        if let Action::Bash { command } = &op.action {
            let vars = shell_refs::analyze(&command.value);
            for name in vars.referenced.into_keys() {
                if !known.contains(&name)
                    && !vars.bound.contains(&name)
                    && !name.starts_with("AVD_")
                {
                    unknown.entry(name).or_insert((op, false));
                }
            }
        }
    }
    let mut found = Vec::new();
    for (name, (op, placeholder)) in unknown {
        let written = if placeholder {
            format!("{{{{{name}}}}}")
        } else {
            format!("${name}")
        };
        let offset = deployment
            .sources
            .get(op.file)
            .text()
            .find(&name)
            .unwrap_or(op.id.span.start.offset());
        match aliases::source(&name, leaves) {
            Source::Found(alias) => found.push(alias),
            Source::Ambiguous(paths) => findings.push(Finding::in_operation(
                deployment,
                op,
                offset,
                format!("`{written}` could be any of {}", crate::base::text::code_list(&paths)),
                format!("add `{name}: \"{{{{...}}}}\"` for the right one under `variables:` in config.yaml"),
            )),
            Source::Unknown => findings.push(Finding::in_operation(
                deployment,
                op,
                offset,
                format!("`{written}` in `{}` is defined nowhere: not in config.yaml, not an output of an operation", op.id.value),
                "define it in config.yaml (`variables:` or a section), or export it in the environment before `avdeploy run`".to_owned(),
            )),
        }
    }
    found
}

/// Adds the aliases under `variables:` (created at the end of the file when absent).
fn add_aliases(deployment: &Deployment, root: &Node, found: &[Alias], migration: &mut Migration) {
    if found.is_empty() {
        return;
    }
    let file = deployment.config_file;
    let text = deployment.sources.get(file).text();
    let section = match &root.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("variables")),
        _ => None,
    };
    let (offset, indent, header) = match section {
        Some((key, value)) => match &value.kind {
            NodeKind::Map(entries) if !entries.is_empty() => {
                let (first, _) = &entries[0];
                let (_, last) = &entries[entries.len() - 1];
                (line_end(text, last.span.end_offset().saturating_sub(1).max(last.span.start.offset())), first.span.start.col() - 1, String::new())
            }
            NodeKind::Null => (line_end(text, key.span.end_offset()), 2, String::new()),
            _ => {
                migration.findings.push(Finding {
                    file: deployment.sources.get(file).path.to_path_buf(),
                    line: key.span.start.line(),
                    col: key.span.start.col(),
                    message: "`variables:` is not a block mapping, so the aliases the scripts need cannot be added to it".to_owned(),
                    help: alias_list(found),
                });
                return;
            }
        },
        None => (text.len(), 2, "\n# Names the bash engine exported under other names (added by avdeploy migrate).\nvariables:\n".to_owned()),
    };
    let mut insert = String::new();
    if offset == text.len() && !text.is_empty() && !text.ends_with('\n') {
        insert.push('\n');
    }
    insert.push_str(&header);
    for alias in found {
        insert.push_str(&format!(
            "{:indent$}{}: \"{{{{{}}}}}\"   # {}\n",
            "", alias.name, alias.target, alias.path
        ));
    }
    migration.edit(deployment, file).insert(offset, insert);
    for alias in found {
        migration.change(
            deployment,
            file,
            offset.min(text.len().saturating_sub(1)),
            format!(
                "variables: {} = {{{{{}}}}} (from {})",
                alias.name, alias.target, alias.path
            ),
        );
    }
}

fn alias_list(found: &[Alias]) -> String {
    let lines: Vec<String> = found
        .iter()
        .map(|a| format!("{}: \"{{{{{}}}}}\"", a.name, a.target))
        .collect();
    format!("add them yourself: {}", lines.join(", "))
}

/// Rewrites `{{SECRET}}` in a bash command into the quoted environment variable.
fn secrets_out_of_bash(
    deployment: &Deployment,
    op: &Operation,
    secret_aliases: &BTreeSet<&str>,
    migration: &mut Migration,
) {
    let Action::Bash { command } = &op.action else {
        return;
    };
    let text = deployment.sources.get(op.file).text();
    let range = command.span.range();
    let Some(body) = text.get(range.clone()) else {
        return;
    };
    let secrets: Vec<_> = placeholders(body)
        .into_iter()
        .filter(|p| is_secret(deployment, &p.name) || secret_aliases.contains(p.name.as_str()))
        .collect();
    if secrets.is_empty() {
        return;
    }
    if body.starts_with(['"', '\'']) {
        migration.findings.push(Finding::in_operation(
            deployment,
            op,
            range.start,
            format!(
                "`{}` pastes a secret into a quoted YAML scalar, which migrate does not rewrite",
                op.id.value
            ),
            "write the command as a `command: |` block and use \"$NAME\" in place of {{NAME}}"
                .to_owned(),
        ));
        return;
    }
    for placeholder in secrets {
        let start = range.start + placeholder.range.start;
        let end = range.start + placeholder.range.end;
        let (replace, with) = quoted_variable(text, start, end, &placeholder.name);
        let shown = if with.starts_with(['"', '\'']) {
            with.clone()
        } else {
            format!("{with} (inside the double quotes)")
        };
        migration.edit(deployment, op.file).replace(replace, with);
        migration.change(
            deployment,
            op.file,
            start,
            format!(
                "{{{{{}}}}} -> {shown}: a secret never goes into the script's text",
                placeholder.name
            ),
        );
        migration.findings.push(Finding::in_operation(
            deployment,
            op,
            start,
            format!(
                "the secret `{}` still reaches `az`'s command line, where `ps` shows it",
                placeholder.name
            ),
            format!(
                "az reads any value from a file: pass `@<(printf '%s' \"${}\")` instead",
                placeholder.name
            ),
        ));
    }
}

/// The range to replace and the bash text reading `name` from the environment in place of the
/// placeholder at `start..end`, quoted for where it stands on its line.
fn quoted_variable(
    text: &str,
    start: usize,
    end: usize,
    name: &str,
) -> (std::ops::Range<usize>, String) {
    let (mut single, mut double) = (false, false);
    let mut escaped = false;
    for c in text[line_start(text, start)..start].chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ => {}
        }
    }
    let next = text[end..].chars().next();
    if double {
        let glued = next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let with = if glued {
            format!("${{{name}}}")
        } else {
            format!("${name}")
        };
        return (start..end, with);
    }
    if single {
        if text[..start].ends_with('\'') && next == Some('\'') {
            return (start - 1..end + 1, format!("\"${name}\""));
        }
        return (start..end, format!("'\"${name}\"'"));
    }
    (start..end, format!("\"${name}\""))
}

/// Adds the module order as `dependencies` and `shell: plain` when a bash script of the module
/// does not turn errexit on itself.
fn module_order_and_shell(
    deployment: &Deployment,
    module: &Module,
    previous: Option<&Module>,
    migration: &mut Migration,
) {
    let source = deployment.sources.get(module.file);
    let Ok(root) = yaml::parse(source) else {
        return;
    };
    let Some(fields) = root.get("module") else {
        return;
    };
    let NodeKind::Map(entries) = &fields.kind else {
        return;
    };
    let Some((id_key, id_value)) = entries.iter().find(|(k, _)| k.as_str() == Some("id")) else {
        return;
    };
    let text = source.text();
    let at = line_end(
        text,
        id_value.span.end_offset().max(id_value.span.start.offset()),
    );
    let indent = " ".repeat(id_key.span.start.col() - 1);
    let newline = if at == text.len() && !text.ends_with('\n') {
        "\n"
    } else {
        ""
    };
    let order = previous.map_or_else(String::new, |p| format!("\"{}\"", p.id.value));
    match &module.dependencies {
        None => {
            migration.edit(deployment, module.file).insert(
                at,
                format!("{newline}{indent}dependencies: [{order}]   # the bash engine ran modules one at a time, in this order\n"),
            );
            migration.change(
                deployment,
                module.file,
                id_key.span.start.offset(),
                format!("dependencies: [{order}] (the bash engine's module order)"),
            );
        }
        Some(listed) => {
            if let Some(previous) = previous
                && !listed.iter().any(|d| d.value == previous.id.value)
            {
                let value = fields
                    .get("dependencies")
                    .expect("dependencies were decoded");
                if listed.is_empty() && text.get(value.span.range()) == Some("[]") {
                    migration
                        .edit(deployment, module.file)
                        .replace(value.span.range(), format!("[{order}]"));
                    migration.change(
                        deployment,
                        module.file,
                        value.span.start.offset(),
                        format!("dependencies: [{order}] (the bash engine's module order)"),
                    );
                } else {
                    let (line, col) = line_col(text, value.span.start.offset());
                    migration.findings.push(Finding {
                        file: source.path.to_path_buf(),
                        line,
                        col,
                        message: format!("module `{}` does not depend on `{}`, which the bash engine ran before it: avdeploy may run them at the same time", module.id.value, previous.id.value),
                        help: format!("add \"{}\" to its `dependencies` if it uses what that module creates", previous.id.value),
                    });
                }
            }
        }
    }
    let already_plain = module
        .shell
        .or(deployment.settings.shell.as_ref().map(|s| s.value))
        == Some(ShellMode::Plain);
    if module.shell.is_some() || already_plain {
        return;
    }
    let relying: Vec<&str> = module
        .entries
        .iter()
        .filter_map(|entry| entry.operation)
        .map(|index| &deployment.operations[index])
        .filter(|op| matches!(&op.action, Action::Bash { command } if !shell_refs::sets_errexit(&command.value)))
        .map(|op| op.id.value.as_str())
        .collect();
    if relying.is_empty() {
        return;
    }
    migration.edit(deployment, module.file).insert(
        at,
        format!("{newline}{indent}shell: plain   # scripts written for the bash engine: no errexit, no pipefail\n"),
    );
    migration.change(
        deployment,
        module.file,
        id_key.span.start.offset(),
        format!(
            "shell: plain ({} set no errexit themselves)",
            crate::base::text::code_list(&relying)
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::quoted_variable;

    fn rewrite(line: &str) -> String {
        let start = line.find("{{").expect("placeholder");
        let end = line.find("}}").expect("placeholder") + 2;
        let (range, with) = quoted_variable(line, start, end, "PW");
        format!("{}{with}{}", &line[..range.start], &line[range.end..])
    }

    #[test]
    fn secrets_become_quoted_environment_variables() {
        assert_eq!(
            rewrite("az vm create --admin-password {{PW}} -o none"),
            "az vm create --admin-password \"$PW\" -o none"
        );
        assert_eq!(
            rewrite("az vm create --admin-password \"{{PW}}\""),
            "az vm create --admin-password \"$PW\""
        );
        assert_eq!(rewrite("echo \"pw={{PW}}x\""), "echo \"pw=${PW}x\"");
        assert_eq!(rewrite("az x --p '{{PW}}'"), "az x --p \"$PW\"");
        assert_eq!(rewrite("echo 'a{{PW}}b'"), "echo 'a'\"$PW\"'b'");
    }
}

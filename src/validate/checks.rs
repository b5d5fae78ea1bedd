//! Cross-file checks on a loaded deployment: duplicate ids, requirements, dependencies,
//! variables, unsafe substitutions, same-VM run-commands in one parallel group, check types.

use std::borrow::Cow;
use std::collections::BTreeMap;

use hashbrown::{HashMap, HashSet};

use compact_str::CompactString;

use crate::base::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::base::source::Sources;
use crate::base::span::{Span, Spanned};
use crate::model::deployment::Deployment;
use crate::model::module::Schedule;
use crate::model::operation::{Action, Operation, PowerShell, Requirement};
use crate::model::shell_facts::Mark;
use crate::model::variables::{self, Destination, Placeholder, RenderError};
use crate::validate::cycle::find_cycles;
use crate::validate::{instances, shell_check, teardown};

/// Check types the existing bash engine's files use.
pub const KNOWN_CHECK_TYPES: &[&str] = &[
    "bash_command",
    "file_exists",
    "directory_exists",
    "registry_key",
    "resource_exists",
    "provisioning_state",
    "property_equals",
    "property_greater_than",
    "group_exists",
    "group_type",
    "all_groups_exist",
    "subnet_count",
    "nsg_count",
    "nsg_rules_configured",
    "nsg_attached",
    "service_endpoints_configured",
    "vnet_link_exists",
    "connection_state",
    "vm_agent_ready",
    "host_pool_registration",
];

/// Variables the engine itself exports to every operation.
pub const ENGINE_VARIABLES: &[&str] = &[
    "AVD_RUN_ID",
    "AVD_OPERATION_ID",
    "AVD_OUTPUT_FILE",
    "AVD_EXPECTED_SECONDS",
    "AVD_SECRET_NAMES",
];

/// Runs every cross-file check. The placeholder checks of every operation's texts run on a
/// thread of their own beside the structural and script checks; their findings are kept in the
/// order one thread would give.
pub fn check(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    let (placeheld, scripts) = std::thread::scope(|scope| {
        let texts = scope.spawn(|| {
            let mut placeheld = Diagnostics::default();
            placeholders(deployment, &mut placeheld);
            placeheld
        });
        structure(deployment, diagnostics);
        let mut scripts = Diagnostics::default();
        shell_check::check(deployment, &mut scripts);
        match texts.join() {
            Ok(placeheld) => (placeheld, scripts),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    diagnostics.extend(placeheld);
    if !config_broken(deployment, diagnostics) {
        diagnostics.extend(scripts);
    }
}

/// Whether config.yaml has errors: its variables are then unknown, and the scripts' use of
/// them is not worth a finding.
fn config_broken(deployment: &Deployment, diagnostics: &Diagnostics) -> bool {
    diagnostics
        .items()
        .iter()
        .any(|d| d.is_error() && d.location.file == deployment.config_file)
}

/// The checks of names, references, order and groups.
fn structure(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    id_characters(deployment, diagnostics);
    reserved_variables(deployment, diagnostics);
    environment_size(deployment, diagnostics);
    duplicate_operations(deployment, diagnostics);
    duplicate_modules(deployment, diagnostics);
    requirements(deployment, diagnostics);
    dependencies(deployment, diagnostics);
    same_vm_in_group(deployment, diagnostics);
    split_groups(deployment, diagnostics);
    check_types(deployment, diagnostics);
    msi_in_parallel_blocks(deployment, diagnostics);
    instances::for_each_items(deployment, diagnostics);
    teardown::check(deployment, diagnostics);
}

fn reserved_variables(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    for op in &deployment.operations {
        for name in op
            .outputs
            .iter()
            .filter(|name| variables::is_reserved(name))
        {
            diagnostics.push(
                Diagnostic::error(
                    "reserved-output",
                    Location {
                        file: op.file,
                        span: Some(op.id.span),
                    },
                    format!(
                        "operation `{}` publishes `{name}`, a name that changes how operations run",
                        op.id.value
                    ),
                )
                .with_help(
                    "rename the output: PATH, LD_*, BASH*, PYTHON*, AVDEPLOY_* and similar names are reserved",
                ),
            );
        }
    }
    for variable in deployment.variables.iter() {
        if !variables::is_reserved(&variable.name) {
            continue;
        }
        let location = variable.location.unwrap_or(Location {
            file: deployment.config_file,
            span: None,
        });
        diagnostics.push(
            Diagnostic::error(
                "reserved-variable",
                location,
                format!(
                    "variable `{}` would replace the operations' own `{}` environment variable",
                    variable.name, variable.name
                ),
            )
            .with_help("rename the config key (every variable is exported to bash operations)"),
        );
    }
}

/// The longest `NAME=value` entry Linux passes to a new process (`MAX_ARG_STRLEN`).
pub const MAX_ENV_ENTRY: usize = 128 * 1024;

/// The most bytes all variables together may take in an operation's environment: half of the
/// usual 2 MiB `ARG_MAX`, the rest left to the inherited environment and the arguments.
pub const MAX_ENV_TOTAL: usize = 1024 * 1024;

/// Every variable is exported to bash operations: values too large for a process environment
/// would only fail at run time (`Argument list too long`), so they are refused here.
fn environment_size(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    let mut total = 0usize;
    for variable in deployment.variables.iter() {
        let entry = variable.name.len() + variable.value.len() + 2;
        total = total.saturating_add(entry);
        if entry <= MAX_ENV_ENTRY {
            continue;
        }
        diagnostics.push(
            Diagnostic::error(
                "value-too-large",
                variable.location.unwrap_or(Location {
                    file: deployment.config_file,
                    span: None,
                }),
                format!(
                    "variable `{}` holds {} KiB; a process environment entry may hold at most {} KiB",
                    variable.name,
                    variable.value.len() / 1024,
                    MAX_ENV_ENTRY / 1024
                ),
            )
            .with_help("keep large data in a file and pass its path in the variable"),
        );
    }
    if total > MAX_ENV_TOTAL {
        diagnostics.push(
            Diagnostic::error(
                "environment-too-large",
                Location {
                    file: deployment.config_file,
                    span: None,
                },
                format!(
                    "the variables take {} KiB together; operations can be given at most {} KiB",
                    total / 1024,
                    MAX_ENV_TOTAL / 1024
                ),
            )
            .with_help("keep large data in files and pass their paths in variables"),
        );
    }
}

/// Whether `id` can name files and lock keys: a letter or digit, then letters, digits, `.`, `_`
/// and `-`. Ids become file names under `artifacts/`, so `/` or `..` must never reach them.
pub fn is_safe_id(id: &str) -> bool {
    id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn id_characters(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    let modules = deployment
        .modules
        .iter()
        .map(|m| (m.file, m.id.as_deref(), "module"));
    let operations = deployment
        .operations
        .iter()
        .map(|op| (op.file, op.id.as_deref(), "operation"));
    for (file, id, what) in modules.chain(operations) {
        if !is_safe_id(id.value) {
            diagnostics.push(
                Diagnostic::error(
                    "invalid-id",
                    at(file, id.span),
                    format!(
                        "{what} id `{}` holds characters that cannot name a file",
                        id.value
                    ),
                )
                .with_help(
                    "use letters, digits, `.`, `_` and `-`, starting with a letter or digit",
                ),
            );
        }
    }
}

fn at(file: usize, span: Span) -> Location {
    Location {
        file,
        span: Some(span),
    }
}

fn duplicate_operations(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    for (index, op) in deployment.operations.iter().enumerate() {
        let first = deployment
            .operation_index(&op.id.value)
            .filter(|&first| first != index);
        if let Some(first) = first {
            let original = &deployment.operations[first];
            diagnostics.push(
                Diagnostic::error(
                    "duplicate-operation",
                    at(op.file, op.id.span),
                    format!(
                        "operation id `{}` is used twice, in `{}` and `{}`",
                        op.id.value,
                        original.path.display(),
                        op.path.display()
                    ),
                )
                .with_label(at(original.file, original.id.span), "first used here")
                .with_help("operation ids must be unique across the whole deployment"),
            );
        }
    }
}

fn duplicate_modules(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    let mut seen: HashMap<&str, &std::path::Path> = HashMap::new();
    for module in &deployment.modules {
        if let Some(first) = seen.insert(module.id.value.as_str(), &module.dir) {
            diagnostics.push(
                Diagnostic::error(
                    "duplicate-module",
                    at(module.file, module.id.span),
                    format!(
                        "module id `{}` is used twice, in `{}` and `{}`",
                        module.id.value,
                        first.display(),
                        module.dir.display()
                    ),
                )
                .with_help("module ids must be unique: give each module folder its own id"),
            );
        }
    }
}

fn requirements(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    let ids = || -> Vec<&str> {
        deployment
            .operations
            .iter()
            .map(|op| op.id.value.as_str())
            .collect()
    };
    let mut listed = vec![false; deployment.operations.len()];
    for entry in deployment
        .modules
        .iter()
        .flat_map(|m| m.entries.iter().chain(&m.teardown))
    {
        if let Some(index) = entry.operation {
            listed[index] = true;
        }
    }
    let mut edges = vec![Vec::new(); deployment.operations.len()];
    for (i, op) in deployment.operations.iter().enumerate() {
        for requirement in &op.requires {
            match deployment.operation_index(&requirement.operation.value) {
                Some(target) if !listed[target] => {
                    let required = &deployment.operations[target];
                    diagnostics.push(unlisted_requirement(op, requirement, required));
                    edges[i].push(target);
                }
                Some(target) => edges[i].push(target),
                None if deployment
                    .unreadable
                    .iter()
                    .any(|id| *id == requirement.operation.value) => {}
                None => diagnostics.push(unknown_requirement(
                    op,
                    requirement.operation.as_deref(),
                    requirement.optional,
                    &ids(),
                )),
            }
        }
    }
    for cycle in find_cycles(&edges) {
        let op = &deployment.operations[cycle[0]];
        let path: Vec<&str> = cycle
            .iter()
            .map(|&i| deployment.operations[i].id.value.as_str())
            .collect();
        diagnostics.push(
            Diagnostic::error(
                "requirement-cycle",
                at(op.file, op.id.span),
                format!(
                    "operations require each other in a cycle: {}",
                    path.join(" -> ")
                ),
            )
            .with_help("remove one of these `requires` entries"),
        );
    }
}

/// A requirement on an operation that has a file but that no module lists: `run all` never
/// runs it, so the requirement can never be met.
fn unlisted_requirement(
    op: &Operation,
    requirement: &Requirement,
    required: &Operation,
) -> Diagnostic {
    let name = &requirement.operation;
    let message = format!(
        "`{}` requires `{}`, which no module lists: `run all` never runs it, so the requirement is never met",
        op.id.value, name.value
    );
    let location = at(op.file, name.span);
    let diagnostic = if requirement.optional {
        Diagnostic::warning("unlisted-requirement", location, message)
    } else {
        Diagnostic::error("unlisted-requirement", location, message)
    };
    diagnostic
        .with_label(
            at(required.file, required.id.span),
            format!("`{}` is defined here", name.value),
        )
        .with_help(format!(
            "list `{}` in `module.operations` of {}'s module.yaml (or drop the requirement)",
            name.value, required.module
        ))
}

fn unknown_requirement(
    op: &Operation,
    name: Spanned<&str>,
    optional: bool,
    ids: &[&str],
) -> Diagnostic {
    let message = format!(
        "`{}` requires unknown operation `{}`",
        op.id.value, name.value
    );
    let help = match crate::base::text::closest(name.value, ids.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => "requirements name an `operation.id`".to_owned(),
    };
    let diagnostic = if optional {
        Diagnostic::warning("unknown-requirement", at(op.file, name.span), message)
    } else {
        Diagnostic::error("unknown-requirement", at(op.file, name.span), message)
    };
    diagnostic.with_help(help)
}

fn dependencies(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    let modules = &deployment.modules;
    let ids: Vec<&str> = modules.iter().map(|m| m.id.value.as_str()).collect();
    let mut edges = vec![Vec::new(); modules.len()];
    for (i, module) in modules.iter().enumerate() {
        // Without a `dependencies` key a module follows the one before it, which can close a
        // cycle as surely as a listed dependency.
        if module.follows_previous() {
            edges[i].extend(i.checked_sub(1));
            continue;
        }
        for dependency in module.listed_dependencies() {
            match ids.iter().position(|id| *id == dependency.value) {
                Some(target) => edges[i].push(target),
                None => {
                    let help =
                        match crate::base::text::closest(&dependency.value, ids.iter().copied()) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => {
                                format!("known modules: {}", crate::base::text::code_list(&ids))
                            }
                        };
                    diagnostics.push(
                        Diagnostic::error(
                            "unknown-dependency",
                            at(module.file, dependency.span),
                            format!(
                                "module `{}` depends on unknown module `{}`",
                                module.id.value, dependency.value
                            ),
                        )
                        .with_help(help),
                    );
                }
            }
        }
    }
    for cycle in find_cycles(&edges) {
        let module = &modules[cycle[0]];
        let path: Vec<&str> = cycle.iter().map(|&i| ids[i]).collect();
        diagnostics.push(
            Diagnostic::error(
                "dependency-cycle",
                at(module.file, module.id.span),
                format!(
                    "modules depend on each other in a cycle: {}",
                    path.join(" -> ")
                ),
            )
            .with_help("remove one of these `dependencies` entries"),
        );
    }
}

/// Every `{{NAME}}` in texts an operation uses must resolve; those pasted into scripts must be
/// safe and not secret.
fn placeholders(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    let mut known: HashSet<&str> = deployment.variables.names().collect();
    known.extend(ENGINE_VARIABLES);
    let outputs: HashSet<&str> = deployment
        .operations
        .iter()
        .flat_map(|op| op.outputs.iter().map(CompactString::as_str))
        .collect();
    let checker = PlaceholderCheck {
        deployment,
        known: &known,
        outputs: &outputs,
        names: std::cell::OnceCell::new(),
    };
    for op in &deployment.operations {
        for (text, context) in texts(op) {
            checker.check(op, text, context, diagnostics);
        }
        if let Action::Bash { command } = &op.action {
            // The script's placeholders were found when it was loaded: its text may be let go.
            let marks = op.shell.placeholders.iter().map(Mark::placeholder);
            let text = || Spanned::new(deployment.script_text(op, command), command.span);
            checker.check_each(op, marks, &text, Destination::Script, diagnostics);
        }
    }
}

/// A text substituted as a plain value.
fn value(text: &Spanned<impl AsRef<str>>) -> (Spanned<&str>, Destination) {
    (text.as_deref(), Destination::Value)
}

/// The texts of an operation where placeholders are substituted, with how they are used (a
/// bash script's apart: see [`placeholders`]).
fn texts(op: &Operation) -> Vec<(Spanned<&str>, Destination)> {
    let mut texts: Vec<(Spanned<&str>, Destination)> = op.locks.iter().map(value).collect();
    texts.extend(op.for_each().map(|f| value(f.text())));
    texts.extend(op.when().map(value));
    match &op.action {
        Action::Bash { .. } => {}
        Action::RunCommand(rc) => {
            texts.push(value(&rc.vm));
            texts.push(value(&rc.resource_group));
            if let PowerShell::Content { content, .. } = &rc.script {
                texts.push((content.as_deref(), Destination::PowerShell));
            }
        }
    }
    texts.extend(
        op.script_texts()
            .iter()
            .map(|(text, context)| (text.as_deref(), *context)),
    );
    for check in &op.checks {
        for (name, value) in &check.fields {
            let context = if name == "command" {
                Destination::Script
            } else {
                Destination::Value
            };
            texts.push((value.as_deref(), context));
        }
    }
    texts
}

struct PlaceholderCheck<'a> {
    deployment: &'a Deployment,
    known: &'a HashSet<&'a str>,
    outputs: &'a HashSet<&'a str>,
    /// Every name a placeholder may use, sorted: made for the first unknown one, to suggest
    /// the closest.
    names: std::cell::OnceCell<Vec<&'a str>>,
}

impl PlaceholderCheck<'_> {
    /// Every name a placeholder may use, sorted.
    fn names(&self) -> &[&str] {
        self.names.get_or_init(|| {
            let mut names: Vec<&str> = self.known.iter().chain(self.outputs).copied().collect();
            names.sort_unstable();
            names
        })
    }

    fn check(
        &self,
        op: &Operation,
        text: Spanned<&str>,
        context: Destination,
        diagnostics: &mut Diagnostics,
    ) {
        let placeholders = variables::placeholders(text.value).into_iter();
        let text = || Spanned::new(Cow::Borrowed(text.value), text.span);
        self.check_each(op, placeholders, &text, context, diagnostics);
    }

    /// Checks `placeholders`, found in `text` (only asked for to quote it).
    fn check_each<'t>(
        &self,
        op: &Operation,
        placeholders: impl Iterator<Item = Placeholder>,
        text: &dyn Fn() -> Spanned<Cow<'t, str>>,
        context: Destination,
        diagnostics: &mut Diagnostics,
    ) {
        let vars = &self.deployment.variables;
        let sources = &self.deployment.sources;
        for placeholder in placeholders {
            let item_span = || {
                let item = RenderError {
                    name: placeholder.name.clone(),
                    range: placeholder.range.clone(),
                    kind: variables::RenderErrorKind::Unknown,
                };
                locate(sources, op.file, text().as_deref(), &item)
            };
            if instances::item_placeholder(op, &placeholder, item_span, diagnostics) {
                continue;
            }
            if ENGINE_VARIABLES.contains(&placeholder.name.as_str())
                || (vars.get(&placeholder.name).is_none()
                    && self.outputs.contains(placeholder.name.as_str()))
            {
                continue;
            }
            if let Err(error) = vars.check(&placeholder, context) {
                let span = locate(sources, op.file, text().as_deref(), &error);
                diagnostics.push(
                    Diagnostic::error(code(&error), at(op.file, span), error.message())
                        .with_help(error.help(self.names())),
                );
            }
        }
    }
}

fn code(error: &RenderError) -> &'static str {
    match error.kind {
        variables::RenderErrorKind::Secret => "secret-in-script",
        variables::RenderErrorKind::Unknown => "unknown-variable",
        variables::RenderErrorKind::Unsafe(_) => "unsafe-substitution",
    }
}

/// The span of the placeholder in the file: the same occurrence of its literal text inside the
/// scalar's span, or the whole scalar when it cannot be found (escaped or folded text).
fn locate(sources: &Sources, file: usize, text: Spanned<&str>, error: &RenderError) -> Span {
    // A script read again from a file changed since it was loaded may not hold the range.
    let (Some(literal), Some(before)) = (
        text.value.get(error.range.clone()),
        text.value.get(..error.range.start),
    ) else {
        return text.span;
    };
    let nth = before.matches(literal).count();
    let source = sources.get(file);
    let range = text.span.range();
    let Some(region) = source.text().get(range.start..range.end.max(range.start)) else {
        return text.span;
    };
    let Some((offset, _)) = region.match_indices(literal).nth(nth) else {
        return text.span;
    };
    let start = range.start + offset;
    let before = &source.text()[..start];
    let line = before.matches('\n').count() + 1;
    let col0 = before.rsplit('\n').next().unwrap_or("").chars().count();
    let start_pos = source.pos(line, col0);
    let end_pos = source.pos(line, col0 + literal.chars().count());
    Span::new(start_pos, end_pos)
}

/// Two run-command operations on one VM in one parallel group: the seed's "Will fail!".
fn same_vm_in_group(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    let vars = &deployment.variables;
    for module in &deployment.modules {
        let mut groups: BTreeMap<u32, Vec<(&Operation, String, Span)>> = BTreeMap::new();
        for entry in &module.entries {
            let (Some(group), Some(index)) = (&entry.parallel_group, entry.operation) else {
                continue;
            };
            let op = &deployment.operations[index];
            if let Action::RunCommand(rc) = &op.action {
                let vm = vars
                    .render(&rc.vm, Destination::Value)
                    .unwrap_or_else(|_| rc.vm.value.clone());
                let rg = vars
                    .render(&rc.resource_group, Destination::Value)
                    .unwrap_or_else(|_| rc.resource_group.value.clone());
                groups.entry(group.value).or_default().push((
                    op,
                    format!("{rg}/{vm}"),
                    entry.id.span,
                ));
            }
        }
        for (group, members) in groups {
            for (i, (op, vm, span)) in members.iter().enumerate() {
                if let Some((first, _, first_span)) =
                    members[..i].iter().find(|(_, other, _)| other == vm)
                {
                    diagnostics.push(
                        Diagnostic::error(
                            "run-command-same-vm",
                            at(module.file, *span),
                            format!(
                                "`{}` and `{}` both run a run-command on VM `{vm}` in parallel group {group}: Azure allows one run-command per VM at a time",
                                first.id.value, op.id.value
                            ),
                        )
                        .with_label(at(module.file, *first_span), "the other run-command on that VM")
                        .with_help("give them different parallel groups, or merge them into one operation with `apps:`/`blocks:` (script-level parallelism)"),
                    );
                }
            }
        }
    }
}

/// A parallel group whose members are not declared next to each other runs as one stage placed
/// at its first member, so a later member runs before the operations declared between them.
fn split_groups(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    for module in &deployment.modules {
        if module.schedule != Schedule::Stages {
            continue;
        }
        let mut last_seen: HashMap<u32, usize> = HashMap::new();
        for (position, entry) in module.entries.iter().enumerate() {
            let Some(group) = &entry.parallel_group else {
                continue;
            };
            if let Some(&previous) = last_seen.get(&group.value)
                && previous + 1 != position
            {
                let first = &module.entries[previous];
                let between = &module.entries[previous + 1];
                diagnostics.push(
                    Diagnostic::warning(
                        "split-parallel-group",
                        at(module.file, entry.id.span),
                        format!(
                            "`{op}` is in parallel group {} but declared after `{}`, which is not in that group: `{op}` runs in the group's stage with `{}`, before `{}`",
                            group.value, between.id.value, first.id.value, between.id.value,
                            op = entry.id.value
                        ),
                    )
                    .with_label(at(module.file, first.id.span), "the group's stage is placed here")
                    .with_help("declare the members of a parallel group next to each other"),
                );
            }
            last_seen.insert(group.value, position);
        }
    }
}

fn check_types(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    for op in &deployment.operations {
        for check in &op.checks {
            if !KNOWN_CHECK_TYPES.contains(&check.kind.value.as_str()) {
                diagnostics.push(
                    Diagnostic::warning(
                        "unknown-check-type",
                        at(op.file, check.kind.span),
                        format!(
                            "unknown validation check type `{}` is kept but not run",
                            check.kind.value
                        ),
                    )
                    .with_help(format!("known types: {}", KNOWN_CHECK_TYPES.join(", "))),
                );
            }
        }
    }
}

fn msi_in_parallel_blocks(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    for op in &deployment.operations {
        let Action::RunCommand(rc) = &op.action else {
            continue;
        };
        let PowerShell::Generated(spec) = &rc.script else {
            continue;
        };
        for (a, b) in crate::ps::msi_conflicts(&spec.blocks) {
            diagnostics.push(
                Diagnostic::warning(
                    "parallel-msi-install",
                    at(op.file, op.id.span),
                    format!("parallel blocks `{a}` and `{b}` both start an MSI install: Windows Installer runs one at a time (exit 1618)"),
                )
                .with_help("make one of the blocks `parallel: false`, or install through `apps:`, which installs one at a time"),
            );
        }
    }
}

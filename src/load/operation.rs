//! Decodes an operation file (`operations/*.yaml`) into an [`Operation`].

use std::path::Path;
use std::sync::Arc;

use compact_str::CompactString;

use crate::base::diagnostic::Diagnostic;
use crate::base::span::Spanned;
use crate::load::apps;
use crate::load::decode::{Decoder, Fields};
use crate::load::node::{Node, NodeKind};
use crate::model::duration::{DurationKind, Durations};
use crate::model::instances::ForEach;
use crate::model::operation::{
    Action, Check, Operation, PowerShell, Rare, Requirement, Retry, RunCommand, RunCommandMode,
    TemplateKind,
};
use crate::model::shell_vars;

const OPERATION_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "duration",
    "requires",
    "prerequisites",
    "validation",
    "template",
    "powershell",
    "apps",
    "blocks",
    "fixes",
    "locks",
    "retry",
    "outputs",
    "for_each",
    "when",
];
const DURATION_KEYS: &[&str] = &["expected", "timeout", "type"];
const TEMPLATE_KEYS: &[&str] = &["type", "command", "vm", "resource_group", "mode"];
const REQUIREMENT_KEYS: &[&str] = &["operation", "status", "optional"];

/// Where an operation file sits and which module lists it.
pub struct OperationFile<'a> {
    /// The module folder's module id.
    pub module: &'a str,
    /// Path relative to the deployment folder.
    pub path: &'a Arc<Path>,
    /// The file's id in the sources.
    pub file: usize,
    /// config.yaml, for `apps.items_from`.
    pub config: apps::ConfigTree<'a>,
}

impl OperationFile<'_> {
    /// Sets where `operation` is: its module, file and path.
    pub fn place(&self, operation: &mut Operation) {
        operation.module = CompactString::from(self.module);
        operation.file = self.file;
        operation.path = Arc::clone(self.path);
    }
}

/// Decodes one operation file; `None` when it is too broken to use (findings are recorded).
pub fn decode(decoder: &mut Decoder<'_>, root: &Node, at: &OperationFile<'_>) -> Option<Operation> {
    let top = decoder.fields(root, "the operation file", &["operation"])?;
    let Some(node) = top.get("operation") else {
        decoder.missing(top, "operation", "the operation file");
        return None;
    };
    let fields = decoder.fields(node, "operation", OPERATION_KEYS)?;
    let id = decoder.req_string(fields, "id", "operation")?;
    let duration = fields
        .get("duration")
        .and_then(|n| durations(decoder, n, "operation.duration"))
        .unwrap_or_default();
    // A broken template is reported; the operation is still kept so that its other fields are
    // checked and ids that require it or list it do not report it as missing.
    let (template, action) = action(decoder, fields, node, at.config).unwrap_or_else(|| {
        let command = Spanned::new(String::new(), node.span);
        (TemplateKind::BashScript, Action::Bash { command })
    });
    let (shell, printed) = match &action {
        Action::Bash { command } => shell_vars::facts(&command.value),
        Action::RunCommand(_) => Default::default(),
    };
    let mut outputs = decoder
        .string_list(fields, "outputs", "operation")
        .into_iter()
        .map(|s| CompactString::from(s.value))
        .collect::<Vec<_>>();
    outputs.extend(printed.into_iter().map(CompactString::from));
    outputs.extend(
        written_outputs(&action)
            .into_iter()
            .map(CompactString::from),
    );
    outputs.sort();
    outputs.dedup();
    // Decoded in the order of the fields below, which is the order of their findings.
    let name = text(decoder, fields, "name").unwrap_or_else(|| id.value.clone());
    let description = text(decoder, fields, "description").unwrap_or_default();
    let requires = requirements(decoder, fields);
    let for_each = for_each(decoder, fields);
    let when = decoder.opt_string(fields, "when", "operation");
    let locks = decoder
        .string_list(fields, "locks", "operation")
        .into_iter()
        .map(|lock| lock.map(CompactString::from))
        .collect();
    let retry = retry(decoder, fields);
    let checks = checks(decoder, fields);
    let rare = Rare {
        description,
        for_each,
        when,
        retry,
        script_texts: apps::texts(fields),
    };
    let mut operation = Operation {
        module: CompactString::default(),
        file: 0,
        path: Arc::clone(at.path),
        name: CompactString::from(name),
        duration,
        template,
        action,
        requires: requires.into(),
        rare: rare.boxed(),
        locks,
        outputs: outputs.into(),
        checks: checks.into(),
        shell,
        id: id.map(CompactString::from),
    };
    at.place(&mut operation);
    Some(operation)
}

fn text(decoder: &mut Decoder<'_>, fields: Fields<'_>, key: &str) -> Option<String> {
    decoder
        .opt_string(fields, key, "operation")
        .map(|s| s.value)
}

/// `duration:` as a number of seconds or `{expected, timeout, type}`.
pub fn durations(decoder: &mut Decoder<'_>, node: &Node, what: &str) -> Option<Durations> {
    let mut duration = Durations::default();
    if let NodeKind::Scalar { .. } = node.kind {
        let expected = positive(decoder, node, what)?;
        duration.expected = expected;
        duration.timeout = duration.timeout.max(expected.saturating_mul(2));
        return Some(duration);
    }
    let fields = decoder.fields(node, what, DURATION_KEYS)?;
    let expected = fields
        .get("expected")
        .and_then(|n| positive(decoder, n, &format!("{what}.expected")));
    let timeout = fields
        .get("timeout")
        .and_then(|n| positive(decoder, n, &format!("{what}.timeout")));
    if let Some(kind) = duration_kind(decoder, fields, what) {
        duration.kind = kind;
    }
    duration.expected = expected.unwrap_or(duration.expected);
    duration.timeout = timeout.unwrap_or(duration.timeout.max(duration.expected.saturating_mul(2)));
    if let (Some(expected), Some(timeout)) = (expected, timeout)
        && timeout < expected
    {
        let node = fields.get("timeout").expect("timeout was read");
        decoder.push(
            Diagnostic::error(
                "timeout-below-expected",
                decoder.at(node),
                format!("timeout ({timeout}s) is shorter than the expected duration ({expected}s)"),
            )
            .with_help("raise the timeout above the expected duration"),
        );
    }
    Some(duration)
}

/// `type:` of a duration (FAST, NORMAL, WAIT; SLOW from old documents); a finding when unknown.
pub fn duration_kind(
    decoder: &mut Decoder<'_>,
    fields: Fields<'_>,
    what: &str,
) -> Option<DurationKind> {
    let kind = decoder.opt_string(fields, "type", what)?;
    let parsed = DurationKind::parse(&kind);
    if parsed.is_none() {
        decoder.push(
            Diagnostic::error(
                "unknown-duration-type",
                decoder.at_span(kind.span),
                format!("unknown duration type `{}`", kind.value),
            )
            .with_help("use FAST, NORMAL or WAIT"),
        );
    }
    parsed
}

/// The longest duration an operation may declare: a week. Longer values are typos (or hostile)
/// and would only overflow timers.
pub const MAX_DURATION_SECONDS: i64 = 7 * 24 * 3600;

fn positive(decoder: &mut Decoder<'_>, node: &Node, what: &str) -> Option<u64> {
    let value = decoder.number(node, what)?;
    if value.value > MAX_DURATION_SECONDS {
        decoder.push(
            Diagnostic::error(
                "duration-too-long",
                decoder.at(node),
                format!(
                    "{what} is {} seconds; at most {MAX_DURATION_SECONDS} (7 days) is allowed",
                    value.value
                ),
            )
            .with_help("durations are whole seconds, e.g. 3600 for an hour"),
        );
        return None;
    }
    if value.value <= 0 {
        decoder.push(
            Diagnostic::error(
                "non-positive-duration",
                decoder.at(node),
                format!(
                    "{what} must be more than zero seconds, found {}",
                    value.value
                ),
            )
            .with_help("durations are whole seconds, e.g. 60"),
        );
        return None;
    }
    u64::try_from(value.value).ok()
}

fn action(
    decoder: &mut Decoder<'_>,
    fields: Fields<'_>,
    node: &Node,
    config: apps::ConfigTree<'_>,
) -> Option<(TemplateKind, Action)> {
    let Some(template_node) = fields.get("template") else {
        decoder.missing(fields, "template", "operation");
        return None;
    };
    let template = decoder.fields(template_node, "operation.template", TEMPLATE_KEYS)?;
    let kind_name = decoder.req_string(template, "type", "operation.template")?;
    let Some(kind) = TemplateKind::parse(&kind_name) else {
        let help = match crate::base::text::closest(&kind_name, TemplateKind::NAMES) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!(
                "use one of {}",
                crate::base::text::code_list(&TemplateKind::NAMES)
            ),
        };
        decoder.push(
            Diagnostic::error(
                "unknown-template-type",
                decoder.at_span(kind_name.span),
                format!("unknown template type `{}`", kind_name.value),
            )
            .with_help(help),
        );
        return None;
    };
    let command = decoder.opt_string(template, "command", "operation.template");
    if kind != TemplateKind::AzVmRunCommand {
        let Some(command) = command else {
            decoder.missing(template, "command", "operation.template");
            return None;
        };
        return Some((kind, Action::Bash { command }));
    }
    let run_command = run_command(decoder, fields, template, command.as_ref(), node, config)?;
    Some((kind, Action::RunCommand(Box::new(run_command))))
}

fn run_command(
    decoder: &mut Decoder<'_>,
    fields: Fields<'_>,
    template: Fields<'_>,
    command: Option<&Spanned<String>>,
    node: &Node,
    config: apps::ConfigTree<'_>,
) -> Option<RunCommand> {
    let parsed = command
        .map(crate::runcmd::target::from_command)
        .unwrap_or_default();
    let vm = decoder
        .opt_string(template, "vm", "operation.template")
        .or(parsed.vm);
    let resource_group = decoder
        .opt_string(template, "resource_group", "operation.template")
        .or(parsed.resource_group);
    let mode = decoder.choice(
        template,
        "mode",
        "operation.template",
        &[
            ("invoke", RunCommandMode::Invoke),
            ("managed", RunCommandMode::Managed),
        ],
        RunCommandMode::Invoke,
    );
    let script = powershell(decoder, fields, node, config);
    let (Some(vm), Some(resource_group)) = (vm, resource_group) else {
        decoder.push(
            Diagnostic::error(
                "missing-run-command-target",
                decoder.at(template.node()),
                "run-command operation does not say which VM it runs on",
            )
            .with_help("add `vm:` and `resource_group:` to the template, or an `az vm run-command invoke --resource-group R --name V` command"),
        );
        return None;
    };
    Some(RunCommand {
        vm,
        resource_group,
        mode,
        script: script?,
    })
}

fn powershell(
    decoder: &mut Decoder<'_>,
    fields: Fields<'_>,
    node: &Node,
    config: apps::ConfigTree<'_>,
) -> Option<PowerShell> {
    let generated = apps::decode(decoder, fields, config);
    let content = fields
        .get("powershell")
        .and_then(|ps| decoder.fields(ps, "operation.powershell", &["file", "content"]))
        .map(|ps| {
            (
                decoder
                    .opt_string(ps, "file", "operation.powershell")
                    .map(|f| f.value),
                decoder.opt_string(ps, "content", "operation.powershell"),
            )
        });
    match (generated, content) {
        (Some(spec), None | Some((_, None))) => Some(PowerShell::Generated(Box::new(spec))),
        (None, Some((file, Some(content)))) => Some(PowerShell::Content { file, content }),
        (Some(_), Some((_, Some(content)))) => {
            decoder.push(
                Diagnostic::error(
                    "conflicting-scripts",
                    decoder.at_span(content.span),
                    "an operation has either `powershell.content` or `apps:`/`blocks:`, not both",
                )
                .with_help("move the content into a sequential block"),
            );
            None
        }
        (None, _) => {
            decoder.push(
                Diagnostic::error(
                    "missing-field",
                    decoder.at(node),
                    "run-command operation has no script",
                )
                .with_help("add `powershell: { content: ... }`, `apps:` (downloads and installs) or `blocks:` (PowerShell blocks)"),
            );
            None
        }
    }
}

fn requirements(decoder: &mut Decoder<'_>, fields: Fields<'_>) -> Vec<Requirement> {
    let Some(node) = fields.get("requires") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in decoder.list(node, "operation.requires") {
        if let Some(id) = item.as_str() {
            out.push(Requirement {
                operation: Spanned::new(CompactString::from(id), item.span),
                optional: false,
            });
            continue;
        }
        let Some(entry) = decoder.fields(item, "a requirement", REQUIREMENT_KEYS) else {
            continue;
        };
        if let Some(operation) = decoder.req_string(entry, "operation", "a requirement") {
            let optional = decoder
                .opt_bool(entry, "optional", "a requirement")
                .unwrap_or(false);
            out.push(Requirement {
                operation: operation.map(CompactString::from),
                optional,
            });
        }
    }
    out
}

/// `for_each:` as `{ count: "..." }` or a string of whitespace-separated items.
fn for_each(decoder: &mut Decoder<'_>, fields: Fields<'_>) -> Option<ForEach> {
    let node = fields.get("for_each")?;
    if let NodeKind::Map(_) = node.kind {
        let map = decoder.fields(node, "operation.for_each", &["count"])?;
        return decoder
            .req_string(map, "count", "operation.for_each")
            .map(ForEach::Count);
    }
    decoder
        .string(node, "operation.for_each")
        .map(ForEach::Items)
}

fn retry(decoder: &mut Decoder<'_>, fields: Fields<'_>) -> Option<Retry> {
    let node = fields.get("retry")?;
    let retry = decoder.fields(node, "operation.retry", &["max_attempts", "backoff"])?;
    let max_attempts = decoder
        .opt_number(retry, "max_attempts", "operation.retry")
        .map_or(1, |n| n.value);
    let backoff = decoder
        .opt_number(retry, "backoff", "operation.retry")
        .map_or(5, |n| n.value);
    if !(1..=100).contains(&max_attempts) || !(0..=3600).contains(&backoff) {
        decoder.error(
            "invalid-retry",
            node,
            "retry.max_attempts must be 1 to 100 and backoff 0 to 3600 seconds",
            "e.g. `retry: { max_attempts: 3, backoff: 10 }`",
        );
        return None;
    }
    Some(Retry {
        max_attempts: u32::try_from(max_attempts).ok()?,
        backoff: u64::try_from(backoff).ok()?,
    })
}

fn checks(decoder: &mut Decoder<'_>, fields: Fields<'_>) -> Vec<Check> {
    let Some(validation) = fields.get("validation") else {
        return Vec::new();
    };
    let Some(validation) =
        decoder.fields(validation, "operation.validation", &["enabled", "checks"])
    else {
        return Vec::new();
    };
    let Some(list) = validation.get("checks") else {
        return Vec::new();
    };
    decoder
        .list(list, "validation.checks")
        .iter()
        .filter_map(|item| check(decoder, item))
        .collect()
}

fn check(decoder: &mut Decoder<'_>, item: &Node) -> Option<Check> {
    let NodeKind::Map(entries) = &item.kind else {
        decoder.error(
            "wrong-type",
            item,
            "a validation check must be a mapping with a `type`",
            "write `- type: \"resource_exists\"` followed by the check's fields",
        );
        return None;
    };
    let kind = match item
        .get("type")
        .and_then(|n| n.as_str().map(|t| (t, n.span)))
    {
        Some((text, span)) => Spanned::new(CompactString::from(text), span),
        None => {
            decoder.error(
                "missing-field",
                item,
                "a validation check has no `type`",
                "add `type:`, e.g. `resource_exists` or `bash_command`",
            );
            return None;
        }
    };
    let fields = entries
        .iter()
        .filter_map(|(k, v)| {
            Some((
                CompactString::from(k.as_str()?),
                Spanned::new(CompactString::from(v.as_str()?), v.span),
            ))
        })
        .filter(|(k, _)| k != "type" && k != "description")
        .collect();
    Some(Check {
        kind,
        description: CompactString::from(
            item.get("description")
                .and_then(Node::as_str)
                .unwrap_or_default(),
        ),
        fields,
    })
}

/// Names a run-command operation publishes with `[OUTPUT] NAME=`, written literally in its
/// PowerShell (those of a bash command are found by the bash parser).
fn written_outputs(action: &Action) -> Vec<String> {
    let text = match action {
        Action::Bash { .. } => return Vec::new(),
        Action::RunCommand(rc) => match &rc.script {
            PowerShell::Content { content, .. } => content.value.as_str(),
            PowerShell::Generated(_) => return vec!["REBOOT_REQUIRED".to_owned()],
        },
    };
    text.match_indices("[OUTPUT]")
        .filter_map(|(i, m)| {
            let rest = text[i + m.len()..].trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (rest[name.len()..].starts_with('=') && crate::model::variables::is_name(&name))
                .then_some(name)
        })
        .collect()
}

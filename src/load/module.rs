//! Decodes `module.yaml` into a [`Module`].

use std::path::Path;

use compact_str::CompactString;

use crate::base::diagnostic::Diagnostic;
use crate::base::span::Spanned;
use crate::load::decode::Decoder;
use crate::load::node::Node;
use crate::load::operation;
use crate::load::settings;
use crate::model::duration::Durations;
use crate::model::module::{Entry, Module, Schedule};

const MODULE_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "version",
    "config",
    "dependencies",
    "schedule",
    "shell",
    "operations",
    "teardown",
    "validation",
    "total_duration",
    "state_file",
    "artifacts",
    "metadata",
];
const ENTRY_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "duration",
    "type",
    "script",
    "parallel_group",
];

/// A module and the durations its entries give for operations whose files have none.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct DecodedModule {
    /// The module.
    pub module: Module,
    /// `(operation id, duration)` given by module.yaml entries.
    pub entry_durations: Vec<(String, Durations)>,
}

/// Decodes one module.yaml; `None` when it is too broken to use (findings are recorded).
pub fn decode(decoder: &mut Decoder<'_>, root: &Node, dir: &Path) -> Option<DecodedModule> {
    let top = decoder.fields(root, "module.yaml", &["module"])?;
    let Some(node) = top.get("module") else {
        decoder.missing(top, "module", "module.yaml");
        return None;
    };
    let fields = decoder.fields(node, "module", MODULE_KEYS)?;
    let id = decoder.req_string(fields, "id", "module")?;
    let schedule = decoder.choice(
        fields,
        "schedule",
        "module",
        &[("stages", Schedule::Stages), ("dag", Schedule::Dag)],
        Schedule::Stages,
    );
    let mut entry_durations = Vec::new();
    let mut entries_of = |key: &str| match fields.get(key) {
        Some(list) => decoder
            .list(list, &format!("module.{key}"))
            .iter()
            .filter_map(|item| entry(decoder, item, &mut entry_durations))
            .collect(),
        None => Vec::new(),
    };
    let entries = entries_of("operations");
    let teardown = entries_of("teardown");
    let module = Module {
        name: decoder
            .opt_string(fields, "name", "module")
            .map_or_else(|| id.value.clone(), |n| n.value),
        description: decoder
            .opt_string(fields, "description", "module")
            .map(|d| d.value)
            .unwrap_or_default(),
        dependencies: fields
            .get("dependencies")
            .is_some()
            .then(|| decoder.string_list(fields, "dependencies", "module")),
        schedule,
        shell: settings::shell_mode(decoder, fields.get("shell"), "module").map(|s| s.value),
        entries,
        teardown,
        file: decoder.file,
        dir: dir.to_path_buf(),
        id,
    };
    Some(DecodedModule {
        module,
        entry_durations,
    })
}

fn entry(
    decoder: &mut Decoder<'_>,
    node: &Node,
    durations: &mut Vec<(String, Durations)>,
) -> Option<Entry> {
    if let Some(id) = node.as_str() {
        return Some(Entry {
            id: Spanned::new(CompactString::from(id), node.span),
            parallel_group: None,
            operation: None,
        });
    }
    let fields = decoder.fields(node, "an entry of module.operations", ENTRY_KEYS)?;
    let id = decoder.req_string(fields, "id", "an entry of module.operations")?;
    let parallel_group = decoder
        .opt_number(fields, "parallel_group", "module.operations")
        .and_then(|group| match u32::try_from(group.value) {
            Ok(value) => Some(Spanned::new(value, group.span)),
            Err(_) => {
                decoder.push(
                    Diagnostic::error(
                        "invalid-parallel-group",
                        decoder.at_span(group.span),
                        format!(
                            "parallel_group must be a whole number of 0 or more, found {}",
                            group.value
                        ),
                    )
                    .with_help(
                        "operations with the same number run together, e.g. `parallel_group: 1`",
                    ),
                );
                None
            }
        });
    if fields.get("duration").is_some() || fields.get("type").is_some() {
        let mut duration = fields
            .get("duration")
            .and_then(|d| operation::durations(decoder, d, "module.operations.duration"))
            .unwrap_or_default();
        if let Some(kind) = operation::duration_kind(decoder, fields, "module.operations") {
            duration.kind = kind;
        }
        durations.push((id.value.clone(), duration));
    }
    Some(Entry {
        id: id.map(CompactString::from),
        parallel_group,
        operation: None,
    })
}

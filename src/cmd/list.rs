//! `avdeploy list`: modules and their operations in declared order.

use std::io::Write;

use crate::cli::{GlobalArgs, JsonArg};
use crate::cmd::checked;
use crate::error::Error;
use crate::model::deployment::Deployment;
use crate::model::module::{Entry, Schedule};

/// The `list --json` document.
#[derive(Debug, serde::Serialize)]
pub(crate) struct ListJson {
    /// Bumped when fields change meaning.
    pub format_version: u32,
    /// Modules in folder order.
    pub modules: Vec<ModuleJson>,
}

/// A module in `list --json`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct ModuleJson {
    /// Module id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Modules that must complete before it: its `dependencies`, or without the key the module
    /// before it in folder order.
    pub dependencies: Vec<String>,
    /// `stages` or `dag`.
    pub schedule: Schedule,
    /// Operations in declared order.
    pub operations: Vec<OperationJson>,
    /// `teardown:` operations in declared order (only `destroy` runs them).
    pub teardown: Vec<OperationJson>,
}

/// An operation in `list --json`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct OperationJson {
    /// Operation id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `template.type`.
    pub template: &'static str,
    /// `parallel_group`, if any.
    pub parallel_group: Option<u32>,
    /// Expected seconds.
    pub expected_seconds: u64,
    /// Timeout seconds.
    pub timeout_seconds: u64,
    /// The operation file.
    pub file: String,
    /// The items of its `for_each` (empty without one): it runs as `<id>@<item>` instances.
    pub items: Vec<String>,
    /// Its `when:` as written.
    pub when: Option<String>,
}

/// Builds the list document.
pub(crate) fn document(deployment: &Deployment) -> ListJson {
    let modules = deployment
        .modules
        .iter()
        .map(|module| ModuleJson {
            id: module.id.value.clone(),
            name: module.name.clone(),
            description: module.description.clone(),
            dependencies: deployment
                .module_dependencies(module)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            schedule: module.schedule,
            operations: entries(deployment, &module.entries),
            teardown: entries(deployment, &module.teardown),
        })
        .collect();
    ListJson {
        format_version: 1,
        modules,
    }
}

fn entries(deployment: &Deployment, entries: &[Entry]) -> Vec<OperationJson> {
    entries
        .iter()
        .filter_map(|entry| {
            let op = &deployment.operations[entry.operation?];
            Some(OperationJson {
                id: op.id.value.to_string(),
                name: op.name.to_string(),
                template: op.template.as_str(),
                parallel_group: entry.parallel_group.as_ref().map(|g| g.value),
                expected_seconds: op.duration.expected,
                timeout_seconds: op.duration.timeout,
                file: op.path.display().to_string(),
                items: op
                    .for_each()
                    .and_then(|f| f.items(&deployment.variables).ok())
                    .unwrap_or_default(),
                when: op.when().map(|w| w.value.clone()),
            })
        })
        .collect()
}

/// Runs `list`.
pub(crate) fn run(global: &GlobalArgs, args: &JsonArg) -> Result<i32, Error> {
    let deployment = checked::load_valid(global, false, global.cache())?;
    let doc = document(&deployment);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        out.write_all(render(&doc).as_bytes())?;
    }
    Ok(crate::exit_code::SUCCESS)
}

/// The text form of `list`.
pub(crate) fn render(doc: &ListJson) -> String {
    let mut out = String::new();
    for module in &doc.modules {
        out.push_str(&format!("{}  {}", module.id, module.name));
        if !module.description.is_empty() {
            out.push_str(&format!(" - {}", module.description));
        }
        out.push('\n');
        let width = module
            .operations
            .iter()
            .chain(&module.teardown)
            .map(|o| o.id.len())
            .max()
            .unwrap_or(0);
        render_operations(&mut out, &module.operations, width);
        if !module.teardown.is_empty() {
            out.push_str("  teardown (run by `destroy`):\n");
            render_operations(&mut out, &module.teardown, width);
        }
    }
    out
}

fn render_operations(out: &mut String, operations: &[OperationJson], width: usize) {
    for (n, op) in operations.iter().enumerate() {
        let group = op
            .parallel_group
            .map_or_else(|| "-".to_owned(), |g| format!("group {g}"));
        out.push_str(&format!(
            "  {:>2}. {:<width$}  {:<18} {:<8} {:>7}  {}\n",
            n + 1,
            op.id,
            op.template,
            group,
            crate::base::text::duration(std::time::Duration::from_secs(op.expected_seconds)),
            op.name,
        ));
        if !op.items.is_empty() {
            out.push_str(&format!(
                "        {}, items: {}\n",
                crate::base::text::plural(op.items.len(), "instance"),
                op.items.join(" ")
            ));
        }
        if let Some(when) = &op.when {
            out.push_str(&format!("        when: {when}\n"));
        }
    }
}

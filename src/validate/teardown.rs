//! Checks of `teardown:`: teardown operations require only teardown operations, ordinary ones
//! never require a teardown operation, no operation is listed both ways, and the module ids that
//! name run targets (`all`, `destroy`) are not taken.

use crate::base::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::base::span::Span;
use crate::model::deployment::Deployment;
use crate::model::module::DESTROY_TARGET;

/// Module ids that would be read as a run target.
const RESERVED_MODULE_IDS: &[&str] = &["all", DESTROY_TARGET];

/// Runs every teardown check.
pub fn check(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    reserved_module_ids(deployment, diagnostics);
    listed_both_ways(deployment, diagnostics);
    requirements_across(deployment, diagnostics);
}

fn at(file: usize, span: Span) -> Location {
    Location {
        file,
        span: Some(span),
    }
}

fn reserved_module_ids(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    for module in &deployment.modules {
        if RESERVED_MODULE_IDS.contains(&module.id.value.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    "reserved-module-id",
                    at(module.file, module.id.span),
                    format!(
                        "module id `{}` is reserved: `run all` and `destroy` name it",
                        module.id.value
                    ),
                )
                .with_help("choose another id, e.g. `00-resource-group`"),
            );
        }
    }
}

fn listed_both_ways(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    for module in &deployment.modules {
        for entry in &module.teardown {
            if let Some(first) = module.entries.iter().find(|e| e.id.value == entry.id.value) {
                diagnostics.push(
                    Diagnostic::error(
                        "teardown-also-operation",
                        at(module.file, entry.id.span),
                        format!(
                            "`{}` is listed under both `operations:` and `teardown:`",
                            entry.id.value
                        ),
                    )
                    .with_label(
                        at(module.file, first.id.span),
                        "listed as an operation here",
                    )
                    .with_help("a teardown operation runs only in `destroy`: list it once"),
                );
            }
        }
    }
}

/// `requires` never crosses between teardown and ordinary operations: `run` never runs a
/// teardown operation, and `destroy` runs nothing else, so such a requirement never holds.
fn requirements_across(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    let teardown_ops: std::collections::HashSet<usize> = deployment
        .modules
        .iter()
        .flat_map(|m| &m.teardown)
        .filter_map(|entry| entry.operation)
        .collect();
    for (index, op) in deployment.operations.iter().enumerate() {
        let teardown = teardown_ops.contains(&index);
        for requirement in &op.requires {
            let Some(target) = deployment.operation_index(&requirement.operation.value) else {
                continue;
            };
            if teardown_ops.contains(&target) == teardown {
                continue;
            }
            let (message, help) = if teardown {
                (
                    format!(
                        "teardown operation `{}` requires `{}`, which is not a teardown operation",
                        op.id.value, requirement.operation.value
                    ),
                    "teardown operations may require only other teardown operations",
                )
            } else {
                (
                    format!(
                        "`{}` requires teardown operation `{}`, which only `destroy` runs",
                        op.id.value, requirement.operation.value
                    ),
                    "require an ordinary operation, or move this one under `teardown:`",
                )
            };
            diagnostics.push(
                Diagnostic::error(
                    "teardown-requirement",
                    at(op.file, requirement.operation.span),
                    message,
                )
                .with_help(help),
            );
        }
    }
}

//! Checks of `for_each:` and `when:`: the items can be computed (a bounded count, safe and
//! distinct names), and `{{AVD_ITEM}}` is only used where there is an item.

use crate::base::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::base::span::Span;
use crate::model::deployment::Deployment;
use crate::model::instances::{ForEach, ForEachError, ITEM_VARIABLE, MAX_ITEMS};
use crate::model::operation::Operation;
use crate::model::variables::Placeholder;

/// Every `for_each` of the deployment yields between 1 and [`MAX_ITEMS`] usable items.
pub fn for_each_items(deployment: &Deployment, diagnostics: &mut Diagnostics) {
    for op in &deployment.operations {
        let Some(for_each) = op.for_each() else {
            continue;
        };
        // Unknown variables are reported by the placeholder check, once.
        match for_each.items(&deployment.variables) {
            Ok(_) | Err(ForEachError::Render(_)) => {}
            Err(error) => diagnostics.push(
                Diagnostic::error(
                    "invalid-for-each",
                    at(op, for_each.text().span),
                    error.to_string(),
                )
                .with_help(help(for_each)),
            ),
        }
    }
}

fn help(for_each: &ForEach) -> String {
    match for_each {
        ForEach::Count(_) => format!(
            "`count` renders to a whole number from 1 to {MAX_ITEMS}, e.g. `for_each: {{ count: \"{{{{SESSION_HOSTS_COUNT}}}}\" }}`"
        ),
        ForEach::Items(_) => format!(
            "the value renders to at most {MAX_ITEMS} distinct names separated by spaces, each of letters, digits, `.`, `_` and `-`"
        ),
    }
}

/// Whether `placeholder` in a text of `op` is `{{AVD_ITEM}}`: accepted in an operation with
/// `for_each`, otherwise a finding at `span()` (there is no item to substitute).
pub fn item_placeholder(
    op: &Operation,
    placeholder: &Placeholder,
    span: impl FnOnce() -> Span,
    diagnostics: &mut Diagnostics,
) -> bool {
    if placeholder.name != ITEM_VARIABLE {
        return false;
    }
    if op.for_each().is_none() {
        diagnostics.push(
            Diagnostic::error(
                "item-without-for-each",
                at(op, span()),
                format!("`{{{{{ITEM_VARIABLE}}}}}` is only set in operations with `for_each:`"),
            )
            .with_help("add `for_each:` to the operation, or use a config variable"),
        );
    }
    true
}

fn at(op: &Operation, span: Span) -> Location {
    Location {
        file: op.file,
        span: Some(span),
    }
}

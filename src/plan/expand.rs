//! Expands operations into the instances the plan holds: one per `for_each` item, and resolves
//! `requires` to instance ids (item to item when both sides share the same `for_each`).

use crate::model::deployment::Deployment;
use crate::model::instances::{self, ForEachError};
use crate::model::operation::Operation;
use crate::model::variables::Destination;

/// One instance of an operation: its id and item (`None` without `for_each`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Instance {
    /// `<id>` or `<id>@<item>`.
    pub id: String,
    /// The item, for `AVD_ITEM`.
    pub item: Option<String>,
}

/// The instances of `op`, in item order.
pub(crate) fn instances(
    deployment: &Deployment,
    op: &Operation,
) -> Result<Vec<Instance>, ForEachError> {
    let Some(for_each) = op.for_each() else {
        return Ok(vec![Instance {
            id: op.id.value.to_string(),
            item: None,
        }]);
    };
    Ok(for_each
        .items(&deployment.variables)?
        .into_iter()
        .map(|item| Instance {
            id: instances::instance_id(&op.id.value, &item),
            item: Some(item),
        })
        .collect())
}

/// The instance ids that must be completed before instance `item` of `op` starts (optional
/// requirements excluded): `X@item` when `X` has the same `for_each` as `op`, every instance
/// of `X` when it has another, `X` itself when it has none. Unknown ids stay as written
/// (validation reports them).
pub(crate) fn required_ids(
    deployment: &Deployment,
    op: &Operation,
    item: Option<&str>,
) -> Vec<String> {
    let mut ids = Vec::new();
    for requirement in op.requires.iter().filter(|r| !r.optional) {
        let name = requirement.operation.value.as_str();
        let Some(required) = deployment.operation(name) else {
            ids.push(name.to_owned());
            continue;
        };
        match (required.for_each(), item) {
            (None, _) => ids.push(name.to_owned()),
            (Some(theirs), Some(item))
                if op.for_each().is_some_and(|ours| ours.same_as(theirs)) =>
            {
                ids.push(instances::instance_id(name, item));
            }
            (Some(_), _) => match instances(deployment, required) {
                Ok(all) => ids.extend(all.into_iter().map(|i| i.id)),
                Err(_) => ids.push(name.to_owned()),
            },
        }
    }
    ids
}

/// Whether the operation's `when:` is false with the deployment's variables (before any run:
/// outputs are not known). An unrenderable condition counts as true: it is decided at start.
pub(crate) fn skipped_by_when(deployment: &Deployment, op: &Operation) -> bool {
    op.when().is_some_and(|when| {
        deployment
            .variables
            .render(&when.value, Destination::Value)
            .is_ok_and(|rendered| !instances::when_holds(&rendered))
    })
}

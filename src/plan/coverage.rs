//! Which planned operations a simulated Azure cannot run: those whose script it cannot serve
//! (a CLI extension it has not got, say), and those that require one of them.

use std::collections::BTreeMap;

use crate::model::deployment::Deployment;
use crate::model::instances;
use crate::model::operation::Action;
use crate::plan::graph::Plan;

/// The operations of `plan` that cannot run, each with why: `uncovered` judges a bash script
/// (`None`: it can run); an operation requiring one that cannot run cannot run either.
pub(crate) fn not_covered(
    deployment: &Deployment,
    plan: &Plan,
    uncovered: &dyn Fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for op in &plan.ops {
        if let Action::Bash { command } = &deployment.operations[op.index].action
            && let Some(reason) = uncovered(&command.value)
        {
            out.insert(op.id.clone(), reason);
        }
    }
    // Requirements point backwards in plan order, but a fixed point does not depend on it.
    loop {
        let mut grew = false;
        for op in &plan.ops {
            if out.contains_key(&op.id) {
                continue;
            }
            let missing = op.requires.iter().find(|required| {
                out.keys().any(|id| {
                    id == *required || instances::split_instance(id).0 == required.as_str()
                })
            });
            if let Some(required) = missing {
                let reason = format!("requires {required}, which this mode does not cover");
                out.insert(op.id.clone(), reason);
                grew = true;
            }
        }
        if !grew {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::deployment::{self, Loaded};
    use crate::plan::graph::{self, Target};
    use std::path::Path;

    fn operation(id: &str, requires: &str, command: &str) -> String {
        format!(
            "operation:\n  id: \"{id}\"\n  requires: [{requires}]\n  duration: {{ expected: 1, \
             timeout: 30, type: FAST }}\n  template:\n    type: \"bash-script\"\n    command: \"{command}\"\n"
        )
    }

    /// `ext` calls `az ext show`; `after` requires it; `other` and `later` are plain.
    fn deployment(dir: &Path) -> Deployment {
        let files = [
            ("config.yaml", "app:\n  name: \"demo\"\n".to_owned()),
            (
                "modules/m/module.yaml",
                "module:\n  id: \"m\"\n  operations:\n    - id: \"ext\"\n    - id: \"other\"\n    \
                 - id: \"after\"\n    - id: \"later\"\n"
                    .to_owned(),
            ),
            (
                "modules/m/operations/ext.yaml",
                operation("ext", "", "az ext show"),
            ),
            (
                "modules/m/operations/other.yaml",
                operation("other", "", "true"),
            ),
            (
                "modules/m/operations/after.yaml",
                operation("after", "\\\"ext\\\"", "true"),
            ),
            (
                "modules/m/operations/later.yaml",
                operation("later", "\\\"after\\\"", "true"),
            ),
        ];
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text.replace("\\\"", "\"")).unwrap();
        }
        let Loaded {
            deployment,
            diagnostics,
        } = deployment::load(dir, Path::new("config.yaml"), &|_| None).unwrap();
        assert!(!diagnostics.has_errors(), "{:?}", diagnostics.items());
        deployment
    }

    #[test]
    fn a_script_it_cannot_serve_and_what_requires_it_are_not_covered() {
        let dir = tempfile::tempdir().unwrap();
        let deployment = deployment(dir.path());
        let plan = graph::build(&deployment, &Target::parse("m", None)).unwrap();
        let judge = |script: &str| script.contains("az ext").then(|| "needs ext".to_owned());
        let out = not_covered(&deployment, &plan, &judge);
        assert_eq!(
            out.into_iter().collect::<Vec<_>>(),
            [
                (
                    "after".to_owned(),
                    "requires ext, which this mode does not cover".to_owned()
                ),
                ("ext".to_owned(), "needs ext".to_owned()),
                (
                    "later".to_owned(),
                    "requires after, which this mode does not cover".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn everything_is_covered_when_the_judge_accepts_every_script() {
        let dir = tempfile::tempdir().unwrap();
        let deployment = deployment(dir.path());
        let plan = graph::build(&deployment, &Target::parse("m", None)).unwrap();
        assert!(not_covered(&deployment, &plan, &|_| None).is_empty());
    }
}

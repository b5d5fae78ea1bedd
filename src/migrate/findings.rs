//! What `migrate` reports and leaves to the user: operations no module lists, requirements that
//! can never be met, values passed between operations through `/tmp` files, and config values
//! a script reads with `yq` that a variable already holds.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::model::deployment::Deployment;
use crate::model::operation::{Action, Operation};
use crate::model::variables::path_name;

/// Something to review by hand, at a place in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    /// The file, relative to the deployment folder.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

impl Finding {
    /// A finding at byte `offset` of `op`'s file.
    pub(crate) fn in_operation(
        deployment: &Deployment,
        op: &Operation,
        offset: usize,
        message: String,
        help: String,
    ) -> Self {
        let source = deployment.sources.get(op.file);
        let (line, col) = line_col(source.text(), offset);
        Self {
            file: source.path.to_path_buf(),
            line,
            col,
            message,
            help,
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// Every finding of these kinds in `deployment`.
pub(crate) fn collect(deployment: &Deployment) -> Vec<Finding> {
    let listed = listed(deployment);
    let mut out = Vec::new();
    for (index, op) in deployment.operations.iter().enumerate() {
        if !listed[index] {
            out.push(Finding::in_operation(
                deployment,
                op,
                op.id.span.start.offset(),
                format!("operation `{}` is in no module's list: it never runs", op.id.value),
                format!(
                    "add `- id: \"{}\"` to `module.operations` of {}'s module.yaml where it belongs in the order, or delete the file",
                    op.id.value, op.module
                ),
            ));
        }
        requirements(deployment, op, &listed, &mut out);
        yq_reads(deployment, op, &mut out);
    }
    tmp_handoffs(deployment, &mut out);
    out
}

fn listed(deployment: &Deployment) -> Vec<bool> {
    let mut listed = vec![false; deployment.operations.len()];
    for module in &deployment.modules {
        for entry in module.entries.iter().chain(&module.teardown) {
            if let Some(index) = entry.operation {
                listed[index] = true;
            }
        }
    }
    listed
}

fn requirements(deployment: &Deployment, op: &Operation, listed: &[bool], out: &mut Vec<Finding>) {
    for requirement in op.requires.iter().filter(|r| !r.optional) {
        let name = requirement.operation.value.as_str();
        let at = requirement.operation.span.start.offset();
        let index = deployment
            .operations
            .iter()
            .position(|o| o.id.value == name);
        let (message, help) = match index {
            None => (
                format!(
                    "`{}` requires `{name}`, which no operation file defines: it can never be met",
                    op.id.value
                ),
                "fix the id, mark it `optional: true`, or drop the requirement".to_owned(),
            ),
            Some(index) if !listed[index] => (
                format!(
                    "`{}` requires `{name}`, which no module lists: `run all` never runs it, so the requirement is never met",
                    op.id.value
                ),
                format!(
                    "list `{name}` in {}'s module.yaml (or drop the requirement)",
                    deployment.operations[index].module
                ),
            ),
            Some(_) => continue,
        };
        out.push(Finding::in_operation(deployment, op, at, message, help));
    }
}

/// The `/tmp/...` paths a bash operation's script names, with their offsets in the file.
fn tmp_paths(deployment: &Deployment, op: &Operation) -> Vec<(String, usize)> {
    let Action::Bash { command } = &op.action else {
        return Vec::new();
    };
    let text = deployment.sources.get(op.file).text();
    let range = command.span.range();
    let Some(body) = text.get(range.clone()) else {
        return Vec::new();
    };
    body.match_indices("/tmp/")
        .filter(|(i, _)| *i == 0 || !body.as_bytes()[i - 1].is_ascii_alphanumeric())
        .map(|(i, _)| {
            let path: String = body[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
                .collect();
            (path, range.start + i)
        })
        .filter(|(path, _)| path.len() > "/tmp/".len())
        .collect()
}

fn tmp_handoffs(deployment: &Deployment, out: &mut Vec<Finding>) {
    let mut users: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for (index, op) in deployment.operations.iter().enumerate() {
        for (path, offset) in tmp_paths(deployment, op) {
            let list = users.entry(path).or_default();
            if !list.iter().any(|(i, _)| *i == index) {
                list.push((index, offset));
            }
        }
    }
    for (path, list) in users.into_iter().filter(|(_, list)| list.len() > 1) {
        let ops: Vec<&str> = list
            .iter()
            .map(|(i, _)| deployment.operations[*i].id.value.as_str())
            .collect();
        let (reader, offset) = list[1];
        let file = path.trim_start_matches("/tmp/");
        let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
        let name = path_name(&[stem.rsplit('/').next().unwrap_or(stem)]);
        out.push(Finding::in_operation(
            deployment,
            &deployment.operations[reader],
            offset,
            format!(
                "{} pass a value through `{path}`: the file is not kept in state, so `resume` on another machine or after a reboot finds nothing",
                crate::base::text::code_list(&ops)
            ),
            format!(
                "in `{}` print `echo \"[OUTPUT] {name}=$value\"`, and read `\"${name}\"` in the others",
                ops[0]
            ),
        ));
    }
}

/// `yq e '.a.b' config.yaml` reads in a bash script whose value is a variable already.
fn yq_reads(deployment: &Deployment, op: &Operation, out: &mut Vec<Finding>) {
    let Action::Bash { command } = &op.action else {
        return;
    };
    let text = deployment.sources.get(op.file).text();
    let range = command.span.range();
    let Some(body) = text.get(range.clone()) else {
        return;
    };
    for (i, _) in body.match_indices("yq ") {
        let line = body[i..].lines().next().unwrap_or("");
        let Some(path) = line
            .split(['\'', '"'])
            .find(|part| part.starts_with('.') && part.len() > 1)
        else {
            continue;
        };
        if !line.contains("config.yaml") {
            continue;
        }
        let segments: Vec<&str> = path[1..]
            .split(['.', '[', ']'])
            .filter(|s| !s.is_empty())
            .collect();
        let name = path_name(&segments);
        if deployment.variables.get(&name).is_some() {
            out.push(Finding::in_operation(
                deployment,
                op,
                range.start + i,
                format!("`{}` reads `{path}` from config.yaml with yq", op.id.value),
                format!(
                    "it works (the working directory is the deployment folder), but `\"${name}\"` already holds the value, also with `--config` or an environment override"
                ),
            ));
        }
    }
}

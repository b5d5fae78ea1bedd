//! What an operation reads, as a [`Fingerprint`]: its template type, its script rendered with
//! the variables known when it starts, the local files that script sends, and the value of
//! every variable it reads (the `{{NAME}}` it substitutes, and the deployment variables its
//! bash names).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::base::fingerprint_key::FingerprintKey;
use crate::exec::launcher::powershell;
use crate::model::fingerprint::Fingerprint;
use crate::model::operation::{Action, Operation, RunCommandMode};
use crate::model::variables::{self, Destination, Origin, Variables};
use crate::plan::graph::PlannedOperation;

/// Files larger than this are fingerprinted by size and modification time, not content.
const MAX_HASHED_FILE_BYTES: u64 = 16 << 20;

/// At most this many local files of one script are fingerprinted.
const MAX_SENT_FILES: usize = 64;

/// Computes fingerprints for the operations of one deployment.
#[derive(Clone, Debug)]
pub(crate) struct Fingerprinter {
    key: FingerprintKey,
    root: PathBuf,
    /// Secret outputs of earlier runs, whose values state keeps only as `***`: name to the
    /// operation that published it.
    secret_outputs: BTreeMap<String, String>,
}

impl Fingerprinter {
    /// A fingerprinter keyed with `key` for the deployment folder `root`; `secret_outputs`
    /// names the secret outputs state knows (name to publishing operation).
    pub(crate) fn new(
        key: FingerprintKey,
        root: &Path,
        secret_outputs: BTreeMap<String, String>,
    ) -> Self {
        Self {
            key,
            root: root.to_owned(),
            secret_outputs,
        }
    }

    /// The fingerprint of `planned` if it started now with `vars`.
    pub(crate) fn fingerprint(
        &self,
        op: &Operation,
        planned: &PlannedOperation,
        vars: &Variables,
    ) -> Fingerprint {
        let vars = vars.for_item(planned.item.as_deref());
        let (script, files) = match &op.action {
            Action::Bash { command } => {
                let rendered = vars
                    .render(command, Destination::Script)
                    .unwrap_or_else(|_| command.value.clone());
                let files = self.sent_files(&rendered);
                (self.key.hash(&[b"bash", rendered.as_bytes()]), files)
            }
            Action::RunCommand(rc) => {
                let value = |text: &str| {
                    vars.render(text, Destination::Value)
                        .unwrap_or_else(|_| text.to_owned())
                };
                let script = powershell(&rc.script, &vars).unwrap_or_default();
                let mode = match rc.mode {
                    RunCommandMode::Invoke => "invoke",
                    RunCommandMode::Managed => "managed",
                };
                let hash = self.key.hash(&[
                    b"run-command",
                    mode.as_bytes(),
                    value(&rc.vm).as_bytes(),
                    value(&rc.resource_group).as_bytes(),
                    script.as_bytes(),
                ]);
                (hash, BTreeMap::new())
            }
        };
        // What the operation publishes itself is its result, not an input.
        let own = |name: &str| {
            op.outputs.iter().any(|output| output == name)
                || vars
                    .get(name)
                    .is_some_and(|var| var.origin == Origin::Output(planned.id.clone()))
        };
        let variables = read_names(op, &vars, &self.secret_outputs)
            .into_iter()
            .filter(|name| !own(name))
            .filter_map(|name| {
                let hash = self.variable_hash(&name, &vars)?;
                Some((name, hash))
            })
            .collect();
        Fingerprint {
            template: op.template.as_str().to_owned(),
            script,
            files,
            variables,
        }
    }

    /// The keyed hash of a variable's value. A secret output is known only by who published
    /// it: state never keeps its value, so later runs could not compare it.
    fn variable_hash(&self, name: &str, vars: &Variables) -> Option<String> {
        match vars.get(name) {
            Some(var) if var.secret && matches!(var.origin, Origin::Output(_)) => {
                let Origin::Output(publisher) = &var.origin else {
                    return None;
                };
                Some(self.secret_output_hash(name, publisher))
            }
            Some(var) => Some(
                self.key
                    .hash(&[b"value", name.as_bytes(), var.value.as_bytes()]),
            ),
            None => self
                .secret_outputs
                .get(name)
                .map(|publisher| self.secret_output_hash(name, publisher)),
        }
    }

    fn secret_output_hash(&self, name: &str, publisher: &str) -> String {
        self.key
            .hash(&[b"secret output", name.as_bytes(), publisher.as_bytes()])
    }

    /// The local files a bash script names (`--template-file main.bicep`, `@params.json`):
    /// every word that is a relative path to a regular file inside the deployment folder.
    fn sent_files(&self, script: &str) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        for word in script
            .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '=' | ',' | ';'))
            .map(|word| word.trim_start_matches('@').trim_start_matches("file://"))
        {
            if files.len() >= MAX_SENT_FILES {
                break;
            }
            if files.contains_key(word) || !is_local_path(word) {
                continue;
            }
            if let Some(hash) = self.file_hash(&self.root.join(word)) {
                files.insert(word.to_owned(), hash);
            }
        }
        files
    }

    fn file_hash(&self, path: &Path) -> Option<String> {
        let meta = std::fs::metadata(path)
            .ok()
            .filter(std::fs::Metadata::is_file)?;
        if meta.len() > MAX_HASHED_FILE_BYTES {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            let stamp = format!("{}:{modified}", meta.len());
            return Some(self.key.hash(&[b"large file", stamp.as_bytes()]));
        }
        let contents = std::fs::read(path).ok()?;
        Some(self.key.hash(&[b"file", &contents]))
    }
}

/// Whether `word` may name a file of the deployment: relative, without `..` or variables,
/// with a dot or a slash (so that plain words are not looked up).
fn is_local_path(word: &str) -> bool {
    !word.is_empty()
        && (word.contains('.') || word.contains('/'))
        && !word.contains(['$', '{', '}', '(', ')', '`', '*', '?'])
        && Path::new(word)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// The names of the variables `op` reads: every `{{NAME}}` in its texts, and every variable or
/// secret output named in its bash or run-command target.
pub(crate) fn read_names(
    op: &Operation,
    vars: &Variables,
    secret_outputs: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let mut texts: Vec<&str> = op.locks.iter().map(|l| l.value.as_str()).collect();
    texts.extend(op.when().map(|w| w.value.as_str()));
    texts.extend(
        op.script_texts()
            .iter()
            .map(|(text, _)| text.value.as_str()),
    );
    let mut shell: Vec<&str> = Vec::new();
    match &op.action {
        Action::Bash { command } => shell.push(command),
        Action::RunCommand(rc) => {
            shell.extend([rc.vm.value.as_str(), rc.resource_group.value.as_str()]);
            if let crate::model::operation::PowerShell::Content { content, .. } = &rc.script {
                texts.push(content);
            }
        }
    }
    texts.extend(shell.iter().copied());
    let mut names: BTreeSet<String> = texts
        .iter()
        .flat_map(|text| variables::placeholders(text))
        .map(|placeholder| placeholder.name)
        .collect();
    let known = |name: &str| vars.get(name).is_some() || secret_outputs.contains_key(name);
    names.extend(
        shell
            .iter()
            .flat_map(|script| script_names(script))
            .filter(|name| known(name)),
    );
    names.retain(|name| known(name));
    names
}

/// The identifiers a script's text holds (words of letters, digits and `_`): a superset of the
/// variables its bash reads, so that no variable it reads escapes the fingerprint.
fn script_names(script: &str) -> BTreeSet<String> {
    script
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| variables::is_name(word))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_relative_plain_files() {
        for yes in ["main.bicep", "templates/main.json", "./x.ps1"] {
            assert!(is_local_path(yes), "{yes}");
        }
        for no in [
            "",
            "/etc/passwd",
            "../up.json",
            "$FILE.json",
            "group",
            "a/*.json",
        ] {
            assert!(!is_local_path(no), "{no}");
        }
    }

    #[test]
    fn script_names_are_identifiers() {
        let names = script_names("az group create -n \"$AZURE_RG\" ${LOC:-x} 2nd");
        assert!(names.contains("AZURE_RG") && names.contains("LOC") && names.contains("az"));
        assert!(!names.contains("2nd"));
    }
}

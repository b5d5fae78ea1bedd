//! Typed access to a spanned YAML tree that records a diagnostic for every problem (unknown key
//! with a suggestion, wrong type, missing field) and keeps going.

use crate::base::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::base::source::FileId;
use crate::base::span::Spanned;
use crate::load::node::{Node, NodeKind};

/// Decodes nodes of one file, pushing findings into `diagnostics`.
pub struct Decoder<'d> {
    /// The file being decoded.
    pub file: FileId,
    /// Where findings go.
    pub diagnostics: &'d mut Diagnostics,
}

/// The entries of a mapping whose keys were checked against the known ones.
#[derive(Clone, Copy)]
pub struct Fields<'n> {
    node: &'n Node,
}

impl<'n> Fields<'n> {
    /// The value under `key`; a null value counts as absent.
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.node.get(key).filter(|value| !value.is_null())
    }

    /// The mapping node itself.
    pub fn node(&self) -> &'n Node {
        self.node
    }
}

impl Decoder<'_> {
    /// Where `node` is.
    pub fn at(&self, node: &Node) -> Location {
        Location {
            file: self.file,
            span: Some(node.span),
        }
    }

    /// Where `span` is in the file being decoded.
    pub fn at_span(&self, span: crate::base::span::Span) -> Location {
        Location {
            file: self.file,
            span: Some(span),
        }
    }

    /// Records an error at `node` with a hint on how to fix it.
    pub fn error(
        &mut self,
        code: &'static str,
        node: &Node,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let diagnostic = Diagnostic::error(code, self.at(node), message).with_help(help);
        self.diagnostics.push(diagnostic);
    }

    /// Records a finding.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Checks that `node` is a mapping whose keys are all in `known`; `what` names it in messages.
    pub fn fields<'n>(&mut self, node: &'n Node, what: &str, known: &[&str]) -> Option<Fields<'n>> {
        let NodeKind::Map(entries) = &node.kind else {
            self.error(
                "wrong-type",
                node,
                format!("{what} must be a mapping, found {}", node.type_name()),
                "write it as `key: value` lines indented under its name",
            );
            return None;
        };
        for (index, (key, _)) in entries.iter().enumerate() {
            let Some(name) = key.as_str() else {
                self.error(
                    "wrong-type",
                    key,
                    format!("keys of {what} must be strings"),
                    "keys are plain names such as `id` or `duration`",
                );
                continue;
            };
            if entries[..index]
                .iter()
                .any(|(k, _)| k.as_str() == Some(name))
            {
                self.error(
                    "duplicate-key",
                    key,
                    format!("`{name}` appears twice in {what}"),
                    "remove one of them: YAML would silently keep only the last",
                );
            } else if !known.contains(&name) {
                self.unknown_key(key, name, what, known);
            }
        }
        Some(Fields { node })
    }

    fn unknown_key(&mut self, key: &Node, name: &str, what: &str, known: &[&str]) {
        let mut diagnostic = Diagnostic::error(
            "unknown-key",
            self.at(key),
            format!("unknown key `{name}` in {what}"),
        );
        diagnostic.help = Some(
            match crate::base::text::closest(name, known.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("known keys: {}", known.join(", ")),
            },
        );
        self.push(diagnostic);
    }

    /// Records that `key` is missing from `fields`.
    pub fn missing(&mut self, fields: Fields<'_>, key: &str, what: &str) {
        self.error(
            "missing-field",
            fields.node(),
            format!("{what} has no `{key}`"),
            missing_help(key, what),
        );
    }

    /// A scalar as a string (numbers and booleans keep their text).
    pub fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        match node.as_str() {
            Some(text) => Some(Spanned::new(text.to_owned(), node.span)),
            None => {
                self.error(
                    "wrong-type",
                    node,
                    format!("{what} must be a string, found {}", node.type_name()),
                    "write a single value, quoted when it holds special characters",
                );
                None
            }
        }
    }

    /// The string under `key`, if present.
    pub fn opt_string(
        &mut self,
        fields: Fields<'_>,
        key: &str,
        what: &str,
    ) -> Option<Spanned<String>> {
        let node = fields.get(key)?;
        self.string(node, &format!("{what}.{key}"))
    }

    /// The string under `key`; a finding when it is missing.
    pub fn req_string(
        &mut self,
        fields: Fields<'_>,
        key: &str,
        what: &str,
    ) -> Option<Spanned<String>> {
        if fields.get(key).is_none() {
            self.missing(fields, key, what);
            return None;
        }
        self.opt_string(fields, key, what)
    }

    /// A whole number; negative values are findings (durations, counts, groups).
    pub fn number(&mut self, node: &Node, what: &str) -> Option<Spanned<i64>> {
        let parsed = node.as_str().and_then(|text| {
            text.parse::<i64>().ok().or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0)
                    .map(|f| f as i64)
            })
        });
        if parsed.is_none() {
            self.error(
                "wrong-type",
                node,
                format!("{what} must be a whole number, found `{}`", describe(node)),
                "write digits only, e.g. `60`",
            );
        }
        parsed.map(|value| Spanned::new(value, node.span))
    }

    /// The number under `key`, if present.
    pub fn opt_number(
        &mut self,
        fields: Fields<'_>,
        key: &str,
        what: &str,
    ) -> Option<Spanned<i64>> {
        let node = fields.get(key)?;
        self.number(node, &format!("{what}.{key}"))
    }

    /// One of the named `choices` under `key`; `default` when absent, and a finding naming the
    /// choices when the value is none of them.
    pub fn choice<T: Copy>(
        &mut self,
        fields: Fields<'_>,
        key: &str,
        what: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> T {
        let Some(value) = self.opt_string(fields, key, what) else {
            return default;
        };
        if let Some((_, choice)) = choices.iter().find(|(name, _)| *name == value.value) {
            return *choice;
        }
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        self.push(
            Diagnostic::error(
                "unknown-choice",
                self.at_span(value.span),
                format!("unknown {what}.{key} `{}`", value.value),
            )
            .with_help(format!(
                "use one of {}",
                crate::base::text::code_list(&names)
            )),
        );
        default
    }

    /// The boolean under `key`, if present.
    pub fn opt_bool(&mut self, fields: Fields<'_>, key: &str, what: &str) -> Option<bool> {
        let node = fields.get(key)?;
        match node.as_str() {
            Some("true" | "True" | "TRUE" | "yes") => Some(true),
            Some("false" | "False" | "FALSE" | "no") => Some(false),
            _ => {
                self.error(
                    "wrong-type",
                    node,
                    format!(
                        "{what}.{key} must be true or false, found `{}`",
                        describe(node)
                    ),
                    "write `true` or `false`",
                );
                None
            }
        }
    }

    /// The items of a list; a single scalar counts as a list of one.
    pub fn list<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
        match &node.kind {
            NodeKind::Seq(items) => items,
            NodeKind::Scalar { .. } => std::slice::from_ref(node),
            NodeKind::Null => &[],
            NodeKind::Map(_) => {
                self.error(
                    "wrong-type",
                    node,
                    format!("{what} must be a list, found a mapping"),
                    "write a list: `[a, b]`, or one `- item` per line",
                );
                &[]
            }
        }
    }

    /// The strings of the list under `key` (absent: empty).
    pub fn string_list(
        &mut self,
        fields: Fields<'_>,
        key: &str,
        what: &str,
    ) -> Vec<Spanned<String>> {
        let Some(node) = fields.get(key) else {
            return Vec::new();
        };
        let what = format!("{what}.{key}");
        self.list(node, &what)
            .iter()
            .filter_map(|item| self.string(item, &what))
            .collect()
    }
}

/// How to add a missing field, with the forms the bash engine's files use.
fn missing_help(key: &str, what: &str) -> String {
    match key {
        "command" => "bash operations (azure-cli-bash, az-cli, bash-script) need `template.command: |` followed by the script".to_owned(),
        "id" => format!("add `id: \"...\"` to {what}: ids name it in `requires`, `dependencies` and on the command line"),
        "template" => "add `template:` with `type:` (azure-cli-bash, az-cli, bash-script or az-vm-run-command) and `command:`".to_owned(),
        _ => format!("add `{key}:` to {what}"),
    }
}

/// A node's text for messages.
fn describe(node: &Node) -> String {
    node.as_str()
        .map_or_else(|| node.type_name().to_owned(), str::to_owned)
}

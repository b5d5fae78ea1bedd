//! A YAML document as a tree whose every node knows its span.

use crate::base::span::Span;

/// What a YAML node holds.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A mapping, keys in written order.
    Map(Vec<(Node, Node)>),
    /// An explicit or implicit null (`~`, `null`, or nothing).
    Null,
    /// A scalar's text; `plain` is false when it was quoted or a block scalar.
    Scalar {
        /// The scalar's value.
        text: String,
        /// Whether it was written without quotes (so `12` is a number, `true` a boolean).
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
}

/// A YAML node and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The node's content.
    pub kind: NodeKind,
    /// Where the node was written.
    pub span: Span,
}

impl Node {
    /// The scalar's text, if this is a scalar (null is not).
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The value under `key`, if this is a mapping holding it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether the node is null.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// A short name of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Map(_) => "a mapping",
            NodeKind::Null => "null",
            NodeKind::Scalar { .. } => "a scalar",
            NodeKind::Seq(_) => "a list",
        }
    }
}

//! Parses YAML text into a spanned [`Node`] tree with the saphyr event parser.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::base::source::Source;
use crate::base::span::Span;
use crate::load::node::{Node, NodeKind};

/// A YAML syntax error and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What the parser said.
    pub message: String,
    /// Where it stopped.
    pub span: Span,
}

/// The most nodes aliases may add to a document by repeating anchored ones: far above what a
/// deployment needs, far below what exhausts memory (a "billion laughs" document expands to
/// 10^9 nodes from a few hundred bytes).
pub const MAX_ALIAS_NODES: usize = 100_000;

/// The deepest nesting of lists and mappings a document may have.
pub const MAX_DEPTH: usize = 128;

/// Parses the first document of `source`; an empty file is a null node. Aliases may add at most
/// [`MAX_ALIAS_NODES`] nodes and nesting may go [`MAX_DEPTH`] levels deep.
pub fn parse(source: &Source) -> Result<Node, SyntaxError> {
    let mut builder = Builder {
        source,
        parser: Parser::new_from_str(source.text()),
        anchors: HashMap::new(),
        nodes: 0,
        alias_nodes: 0,
        depth: 0,
    };
    builder.document()
}

struct Builder<'a> {
    source: &'a Source,
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    /// Each anchored node, with the number of nodes it holds.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes built so far, aliases counted with every node they repeat.
    nodes: usize,
    /// Nodes added by aliases so far.
    alias_nodes: usize,
    /// Lists and mappings open around the current event.
    depth: usize,
}

impl<'a> Builder<'a> {
    fn document(&mut self) -> Result<Node, SyntaxError> {
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => {}
                Event::StreamEnd | Event::DocumentEnd => {
                    return Ok(Node {
                        kind: NodeKind::Null,
                        span,
                    });
                }
                event => return self.node(event, span),
            }
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node, SyntaxError> {
        let before = self.nodes;
        self.nodes += 1;
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, _) => (self.scalar(&text, style, span), anchor),
            Event::SequenceStart(anchor, _) => (self.nested(span, Self::sequence)?, anchor),
            Event::MappingStart(anchor, _) => (self.nested(span, Self::mapping)?, anchor),
            Event::Alias(id) => return self.alias(id, span),
            other => {
                return Err(SyntaxError {
                    message: format!("unexpected YAML event {other:?}"),
                    span,
                });
            }
        };
        if anchor != 0 {
            self.anchors
                .insert(anchor, (node.clone(), self.nodes - before));
        }
        Ok(node)
    }

    /// A copy of the anchored node `id`, unless the copies would pass [`MAX_ALIAS_NODES`].
    fn alias(&mut self, id: usize, span: Span) -> Result<Node, SyntaxError> {
        let (node, weight) = self.anchors.get(&id).ok_or_else(|| SyntaxError {
            message: "alias refers to an unknown anchor".into(),
            span,
        })?;
        self.alias_nodes = self.alias_nodes.saturating_add(*weight);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(SyntaxError {
                message: format!(
                    "aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?); repeat fewer or smaller anchored values"
                ),
                span,
            });
        }
        // The alias event itself was counted as one node; the copy holds `weight`.
        self.nodes = self.nodes - 1 + weight;
        Ok(Node {
            span,
            ..node.clone()
        })
    }

    /// Builds a list or mapping one level deeper, refusing to pass [`MAX_DEPTH`].
    fn nested(
        &mut self,
        span: Span,
        build: fn(&mut Self, Span) -> Result<Node, SyntaxError>,
    ) -> Result<Node, SyntaxError> {
        if self.depth >= MAX_DEPTH {
            return Err(SyntaxError {
                message: format!("lists and mappings nest deeper than {MAX_DEPTH} levels"),
                span,
            });
        }
        self.depth += 1;
        let node = build(self, span);
        self.depth -= 1;
        node
    }

    fn scalar(&self, text: &str, style: ScalarStyle, span: Span) -> Node {
        let plain = style == ScalarStyle::Plain;
        let kind = if plain && matches!(text, "" | "~" | "null" | "Null" | "NULL") {
            NodeKind::Null
        } else {
            NodeKind::Scalar {
                text: text.to_owned(),
                plain,
            }
        };
        Node { kind, span }
    }

    fn sequence(&mut self, start: Span) -> Result<Node, SyntaxError> {
        let mut items = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if event == Event::SequenceEnd {
                return Ok(Node {
                    kind: NodeKind::Seq(items),
                    span: start.to(span),
                });
            }
            items.push(self.node(event, span)?);
        }
    }

    fn mapping(&mut self, start: Span) -> Result<Node, SyntaxError> {
        let mut entries = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if event == Event::MappingEnd {
                return Ok(Node {
                    kind: NodeKind::Map(entries),
                    span: start.to(span),
                });
            }
            let key = self.node(event, span)?;
            let (event, span) = self.next()?;
            let value = self.node(event, span)?;
            entries.push((key, value));
        }
    }

    fn next(&mut self) -> Result<(Event<'a>, Span), SyntaxError> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => Ok((event, self.span(span))),
            Some(Err(error)) => Err(self.syntax_error(&error)),
            None => Err(SyntaxError {
                message: "unexpected end of input".into(),
                span: Span::at(self.source.end()),
            }),
        }
    }

    fn span(&self, span: saphyr_parser::Span) -> Span {
        Span::new(
            self.source.pos(span.start.line(), span.start.col()),
            self.source.pos(span.end.line(), span.end.col()),
        )
    }

    fn syntax_error(&self, error: &ScanError) -> SyntaxError {
        let pos = self.source.pos(error.marker().line(), error.marker().col());
        SyntaxError {
            message: error.info().to_owned(),
            span: Span::at(pos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Node, SyntaxError> {
        parse(&Source::new(std::path::Path::new("t.yaml"), text.into()))
    }

    #[test]
    fn builds_a_spanned_tree() {
        let node = parse_str("a:\n  b: [1, 'x']\n  c: ~\n").unwrap();
        let b = node.get("a").unwrap().get("b").unwrap();
        let NodeKind::Seq(items) = &b.kind else {
            panic!("not a list")
        };
        assert_eq!(items[1].as_str(), Some("x"));
        assert_eq!(items[0].span.start.line(), 2);
        assert_eq!(items[0].span.start.col(), 7);
        assert!(node.get("a").unwrap().get("c").unwrap().is_null());
    }

    #[test]
    fn reports_syntax_errors_with_a_position() {
        let err = parse_str("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.span.start.line() >= 2, "{err:?}");
    }

    #[test]
    fn an_alias_bomb_is_refused_at_the_alias_that_passes_the_bound() {
        let mut text = String::from(
            "a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
        );
        for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
        {
            let refs = vec![format!("*{prev}"); 9].join(", ");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let err = parse_str(&text).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err:?}");
        assert!(err.span.start.line() >= 5, "{err:?}");
    }

    #[test]
    fn aliases_within_the_bound_still_resolve() {
        let mut text = String::from("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n");
        for index in 0..1000 {
            text.push_str(&format!("k{index}: *a\n"));
        }
        let node = parse_str(&text).unwrap();
        let NodeKind::Seq(items) = &node.get("k999").unwrap().kind else {
            panic!("not a list")
        };
        assert_eq!(items.len(), 9);
    }

    #[test]
    fn deep_nesting_is_refused_without_exhausting_the_stack() {
        let nested = |depth: usize| -> String {
            (0..depth)
                .map(|level| format!("{}k{level}:\n", " ".repeat(level)))
                .chain([format!("{}v: 1\n", " ".repeat(depth))])
                .collect()
        };
        let err = parse_str(&nested(20_000)).unwrap_err();
        assert!(err.message.contains("nest deeper than 128"), "{err:?}");
        assert!(parse_str(&nested(100)).is_ok());
    }

    #[test]
    fn empty_input_is_null_and_aliases_resolve() {
        assert!(parse_str("").unwrap().is_null());
        let node = parse_str("a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(node.get("b").unwrap().get("k").unwrap().as_str(), Some("v"));
    }
}

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

/// Parses the first document of `source`; an empty file is a null node.
pub fn parse(source: &Source) -> Result<Node, SyntaxError> {
    let mut builder = Builder {
        source,
        parser: Parser::new_from_str(&source.text),
        anchors: HashMap::new(),
    };
    builder.document()
}

struct Builder<'a> {
    source: &'a Source,
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
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
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, _) => (self.scalar(&text, style, span), anchor),
            Event::SequenceStart(anchor, _) => (self.sequence(span)?, anchor),
            Event::MappingStart(anchor, _) => (self.mapping(span)?, anchor),
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or_else(|| SyntaxError {
                    message: "alias refers to an unknown anchor".into(),
                    span,
                })?;
                return Ok(Node { span, ..node });
            }
            other => {
                return Err(SyntaxError {
                    message: format!("unexpected YAML event {other:?}"),
                    span,
                });
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
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
                    span: join(start, span),
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
                    span: join(start, span),
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
                span: Span {
                    start: self.source.end(),
                    end: self.source.end(),
                },
            }),
        }
    }

    fn span(&self, span: saphyr_parser::Span) -> Span {
        Span {
            start: self.source.pos(span.start.line(), span.start.col()),
            end: self.source.pos(span.end.line(), span.end.col()),
        }
    }

    fn syntax_error(&self, error: &ScanError) -> SyntaxError {
        let pos = self.source.pos(error.marker().line(), error.marker().col());
        SyntaxError {
            message: error.info().to_owned(),
            span: Span {
                start: pos,
                end: pos,
            },
        }
    }
}

fn join(start: Span, end: Span) -> Span {
    Span {
        start: start.start,
        end: end.end.max(start.end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Node, SyntaxError> {
        parse(&Source::new("t.yaml".into(), text.into()))
    }

    #[test]
    fn builds_a_spanned_tree() {
        let node = parse_str("a:\n  b: [1, 'x']\n  c: ~\n").unwrap();
        let b = node.get("a").unwrap().get("b").unwrap();
        let NodeKind::Seq(items) = &b.kind else {
            panic!("not a list")
        };
        assert_eq!(items[1].as_str(), Some("x"));
        assert_eq!(items[0].span.start.line, 2);
        assert_eq!(items[0].span.start.col, 7);
        assert!(node.get("a").unwrap().get("c").unwrap().is_null());
    }

    #[test]
    fn reports_syntax_errors_with_a_position() {
        let err = parse_str("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.span.start.line >= 2, "{err:?}");
    }

    #[test]
    fn empty_input_is_null_and_aliases_resolve() {
        assert!(parse_str("").unwrap().is_null());
        let node = parse_str("a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(node.get("b").unwrap().get("k").unwrap().as_str(), Some("v"));
    }
}

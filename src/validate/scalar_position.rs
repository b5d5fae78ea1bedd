//! Maps a byte range of a YAML scalar's value (a script inside a block scalar) back to the
//! place in the file where it is written.

use std::ops::Range;

use crate::base::source::Source;
use crate::base::span::{Span, Spanned};

/// Where bytes `range` of `scalar`'s value are written in `source`; `None` when the value's
/// lines cannot be found as written (folded or escaped text), so callers fall back to the
/// whole scalar.
///
/// Block scalars keep every line of their value, only indented: each value line is the end of
/// one file line, in order, after the header line (`command: |`).
pub fn span_in_file(
    source: &Source,
    scalar: &Spanned<String>,
    range: Range<usize>,
) -> Option<Span> {
    let value = scalar.value.as_str();
    // A value read again from a file changed since it was loaded may not hold the range.
    value.get(range.clone())?;
    let start = locate(source, scalar, value, range.start)?;
    // A range within one line maps within one line; one that crosses lines ends with its line.
    let end_offset = range.end.min(line_end(value, range.start));
    let end = locate(source, scalar, value, end_offset)?;
    Some(Span::new(start, end))
}

fn line_end(value: &str, offset: usize) -> usize {
    value[offset..]
        .find('\n')
        .map_or(value.len(), |i| offset + i)
}

/// The file position of byte `offset` of the value.
fn locate(
    source: &Source,
    scalar: &Spanned<String>,
    value: &str,
    offset: usize,
) -> Option<crate::base::span::Pos> {
    let region = source.text().get(scalar.span.range())?;
    let region_lines: Vec<&str> = region.split('\n').collect();
    let value_line = value[..offset].matches('\n').count();
    let line_start = value[..offset].rfind('\n').map_or(0, |i| i + 1);
    let mut cursor = 0;
    let mut found = None;
    for (index, line) in value.split('\n').enumerate().take(value_line + 1) {
        let at = if line.is_empty() {
            // An empty value line is an empty (or blank) file line; it may also be lost at the
            // end of a stripped block, so it never moves the cursor past a written line.
            let blank = region_lines
                .get(cursor)
                .is_some_and(|l| l.trim().is_empty());
            if blank {
                cursor += 1;
            }
            cursor.saturating_sub(1)
        } else {
            let at = (cursor..region_lines.len()).find(|&i| region_lines[i].ends_with(line))?;
            cursor = at + 1;
            at
        };
        if index == value_line {
            found = Some((at, line));
        }
    }
    let (region_line, line) = found?;
    let written = region_lines[region_line];
    let indent = written.len() - line.len();
    let col_bytes = indent + (offset - line_start);
    let col0 = written.get(..col_bytes)?.chars().count();
    let first_col0 = source.text()[..scalar.span.start.offset()]
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .chars()
        .count();
    let line_no = scalar.span.start.line() + region_line;
    // The region's first line starts where the scalar starts, not at the line's start.
    let col0 = if region_line == 0 {
        first_col0 + col0
    } else {
        col0
    };
    Some(source.pos(line_no, col0))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::load::node::NodeKind;

    /// The `command` scalar of a YAML text, spanned as the loader spans it.
    fn command(text: &str) -> (Source, Spanned<String>) {
        let source = Source::new(std::path::Path::new("op.yaml"), text.to_owned());
        let root = crate::load::yaml::parse(&source).expect("valid YAML");
        let NodeKind::Map(entries) = root.kind else {
            panic!("a mapping");
        };
        let (_, node) = entries
            .into_iter()
            .find(|(k, _)| k.as_str() == Some("command"))
            .expect("a command key");
        let value = node.as_str().expect("a scalar").to_owned();
        (source, Spanned::new(value, node.span))
    }

    fn at(text: &str, needle: &str) -> (usize, usize, String) {
        let (source, scalar) = command(text);
        let offset = scalar.value.find(needle).expect("needle in the value");
        let span = span_in_file(&source, &scalar, offset..offset + needle.len()).expect("found");
        (
            span.start.line(),
            span.start.col(),
            source.text()[span.range()].to_owned(),
        )
    }

    #[test]
    fn a_literal_block_maps_line_and_column() {
        let text = "id: x\ncommand: |\n  echo \"$A\"\n\n    if true; then echo \"$B\"; fi\n";
        assert_eq!(at(text, "$A"), (3, 9, "$A".to_owned()));
        assert_eq!(at(text, "$B"), (5, 25, "$B".to_owned()));
    }

    #[test]
    fn repeated_lines_map_to_their_own_line() {
        let text = "command: |-\n  echo $A\n  echo $A\n  echo $B\n";
        let (source, scalar) = command(text);
        let second = scalar.value.rfind("$A").unwrap();
        let span = span_in_file(&source, &scalar, second..second + 2).unwrap();
        assert_eq!((span.start.line(), span.start.col()), (3, 8));
        assert_eq!(at(text, "$B").0, 4);
    }

    #[test]
    fn a_plain_scalar_on_the_key_line_maps_too() {
        assert_eq!(
            at("command: echo \"$NAME\"\n", "$NAME"),
            (1, 16, "$NAME".to_owned())
        );
    }

    #[test]
    fn wide_characters_count_as_one_column() {
        let text = "command: |\n  echo \"é $A\"\n";
        assert_eq!(at(text, "$A"), (2, 11, "$A".to_owned()));
    }

    #[test]
    fn a_folded_scalar_whose_lines_moved_is_not_located() {
        let (source, scalar) = command("command: >\n  echo\n  $A\n");
        let offset = scalar.value.find("$A").unwrap();
        assert_eq!(span_in_file(&source, &scalar, offset..offset + 2), None);
    }
}

//! Text edits of one file at byte ranges, applied in order: the rest of the file (comments,
//! quoting, layout) stays as the user wrote it.

use std::ops::Range;

/// One replacement (an insertion when the range is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edit {
    /// The bytes replaced.
    pub range: Range<usize>,
    /// The new text.
    pub text: String,
}

/// A file's text and the edits planned for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileEdits {
    /// The text as read.
    pub original: String,
    /// Planned edits, in the order planned.
    pub edits: Vec<Edit>,
}

impl FileEdits {
    /// A file with nothing planned.
    pub(crate) fn new(original: String) -> Self {
        Self {
            original,
            edits: Vec::new(),
        }
    }

    /// Plans replacing `range` by `text`.
    pub(crate) fn replace(&mut self, range: Range<usize>, text: impl Into<String>) {
        self.edits.push(Edit {
            range,
            text: text.into(),
        });
    }

    /// Plans inserting `text` at `offset`; insertions at one offset keep their planned order.
    pub(crate) fn insert(&mut self, offset: usize, text: impl Into<String>) {
        self.replace(offset..offset, text);
    }

    /// The text with every edit applied. Overlapping edits keep the first planned.
    pub(crate) fn apply(&self) -> String {
        let mut order: Vec<&Edit> = self.edits.iter().collect();
        order.sort_by_key(|edit| edit.range.start);
        let mut out = String::with_capacity(self.original.len() + 256);
        let mut at = 0;
        for edit in order {
            if edit.range.start < at {
                continue;
            }
            out.push_str(&self.original[at..edit.range.start]);
            out.push_str(&edit.text);
            at = edit.range.end;
        }
        out.push_str(&self.original[at..]);
        out
    }
}

/// The offset just past the end of the line holding `offset` (after its newline, or the end of
/// the text).
pub(crate) fn line_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// The offset where the line holding `offset` starts.
pub(crate) fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::{FileEdits, line_end, line_start};

    #[test]
    fn edits_apply_in_offset_order_and_insertions_keep_their_order() {
        let mut file = FileEdits::new("a: 1\nb: 2\n".to_owned());
        file.insert(5, "x: 0\n");
        file.replace(8..9, "3");
        file.insert(5, "y: 0\n");
        assert_eq!(file.apply(), "a: 1\nx: 0\ny: 0\nb: 3\n");
    }

    #[test]
    fn lines_are_found_around_an_offset() {
        let text = "one\ntwo\nthree";
        assert_eq!(line_start(text, 5), 4);
        assert_eq!(line_end(text, 5), 8);
        assert_eq!(line_end(text, 9), text.len());
    }
}

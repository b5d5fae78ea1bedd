//! Positions in source files, as plain data: byte offsets plus 1-based line and column.

/// A position in a source file.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Pos {
    offset: u32,
    line: u32,
    col: u32,
}

impl Pos {
    /// The position at byte `offset`, 1-based `line` and 1-based `col` (in characters). Kept in
    /// 32 bits, as every span of a large deployment is: a value past `u32::MAX` (a file of 4 GiB,
    /// refused long before) is held as `u32::MAX`.
    pub fn new(offset: usize, line: usize, col: usize) -> Self {
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            offset: small(offset),
            line: small(line),
            col: small(col),
        }
    }

    /// Byte offset from the start of the file.
    pub fn offset(self) -> usize {
        self.offset as usize
    }

    /// 1-based line.
    pub fn line(self) -> usize {
        self.line as usize
    }

    /// 1-based column, in characters.
    pub fn col(self) -> usize {
        self.col as usize
    }
}

/// A range of a source file, `start` inclusive, `end` exclusive. Only the start keeps its line
/// and column (what findings name); the end is a byte offset, which is all renderers need: a
/// large deployment holds millions of spans.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Span {
    /// Where the range starts.
    pub start: Pos,
    /// The byte offset where it ends.
    end: u32,
}

impl Span {
    /// The range from `start` to `end`.
    pub fn new(start: Pos, end: Pos) -> Self {
        Self {
            start,
            end: end.offset,
        }
    }

    /// The empty range at `pos`.
    pub fn at(pos: Pos) -> Self {
        Self::new(pos, pos)
    }

    /// The byte offset where the range ends (never before it starts).
    pub fn end_offset(&self) -> usize {
        self.range().end
    }

    /// The range from this one's start to the end of `other` (or of this one, if further).
    pub fn to(self, other: Self) -> Self {
        Self {
            start: self.start,
            end: self.end.max(other.end),
        }
    }

    /// The byte range, for renderers.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start.offset()..(self.end as usize).max(self.start.offset())
    }
}

/// A value with the span it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs a value with its span.
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }

    /// The value made into another, at the same span.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned::new(f(self.value), self.span)
    }
}

impl<T: AsRef<str>> Spanned<T> {
    /// The text, borrowed, with its span.
    pub fn as_deref(&self) -> Spanned<&str> {
        Spanned::new(self.value.as_ref(), self.span)
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

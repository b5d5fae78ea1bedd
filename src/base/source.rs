//! Source files: their text, and conversion of the YAML parser's character positions into
//! byte offsets.
//!
//! A file's text is kept only as long as it is needed: once an operation file is decoded (or
//! its decoding is taken from the load cache), only its path stays, and the text is read again
//! from disk the first time a finding quotes it.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::base::span::{Pos, Span};

/// Index of a file in [`Sources`].
pub(crate) type FileId = usize;

/// One loaded file. Small (48 bytes) while its text is let go: a large deployment holds one
/// for every operation file.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as shown to users (relative to the deployment folder when possible), shared
    /// with the operation decoded from the file.
    pub path: Arc<Path>,
    /// The file's text, or none yet when it is to be read again from disk.
    text: OnceLock<Box<Text>>,
    /// The folder `path` is relative to, where the text is read again from when it was let go
    /// (shared by every file of a deployment); `None` for a text held from the start.
    folder: Option<Arc<Path>>,
}

/// A file's text and its index of lines.
#[derive(Debug, Clone)]
struct Text {
    /// The text.
    text: String,
    /// Byte offset of the start of each line, made when a position is first asked for.
    line_starts: OnceLock<Vec<usize>>,
}

impl Text {
    fn new(text: String) -> Box<Self> {
        Box::new(Self {
            text,
            line_starts: OnceLock::new(),
        })
    }
}

impl Source {
    /// A source from its path and text.
    pub fn new(path: impl Into<Arc<Path>>, text: String) -> Self {
        Self {
            path: path.into(),
            text: OnceLock::from(Text::new(text)),
            folder: None,
        }
    }

    /// The file's text. A text that was let go is read again (an unreadable file reads as
    /// empty, and spans into it are then not quoted: see [`Source::quotes`]).
    pub fn text(&self) -> &str {
        &self.loaded().text
    }

    fn loaded(&self) -> &Text {
        self.text.get_or_init(|| {
            let text = self
                .folder
                .as_deref()
                .and_then(|folder| read_limited(&folder.join(&self.path)).ok())
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default();
            Text::new(text)
        })
    }

    /// Lets go of the text (read again from `path` in `folder` when asked for) and of the line
    /// index, once every position in the file is made.
    pub fn let_go(&mut self, folder: Arc<Path>) {
        self.text = OnceLock::new();
        self.folder = Some(folder);
    }

    /// Drops the line index (made again when needed), once the file's positions are known.
    pub fn forget_lines(&mut self) {
        if let Some(text) = self.text.get_mut() {
            text.line_starts.take();
        }
    }

    /// Whether `span` lies within the text on character boundaries, so it can be quoted (a
    /// file changed since it was loaded may no longer hold it).
    pub fn quotes(&self, span: Span) -> bool {
        let text = self.text();
        let range = span.range();
        range.end <= text.len()
            && text.is_char_boundary(range.start)
            && text.is_char_boundary(range.end)
    }

    fn line_starts(&self) -> &[usize] {
        let text = self.loaded();
        text.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(text.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// The position at 1-based `line` and 0-based character column `col0`, clamped to the text.
    pub fn pos(&self, line: usize, col0: usize) -> Pos {
        let Some(&start) = self.line_starts().get(line.saturating_sub(1)) else {
            return self.end();
        };
        let rest = &self.text()[start..];
        let offset = start
            + rest
                .char_indices()
                .nth(col0)
                .map_or(rest.len(), |(byte, _)| byte);
        Pos::new(offset, line.max(1), col0 + 1)
    }

    /// The position just past the last character.
    pub fn end(&self) -> Pos {
        let line_starts = self.line_starts();
        let line = line_starts.len();
        let start = line_starts[line - 1];
        Pos::new(
            self.text().len(),
            line,
            self.text()[start..].chars().count() + 1,
        )
    }
}

/// The most of a file read again to quote it: the most a deployment's YAML file may hold.
const QUOTE_LIMIT: u64 = 8 * 1024 * 1024;

fn read_limited(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(QUOTE_LIMIT)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Every file a deployment was loaded from, so diagnostics can quote them.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<Source>,
}

impl Sources {
    /// Adds a file and returns its id.
    pub fn add(&mut self, path: impl Into<Arc<Path>>, text: String) -> FileId {
        self.files.push(Source::new(path, text));
        self.files.len() - 1
    }

    /// Reserves an id for the file at `path`, whose text [`Sources::fill`] gives later (files
    /// read together keep the ids of files read in turn); until then its text is empty.
    pub fn reserve(&mut self, path: impl Into<Arc<Path>>) -> FileId {
        self.files.push(Source {
            path: path.into(),
            text: OnceLock::new(),
            folder: None,
        });
        self.files.len() - 1
    }

    /// Puts `source` in the place reserved for it as `id`.
    pub fn fill(&mut self, id: FileId, source: Source) {
        self.files[id] = source;
    }

    /// Lets go of the text of the file with this id: it is read again from `folder` when asked
    /// for.
    pub fn let_go(&mut self, id: FileId, folder: Arc<Path>) {
        self.files[id].let_go(folder);
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> &Source {
        &self.files[id]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_byte_offsets_of_characters() {
        let source = Source::new(Path::new("f"), "a: é\nb: x\n".into());
        assert_eq!(source.pos(1, 3).offset(), 3);
        assert_eq!(source.pos(1, 4).offset(), 5);
        assert_eq!(source.pos(2, 3), Pos::new(9, 2, 4));
        assert_eq!(source.pos(9, 0), source.end());
    }
}

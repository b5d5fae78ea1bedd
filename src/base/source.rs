//! Source files: their text, and conversion of the YAML parser's character positions into
//! byte offsets.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::base::span::Pos;

/// Index of a file in [`Sources`].
pub(crate) type FileId = usize;

/// One loaded file.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as shown to users (relative to the deployment folder when possible).
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
    /// Byte offset of the start of each line, made when a position is first asked for.
    line_starts: OnceLock<Vec<usize>>,
}

impl Source {
    /// A source from its path and text.
    pub fn new(path: PathBuf, text: String) -> Self {
        Self {
            path,
            text,
            line_starts: OnceLock::new(),
        }
    }

    /// Drops the line index (made again when needed), once the file's positions are known.
    pub fn forget_lines(&mut self) {
        self.line_starts.take();
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// The position at 1-based `line` and 0-based character column `col0`, clamped to the text.
    pub fn pos(&self, line: usize, col0: usize) -> Pos {
        let Some(&start) = self.line_starts().get(line.saturating_sub(1)) else {
            return self.end();
        };
        let rest = &self.text[start..];
        let offset = start
            + rest
                .char_indices()
                .nth(col0)
                .map_or(rest.len(), |(byte, _)| byte);
        Pos {
            offset,
            line: line.max(1),
            col: col0 + 1,
        }
    }

    /// The position just past the last character.
    pub fn end(&self) -> Pos {
        let line_starts = self.line_starts();
        let line = line_starts.len();
        let start = line_starts[line - 1];
        Pos {
            offset: self.text.len(),
            line,
            col: self.text[start..].chars().count() + 1,
        }
    }
}

/// Every file a deployment was loaded from, so diagnostics can quote them.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<Source>,
}

impl Sources {
    /// Adds a file and returns its id.
    pub fn add(&mut self, path: &Path, text: String) -> FileId {
        self.files.push(Source::new(path.to_path_buf(), text));
        self.files.len() - 1
    }

    /// Reserves an id for the file at `path`, whose text [`Sources::fill`] gives later (files
    /// read together keep the ids of files read in turn).
    pub fn reserve(&mut self, path: &Path) -> FileId {
        self.add(path, String::new())
    }

    /// Puts `source` in the place reserved for it as `id`.
    pub fn fill(&mut self, id: FileId, source: Source) {
        self.files[id] = source;
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
        let source = Source::new("f".into(), "a: é\nb: x\n".into());
        assert_eq!(source.pos(1, 3).offset, 3);
        assert_eq!(source.pos(1, 4).offset, 5);
        assert_eq!(
            source.pos(2, 3),
            Pos {
                offset: 9,
                line: 2,
                col: 4
            }
        );
        assert_eq!(source.pos(9, 0), source.end());
    }
}

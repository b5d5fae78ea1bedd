//! Atomic file writes: a temporary file beside the target, then a rename, so a crash never
//! leaves a half-written artifact.

use std::io::Write;
use std::path::Path;

/// Writes `contents` to `path` atomically, creating parent folders.
pub(crate) fn write(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&temp, path)
}

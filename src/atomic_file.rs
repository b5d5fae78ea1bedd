//! Atomic file writes: a temporary file beside the target, then a rename, so a crash never
//! leaves a half-written artifact.

use std::io::Write;
use std::path::Path;

/// Writes `contents` to `path` atomically, creating parent folders.
pub(crate) fn write(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_with(path, |file| file.write_all(contents))
}

/// Writes what `fill` writes to `path` atomically, creating parent folders: a `fill` that
/// fails leaves the file as it was (and no temporary file).
pub(crate) fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&temp)?);
        fill(&mut file)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    match written {
        Ok(()) => std::fs::rename(&temp, path),
        Err(error) => {
            let _ = std::fs::remove_file(&temp);
            Err(error)
        }
    }
}

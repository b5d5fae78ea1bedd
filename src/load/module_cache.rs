//! The module files of the load cache: each module.yaml decoded by an earlier load, so the
//! module files of a large deployment that did not change are not parsed again.
//!
//! `.avdeploy/cache/modules.bin` starts with the header of the operations' cache (format and
//! binary, see [`crate::load::cache`]), then holds one record: every module.yaml that decoded
//! without a finding, with its path relative to the deployment folder, its [`Stamp`] and what
//! it decoded to. A module is taken from it only while its file's stamp is the same, and a file
//! changed within the last seconds of being read is not stored, as for operation files. The
//! text of every module.yaml is still read (what is read of it alone, such as bytes that are
//! not UTF-8, is still reported); only its parsing and decoding are saved.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::load::cache::{self, Stamp};
use crate::load::module::DecodedModule;

/// The modules stored by an earlier load, by the path of their module.yaml.
#[derive(Default)]
pub struct ModuleCache {
    stored: HashMap<PathBuf, (Stamp, DecodedModule)>,
    /// What was stored, in order: a cache that would hold the same is not written again.
    read: Vec<(PathBuf, Stamp)>,
}

/// One module file of a load, as it may be stored.
pub struct Decoded<'a> {
    /// The path of its module.yaml relative to the deployment folder.
    pub relative: PathBuf,
    /// The file's stamp, taken before it was read.
    pub stamp: Option<Stamp>,
    /// What it decoded to, when it decoded without a finding.
    pub module: Option<&'a DecodedModule>,
}

impl ModuleCache {
    /// The modules stored at `path`; empty when there is no cache, or it cannot be read, is
    /// corrupt or was written by another binary.
    pub fn read(path: &Path) -> Self {
        let stored: Vec<(PathBuf, Stamp, DecodedModule)> =
            cache::read_single(path).unwrap_or_default();
        let read = stored
            .iter()
            .map(|(relative, stamp, _)| (relative.clone(), *stamp))
            .collect();
        Self {
            stored: stored
                .into_iter()
                .map(|(relative, stamp, module)| (relative, (stamp, module)))
                .collect(),
            read,
        }
    }

    /// Takes the module stored for the module.yaml at `relative` if its stamp is still `stamp`.
    pub fn take(&mut self, relative: &Path, stamp: Option<Stamp>) -> Option<DecodedModule> {
        let (stored, _) = self.stored.get(relative)?;
        if Some(*stored) != stamp {
            return None;
        }
        self.stored.remove(relative).map(|(_, module)| module)
    }

    /// Stores at `path` the modules of `loaded` that may be stored (decoded without a finding,
    /// from a file not changed within the last seconds before `started`), unless the cache
    /// already holds just those; a cache that cannot be written is only slower next time.
    pub fn update<'a>(&self, path: &Path, started: SystemTime, loaded: &[Decoded<'a>]) {
        let storable: Vec<(&Path, Stamp, &DecodedModule)> = loaded
            .iter()
            .filter_map(|decoded| {
                let stamp = decoded.stamp.filter(|stamp| !stamp.is_recent(started))?;
                Some((decoded.relative.as_path(), stamp, decoded.module?))
            })
            .collect();
        let unchanged = storable.len() == self.read.len()
            && storable
                .iter()
                .zip(&self.read)
                .all(|((relative, stamp, _), (was, was_stamp))| {
                    relative == was && stamp == was_stamp
                });
        if !unchanged {
            let _ = cache::write_single(path, &storable);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_that_cannot_be_read_holds_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("modules.bin");
        std::fs::write(&path, b"not a cache").expect("written");
        let mut cache = ModuleCache::read(&path);
        assert!(
            cache
                .take(Path::new("modules/a/module.yaml"), None)
                .is_none()
        );
        assert!(cache.read.is_empty());
    }
}

//! The run's private `AZURE_CONFIG_DIR`: made readable by the owner only, removed when dropped,
//! so the login of one run never leaks into the user's own CLI or into the next run.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use super::AzCliError;

/// A folder that exists as long as this value does.
#[derive(Debug)]
pub struct ConfigDir {
    path: PathBuf,
}

impl ConfigDir {
    /// Creates `parent/azure-cli-<pid>` (mode 0700), replacing what a killed run left there.
    pub fn create(parent: &Path) -> Result<Self, AzCliError> {
        let path = parent.join(format!("azure-cli-{}", std::process::id()));
        let io = |action| {
            let path = path.clone();
            move |source| AzCliError::Io {
                action,
                path,
                source,
            }
        };
        std::fs::create_dir_all(parent).map_err(io("create"))?;
        if path.exists() {
            std::fs::remove_dir_all(&path).map_err(io("remove"))?;
        }
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(io("create"))?;
        Ok(Self { path })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ConfigDir {
    fn drop(&mut self) {
        // Best effort: a folder left behind is replaced by the next run of this process id.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_folder_is_private_and_gone_after_drop() {
        let parent = tempfile::tempdir().unwrap();
        let dir = ConfigDir::create(&parent.path().join("sim")).unwrap();
        let path = dir.path().to_path_buf();
        std::fs::write(path.join("azureProfile.json"), "{}").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        drop(dir);
        assert!(!path.exists());
    }
}

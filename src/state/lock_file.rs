//! The deployment lock: an exclusive `flock(2)` on `.avdeploy/lock` held by the one engine that may
//! write state. The kernel releases it when the process dies, even on `kill -9`.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::base::layout::LOCK_FILE;

/// Holding this means no other `run` or `resume` works on the same deployment folder.
#[derive(Debug)]
pub struct DeploymentLock {
    file: File,
    path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error("another avdeploy process ({}) is running in this folder (lock `{path}`)", holder(*pid))]
    Held {
        /// The holder's pid, when the lock file names one.
        pid: Option<u32>,
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file or its folder could not be created, read or written.
    #[error("failed to use lock file `{path}`")]
    Io {
        /// The lock file (or its folder).
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn holder(pid: Option<u32>) -> String {
    pid.map_or_else(|| "pid unknown".to_owned(), |pid| format!("pid {pid}"))
}

impl DeploymentLock {
    /// Takes the lock on `<state_dir>/lock`, creating the folder and file when needed, and writes
    /// this process's pid into it.
    pub fn acquire(state_dir: &Path) -> Result<Self, LockError> {
        std::fs::create_dir_all(state_dir).map_err(|source| LockError::Io {
            path: state_dir.to_owned(),
            source,
        })?;
        let path = state_dir.join(LOCK_FILE);
        let io_error = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        // Never truncate on open: the holder's pid must stay readable for the one refused.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    pid: read_pid(&mut file),
                    path,
                });
            }
            Err(TryLockError::Error(source)) => return Err(io_error(source)),
        }
        write_pid(&mut file, std::process::id()).map_err(io_error)?;
        Ok(Self { file, path })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DeploymentLock {
    fn drop(&mut self) {
        // Clear the pid while still holding the lock; closing the file then releases it. A
        // failure here is harmless: the next holder overwrites the pid.
        let _ = self.file.set_len(0);
    }
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

fn write_pid(file: &mut File, pid: u32) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{pid}")?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_reports_the_holder_pid() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state_dir = dir.path().join(".avdeploy");
        let lock = DeploymentLock::acquire(&state_dir).expect("first acquire");
        // flock locks belong to open file descriptions, so a second open in this process conflicts.
        let err = DeploymentLock::acquire(&state_dir).expect_err("second acquire must fail");
        let LockError::Held { pid, path } = &err else {
            panic!("unexpected error: {err}");
        };
        assert_eq!(*pid, Some(std::process::id()));
        assert_eq!(path, &state_dir.join(LOCK_FILE));
        assert!(
            err.to_string()
                .contains(&format!("pid {}", std::process::id()))
        );
        drop(lock);
        let again = DeploymentLock::acquire(&state_dir).expect("acquire after release");
        assert_eq!(again.path(), state_dir.join(LOCK_FILE));
    }

    #[test]
    fn released_lock_leaves_no_pid_behind() {
        let dir = tempfile::tempdir().expect("temp dir");
        drop(DeploymentLock::acquire(dir.path()).expect("acquire"));
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).expect("lock file");
        assert!(text.is_empty());
    }

    #[test]
    fn a_killed_holder_releases_the_lock() {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};

        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(LOCK_FILE);
        // The shell takes the lock the way avdeploy does (flock, pid inside), then becomes `sleep`.
        let script =
            r#"exec 9>>"$1"; flock -n 9 || exit 1; echo $$ >&9; echo ready; exec sleep 60"#;
        let mut child = Command::new("sh")
            .args(["-c", script, "sh"])
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn lock holder");
        let mut ready = String::new();
        let stdout = child.stdout.take().expect("child stdout");
        BufReader::new(stdout).read_line(&mut ready).expect("read");
        assert_eq!(ready.trim(), "ready");

        let err = DeploymentLock::acquire(dir.path()).expect_err("held by the child");
        assert!(
            matches!(err, LockError::Held { pid: Some(pid), .. } if pid == child.id()),
            "{err}"
        );
        child.kill().expect("kill -9");
        child.wait().expect("reap");
        DeploymentLock::acquire(dir.path()).expect("released by the kernel");
    }
}

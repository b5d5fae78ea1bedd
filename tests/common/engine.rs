//! A `run` or `resume` running in the background, for tests that signal, kill or race it: its
//! standard output is collected as it comes, so a test can wait for a line before acting.

#![allow(dead_code, reason = "each test file uses part of the helpers")]

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A background engine process.
pub(crate) struct Engine {
    child: Child,
    stdout: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Engine {
    /// Starts `cmd` (from `Deploy::std_cmd`) with its output collected.
    pub(crate) fn start(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start avdeploy");
        let mut pipe = child.stdout.take().expect("stdout");
        let stdout = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stdout);
        let reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("stdout buffer")
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Self {
            child,
            stdout,
            reader: Some(reader),
        }
    }

    /// The engine's pid.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the engine printed so far.
    pub(crate) fn stdout(&self) -> String {
        self.stdout.lock().expect("stdout buffer").clone()
    }

    /// Waits (at most 20 s) until the engine printed `needle`; panics otherwise.
    pub(crate) fn wait_for_line(&self, needle: &str) {
        let found =
            crate::deploy::wait_until(Duration::from_secs(20), || self.stdout().contains(needle));
        assert!(found, "`{needle}` never printed:\n{}", self.stdout());
    }

    /// Kills the engine with SIGKILL (as a crash would) and reaps it.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
    }

    /// Waits (at most 30 s) for the engine to end; returns its exit code and everything it
    /// printed.
    pub(crate) fn finish(mut self) -> (Option<i32>, String) {
        let ended = crate::deploy::wait_until(Duration::from_secs(30), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !ended {
            let _ = self.child.kill();
        }
        let status = self.child.wait().expect("reap");
        if let Some(reader) = self.reader.take() {
            reader.join().expect("stdout reader");
        }
        assert!(ended, "the engine did not end:\n{}", self.stdout());
        (status.code(), self.stdout())
    }
}

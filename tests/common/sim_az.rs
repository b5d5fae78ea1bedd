//! Test helper: a temporary simulated subscription and an `az` link to the avdeploy binary.

#![allow(dead_code, reason = "each test file uses part of the helper")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A temporary directory with `bin/az` linked to avdeploy and a simulator directory.
pub(crate) struct Sim {
    _root: tempfile::TempDir,
    /// The directory holding the `az` link.
    pub(crate) bin: PathBuf,
    /// `AVDEPLOY_SIM_DIR`.
    pub(crate) dir: PathBuf,
    /// Extra environment for every call.
    pub(crate) env: Vec<(String, String)>,
}

impl Sim {
    /// A fresh simulator with time scale 0 (no waiting).
    pub(crate) fn new() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let bin = root.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin dir");
        std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("avdeploy"), bin.join("az"))
            .expect("az link");
        let dir = root.path().join("sim");
        Self {
            _root: root,
            bin,
            dir,
            env: vec![("AVDEPLOY_SIM_TIME_SCALE".into(), "0".into())],
        }
    }

    /// Adds an environment variable to every call.
    pub(crate) fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.into(), value.into()));
        self
    }

    /// An `az` command with the simulator's environment.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.bin.join("az"));
        cmd.args(args).env("AVDEPLOY_SIM_DIR", &self.dir);
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        cmd
    }

    /// Runs `az` with whitespace-separated arguments.
    pub(crate) fn az(&self, line: &str) -> Output {
        self.az_args(&line.split_whitespace().collect::<Vec<_>>())
    }

    /// Runs `az` with explicit arguments.
    pub(crate) fn az_args(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run az")
    }

    /// Runs `az` and returns stdout, panicking with stderr when it fails.
    pub(crate) fn ok(&self, line: &str) -> String {
        let out = self.az(line);
        assert!(
            out.status.success(),
            "az {line} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Runs `az` with explicit arguments and returns stdout, panicking with stderr when it fails.
    pub(crate) fn ok_args(&self, args: &[&str]) -> String {
        let out = self.az_args(args);
        assert!(
            out.status.success(),
            "az {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Runs `az` and parses its JSON output.
    pub(crate) fn json(&self, line: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(line)).expect("json output")
    }

    /// Runs `az` with explicit arguments and parses its JSON output.
    pub(crate) fn json_args(&self, args: &[&str]) -> serde_json::Value {
        let out = self.az_args(args);
        assert!(
            out.status.success(),
            "az {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json output")
    }

    /// `az vm run-command invoke` of `script` (sent as `@file`) on VM `vm` of group `rg`; returns
    /// the JSON answer.
    pub(crate) fn run_script(&self, rg: &str, vm: &str, script: &str) -> serde_json::Value {
        let file = self.dir.parent().expect("sim root").join("script.ps1");
        std::fs::write(&file, script).expect("write script");
        let at = format!("@{}", file.display());
        self.json_args(&[
            "vm",
            "run-command",
            "invoke",
            "-g",
            rg,
            "-n",
            vm,
            "--command-id",
            "RunPowerShellScript",
            "--scripts",
            &at,
        ])
    }

    /// Polls `condition` until it holds or `timeout` passes.
    pub(crate) fn wait_until(
        &self,
        timeout: Duration,
        mut condition: impl FnMut(&Path) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if condition(&self.dir) {
                return true;
            }
            std::thread::yield_now();
            std::thread::park_timeout(Duration::from_millis(20));
        }
        false
    }
}

/// The exit code of an output.
pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// Stderr as text.
pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

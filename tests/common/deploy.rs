//! Test harness: a deployment folder in a temporary directory, built fluently, and the real
//! avdeploy binary run against it.

#![allow(dead_code, reason = "each test file uses part of the harness")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A temporary deployment folder.
pub(crate) struct Deploy {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Deploy {
    /// An empty folder.
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            env: vec![("AVDEPLOY_SIM_TIME_SCALE".into(), "0".into())],
        }
    }

    /// The example deployment (`examples/quickstart`, as built into the binary), without what a
    /// run of it may have left in the repository.
    pub(crate) fn quickstart() -> Self {
        avdeploy::examples::QUICKSTART
            .iter()
            .fold(Self::new(), |deploy, file| {
                deploy.file(file.path, file.text)
            })
    }

    /// The complete AVD deployment (`examples/avd`, as built into the binary), written by
    /// `avdeploy init` itself.
    pub(crate) fn avd() -> Self {
        let deploy = Self::new();
        deploy
            .cmd(&["init", &deploy.path().to_string_lossy()])
            .assert()
            .success();
        deploy
    }

    /// The folder.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `config.yaml`.
    pub(crate) fn config(self, yaml: &str) -> Self {
        self.file("config.yaml", yaml)
    }

    /// Writes `modules/<id>/module.yaml`.
    pub(crate) fn module(self, id: &str, yaml: &str) -> Self {
        self.file(&format!("modules/{id}/module.yaml"), yaml)
    }

    /// Writes `modules/<module>/operations/<file>.yaml`.
    pub(crate) fn operation(self, module: &str, file: &str, yaml: &str) -> Self {
        self.file(&format!("modules/{module}/operations/{file}.yaml"), yaml)
    }

    /// Writes any file, creating folders.
    pub(crate) fn file(self, relative: &str, contents: &str) -> Self {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create folders");
        std::fs::write(&path, contents).expect("write file");
        self
    }

    /// Sets an environment variable for every command.
    pub(crate) fn env(mut self, name: &str, value: &str) -> Self {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.into(), value.into()));
        self
    }

    /// `avdeploy -C <folder> <args>`, ready to run or assert on.
    pub(crate) fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("avdeploy").expect("binary");
        cmd.arg("-C")
            .arg(self.path())
            .args(args)
            .env_remove("AVDEPLOY_SIMULATE");
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        cmd
    }

    /// The same as a plain `std::process::Command` (for processes the test signals or kills).
    pub(crate) fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("avdeploy"));
        cmd.arg("-C")
            .arg(self.path())
            .args(args)
            .env_remove("AVDEPLOY_SIMULATE");
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        cmd
    }

    /// Runs a `--json` command that must succeed and parses its output.
    pub(crate) fn json(&self, args: &[&str]) -> serde_json::Value {
        let output = self.cmd(args).assert().success().get_output().clone();
        serde_json::from_slice(&output.stdout).expect("the command prints JSON")
    }

    /// Reads a file of the folder.
    pub(crate) fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative)).unwrap_or_default()
    }

    /// Every file under the folder, recursively.
    pub(crate) fn files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        walk(self.path(), &mut out);
        out
    }
}

/// `module.yaml` text for `id` with `(operation, parallel_group)` entries.
pub(crate) fn module_yaml(id: &str, entries: &[(&str, Option<u32>)]) -> String {
    let mut yaml = format!("module:\n  id: \"{id}\"\n  name: \"{id}\"\n  operations:\n");
    for (op, group) in entries {
        yaml.push_str(&format!("    - id: \"{op}\"\n"));
        if let Some(group) = group {
            yaml.push_str(&format!("      parallel_group: {group}\n"));
        }
    }
    yaml
}

/// An operation file running `command` in bash, with a timeout in seconds.
pub(crate) fn bash_op(id: &str, timeout: u64, command: &str) -> String {
    let mut yaml = format!(
        "operation:\n  id: \"{id}\"\n  duration: {{ expected: 1, timeout: {timeout}, type: FAST }}\n  template:\n    type: \"bash-script\"\n    command: |\n"
    );
    for line in command.lines() {
        yaml.push_str(&format!("      {line}\n"));
    }
    yaml
}

/// Polls `check` until it returns true or `limit` passes; returns whether it became true.
pub(crate) fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    check()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

//! A full disk under the deployment folder: the engine starts nothing it cannot record, says
//! so, and leaves state telling the truth, so that `resume` runs what did not run and nothing
//! twice; the JSONL event log never ends in a torn line. Runs on a small tmpfs, which needs the
//! right to mount one (root, as in CI containers). Where it cannot mount, the test fails under CI
//! (`CI=true`), which must prove this, and elsewhere says why it was skipped.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::{bash_op, module_yaml};
use predicates::str::contains;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A tmpfs mounted on a temporary folder, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size`; the reason when it cannot.
    fn mount(size: &str) -> Result<Self, String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run `mount`: {e}"))?;
        if output.status.success() {
            Ok(Self { dir })
        } else {
            Err(format!(
                "`mount -t tmpfs` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Whether this runs under CI (`CI` set to `true` or `1`, as CI services set it).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

const OPS: [&str; 6] = ["a1", "a2", "a3", "a4", "a5", "a6"];

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn avdeploy(root: &Path, counts: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("avdeploy").expect("binary");
    cmd.arg("-C")
        .arg(root)
        .args(args)
        .env_remove("AVDEPLOY_SIMULATE")
        .env("COUNTS", counts)
        .timeout(Duration::from_secs(60));
    cmd
}

fn runs_of(counts: &Path, op: &str) -> usize {
    std::fs::read_to_string(counts)
        .unwrap_or_default()
        .lines()
        .filter(|line| *line == op)
        .count()
}

fn jsonl_files(root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(root.join("artifacts/logs"))
        .map(|dir| {
            dir.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_full_disk_stops_new_launches_and_resume_runs_nothing_twice() {
    let tmpfs = match Tmpfs::mount("12m") {
        Ok(tmpfs) => tmpfs,
        Err(reason) if in_ci() => panic!("CI must run the disk-full test, but {reason}"),
        Err(reason) => {
            eprintln!("disk-full test skipped: it needs to mount a tmpfs, and {reason}");
            return;
        }
    };
    let root = tmpfs.path();
    let outside = tempfile::tempdir().expect("temp dir");
    let counts = outside.path().join("counts");
    write(root, "config.yaml", "app:\n  name: \"demo\"\n");
    let entries: Vec<(&str, Option<u32>)> = OPS.iter().map(|op| (*op, None)).collect();
    write(root, "modules/m/module.yaml", &module_yaml("m", &entries));
    for op in OPS {
        // a3 fills the disk the deployment folder is on, as a large download would.
        let fill = if op == "a3" {
            "head -c 64M /dev/zero > filler 2>/dev/null || true\n"
        } else {
            ""
        };
        let body = format!("{fill}echo {op} >> \"$COUNTS\"");
        write(
            root,
            &format!("modules/m/operations/{op}.yaml"),
            &bash_op(op, 30, &body),
        );
    }

    let first = avdeploy(root, &counts, &["run", "m"])
        .assert()
        .failure()
        .stderr(contains("Starting nothing new"))
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("full") || stderr.contains("No space"),
        "{stderr}"
    );
    // The error that stopped the run is shown once, as every fatal error is.
    let errors = stderr.lines().filter(|l| l.contains("error: ")).count();
    assert_eq!(errors, 1, "{stderr}");
    let ran: Vec<&str> = OPS
        .iter()
        .copied()
        .filter(|op| runs_of(&counts, op) == 1)
        .collect();
    assert!(
        ran.len() < OPS.len(),
        "every operation ran on a full disk: {ran:?}"
    );
    assert!(ran.starts_with(&["a1", "a2", "a3"]), "{ran:?}");
    assert!(
        ran.len() <= 4,
        "launches went on after the failure: {ran:?}"
    );

    // State tells the truth: what ran is completed, what did not is not.
    let status = avdeploy(root, &counts, &["status", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&status).expect("status JSON");
    for op in doc["operations"].as_array().expect("operations") {
        let id = op["operation"].as_str().expect("id");
        let completed = op["status"] == "completed";
        assert_eq!(completed, ran.contains(&id), "{id} is {}", op["status"]);
    }

    std::fs::remove_file(root.join("filler")).expect("free the disk");
    avdeploy(root, &counts, &["resume", "--yes"])
        .assert()
        .success();
    for op in OPS {
        assert_eq!(
            runs_of(&counts, op),
            1,
            "{op} ran {} times",
            runs_of(&counts, op)
        );
    }
    let files = jsonl_files(root);
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read log");
        assert!(text.is_empty() || text.ends_with('\n'), "torn last line");
        for line in text.lines() {
            serde_json::from_str::<serde_json::Value>(line)
                .unwrap_or_else(|e| panic!("{e}: {line}"));
        }
    }
}

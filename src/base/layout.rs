//! Every path of a deployment folder, and how an attempt log's file name is read back. Nothing
//! else builds these paths.
//!
//! ```text
//! <root>/.avdeploy/state.db, lock, sim/        state, lock, simulated subscription
//! <root>/artifacts/logs/<op>_<stamp>[-N].log   one log per attempt
//! <root>/artifacts/logs/deployment_<day>.jsonl the event log of a day
//! <root>/artifacts/outputs/<op>.json           what an operation's az call returned
//! <root>/artifacts/scripts/<op>.sh, <op>.ps1   the scripts as run
//! ```

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// The state database's file name inside the state folder.
pub const STATE_DB: &str = "state.db";

/// The deployment lock's file name inside the state folder.
pub const LOCK_FILE: &str = "lock";

/// The fingerprint key's file name inside the state folder.
pub const FINGERPRINT_KEY: &str = "fingerprint.key";

/// The logs folder relative to the deployment folder, as shown to users.
pub const LOGS_DIR: &str = "artifacts/logs";

/// The folders of one deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout of the deployment folder `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The deployment folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `.avdeploy`: state database, lock and the simulator's folder.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".avdeploy")
    }

    /// `.avdeploy/sim`: the simulated subscription of `--simulate`.
    pub fn sim_dir(&self) -> PathBuf {
        self.state_dir().join("sim")
    }

    /// `.avdeploy/fingerprint.key`: the private key of every fingerprint hash.
    pub fn fingerprint_key(&self) -> PathBuf {
        self.state_dir().join(FINGERPRINT_KEY)
    }

    /// `artifacts`: what runs leave for people to read.
    pub fn artifacts(&self) -> PathBuf {
        self.root.join("artifacts")
    }

    /// `artifacts/logs`.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join(LOGS_DIR)
    }

    /// The folders a run writes into, in the order they are created.
    pub fn run_dirs(&self) -> [PathBuf; 3] {
        [self.logs_dir(), self.outputs_dir(), self.scripts_dir()]
    }

    /// `artifacts/outputs/<op>.json`: the output file of an operation.
    pub fn output_file(&self, operation: &str) -> PathBuf {
        self.outputs_dir().join(format!("{operation}.json"))
    }

    /// `artifacts/scripts/<op>.sh`: the bash an operation runs.
    pub fn bash_script(&self, operation: &str) -> PathBuf {
        self.scripts_dir().join(format!("{operation}.sh"))
    }

    /// `artifacts/scripts/<op>.ps1`: the PowerShell a run-command operation sends, redacted.
    pub fn powershell_script(&self, operation: &str) -> PathBuf {
        self.scripts_dir().join(format!("{operation}.ps1"))
    }

    /// `artifacts/logs/deployment_YYYYMMDD.jsonl`: the event log of `day`.
    pub fn event_log(&self, day: NaiveDate) -> PathBuf {
        self.logs_dir()
            .join(format!("deployment_{}.jsonl", day.format("%Y%m%d")))
    }

    /// The attempt logs of `operation`, oldest first (by modification time, then name).
    pub fn attempt_logs(&self, operation: &str) -> Vec<PathBuf> {
        let mut logs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(self.logs_dir())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| {
                let name = entry.file_name();
                name.to_str()
                    .and_then(AttemptLogName::parse)
                    .is_some_and(|parsed| parsed.operation == operation)
            })
            .map(|entry| {
                let modified = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                (modified, entry.path())
            })
            .collect();
        logs.sort();
        logs.into_iter().map(|(_, path)| path).collect()
    }

    fn outputs_dir(&self) -> PathBuf {
        self.artifacts().join("outputs")
    }

    fn scripts_dir(&self) -> PathBuf {
        self.artifacts().join("scripts")
    }
}

/// The parts of an attempt log's file name: `<op>_<YYYYmmdd-HHMMSS>[-N].log`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptLogName<'a> {
    /// The operation id (which may itself hold `_`).
    pub operation: &'a str,
    /// When the attempt started, `YYYYmmdd-HHMMSS` in local time.
    pub stamp: &'a str,
    /// 1, or N when another log of the same second took the plain name.
    pub number: u32,
}

impl<'a> AttemptLogName<'a> {
    /// The file name of attempt log `number` of `operation` started at `stamp`.
    pub fn format(operation: &str, stamp: &str, number: u32) -> String {
        if number <= 1 {
            format!("{operation}_{stamp}.log")
        } else {
            format!("{operation}_{stamp}-{number}.log")
        }
    }

    /// Reads a file name back; `None` when it is not an attempt log's.
    pub fn parse(name: &'a str) -> Option<Self> {
        let (operation, rest) = name.strip_suffix(".log")?.rsplit_once('_')?;
        let (stamp, number) = match rest.get(15..) {
            Some("") => (rest, 1),
            Some(suffix) => (&rest[..15], suffix.strip_prefix('-')?.parse().ok()?),
            None => return None,
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let well_formed = stamp.len() == 15
            && digits(&stamp[..8])
            && stamp.as_bytes()[8] == b'-'
            && digits(&stamp[9..]);
        (well_formed && !operation.is_empty()).then_some(Self {
            operation,
            stamp,
            number,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_log_names_round_trip() {
        for (op, number) in [("net", 1), ("net_2", 3), ("host@2", 1)] {
            let name = AttemptLogName::format(op, "20250301-090000", number);
            let parsed = AttemptLogName::parse(&name).expect("parses");
            assert_eq!(
                (parsed.operation, parsed.stamp, parsed.number),
                (op, "20250301-090000", number)
            );
        }
        for bad in [
            "net.log",
            "net_2025.log",
            "net_20250301-0900001.log",
            "net_20250301-090000-x.log",
            "_20250301-090000.log",
            "deployment_20250301.jsonl",
        ] {
            assert_eq!(AttemptLogName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn logs_of_one_operation_exclude_those_of_a_longer_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let layout = Layout::new(dir.path());
        std::fs::create_dir_all(layout.logs_dir()).expect("logs dir");
        for name in [
            "net_20250301-090000.log",
            "net_2_20250301-090001.log",
            "net_20250301-090000-2.log",
            "deployment_20250301.jsonl",
        ] {
            std::fs::write(layout.logs_dir().join(name), "").expect("write");
        }
        let mut names: Vec<String> = layout
            .attempt_logs("net")
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["net_20250301-090000-2.log", "net_20250301-090000.log"]
        );
        assert_eq!(layout.attempt_logs("net_2").len(), 1);
    }
}

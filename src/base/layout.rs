//! Every path of a deployment folder, for the environment its config file names, and how an
//! attempt log's file name is read back. Nothing else builds these paths.
//!
//! ```text
//! <root>/.avdeploy/state.db, lock, sim/        state, lock, simulated subscription
//! <root>/.avdeploy/migrate-backup/<stamp>/     what `migrate` changed, as it was before
//! <root>/.avdeploy/cache/operations.bin         operations decoded earlier (the load cache)
//! <root>/.avdeploy/cache/modules.bin            module files decoded earlier (the load cache)
//! <root>/artifacts/logs/<op>_<stamp>[-N].log   one log per attempt
//! <root>/artifacts/logs/deployment_<day>.jsonl the event log of a day
//! <root>/artifacts/outputs/<op>.json           what an operation's az call returned
//! <root>/artifacts/scripts/<op>.sh, <op>.ps1   the scripts as run
//! <root>/artifacts/reports/<run id>.html       the timelines `report` writes
//! ```
//!
//! That is the default config's (`config.yaml`). Another config names an environment by its
//! stem: `prod.yaml` keeps all of the above under `.avdeploy/prod/` and `artifacts/prod/`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// The state database's file name inside the state folder.
const STATE_DB: &str = "state.db";

/// The deployment lock's file name inside the state folder.
pub const LOCK_FILE: &str = "lock";

/// The fingerprint key's file name inside the state folder.
pub const FINGERPRINT_KEY: &str = "fingerprint.key";

/// The folder of `migrate`'s backups inside `.avdeploy/`, shared by every environment (the
/// files it rewrites are).
const MIGRATE_BACKUP: &str = "migrate-backup";

/// The folder of the load cache inside `.avdeploy/`, shared by every environment (the
/// operation files are).
const CACHE: &str = "cache";

/// The config stem whose environment keeps the folder's own paths (`config.yaml`).
const DEFAULT_STEM: &str = "config";

/// The names the layout itself uses inside `.avdeploy/` and `artifacts/`: no environment may
/// take them.
pub const RESERVED_NAMES: [&str; 9] = [
    "sim",
    "logs",
    "outputs",
    "scripts",
    "reports",
    "lock",
    MIGRATE_BACKUP,
    CACHE,
    "azure-cli",
];

/// The prefix of the run's private Azure CLI folders inside the state folder
/// (`azure-cli-<pid>`): no environment may start with it either.
const RESERVED_PREFIX: &str = "azure-cli-";

/// A config file whose stem cannot name an environment.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// The stem holds characters other than letters, digits, `_` and `-`.
    #[error(
        "config file `{config}` cannot name an environment: `{stem}` may hold only letters, \
         digits, `_` and `-` (its state goes to .avdeploy/<stem>/)"
    )]
    Characters {
        /// The config file as given.
        config: String,
        /// Its file name without the extension.
        stem: String,
    },
    /// The stem is one of [`RESERVED_NAMES`].
    #[error(
        "config file `{config}` cannot name an environment: `{stem}` is a folder avdeploy uses \
         itself under .avdeploy/ or artifacts/ (reserved: {reserved}, azure-cli-*); rename the file"
    )]
    Reserved {
        /// The config file as given.
        config: String,
        /// Its file name without the extension.
        stem: String,
        /// Every reserved name.
        reserved: String,
    },
}

/// The folders of one deployment environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    root: PathBuf,
    environment: Option<String>,
}

impl Layout {
    /// The layout of the deployment folder `root` run with the config file `config`: the
    /// default config's stem (`config`) keeps the folder's own paths, any other stem is an
    /// environment with its own state and artifacts.
    pub fn new(root: impl Into<PathBuf>, config: &Path) -> Result<Self, LayoutError> {
        let stem = config
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let environment = (stem != DEFAULT_STEM)
            .then(|| check_stem(config, stem))
            .transpose()?;
        Ok(Self {
            root: root.into(),
            environment,
        })
    }

    /// The deployment folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The environment's name (the config stem), `None` for the default config.
    pub fn environment(&self) -> Option<&str> {
        self.environment.as_deref()
    }

    /// `.avdeploy[/<env>]`: state database, lock and the simulator's folder.
    pub fn state_dir(&self) -> PathBuf {
        self.in_environment(self.root.join(".avdeploy"))
    }

    /// `.avdeploy[/<env>]/state.db`: the state database.
    pub fn state_db(&self) -> PathBuf {
        self.state_dir().join(STATE_DB)
    }

    /// `.avdeploy/migrate-backup/<name>`: one backup of `migrate`, for every environment.
    pub fn migrate_backup(&self, name: &str) -> PathBuf {
        self.root.join(".avdeploy").join(MIGRATE_BACKUP).join(name)
    }

    /// `.avdeploy/cache/operations.bin`: the load cache, for every environment.
    pub fn load_cache(&self) -> PathBuf {
        self.root
            .join(".avdeploy")
            .join(CACHE)
            .join("operations.bin")
    }

    /// `.avdeploy/cache/modules.bin`: the load cache of module files, for every environment.
    pub fn module_cache(&self) -> PathBuf {
        self.load_cache().with_file_name("modules.bin")
    }

    /// `.avdeploy[/<env>]/sim`: the simulated subscription of `--simulate`.
    pub fn sim_dir(&self) -> PathBuf {
        self.state_dir().join("sim")
    }

    /// `.avdeploy[/<env>]/fingerprint.key`: the private key of every fingerprint hash.
    pub fn fingerprint_key(&self) -> PathBuf {
        self.state_dir().join(FINGERPRINT_KEY)
    }

    /// `artifacts[/<env>]`: what runs leave for people to read.
    pub fn artifacts(&self) -> PathBuf {
        self.in_environment(self.root.join("artifacts"))
    }

    /// `artifacts[/<env>]/logs`.
    pub fn logs_dir(&self) -> PathBuf {
        self.artifacts().join("logs")
    }

    /// The logs folder relative to the deployment folder, as shown to users.
    pub fn logs_shown(&self) -> PathBuf {
        self.in_environment(PathBuf::from("artifacts")).join("logs")
    }

    /// The folders a run writes into, in the order they are created.
    pub fn run_dirs(&self) -> [PathBuf; 3] {
        [self.logs_dir(), self.outputs_dir(), self.scripts_dir()]
    }

    /// `artifacts[/<env>]/outputs/<op>.json`: the output file of an operation.
    pub fn output_file(&self, operation: &str) -> PathBuf {
        self.outputs_dir().join(format!("{operation}.json"))
    }

    /// `artifacts[/<env>]/scripts/<op>.sh`: the bash an operation runs.
    pub fn bash_script(&self, operation: &str) -> PathBuf {
        self.scripts_dir().join(format!("{operation}.sh"))
    }

    /// `artifacts[/<env>]/scripts/<op>.ps1`: the PowerShell a run-command operation sends,
    /// redacted.
    pub fn powershell_script(&self, operation: &str) -> PathBuf {
        self.scripts_dir().join(format!("{operation}.ps1"))
    }

    /// `artifacts[/<env>]/reports/<run id>.html`: the timeline `report` writes by default.
    pub fn report_file(&self, run_id: &str) -> PathBuf {
        self.artifacts()
            .join("reports")
            .join(format!("{run_id}.html"))
    }

    /// `artifacts[/<env>]/logs/deployment_YYYYMMDD.jsonl`: the event log of `day`.
    pub fn event_log(&self, day: NaiveDate) -> PathBuf {
        self.logs_dir()
            .join(format!("deployment_{}.jsonl", day.format("%Y%m%d")))
    }

    /// Whether `path` names an event log, as [`Layout::event_log`] writes them.
    pub fn is_event_log(path: &Path) -> bool {
        path.file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("deployment_") && name.ends_with(".jsonl"))
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

    fn in_environment(&self, dir: PathBuf) -> PathBuf {
        match &self.environment {
            Some(environment) => dir.join(environment),
            None => dir,
        }
    }

    fn outputs_dir(&self) -> PathBuf {
        self.artifacts().join("outputs")
    }

    fn scripts_dir(&self) -> PathBuf {
        self.artifacts().join("scripts")
    }
}

/// `stem` when it can name an environment.
fn check_stem(config: &Path, stem: String) -> Result<String, LayoutError> {
    let config = config.display().to_string();
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if stem.is_empty() || !stem.chars().all(allowed) {
        return Err(LayoutError::Characters { config, stem });
    }
    if RESERVED_NAMES.contains(&stem.as_str()) || stem.starts_with(RESERVED_PREFIX) {
        return Err(LayoutError::Reserved {
            config,
            stem,
            reserved: RESERVED_NAMES.join(", "),
        });
    }
    Ok(stem)
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
    fn event_logs_are_told_from_attempt_logs() {
        let layout = Layout::new("/d", Path::new("config.yaml")).expect("a layout");
        let day = NaiveDate::from_ymd_opt(2025, 3, 1).expect("a day");
        assert!(Layout::is_event_log(&layout.event_log(day)));
        let attempt =
            layout
                .logs_dir()
                .join(AttemptLogName::format("deployment", "20250301-090000", 1));
        assert!(!Layout::is_event_log(&attempt));
    }

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
        let layout = Layout::new(dir.path(), Path::new("config.yaml")).expect("layout");
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

    #[test]
    fn the_default_config_keeps_the_folder_paths_and_another_nests_them() {
        let default = Layout::new("/d", Path::new("config.yaml")).expect("default");
        assert_eq!(default.environment(), None);
        assert_eq!(default.state_dir(), Path::new("/d/.avdeploy"));
        assert_eq!(default.logs_shown(), Path::new("artifacts/logs"));
        let prod = Layout::new("/d", Path::new("envs/prod.yaml")).expect("prod");
        assert_eq!(prod.environment(), Some("prod"));
        assert_eq!(prod.sim_dir(), Path::new("/d/.avdeploy/prod/sim"));
        assert_eq!(
            prod.fingerprint_key(),
            Path::new("/d/.avdeploy/prod/fingerprint.key")
        );
        assert_eq!(
            prod.output_file("net"),
            Path::new("/d/artifacts/prod/outputs/net.json")
        );
        assert_eq!(
            prod.report_file("r1"),
            Path::new("/d/artifacts/prod/reports/r1.html")
        );
        assert_eq!(prod.logs_shown(), Path::new("artifacts/prod/logs"));
    }

    #[test]
    fn stems_that_collide_or_escape_are_refused() {
        for name in RESERVED_NAMES {
            let error = Layout::new("/d", Path::new(&format!("{name}.yaml"))).unwrap_err();
            assert!(matches!(error, LayoutError::Reserved { .. }), "{name}");
        }
        let error = Layout::new("/d", Path::new("azure-cli-42.yml")).unwrap_err();
        assert!(matches!(error, LayoutError::Reserved { .. }));
        for bad in ["prod.eu.yaml", ".yaml", "pr od.yaml", "\u{e9}t\u{e9}.yaml"] {
            let error = Layout::new("/d", Path::new(bad)).unwrap_err();
            assert!(matches!(error, LayoutError::Characters { .. }), "{bad}");
        }
    }
}

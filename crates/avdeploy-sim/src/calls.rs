//! The call log `calls.jsonl`: one `{"argv": [...], "exit": n, "ms": n}` line per `az` call,
//! appended under an exclusive file lock, secrets masked; with the operation and run that made
//! the call when the caller's environment names them.

use std::io::Write as _;
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};

use avdeploy_wire::redact::{MASK, Redactor, is_secret_name};

/// The log's file name inside the simulator directory.
pub const CALLS_FILE: &str = "calls.jsonl";

/// One logged call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallRecord {
    /// The arguments after `az`, secrets masked.
    pub argv: Vec<String>,
    /// The exit code.
    pub exit: i32,
    /// Real milliseconds the call took.
    pub ms: u64,
    /// The operation that made the call ([`OPERATION_VAR`] of the caller's environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The run that made the call ([`RUN_VAR`] of the caller's environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
}

/// The variable in which avdeploy names the operation an `az` call comes from.
pub const OPERATION_VAR: &str = "AVD_OPERATION_ID";

/// The variable in which avdeploy names the run an `az` call comes from.
pub const RUN_VAR: &str = "AVD_RUN_ID";

impl CallRecord {
    /// A record of a call made with `argv` (masked here) that ended with `exit` after `ms`,
    /// attributed to the operation and run that `env` names.
    pub fn new(argv: &[String], exit: i32, ms: u64, env: impl Fn(&str) -> Option<String>) -> Self {
        let named = |name| env(name).filter(|value| !value.is_empty());
        Self {
            argv: masked(argv, &env_redactor()),
            exit,
            ms,
            operation: named(OPERATION_VAR),
            run_id: named(RUN_VAR),
        }
    }
}

/// `argv` with the values of secret-named flags and every known secret value masked.
pub fn masked(argv: &[String], redactor: &Redactor) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut secret_flag = false;
    for arg in argv {
        if arg.starts_with('-') {
            let name = arg.split_once('=').map_or(arg.as_str(), |(name, _)| name);
            secret_flag = is_secret_name(name);
            if secret_flag && arg.contains('=') {
                out.push(format!("{name}={MASK}"));
                continue;
            }
            out.push(redactor.redact(arg).into_owned());
        } else if secret_flag {
            out.push(MASK.to_owned());
        } else {
            out.push(redactor.redact(arg).into_owned());
        }
    }
    out
}

/// The variable in which avdeploy names the operation's secret variables (space-separated), for
/// secrets whose names do not say so (`secrets:` in config.yaml).
pub const SECRET_NAMES_VAR: &str = "AVD_SECRET_NAMES";

/// A redactor for the secret variables of this process's environment: those whose names say so
/// and those listed in [`SECRET_NAMES_VAR`], in every form they take inside a PowerShell script.
pub fn env_redactor() -> Redactor {
    redactor_for(std::env::vars())
}

fn redactor_for(vars: impl Iterator<Item = (String, String)>) -> Redactor {
    let vars: Vec<(String, String)> = vars.collect();
    let listed: Vec<&str> = vars
        .iter()
        .find(|(name, _)| name == SECRET_NAMES_VAR)
        .map(|(_, names)| names.split_whitespace().collect())
        .unwrap_or_default();
    Redactor::new(
        vars.iter()
            .filter(|(name, _)| is_secret_name(name) || listed.contains(&name.as_str()))
            .flat_map(|(_, value)| avdeploy_wire::quote::secret_forms(value)),
    )
}

/// Appends one record to `<dir>/calls.jsonl`.
pub fn append(dir: &Path, record: &CallRecord) -> std::io::Result<()> {
    let mut line = serde_json::to_string(record).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path(dir))?;
    // Concurrent `az` processes append to one file: the lock keeps lines whole.
    let fd = file.as_raw_fd();
    // SAFETY: `fd` is an open descriptor owned by `file` for the duration of the call.
    if unsafe { libc::flock(fd, libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let written = file.write_all(line.as_bytes());
    // SAFETY: as above; the lock is released before `file` is closed.
    unsafe { libc::flock(fd, libc::LOCK_UN) };
    written
}

/// The log's path.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(CALLS_FILE)
}

/// Reads every record of the log (missing file: none).
pub fn read(dir: &Path) -> std::io::Result<Vec<CallRecord>> {
    let text = match std::fs::read_to_string(path(dir)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(std::io::Error::other))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_flags_and_values() {
        let argv: Vec<String> = [
            "vm",
            "create",
            "--admin-password",
            "P@ss1",
            "--custom-data",
            "x hunter2 y",
            "--client-secret=abc",
        ]
        .map(str::to_owned)
        .to_vec();
        let redactor = Redactor::new(["hunter2".to_owned()]);
        assert_eq!(
            masked(&argv, &redactor),
            [
                "vm",
                "create",
                "--admin-password",
                "***",
                "--custom-data",
                "x *** y",
                "--client-secret=***"
            ]
        );
    }

    #[test]
    fn env_secrets_include_listed_names_and_quoted_forms() {
        let vars = [
            ("JOIN_KEY", "k3y'v"),
            ("AVD_SECRET_NAMES", "JOIN_KEY OTHER"),
            ("ADMIN_PASSWORD", "pw-1234"),
            ("AZURE_LOCATION", "westeurope"),
        ]
        .map(|(n, v)| (n.to_owned(), v.to_owned()));
        let redactor = redactor_for(vars.into_iter());
        assert_eq!(
            redactor.redact("$k = 'k3y''v'; $p = 'pw-1234'; westeurope"),
            "$k = '***'; $p = '***'; westeurope"
        );
    }

    #[test]
    fn appends_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let record = CallRecord {
            argv: vec!["group".into()],
            exit: 3,
            ms: 5,
            operation: None,
            run_id: None,
        };
        append(dir.path(), &record).unwrap();
        append(dir.path(), &record).unwrap();
        assert_eq!(read(dir.path()).unwrap(), [record.clone(), record]);
    }

    #[test]
    fn names_the_operation_and_run_of_the_caller_only_when_set() {
        let argv = vec!["group".to_owned(), "show".to_owned()];
        let env = |name: &str| match name {
            OPERATION_VAR => Some("rg-create".to_owned()),
            RUN_VAR => Some("20260101-000000-ab12".to_owned()),
            _ => None,
        };
        let record = CallRecord::new(&argv, 0, 7, env);
        let line = serde_json::to_string(&record).unwrap();
        assert_eq!(
            line,
            r#"{"argv":["group","show"],"exit":0,"ms":7,"operation":"rg-create","run_id":"20260101-000000-ab12"}"#
        );
        let outside = CallRecord::new(&argv, 0, 7, |_| Some(String::new()));
        assert_eq!(
            serde_json::to_string(&outside).unwrap(),
            r#"{"argv":["group","show"],"exit":0,"ms":7}"#
        );
        let old: CallRecord = serde_json::from_str(r#"{"argv":[],"exit":1,"ms":2}"#).unwrap();
        assert_eq!((old.operation, old.run_id), (None, None));
    }
}

//! Reading `az vm run-command invoke -o json` answers: the StdOut/StdErr transcript, and the
//! verdict on it, since `invoke` exits 0 even when the script failed.

use std::fmt;

use crate::model::markers::{self, Marker};
use avdeploy_wire::sentinel;

/// Run command returns only the last 4,096 bytes of output; a transcript this long without its
/// sentinel was most likely cut.
pub const CUT_THRESHOLD: usize = 4_000;

/// The script's output as run command reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// `ComponentStatus/StdOut/...` message.
    pub stdout: String,
    /// `ComponentStatus/StdErr/...` message.
    pub stderr: String,
}

/// Why a run-command answer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    /// The text is not JSON.
    #[error("the run-command answer is not JSON")]
    Json {
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The JSON has no `value` list of `{code, message}` items.
    #[error("the run-command answer has no `value` list of {{code, message}} items")]
    Shape,
}

#[derive(serde::Deserialize)]
struct Status {
    code: String,
    #[serde(default)]
    message: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Answer {
    Wrapped { value: Vec<Status> },
    Bare(Vec<Status>),
}

/// Parses the JSON `az vm run-command invoke -o json` prints.
///
/// Windows VMs answer with `ComponentStatus/StdOut/succeeded` and `ComponentStatus/StdErr/succeeded`
/// items; Linux VMs with one `ProvisioningState/...` item whose message holds `[stdout]` and
/// `[stderr]` sections. Both are read.
pub fn parse(json: &str) -> Result<Transcript, ResponseError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|source| ResponseError::Json { source })?;
    let statuses = match serde_json::from_value::<Answer>(value) {
        Ok(Answer::Wrapped { value } | Answer::Bare(value)) => value,
        Err(_) => return Err(ResponseError::Shape),
    };
    let mut transcript = Transcript::default();
    for status in statuses {
        let message = status.message.unwrap_or_default();
        if status.code.starts_with("ComponentStatus/StdOut/") {
            transcript.stdout.push_str(&message);
        } else if status.code.starts_with("ComponentStatus/StdErr/") {
            transcript.stderr.push_str(&message);
        } else if status.code.starts_with("ProvisioningState/") {
            let (stdout, stderr) = split_linux_message(&message);
            transcript.stdout.push_str(stdout);
            transcript.stderr.push_str(stderr);
        }
    }
    Ok(transcript)
}

fn split_linux_message(message: &str) -> (&str, &str) {
    let Some((_, rest)) = message.split_once("[stdout]\n") else {
        return ("", "");
    };
    match rest.split_once("\n[stderr]\n") {
        Some((stdout, stderr)) => (stdout, stderr),
        None => (rest, ""),
    }
}

/// Why a run-command script is judged failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// An `[ERROR]` marker in StdOut (the sentinel said 0 or was cut off).
    ErrorMarker(String),
    /// The sentinel reported a non-zero exit code; the last `[ERROR]` message, if any.
    ExitCode {
        /// The script's exit code.
        code: i32,
        /// The last `[ERROR]` message.
        error: Option<String>,
    },
    /// No sentinel on the last line of StdOut.
    MissingSentinel {
        /// StdOut is close to run command's 4 KB limit: it was cut.
        cut: bool,
    },
    /// A managed run command ended in this state (`TimedOut`, `Canceled`, ...) with no exit code
    /// to tell more.
    Ended {
        /// The execution state, as Azure names it.
        state: String,
        /// Azure's message about the execution, if any.
        message: Option<String>,
    },
    /// StdErr holds output (its first line).
    Stderr(String),
}

impl Failure {
    /// The exit code recorded for this failure: the script's own when it reported one, else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::ExitCode { code, .. } => *code,
            Self::Ended { .. }
            | Self::ErrorMarker(_)
            | Self::MissingSentinel { .. }
            | Self::Stderr(_) => 1,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ErrorMarker(message) => write!(f, "[ERROR] {message}"),
            Self::ExitCode { code, error: None } => {
                write!(f, "the script exited with code {code} on the VM")
            }
            Self::ExitCode {
                code,
                error: Some(message),
            } => write!(f, "the script exited with code {code} on the VM: {message}"),
            Self::MissingSentinel { cut: true } => f.write_str(
                "the script's exit code is missing: run command keeps only the last 4 KB of \
                 output and the output was cut at 4 KB; print less (or use `template.mode: managed`)",
            ),
            Self::MissingSentinel { cut: false } => f.write_str(
                "the script's exit code is missing from its output: it did not run to its end",
            ),
            Self::Ended {
                state,
                message: None,
            } => write!(f, "the run command ended `{state}` on the VM"),
            Self::Ended {
                state,
                message: Some(message),
            } => write!(f, "the run command ended `{state}` on the VM: {message}"),
            Self::Stderr(line) => write!(f, "the script wrote to StdErr: {line}"),
        }
    }
}

/// Judges a transcript: a non-zero sentinel, an `[ERROR]` marker, output on StdErr or a missing
/// sentinel fail it, in that order of precedence.
pub fn judge(transcript: &Transcript) -> Result<(), Failure> {
    let last_error = last_error_marker(&transcript.stdout);
    let code = sentinel::parse(&transcript.stdout);
    if let Some(code) = code.filter(|code| *code != 0) {
        return Err(Failure::ExitCode {
            code,
            error: last_error,
        });
    }
    if let Some(message) = last_error {
        return Err(Failure::ErrorMarker(message));
    }
    if let Some(line) = meaningful_stderr(&transcript.stderr) {
        return Err(Failure::Stderr(line.to_owned()));
    }
    if code.is_none() {
        return Err(Failure::MissingSentinel {
            cut: transcript.stdout.len() >= CUT_THRESHOLD,
        });
    }
    Ok(())
}

/// The message of the last `[ERROR]` marker in `stdout`.
pub(crate) fn last_error_marker(stdout: &str) -> Option<String> {
    stdout
        .lines()
        .rev()
        .find_map(|line| match markers::parse(line) {
            Some(Marker::Error(message)) => Some(message),
            _ => None,
        })
}

/// The first line of StdErr that says something. Windows PowerShell serialises progress records to
/// a redirected StdErr as `#< CLIXML` documents: those alone are not errors.
pub(crate) fn meaningful_stderr(stderr: &str) -> Option<&str> {
    let clixml = stderr.trim_start().starts_with("#< CLIXML");
    if clixml && !stderr.contains("S=\"Error\"") {
        return None;
    }
    stderr.lines().map(str::trim).find(|line| !line.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(stdout: &str, stderr: &str) -> String {
        serde_json::json!({"value": [
            {"code": "ComponentStatus/StdOut/succeeded", "displayStatus": "Provisioning succeeded",
             "level": "Info", "message": stdout, "time": null},
            {"code": "ComponentStatus/StdErr/succeeded", "displayStatus": "Provisioning succeeded",
             "level": "Info", "message": stderr, "time": null},
        ]})
        .to_string()
    }

    fn verdict(stdout: &str, stderr: &str) -> Result<(), Failure> {
        judge(&parse(&answer(stdout, stderr)).unwrap())
    }

    #[test]
    fn parses_both_streams() {
        let transcript = parse(&answer("[INFO] a\nAVDEPLOY_EXIT_CODE=0", "")).unwrap();
        assert_eq!(transcript.stdout, "[INFO] a\nAVDEPLOY_EXIT_CODE=0");
        assert_eq!(transcript.stderr, "");
        let linux = r#"{"value":[{"code":"ProvisioningState/succeeded",
            "message":"Enable succeeded: \n[stdout]\nhello\n\n[stderr]\nwarn\n"}]}"#;
        let transcript = parse(linux).unwrap();
        assert_eq!(
            (transcript.stdout.as_str(), transcript.stderr.as_str()),
            ("hello\n", "warn\n")
        );
    }

    #[test]
    fn refuses_what_is_not_an_answer() {
        assert!(matches!(parse("not json"), Err(ResponseError::Json { .. })));
        assert!(matches!(
            parse(r#"{"value": 3}"#),
            Err(ResponseError::Shape)
        ));
    }

    #[test]
    fn sentinel_zero_is_success_and_non_zero_fails() {
        assert_eq!(verdict("[SUCCESS] ok\nAVDEPLOY_EXIT_CODE=0\n", ""), Ok(()));
        let failed = verdict("[ERROR] disk full\nAVDEPLOY_EXIT_CODE=1\n", "").unwrap_err();
        assert_eq!(
            failed,
            Failure::ExitCode {
                code: 1,
                error: Some("disk full".into())
            }
        );
        assert_eq!(failed.exit_code(), 1);
        assert!(failed.to_string().contains("exited with code 1"));
    }

    #[test]
    fn missing_sentinel_fails_and_says_when_cut() {
        let short = verdict("[INFO] started\n", "").unwrap_err();
        assert_eq!(short, Failure::MissingSentinel { cut: false });
        let long = "x".repeat(4_090);
        let cut = verdict(&long, "").unwrap_err();
        assert_eq!(cut, Failure::MissingSentinel { cut: true });
        assert!(cut.to_string().contains("cut at 4 KB"));
    }

    #[test]
    fn error_marker_and_stderr_fail_despite_sentinel_zero() {
        assert_eq!(
            verdict("[ERROR] job failed\nAVDEPLOY_EXIT_CODE=0", ""),
            Err(Failure::ErrorMarker("job failed".into()))
        );
        assert_eq!(
            verdict("AVDEPLOY_EXIT_CODE=0", "Write-Error : boom\n  + Category\n"),
            Err(Failure::Stderr("Write-Error : boom".into()))
        );
        let progress = "#< CLIXML\n<Objs Version=\"1.1.0.1\"><Obj S=\"progress\"/></Objs>";
        assert_eq!(verdict("AVDEPLOY_EXIT_CODE=0", progress), Ok(()));
    }
}

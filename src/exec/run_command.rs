//! The run-command check after the operation's bash exited 0: read the JSON it wrote (the
//! `invoke` answer, or a managed run command's final instance view), log the VM's transcript with
//! its markers, and judge the script by its exit code, `[ERROR]` markers and StdErr.

use std::path::{Path, PathBuf};

use crate::exec::attempt_log::Stream;
use crate::exec::output_sink::OutputSink;
use crate::model::operation::RunCommandMode;
use crate::runcmd::{managed, response};
use avdeploy_wire::redact::Redactor;

/// Where a run-command operation's `az ... -o json >` writes its answer, and what answer it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RunCommandCheck {
    /// The JSON file (`artifacts/outputs/<op>.json`).
    pub output_json: PathBuf,
    /// `Invoke`: the `invoke` answer, judged by its sentinel. `Managed`: the final instance view,
    /// judged by its exit code (its output was streamed to the log while it ran).
    pub mode: RunCommandMode,
}

/// A run-command script judged failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RunCommandFailure {
    /// The exit code recorded.
    pub(crate) exit_code: i32,
    /// Why, redacted.
    pub(crate) message: String,
}

/// Reads and judges the answer in `check.output_json`, feeding the transcript to `sink`.
pub(crate) fn verify(
    check: &RunCommandCheck,
    sink: &mut OutputSink<'_>,
) -> Result<(), RunCommandFailure> {
    let path = &check.output_json;
    let fail = |message: String| RunCommandFailure {
        exit_code: 1,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|err| {
        fail(format!(
            "failed to read the run-command answer `{}`: {err}",
            path.display()
        ))
    })?;
    // The answer was written by `az` itself; secrets the VM echoed must not stay on disk.
    if let Err(err) = rewrite_redacted(path, &text, sink.redactor()) {
        sink.note(&format!("failed to redact `{}`: {err}", path.display()));
    }
    let verdict = match check.mode {
        RunCommandMode::Invoke => judge_invoke(&text, sink),
        RunCommandMode::Managed => judge_managed(&text, sink),
    };
    verdict.map_err(|failure| match failure {
        Judged::Unreadable(message) => fail(format!("`{}`: {message}", path.display())),
        Judged::Failed(failure) => RunCommandFailure {
            exit_code: failure.exit_code(),
            message: sink.redactor().redact(&failure.to_string()).into_owned(),
        },
    })
}

/// Why an answer did not pass.
enum Judged {
    /// The answer cannot be read.
    Unreadable(String),
    /// The script failed.
    Failed(response::Failure),
}

fn judge_invoke(text: &str, sink: &mut OutputSink<'_>) -> Result<(), Judged> {
    let transcript = response::parse(text).map_err(|err| Judged::Unreadable(err.to_string()))?;
    sink.note("run-command transcript (StdOut):");
    for line in transcript.stdout.lines() {
        sink.line(Stream::VmStdout, line);
    }
    if !transcript.stderr.trim().is_empty() {
        sink.note("run-command transcript (StdErr):");
        for line in transcript.stderr.lines() {
            sink.line(Stream::VmStderr, line);
        }
    }
    response::judge(&transcript).map_err(Judged::Failed)
}

fn judge_managed(text: &str, sink: &mut OutputSink<'_>) -> Result<(), Judged> {
    let view =
        managed::parse_instance_view(text).map_err(|err| Judged::Unreadable(err.to_string()))?;
    if !view.error.trim().is_empty() {
        sink.note("run-command StdErr:");
        for line in view.error.lines() {
            sink.line(Stream::VmStderr, line);
        }
    }
    sink.note(&format!(
        "run command ended: {}, exit code {}",
        view.state.name(),
        view.exit_code
            .map_or_else(|| "none".to_owned(), |code| code.to_string())
    ));
    managed::judge(&view).map_err(Judged::Failed)
}

/// Masks the secrets in the file at `path`, if it exists (rewritten by rename, never in place).
pub(crate) fn mask_file(path: &Path, redactor: &Redactor) -> std::io::Result<()> {
    match std::fs::read(path) {
        Ok(bytes) => rewrite_redacted(path, &String::from_utf8_lossy(&bytes), redactor),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

fn rewrite_redacted(path: &Path, text: &str, redactor: &Redactor) -> std::io::Result<()> {
    let redacted = redactor.redact(text);
    if redacted == text {
        return Ok(());
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, redacted.as_bytes())?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::exec::event::{EventKind, RunEvent};
    use crate::exec::test_support::{Fixture, run};
    use crate::exec::unit::UnitOutcome;
    use crate::model::outcome::OperationStatus;

    fn answer(stdout: &str, stderr: &str) -> String {
        serde_json::json!({"value": [
            {"code": "ComponentStatus/StdOut/succeeded", "level": "Info", "message": stdout},
            {"code": "ComponentStatus/StdErr/succeeded", "level": "Info", "message": stderr},
        ]})
        .to_string()
    }

    /// Runs an operation whose `az` call "returned" `json` and exited 0.
    async fn judged(json: &str) -> (UnitOutcome, Vec<RunEvent>, Fixture) {
        let fixture = Fixture::new();
        let output_json = fixture.path("op.json");
        let body = format!("cat > '{}' <<'JSON'\n{json}\nJSON\n", output_json.display());
        let mut spec = fixture.spec("op", &body);
        spec.run_command = Some(RunCommandCheck {
            output_json,
            mode: RunCommandMode::Invoke,
        });
        spec.redactor = Arc::new(Redactor::new(["Pa55word!".to_owned()]));
        let (outcome, events) = run(spec).await;
        (outcome, events, fixture)
    }

    #[tokio::test]
    async fn sentinel_zero_completes_and_publishes_vm_outputs() {
        let stdout = "[PROGRESS] installing\n[OUTPUT] IMAGE_ID=/img/1\nAVDEPLOY_EXIT_CODE=0\n";
        let (outcome, events, fixture) = judged(&answer(stdout, "")).await;
        assert_eq!(
            (outcome.status, outcome.exit_code),
            (OperationStatus::Completed, Some(0))
        );
        assert_eq!(
            outcome.outputs,
            vec![("IMAGE_ID".to_owned(), "/img/1".to_owned())]
        );
        assert!(events.iter().any(|e| e.kind
            == EventKind::Progress {
                module: "m".into(),
                operation: "op".into(),
                message: "installing".into()
            }));
        assert!(
            fixture
                .logs()
                .concat()
                .contains("[vm-stdout] [PROGRESS] installing")
        );
    }

    #[tokio::test]
    async fn a_script_that_exits_1_is_never_completed() {
        let stdout = "[ERROR] msi failed\nAVDEPLOY_EXIT_CODE=1\n";
        let (outcome, _, _) = judged(&answer(stdout, "")).await;
        assert_eq!(
            (outcome.status, outcome.exit_code),
            (OperationStatus::Failed, Some(1))
        );
        let error = outcome.error.unwrap_or_default();
        assert!(error.contains("exited with code 1") && error.contains("msi failed"));
    }

    #[tokio::test]
    async fn missing_sentinel_error_marker_and_stderr_fail() {
        let (cut, _, _) = judged(&answer(&"x".repeat(4_095), "")).await;
        assert_eq!(cut.status, OperationStatus::Failed);
        assert!(cut.error.unwrap_or_default().contains("cut at 4 KB"));
        let (marker, _, _) = judged(&answer("[ERROR] job failed\nAVDEPLOY_EXIT_CODE=0", "")).await;
        assert_eq!(marker.status, OperationStatus::Failed);
        assert_eq!(marker.error.as_deref(), Some("[ERROR] job failed"));
        let (stderr, _, fixture) = judged(&answer("AVDEPLOY_EXIT_CODE=0", "boom Pa55word!")).await;
        assert_eq!(stderr.status, OperationStatus::Failed);
        assert_eq!(
            stderr.error.as_deref(),
            Some("the script wrote to StdErr: boom ***")
        );
        assert!(fixture.logs().concat().contains("[vm-stderr] boom ***"));
        let saved = std::fs::read_to_string(fixture.path("op.json")).unwrap();
        assert!(saved.contains("boom ***") && !saved.contains("Pa55word!"));
    }

    #[tokio::test]
    async fn unreadable_answers_fail() {
        let (garbage, _, _) = judged("<html>").await;
        assert_eq!(garbage.status, OperationStatus::Failed);
        assert!(garbage.error.unwrap_or_default().contains("not JSON"));
    }
}

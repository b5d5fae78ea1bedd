//! The run-command check after `az vm run-command invoke` exited 0: read the JSON it wrote, log
//! the VM's transcript with its markers, and judge the script by its sentinel, `[ERROR]` markers
//! and StdErr.

use std::path::{Path, PathBuf};

use crate::exec::attempt_log::Stream;
use crate::exec::output_sink::OutputSink;
use crate::redact::Redactor;
use crate::runcmd::response;

/// Where a run-command operation's `az ... -o json >` writes its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunCommandCheck {
    /// The JSON file (`artifacts/outputs/<op>.json`).
    pub output_json: PathBuf,
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
    let transcript =
        response::parse(&text).map_err(|err| fail(format!("`{}`: {err}", path.display())))?;
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
    // The answer was written by `az` itself; secrets the VM echoed must not stay on disk.
    if let Err(err) = rewrite_redacted(path, &text, sink.redactor()) {
        sink.note(&format!("failed to redact `{}`: {err}", path.display()));
    }
    response::judge(&transcript).map_err(|failure| RunCommandFailure {
        exit_code: failure.exit_code(),
        message: sink.redactor().redact(&failure.to_string()).into_owned(),
    })
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

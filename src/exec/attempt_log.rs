//! The log file of one attempt: `<log_dir>/<op>_<YYYYmmdd-HHMMSS>.log`, every line prefixed with
//! an RFC 3339 timestamp and the stream it came from.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, SecondsFormat};

use crate::base::layout::AttemptLogName;

/// Where a log line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    /// Lines avdeploy itself writes (attempt start and end).
    Engine,
    /// The operation's standard error.
    Stderr,
    /// The operation's standard output.
    Stdout,
    /// The run-command transcript's StdErr.
    VmStderr,
    /// The run-command transcript's StdOut.
    VmStdout,
}

impl Stream {
    fn label(self) -> &'static str {
        match self {
            Self::Engine => "avdeploy",
            Self::Stderr => "stderr",
            Self::Stdout => "stdout",
            Self::VmStderr => "vm-stderr",
            Self::VmStdout => "vm-stdout",
        }
    }
}

/// An open attempt log. Text given to it must already be redacted.
#[derive(Debug)]
pub(crate) struct AttemptLog {
    path: PathBuf,
    file: File,
    write_error: Option<io::Error>,
}

impl AttemptLog {
    /// Creates a new log for `operation` in `dir` (created if missing), named after `started`;
    /// `-2`, `-3`... are appended when that name is taken.
    pub(crate) fn create(
        dir: &Path,
        operation: &str,
        started: DateTime<Local>,
    ) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let stamp = started.format("%Y%m%d-%H%M%S").to_string();
        for n in 1u32.. {
            let path = dir.join(AttemptLogName::format(operation, &stamp, n));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(Self {
                        path,
                        file,
                        write_error: None,
                    });
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(err),
            }
        }
        Err(io::Error::other("no free log file name"))
    }

    /// The log file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line. A failed write is remembered (see [`AttemptLog::write_error`]) rather
    /// than stopping the operation, whose outcome matters more than its log.
    pub(crate) fn line(&mut self, stream: Stream, text: &str) {
        if self.write_error.is_some() {
            return;
        }
        let stamp = Local::now().to_rfc3339_opts(SecondsFormat::Millis, false);
        let text = text.trim_end_matches(['\r', '\n']);
        if let Err(err) = writeln!(self.file, "{stamp} [{}] {text}", stream.label()) {
            self.write_error = Some(err);
        }
    }

    /// The first write that failed, if any.
    pub(crate) fn write_error(&self) -> Option<&io::Error> {
        self.write_error.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lines_are_stamped() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        let started = Local::now();
        let mut first = AttemptLog::create(&logs, "op-a", started).unwrap();
        let second = AttemptLog::create(&logs, "op-a", started).unwrap();
        let expected = format!("op-a_{}", started.format("%Y%m%d-%H%M%S"));
        assert_eq!(
            first.path().file_name().unwrap().to_str(),
            Some(format!("{expected}.log").as_str())
        );
        assert_eq!(
            second.path().file_name().unwrap().to_str(),
            Some(format!("{expected}-2.log").as_str())
        );
        first.line(Stream::Stdout, "hello\r\n");
        first.line(Stream::VmStderr, "oops");
        let text = std::fs::read_to_string(first.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].ends_with(" [stdout] hello"));
        assert!(lines[1].ends_with(" [vm-stderr] oops"));
        let stamp = lines[0].split(' ').next().unwrap();
        assert!(DateTime::parse_from_rfc3339(stamp).is_ok());
        assert!(first.write_error().is_none());
    }
}

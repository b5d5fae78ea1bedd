//! What happens to each output line of an attempt: redacted, logged, parsed for markers, turned
//! into events, and kept for the error excerpt and classification.

use std::collections::VecDeque;

use tokio::sync::mpsc::UnboundedSender;

use crate::exec::attempt_log::{AttemptLog, Stream};
use crate::exec::event::{EventKind, RunEvent};
use crate::model::markers::{self, Marker};
use avdeploy_wire::redact::{Redactor, is_secret_name};

/// How many recent lines are kept for classifying a failure.
const TAIL_LINES: usize = 400;

/// The per-attempt consumer of output lines.
pub(crate) struct OutputSink<'a> {
    module: &'a str,
    operation: &'a str,
    redactor: &'a mut Redactor,
    events: &'a UnboundedSender<RunEvent>,
    log: &'a mut AttemptLog,
    outputs: Vec<(String, String)>,
    last_error_marker: Option<String>,
    last_az_error: Option<String>,
    last_stderr: Option<String>,
    last_stdout: Option<String>,
    tail: VecDeque<String>,
}

impl<'a> OutputSink<'a> {
    /// A sink for `operation` of `module`, logging to `log`; secret `[OUTPUT]` values are added
    /// to `redactor`.
    pub(crate) fn new(
        module: &'a str,
        operation: &'a str,
        redactor: &'a mut Redactor,
        events: &'a UnboundedSender<RunEvent>,
        log: &'a mut AttemptLog,
    ) -> Self {
        Self {
            module,
            operation,
            redactor,
            events,
            log,
            outputs: Vec::new(),
            last_error_marker: None,
            last_az_error: None,
            last_stderr: None,
            last_stdout: None,
            tail: VecDeque::new(),
        }
    }

    /// Writes an engine line (already free of secrets, but redacted anyway) to the log.
    pub(crate) fn note(&mut self, text: &str) {
        let text = self.redactor.redact(text).into_owned();
        self.log.line(Stream::Engine, &text);
    }

    /// Handles one line of output from `stream`.
    pub(crate) fn line(&mut self, stream: Stream, raw: &str) {
        let marker = markers::parse(raw);
        if let Some(Marker::Output { name, value }) = &marker
            && is_secret_name(name)
        {
            self.redactor.add(value);
        }
        let text = self.redactor.redact(raw).into_owned();
        self.log.line(stream, &text);
        if let Some(marker) = marker {
            self.marker(marker);
        }
        if !text.trim().is_empty() {
            match stream {
                Stream::Stderr | Stream::VmStderr => {
                    if text.trim_start().starts_with("ERROR:") {
                        self.last_az_error = Some(text.clone());
                    }
                    self.last_stderr = Some(text.clone());
                }
                Stream::Stdout | Stream::VmStdout => self.last_stdout = Some(text.clone()),
                Stream::Engine => {}
            }
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(text);
    }

    fn marker(&mut self, marker: Marker) {
        let module = self.module.to_owned();
        let operation = self.operation.to_owned();
        let event = match marker {
            Marker::Output { name, .. } if crate::model::variables::is_reserved(&name) => {
                RunEvent::now(EventKind::Marker {
                    module,
                    operation,
                    marker: "WARNING".to_owned(),
                    message: format!(
                        "[OUTPUT] {name} ignored: the name changes how operations run"
                    ),
                })
            }
            Marker::Output { name, value } => {
                let shown = self.redactor.redact(&value).into_owned();
                self.outputs.retain(|(known, _)| *known != name);
                self.outputs.push((name.clone(), value));
                RunEvent::now(EventKind::OutputPublished {
                    module,
                    operation,
                    name,
                    value: shown,
                })
            }
            Marker::Progress(message) => RunEvent::now(EventKind::Progress {
                module,
                operation,
                message: self.redactor.redact(&message).into_owned(),
            }),
            other => {
                let marker = other.name().to_owned();
                let message = self
                    .redactor
                    .redact(other.message().unwrap_or_default())
                    .into_owned();
                if marker == "ERROR" {
                    self.last_error_marker = Some(message.clone());
                }
                RunEvent::now(EventKind::Marker {
                    module,
                    operation,
                    marker,
                    message,
                })
            }
        };
        // A reporter that has gone away cannot be told; the operation still runs to its end.
        let _ = self.events.send(event);
    }

    /// The values published with `[OUTPUT]`, in clear, last value per name.
    pub(crate) fn take_outputs(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.outputs)
    }

    /// The best line to show for a failure: the last `[ERROR]` message, else the last `ERROR:`
    /// line of `az` on stderr, else the last stderr line, else the last stdout line (redacted).
    pub(crate) fn error_excerpt(&self) -> Option<String> {
        self.last_error_marker
            .clone()
            .or_else(|| self.last_az_error.clone())
            .or_else(|| self.last_stderr.clone())
            .or_else(|| self.last_stdout.clone())
    }

    /// The recent output, redacted, for the error catalog.
    pub(crate) fn recent_text(&self) -> String {
        self.tail
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The redactor in use (it grows with secret `[OUTPUT]` values).
    pub(crate) fn redactor(&self) -> &Redactor {
        self.redactor
    }

    /// The log's first write error, if any.
    pub(crate) fn log_error(&self) -> Option<String> {
        self.log
            .write_error()
            .map(|err| format!("failed to write log `{}`: {err}", self.log.path().display()))
    }
}

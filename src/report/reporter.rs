//! The reporter: fans each engine event out to the console (lines, or progress bars on a TTY),
//! the JSONL event log and the state recorder.

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::exec::event::RunEvent;
use crate::report::console::{ConsoleState, lines};
use crate::report::jsonl::JsonlWriter;
use crate::report::progress::ProgressView;
use crate::state::error::StateError;
use crate::state::recorder::Recorder;
use crate::state::store::Store;

/// Why reporting an event failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The console could not be written.
    #[error("failed to write to the console")]
    Console {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A record could not be encoded as JSON.
    #[error("failed to encode an event for `{path}`")]
    Encode {
        /// The event log.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The event log could not be opened or written.
    #[error("failed to write event log `{path}`")]
    Log {
        /// The event log.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The state recorder failed.
    #[error("failed to record the event in state")]
    State {
        /// The state error.
        #[source]
        source: StateError,
    },
}

/// How to report.
#[derive(Clone, Debug)]
pub struct ReporterOptions {
    /// Draw live progress bars (standard output is a terminal) instead of plain lines.
    pub tty: bool,
    /// The JSONL event log, for example [`crate::report::daily_log_path`].
    pub jsonl_path: PathBuf,
    /// Where the summary says the logs are (for example `artifacts/logs`).
    pub logs_dir: PathBuf,
    /// The plan (module, operation), to name the module of every operation in the log.
    pub planned: Vec<(String, String)>,
}

/// Where console lines go.
enum Console {
    Lines(Box<dyn Write + Send>),
    Bars(ProgressView),
}

/// Receives every engine event and reports it everywhere.
pub struct Reporter {
    console: Console,
    state: ConsoleState,
    jsonl: JsonlWriter,
    recorder: Option<Recorder>,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter")
            .field("jsonl", &self.jsonl)
            .field("recorder", &self.recorder)
            .finish_non_exhaustive()
    }
}

impl Reporter {
    /// A reporter printing to standard output (bars when `opts.tty`), appending to the event
    /// log, and recording state when given a recorder.
    pub fn new(opts: ReporterOptions, recorder: Option<Recorder>) -> Result<Self, ReportError> {
        let console = if opts.tty {
            Console::Bars(ProgressView::new())
        } else {
            Console::Lines(Box::new(std::io::stdout()))
        };
        Self::build(opts, recorder, console)
    }

    /// A plain-lines reporter writing its console lines to `out` (for tests and captures).
    pub fn with_output(
        opts: ReporterOptions,
        recorder: Option<Recorder>,
        out: Box<dyn Write + Send>,
    ) -> Result<Self, ReportError> {
        Self::build(opts, recorder, Console::Lines(out))
    }

    fn build(
        opts: ReporterOptions,
        recorder: Option<Recorder>,
        console: Console,
    ) -> Result<Self, ReportError> {
        let jsonl = JsonlWriter::open(&opts.jsonl_path, &opts.planned)?;
        let logs = format!(
            "{} (events: {})",
            opts.logs_dir.display(),
            opts.jsonl_path.display()
        );
        Ok(Self {
            console,
            state: ConsoleState::new(logs),
            jsonl,
            recorder,
        })
    }

    /// Reports one event now.
    pub fn handle(&mut self, event: &RunEvent) -> Result<(), ReportError> {
        self.handle_at(event, Utc::now())
    }

    /// Reports one event that happened at `now`. Every sink gets the event even when an
    /// earlier one fails; the first failure is returned.
    pub fn handle_at(&mut self, event: &RunEvent, now: DateTime<Utc>) -> Result<(), ReportError> {
        let recorded = match &mut self.recorder {
            Some(recorder) => recorder
                .record_at(event, now)
                .map_err(|source| ReportError::State { source }),
            None => Ok(()),
        };
        let logged = self.jsonl.write(event, now);
        let shown = self.show(event);
        recorded.and(logged).and(shown)
    }

    fn show(&mut self, event: &RunEvent) -> Result<(), ReportError> {
        let text = lines(&mut self.state, event);
        let console_error = |source| ReportError::Console { source };
        match &mut self.console {
            Console::Lines(out) => {
                for line in text {
                    writeln!(out, "{line}").map_err(console_error)?;
                }
                out.flush().map_err(console_error)
            }
            Console::Bars(view) => {
                view.handle(event);
                // Bars already show heartbeats and progress messages.
                if matches!(
                    event,
                    RunEvent::Heartbeat { .. } | RunEvent::Progress { .. }
                ) {
                    return Ok(());
                }
                for line in text {
                    view.println(&line).map_err(console_error)?;
                }
                Ok(())
            }
        }
    }

    /// Ends reporting: removes bars, flushes, and gives back the state store when recording.
    pub fn finish(mut self) -> Result<Option<Store>, ReportError> {
        match &mut self.console {
            Console::Lines(out) => out
                .flush()
                .map_err(|source| ReportError::Console { source })?,
            Console::Bars(view) => view.clear(),
        }
        Ok(self.recorder.map(Recorder::into_store))
    }
}

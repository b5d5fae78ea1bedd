//! The reporter: fans each engine event out to the console (lines, or progress bars on a TTY),
//! the JSONL event log and the state recorder.

use std::io::Write;
use std::path::PathBuf;

use crate::exec::event::{EventKind, RunEvent};
use crate::report::color::Painter;
use crate::report::console::{ConsoleState, lines};
use crate::report::forecast::Forecast;
use crate::report::jsonl::JsonlWriter;
use crate::report::progress::ProgressView;
use crate::state::db::StateDb;
use crate::state::error::StateError;
use crate::state::recorder::Recorder;

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
    /// The JSONL event log, for example [`crate::base::layout::Layout::event_log`].
    pub jsonl_path: PathBuf,
    /// Where the summary says the logs are (for example `artifacts/logs`).
    pub logs_dir: PathBuf,
    /// How console lines are coloured.
    pub painter: Painter,
    /// Expected times on the run's clock and the time left, for the progress bars.
    pub forecast: Option<Forecast>,
}

/// Where console lines go.
enum Console {
    Lines(Box<dyn Write + Send>),
    Bars(Box<ProgressView>),
}

/// Receives every engine event and reports it everywhere.
pub struct Reporter {
    console: Console,
    painter: Painter,
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
            Console::Bars(Box::new(ProgressView::new(
                opts.forecast.clone(),
                opts.painter,
            )))
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
        let jsonl = JsonlWriter::open(&opts.jsonl_path)?;
        // The event log lives in the logs folder: name it from there, as the user sees it.
        let events = opts
            .jsonl_path
            .file_name()
            .map_or_else(|| opts.jsonl_path.clone(), |name| opts.logs_dir.join(name));
        let logs = format!("{} (events: {})", opts.logs_dir.display(), events.display());
        Ok(Self {
            console,
            painter: opts.painter,
            state: ConsoleState::new(logs),
            jsonl,
            recorder,
        })
    }

    /// Reports one event. Every sink gets the event even when an earlier one fails; the first
    /// failure is returned.
    pub fn handle(&mut self, event: &RunEvent) -> Result<(), ReportError> {
        let recorded = match &mut self.recorder {
            Some(recorder) => recorder
                .record(event)
                .map_err(|source| ReportError::State { source }),
            None => Ok(()),
        };
        let logged = self.jsonl.write(event);
        if logged.is_err()
            && let Some(recorder) = &self.recorder
        {
            // A log with a gap is recorded as incomplete, if state can still be written.
            let _ = recorder.record_events_lost(1);
        }
        let shown = self.show(event);
        recorded.and(logged).and(shown)
    }

    fn show(&mut self, event: &RunEvent) -> Result<(), ReportError> {
        let text = lines(&mut self.state, event);
        let console_error = |source| ReportError::Console { source };
        match &mut self.console {
            Console::Lines(out) => {
                for line in text {
                    writeln!(out, "{}", self.painter.console_line(&line)).map_err(console_error)?;
                }
                out.flush().map_err(console_error)
            }
            Console::Bars(view) => {
                view.handle(event);
                // Bars already show heartbeats and progress messages.
                if matches!(
                    &event.kind,
                    EventKind::Heartbeat { .. } | EventKind::Progress { .. }
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
    pub fn finish(mut self) -> Result<Option<StateDb>, ReportError> {
        match &mut self.console {
            Console::Lines(out) => out
                .flush()
                .map_err(|source| ReportError::Console { source })?,
            Console::Bars(view) => view.clear(),
        }
        Ok(self.recorder.map(Recorder::into_store))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::model::outcome::OperationStatus;
    use crate::report::sample;

    /// A console that tests can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .expect("console buffer")
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_sink_receives_every_event() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (_lock, store) = crate::state::recorder::tests::open(dir.path());
        let recorder = Recorder::new(store);
        let opts = ReporterOptions {
            tty: false,
            jsonl_path: dir.path().join("artifacts/logs/deployment_20250301.jsonl"),
            logs_dir: PathBuf::from("artifacts/logs"),
            painter: Painter::default(),
            forecast: None,
        };
        let console = Captured::default();
        let mut reporter =
            Reporter::with_output(opts.clone(), Some(recorder), Box::new(console.clone()))
                .expect("reporter");
        let events = sample::events();
        for event in &events {
            reporter.handle(event).expect("handle");
        }
        let store = reporter.finish().expect("finish").expect("store");

        let text = String::from_utf8(console.0.lock().expect("buffer").clone()).expect("utf-8");
        assert!(text.contains("[*] Waiting for 3 parallel operations to complete...\n"));
        assert!(text.contains("    logs: artifacts/logs (events: "));
        let log = std::fs::read_to_string(&opts.jsonl_path).expect("event log");
        assert_eq!(log.lines().count(), events.len());

        let summaries = store.operation_summaries().expect("summaries");
        let status_of = |op: &str| {
            summaries
                .iter()
                .find(|s| s.operation == op)
                .map(|s| (s.status, s.attempts))
        };
        assert_eq!(status_of("nsg-b"), Some((OperationStatus::Failed, 2)));
        assert_eq!(status_of("nsg-c"), Some((OperationStatus::TimedOut, 1)));
        assert_eq!(status_of("peering"), Some((OperationStatus::Blocked, 0)));
        assert_eq!(
            status_of("private-endpoint"),
            Some((OperationStatus::Interrupted, 1))
        );
        let run = store.last_unfinished_run().expect("query").expect("run");
        assert_eq!(run.id, "20250301-090000-1a2b");
    }
}

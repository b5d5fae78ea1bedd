//! Reporters: turn engine events into console lines, progress bars, JSONL records and state.

pub mod color;
pub mod console;
pub mod durations;
pub mod forecast;
pub mod html;
pub mod jsonl;
pub mod messages;
pub mod outputs_view;
pub mod progress;
pub mod replay;
pub mod reporter;
pub mod run_timeline;
#[cfg(test)]
mod sample;
pub mod stage_log;
pub mod status_view;
pub mod summary;
pub mod terminal;

pub use console::{ConsoleState, lines};
pub use jsonl::{JSONL_FORMAT_VERSION, JsonlRecord, JsonlWriter};
pub use reporter::{ReportError, Reporter, ReporterOptions};
pub use status_view::{STATUS_FORMAT_VERSION, StatusJson, render_document};

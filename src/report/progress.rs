//! Live progress on a TTY: one bar per running operation showing elapsed time against the
//! expected duration and the operation's last `[PROGRESS]` message. Lines print above the bars.

use std::collections::HashMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::exec::event::RunEvent;
use crate::report::text::human_duration;

/// How often the bars redraw.
const TICK: Duration = Duration::from_millis(200);

/// Width of the elapsed-against-expected gauge, in characters.
const GAUGE_WIDTH: usize = 20;

/// `1m10s / 2m`, or `3m / 2m (over)` once the expected duration has passed.
pub fn bar_label(elapsed: Duration, expected: Duration) -> String {
    let over = if elapsed > expected && !expected.is_zero() {
        " (over)"
    } else {
        ""
    };
    format!(
        "{} / {}{over}",
        human_duration(elapsed),
        human_duration(expected)
    )
}

/// `[#####---------------]`: the share of the expected duration already spent, full when past.
pub fn gauge(elapsed: Duration, expected: Duration, width: usize) -> String {
    let filled = if expected.is_zero() {
        width
    } else {
        let ratio = elapsed.as_secs_f64() / expected.as_secs_f64();
        // The ratio is clamped to [0, 1] first, so the product fits in `width`.
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let cells = (ratio.clamp(0.0, 1.0) * width as f64).round() as usize;
        cells
    };
    format!("[{}{}]", "#".repeat(filled), "-".repeat(width - filled))
}

/// The bars of the running operations.
#[derive(Debug)]
pub struct ProgressView {
    multi: MultiProgress,
    bars: HashMap<String, ProgressBar>,
}

impl Default for ProgressView {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgressView {
    /// Bars drawn on standard output.
    pub fn new() -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            bars: HashMap::new(),
        }
    }

    /// Prints a line above the bars.
    pub fn println(&self, line: &str) -> std::io::Result<()> {
        self.multi.println(line)
    }

    /// Adds, updates or removes bars for one event.
    pub fn handle(&mut self, event: &RunEvent) {
        match event {
            RunEvent::OperationStarted {
                operation,
                expected,
                ..
            } => {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(style(*expected));
                bar.set_prefix(operation.clone());
                bar.enable_steady_tick(TICK);
                if let Some(old) = self.bars.insert(operation.clone(), bar) {
                    old.finish_and_clear();
                }
            }
            RunEvent::Progress { operation, message } => {
                if let Some(bar) = self.bars.get(operation) {
                    bar.set_message(message.clone());
                }
            }
            RunEvent::AttemptFailedWillRetry { operation, .. }
            | RunEvent::OperationFinished { operation, .. } => {
                if let Some(bar) = self.bars.remove(operation) {
                    bar.finish_and_clear();
                }
            }
            RunEvent::RunFinished { .. } => self.clear(),
            _ => {}
        }
    }

    /// Removes every bar.
    pub fn clear(&mut self) {
        for (_, bar) in self.bars.drain() {
            bar.finish_and_clear();
        }
    }
}

fn style(expected: Duration) -> ProgressStyle {
    let template = "{spinner} {prefix:40} {gauge} {label:18} {wide_msg}";
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key(
            "gauge",
            move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = out.write_str(&gauge(state.elapsed(), expected, GAUGE_WIDTH));
            },
        )
        .with_key(
            "label",
            move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{}", bar_label(state.elapsed(), expected));
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_and_gauge_track_the_expected_duration() {
        let secs = Duration::from_secs;
        assert_eq!(bar_label(secs(70), secs(120)), "1m10s / 2m");
        assert_eq!(bar_label(secs(180), secs(120)), "3m / 2m (over)");
        assert_eq!(gauge(secs(30), secs(120), 8), "[##------]");
        assert_eq!(gauge(secs(500), secs(120), 4), "[####]");
        assert_eq!(gauge(secs(0), secs(0), 2), "[##]");
    }

    #[test]
    fn bars_follow_running_operations() {
        let mut view = ProgressView {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
            bars: HashMap::new(),
        };
        view.handle(&RunEvent::OperationStarted {
            module: "m".into(),
            operation: "op".into(),
            attempt: 1,
            pid: 7,
            log_path: "op.log".into(),
            expected: Duration::from_secs(60),
        });
        view.handle(&RunEvent::Progress {
            operation: "op".into(),
            message: "half way".into(),
        });
        assert_eq!(view.bars["op"].message(), "half way");
        view.handle(&RunEvent::OperationFinished {
            module: "m".into(),
            operation: "op".into(),
            attempt: 1,
            status: crate::model::status::OperationStatus::Completed,
            exit_code: Some(0),
            duration: Duration::from_secs(1),
            class: None,
            hint: None,
            error: None,
        });
        assert!(view.bars.is_empty());
    }
}

//! Live progress on a TTY: one bar per running operation (spinner, id, elapsed against expected
//! gauge, last `[PROGRESS]` message) and an overall line (done/total, elapsed, ETA). Console
//! lines print above the bars; every bar is gone when the run ends, however it ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{
    MultiProgress, ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressState, ProgressStyle,
};

use crate::base::text;
use crate::exec::event::{EventKind, RunEvent};
use crate::report::color::{Painter, Tone};
use crate::report::forecast::Forecast;
use crate::report::terminal::QuietControlChars;

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
        text::duration(elapsed),
        text::duration(expected)
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

/// `[3/12 done] 1m10s elapsed, ETA ~2m`: the run as a whole. `eta` is `None` before any
/// estimate exists.
pub fn overall_text(done: usize, total: usize, elapsed: Duration, eta: Option<Duration>) -> String {
    let eta = eta.map_or_else(String::new, |left| {
        format!(", ETA ~{}", text::duration(left))
    });
    format!(
        "[{done}/{total} done] {} elapsed{eta}",
        text::duration(elapsed)
    )
}

/// The estimate of the time left, as of when it was made.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    made_at: Instant,
    remaining: Duration,
}

impl Estimate {
    fn at(self, now: Instant) -> Duration {
        self.remaining
            .saturating_sub(now.saturating_duration_since(self.made_at))
    }
}

/// The bars of the running operations, and the overall line below them.
#[derive(Debug)]
pub struct ProgressView {
    multi: MultiProgress,
    bars: HashMap<String, ProgressBar>,
    overall: Option<ProgressBar>,
    estimate: Arc<Mutex<Option<Estimate>>>,
    forecast: Option<Forecast>,
    painter: Painter,
    /// Dropped after the bars are cleared, restoring the terminal.
    quiet: Option<QuietControlChars>,
}

impl ProgressView {
    /// Bars drawn on standard output; `forecast` gives expected times on the run's clock and
    /// the time left (without one, expected times are as declared and there is no ETA).
    pub fn new(forecast: Option<Forecast>, painter: Painter) -> Self {
        let mut view = Self::with_target(ProgressDrawTarget::stdout(), forecast, painter);
        view.quiet = QuietControlChars::engage();
        view
    }

    fn with_target(
        target: ProgressDrawTarget,
        forecast: Option<Forecast>,
        painter: Painter,
    ) -> Self {
        Self {
            multi: MultiProgress::with_draw_target(target),
            bars: HashMap::new(),
            overall: None,
            estimate: Arc::new(Mutex::new(None)),
            forecast,
            painter,
            quiet: None,
        }
    }

    /// Prints a line above the bars, coloured like every console line.
    pub fn println(&self, line: &str) -> std::io::Result<()> {
        self.multi.println(self.painter.console_line(line))
    }

    /// Adds, updates or removes bars for one event.
    pub fn handle(&mut self, event: &RunEvent) {
        let now = Instant::now();
        match &event.kind {
            EventKind::RunStarted { operations, .. } => self.start_overall(*operations),
            EventKind::OperationStarted {
                operation,
                expected,
                ..
            } => {
                let expected = self
                    .forecast
                    .as_ref()
                    .map_or(*expected, |f| f.scaled(*expected));
                let bar = ProgressBar::new_spinner().with_finish(ProgressFinish::AndClear);
                let bar = match &self.overall {
                    Some(overall) => self.multi.insert_before(overall, bar),
                    None => self.multi.add(bar),
                };
                bar.set_style(operation_style(expected, self.painter));
                bar.set_prefix(operation.clone());
                bar.enable_steady_tick(TICK);
                if let Some(old) = self.bars.insert(operation.clone(), bar) {
                    old.finish_and_clear();
                }
                if let Some(forecast) = &mut self.forecast {
                    forecast.started(operation, now);
                }
                self.estimate_at(now);
            }
            EventKind::Progress {
                operation, message, ..
            } => {
                if let Some(bar) = self.bars.get(operation) {
                    bar.set_message(message.clone());
                }
            }
            EventKind::AttemptFailedWillRetry { operation, .. } => {
                self.remove(operation);
                if let Some(forecast) = &mut self.forecast {
                    forecast.paused(operation);
                }
                self.estimate_at(now);
            }
            EventKind::OperationFinished { operation, .. } => {
                self.remove(operation);
                if let Some(forecast) = &mut self.forecast {
                    forecast.finished(operation);
                }
                if let Some(overall) = &self.overall {
                    overall.inc(1);
                }
                self.estimate_at(now);
            }
            EventKind::RunFinished { .. } => self.clear(),
            _ => {}
        }
    }

    /// Removes every bar, the overall line too.
    pub fn clear(&mut self) {
        for (_, bar) in self.bars.drain() {
            bar.finish_and_clear();
        }
        if let Some(overall) = self.overall.take() {
            overall.finish_and_clear();
        }
    }

    fn remove(&mut self, operation: &str) {
        if let Some(bar) = self.bars.remove(operation) {
            bar.finish_and_clear();
        }
    }

    fn start_overall(&mut self, operations: usize) {
        // The first draw already shows the estimate.
        self.estimate_at(Instant::now());
        let bar = self.multi.add(
            ProgressBar::new(u64::try_from(operations).unwrap_or(u64::MAX))
                .with_finish(ProgressFinish::AndClear),
        );
        let estimate = Arc::clone(&self.estimate);
        let style = ProgressStyle::with_template("{spinner} {overall}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .with_key(
                "overall",
                move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let eta = estimate
                        .lock()
                        .ok()
                        .and_then(|e| *e)
                        .map(|e| e.at(Instant::now()));
                    let total = usize::try_from(state.len().unwrap_or(0)).unwrap_or(usize::MAX);
                    let done = usize::try_from(state.pos()).unwrap_or(usize::MAX);
                    let _ = out.write_str(&overall_text(done, total, state.elapsed(), eta));
                },
            );
        bar.set_style(style);
        bar.enable_steady_tick(TICK);
        if let Some(old) = self.overall.replace(bar) {
            old.finish_and_clear();
        }
    }

    fn estimate_at(&self, now: Instant) {
        let Some(forecast) = &self.forecast else {
            return;
        };
        let remaining = forecast.remaining(now);
        if let Ok(mut estimate) = self.estimate.lock() {
            *estimate = Some(Estimate {
                made_at: now,
                remaining,
            });
        }
    }
}

/// Bars left when the view goes away early (an error, a panic) are removed, never left behind
/// in the scrollback.
impl Drop for ProgressView {
    fn drop(&mut self) {
        self.clear();
    }
}

fn operation_style(expected: Duration, painter: Painter) -> ProgressStyle {
    let template = "{spinner} {prefix:40} {gauge} {label:18} {wide_msg}";
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key(
            "gauge",
            move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let elapsed = state.elapsed();
                let tone = if elapsed > expected {
                    Tone::Yellow
                } else {
                    Tone::Green
                };
                let text = gauge(elapsed, expected, GAUGE_WIDTH);
                let _ = out.write_str(&painter.paint(&text, tone));
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
        assert_eq!(bar_label(secs(70), secs(120)), "1m10s / 2m00s");
        assert_eq!(bar_label(secs(180), secs(120)), "3m00s / 2m00s (over)");
        assert_eq!(gauge(secs(30), secs(120), 8), "[##------]");
        assert_eq!(gauge(secs(500), secs(120), 4), "[####]");
        assert_eq!(gauge(secs(0), secs(0), 2), "[##]");
    }

    #[test]
    fn overall_line_counts_done_work_and_the_time_left() {
        let secs = Duration::from_secs;
        assert_eq!(
            overall_text(3, 12, secs(70), Some(secs(125))),
            "[3/12 done] 1m10s elapsed, ETA ~2m05s"
        );
        assert_eq!(overall_text(0, 1, secs(0), None), "[0/1 done] 0s elapsed");
        let made_at = Instant::now();
        let estimate = Estimate {
            made_at,
            remaining: secs(10),
        };
        assert_eq!(estimate.at(made_at + secs(4)), secs(6));
        assert_eq!(estimate.at(made_at + secs(40)), Duration::ZERO);
    }

    #[test]
    fn bars_follow_running_operations() {
        let mut view =
            ProgressView::with_target(ProgressDrawTarget::hidden(), None, Painter::default());
        view.handle(&RunEvent::now(EventKind::OperationStarted {
            module: "m".into(),
            operation: "op".into(),
            attempt: 1,
            pid: 7,
            log_path: "op.log".into(),
            expected: Duration::from_secs(60),
            changed: Vec::new(),
            fingerprint: None,
        }));
        view.handle(&RunEvent::now(EventKind::Progress {
            module: "m".into(),
            operation: "op".into(),
            message: "half way".into(),
        }));
        assert_eq!(view.bars["op"].message(), "half way");
        view.handle(&RunEvent::now(EventKind::OperationFinished {
            module: "m".into(),
            operation: "op".into(),
            attempt: 1,
            status: crate::model::outcome::OperationStatus::Completed,
            exit_code: Some(0),
            duration: Duration::from_secs(1),
            class: None,
            hint: None,
            error: None,
        }));
        assert!(view.bars.is_empty());
    }
}

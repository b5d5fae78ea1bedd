//! The timeline report as one self-contained HTML page: inline CSS and SVG, no script, nothing
//! fetched. A bar per attempt on the run's time axis, the predicted bar above it, details on
//! hover (SVG `<title>`), and a summary table.

use std::fmt::Write as _;

use crate::report::run_timeline::{Bar, Group, Row, RunTimeline};
use crate::state::records::outcome_name;

/// Width of the operation labels, in pixels.
const LABEL_WIDTH: u64 = 320;
/// Width of the time axis, in pixels.
const CHART_WIDTH: u64 = 1000;
/// Height of an operation's row.
const ROW_HEIGHT: u64 = 20;
/// Height of a module or stage heading row.
const GROUP_HEIGHT: u64 = 24;
/// Narrowest bar drawn, so that an attempt of a few milliseconds still shows.
const MIN_BAR: f64 = 2.0;
/// Operations listed as the slowest.
const SLOWEST: usize = 10;
/// Longest command shown on hover, in characters.
const COMMAND_CHARS: usize = 400;

const STYLE: &str = "
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#5a6270;margin:0 0 16px}
table{border-collapse:collapse;margin-bottom:8px}
td,th{padding:3px 12px 3px 0;text-align:left;vertical-align:top}
th{font-weight:600;color:#3a4250}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.legend span{display:inline-block;margin-right:14px}
.legend i{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:middle}
.timeline{border-top:1px solid #d8dce3}
.axis{position:sticky;top:0;background:#fff;z-index:1}
svg text{font:12px system-ui,sans-serif;fill:#1d2430}
.tick line,.grid{stroke:#e6e9ee}
.tick text{fill:#5a6270}
.group text{font-weight:600}
.group .band{fill:#eef1f6}
.critical>text.label{font-weight:700}
.critical .mark{fill:#d4a017}
.predicted{fill:#b7bfcc}
.attempt{stroke:none}
.attempt:hover{stroke:#1d2430;stroke-width:1.5}
.critical .attempt{stroke:#d4a017;stroke-width:1.5}
.s-completed{fill:#2e9d52}.s-failed{fill:#d64541}.s-retried{fill:#f0a030}
.s-timed_out{fill:#8e44ad}.s-interrupted{fill:#7f8c8d}.s-running{fill:#2f80ed}
.s-blocked,.s-skipped,.s-pending{fill:#7f8c8d}
text.class{fill:#fff;font-size:10px}
text.note{fill:#7f8c8d;font-style:italic}
";

/// Escapes text for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A duration in milliseconds for people: `350ms`, `12.3s`, `4m05s`, `1h02m`.
pub fn millis_text(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        _ => crate::base::text::duration(std::time::Duration::from_millis(ms)),
    }
}

/// The spacing of the axis ticks: 1, 2 or 5 times a power of ten milliseconds, at most ten ticks.
fn tick_step(horizon_ms: u64) -> u64 {
    let mut step = 1;
    loop {
        for factor in [1, 2, 5] {
            if horizon_ms / (step * factor) <= 10 {
                return step * factor;
            }
        }
        step *= 10;
    }
}

/// Predictions this many times longer than the run are drawn shrunk to the run's length.
const SHRINK_BEYOND: u64 = 4;

/// Maps offsets to pixels.
#[derive(Clone, Copy)]
struct Scale {
    horizon_ms: u64,
    /// What predicted offsets are multiplied by before they are drawn.
    predicted_factor: f64,
}

impl Scale {
    /// The axis fits the run and the prediction; a prediction far longer than the run (as under
    /// `--simulate`, whose Azure runs in a fraction of Azure's time) is shrunk to the run's
    /// length so that its shape can still be compared.
    fn of(timeline: &RunTimeline) -> Self {
        let actual = timeline
            .bars()
            .map(|b| b.end_ms)
            .chain([timeline.wall_ms, 1])
            .max()
            .unwrap_or(1);
        let predicted = timeline
            .groups
            .iter()
            .flat_map(|g| &g.rows)
            .filter_map(|r| r.predicted.map(|p| p.1))
            .max()
            .unwrap_or(0);
        if predicted > actual * SHRINK_BEYOND {
            Self {
                horizon_ms: actual,
                predicted_factor: actual as f64 / predicted as f64,
            }
        } else {
            Self {
                horizon_ms: actual.max(predicted),
                predicted_factor: 1.0,
            }
        }
    }

    fn predicted(self, ms: u64) -> u64 {
        (ms as f64 * self.predicted_factor).round() as u64
    }

    fn x(self, ms: u64) -> f64 {
        LABEL_WIDTH as f64 + ms as f64 * CHART_WIDTH as f64 / self.horizon_ms as f64
    }

    fn width(self, start: u64, end: u64) -> f64 {
        (self.x(end) - self.x(start)).max(MIN_BAR)
    }
}

/// Renders the page. `note` says why the page carries no prediction, when it does not.
pub fn render(timeline: &RunTimeline, note: Option<&str>) -> String {
    let scale = Scale::of(timeline);
    let mut out = String::with_capacity(4096 + 600 * timeline.bars().count());
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>avdeploy run {id}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Run {id}</h1>\n<p class=\"meta\">{target} · {outcome} · started {started} · {wall} · throttle {throttle}</p>\n",
        id = esc(&timeline.run_id),
        target = esc(&timeline.target),
        outcome = timeline
            .outcome
            .map_or("running or cut short", outcome_name),
        started = timeline.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        wall = millis_text(timeline.wall_ms),
        throttle = timeline.throttle,
    );
    summary(&mut out, timeline, note, scale);
    legend(&mut out);
    out.push_str("<div class=\"timeline\">\n");
    axis(&mut out, scale);
    chart(&mut out, timeline, scale);
    out.push_str("</div>\n</body>\n</html>\n");
    out
}

fn summary(out: &mut String, timeline: &RunTimeline, note: Option<&str>, scale: Scale) {
    let rows: Vec<&Row> = timeline.groups.iter().flat_map(|g| &g.rows).collect();
    let attempts = timeline.bars().count();
    let retries = timeline.bars().filter(|b| b.retried).count();
    let busy: u64 = timeline.bars().map(Bar::duration_ms).sum();
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for row in &rows {
        let status = row
            .attempts
            .last()
            .map(|b| b.status)
            .or(row.not_started.as_ref().map(|n| n.0))
            .map_or("pending", |s| s.as_str());
        match counts.iter_mut().find(|c| c.0 == status) {
            Some(count) => count.1 += 1,
            None => counts.push((status, 1)),
        }
    }
    let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let _ = write!(
        out,
        "<h2>Summary</h2>\n<table class=\"summary\">\n\
         <tr><th>Operations</th><td>{} ({})</td></tr>\n\
         <tr><th>Attempts</th><td>{attempts} ({retries} retried)</td></tr>\n\
         <tr><th>Wall time</th><td>{}</td></tr>\n\
         <tr><th>Sequential</th><td>{} (the attempts one after another): parallelism saved {}</td></tr>\n",
        rows.len(),
        esc(&counts.join(", ")),
        millis_text(timeline.wall_ms),
        millis_text(busy),
        saving(busy, timeline.wall_ms),
    );
    match (timeline.predicted, note) {
        (Some(p), _) => {
            let _ = writeln!(
                out,
                "<tr><th>Predicted</th><td>{} against {} fully sequential: saves {}</td></tr>",
                millis_text(p.total_ms),
                millis_text(p.sequential_ms),
                saving(p.sequential_ms, p.total_ms)
            );
            if scale.predicted_factor < 1.0 {
                let _ = writeln!(
                    out,
                    "<tr><th></th><td>The run took far less than predicted (as under --simulate): \
                     predicted bars are drawn shrunk {:.0} times to fit it.</td></tr>",
                    1.0 / scale.predicted_factor
                );
            }
        }
        (None, Some(note)) => {
            let _ = writeln!(out, "<tr><th>Predicted</th><td>{}</td></tr>", esc(note));
        }
        (None, None) => {}
    }
    let critical: Vec<&str> = rows
        .iter()
        .filter(|r| r.critical)
        .map(|r| r.operation.as_str())
        .collect();
    if !critical.is_empty() {
        let _ = writeln!(
            out,
            "<tr><th>Critical path</th><td>{}</td></tr>",
            esc(&critical.join(" → "))
        );
    }
    out.push_str("</table>\n");
    slowest(out, &rows);
}

fn saving(sequential: u64, actual: u64) -> String {
    let saved = sequential.saturating_sub(actual);
    let percent = (saved * 100).checked_div(sequential).unwrap_or(0);
    format!("{} ({percent}%)", millis_text(saved))
}

fn slowest(out: &mut String, rows: &[&Row]) {
    let mut ranked: Vec<(&Row, u64)> = rows
        .iter()
        .map(|r| (*r, r.attempts.iter().map(Bar::duration_ms).sum()))
        .filter(|(r, _)| !r.attempts.is_empty())
        .collect();
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.operation.cmp(&b.0.operation))
    });
    if ranked.is_empty() {
        return;
    }
    out.push_str(
        "<h2>Slowest operations</h2>\n<table class=\"slowest\">\n\
         <tr><th>Operation</th><th>Attempts</th><th>Took</th><th>Expected</th></tr>\n",
    );
    for (row, took) in ranked.into_iter().take(SLOWEST) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&row.operation),
            row.attempts.len(),
            millis_text(took),
            row.expected_ms.map_or_else(|| "-".to_owned(), millis_text),
        );
    }
    out.push_str("</table>\n");
}

fn legend(out: &mut String) {
    out.push_str("<h2>Timeline</h2>\n<p class=\"legend\">");
    for (class, label) in [
        ("s-completed", "completed"),
        ("s-retried", "failed, retried"),
        ("s-failed", "failed"),
        ("s-timed_out", "timed out"),
        ("s-interrupted", "interrupted"),
        ("s-running", "running"),
        ("predicted", "predicted"),
    ] {
        let _ = write!(
            out,
            "<span><svg width=\"14\" height=\"10\"><rect class=\"{class}\" width=\"14\" height=\"10\"/></svg> {label}</span>"
        );
    }
    out.push_str("<span>bold with a gold edge: critical path</span></p>\n");
}

fn axis(out: &mut String, scale: Scale) {
    let width = LABEL_WIDTH + CHART_WIDTH + 40;
    let _ = write!(
        out,
        "<div class=\"axis\"><svg width=\"{width}\" height=\"26\" role=\"img\" aria-label=\"time axis\">"
    );
    let step = tick_step(scale.horizon_ms);
    let mut at = 0;
    while at <= scale.horizon_ms {
        let x = scale.x(at);
        let _ = write!(
            out,
            "<g class=\"tick\"><line x1=\"{x:.1}\" y1=\"18\" x2=\"{x:.1}\" y2=\"26\"/><text x=\"{x:.1}\" y=\"13\" text-anchor=\"middle\">{}</text></g>",
            millis_text(at)
        );
        at += step;
    }
    out.push_str("</svg></div>\n");
}

fn chart(out: &mut String, timeline: &RunTimeline, scale: Scale) {
    let rows: u64 = timeline.groups.iter().map(|g| g.rows.len() as u64).sum();
    let height = rows * ROW_HEIGHT + timeline.groups.len() as u64 * GROUP_HEIGHT + 4;
    let width = LABEL_WIDTH + CHART_WIDTH + 40;
    let _ = writeln!(
        out,
        "<svg class=\"chart\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"run timeline\">"
    );
    let step = tick_step(scale.horizon_ms);
    let mut at = 0;
    while at <= scale.horizon_ms {
        let x = scale.x(at);
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{height}\"/>"
        );
        at += step;
    }
    let mut y = 0;
    for group in &timeline.groups {
        group_heading(out, group, scale, y);
        y += GROUP_HEIGHT;
        for row in &group.rows {
            operation_row(out, row, scale, y);
            y += ROW_HEIGHT;
        }
    }
    out.push_str("</svg>\n");
}

fn group_heading(out: &mut String, group: &Group, scale: Scale, y: u64) {
    let title = match group.stage {
        Some(stage) => format!("{} · stage {stage}", group.module),
        None => format!("{} · graph", group.module),
    };
    let _ = write!(out, "<g class=\"group\">");
    if let Some((start, end)) = group.window {
        let end = end.unwrap_or(scale.horizon_ms);
        let _ = write!(
            out,
            "<rect class=\"band\" x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\"><title>{} ran from +{} to +{}</title></rect>",
            scale.x(start),
            y + 4,
            scale.width(start, end),
            GROUP_HEIGHT - 6,
            esc(&title),
            millis_text(start),
            millis_text(end),
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"4\" y=\"{}\">{}</text></g>",
        y + 17,
        esc(&title)
    );
}

fn operation_row(out: &mut String, row: &Row, scale: Scale, y: u64) {
    let class = if row.critical { "op critical" } else { "op" };
    let _ = write!(
        out,
        "<g class=\"{class}\" data-operation=\"{}\">",
        esc(&row.operation)
    );
    if row.critical {
        let _ = write!(
            out,
            "<rect class=\"mark\" x=\"8\" y=\"{}\" width=\"4\" height=\"{}\"/>",
            y + 4,
            ROW_HEIGHT - 8
        );
    }
    let _ = write!(
        out,
        "<svg x=\"16\" y=\"{y}\" width=\"{}\" height=\"{ROW_HEIGHT}\"><text class=\"label\" x=\"0\" y=\"14\">{}<title>{}</title></text></svg>",
        LABEL_WIDTH - 24,
        esc(&row.operation),
        esc(&row.operation),
    );
    if let Some((start, end)) = row.predicted {
        let (start_ms, end_ms) = (start, end);
        let (start, end) = (scale.predicted(start), scale.predicted(end));
        let _ = write!(
            out,
            "<rect class=\"predicted\" x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"4\"><title>{} predicted +{} to +{}</title></rect>",
            scale.x(start),
            y + 2,
            scale.width(start, end),
            esc(&row.operation),
            millis_text(start_ms),
            millis_text(end_ms),
        );
    }
    for bar in &row.attempts {
        attempt_bar(out, row, bar, scale, y);
    }
    if let Some((status, why)) = &row.not_started {
        let why = why.as_deref().map(|w| format!(": {w}")).unwrap_or_default();
        let _ = write!(
            out,
            "<text class=\"note\" x=\"{}\" y=\"{}\">{}{}</text>",
            LABEL_WIDTH + 4,
            y + 14,
            status.as_str(),
            esc(&why)
        );
    }
    out.push_str("</g>\n");
}

fn attempt_bar(out: &mut String, row: &Row, bar: &Bar, scale: Scale, y: u64) {
    let status = if bar.retried {
        "retried"
    } else {
        bar.status.as_str()
    };
    let x = scale.x(bar.start_ms);
    let width = scale.width(bar.start_ms, bar.end_ms);
    let _ = write!(
        out,
        "<rect class=\"attempt s-{status}\" data-attempt=\"{}\" x=\"{x:.1}\" y=\"{}\" width=\"{width:.1}\" height=\"12\"><title>{}</title></rect>",
        bar.attempt,
        y + 7,
        esc(&hover(row, bar)),
    );
    if let Some(class) = &bar.error_class {
        let _ = write!(
            out,
            "<svg x=\"{x:.1}\" y=\"{}\" width=\"{width:.1}\" height=\"12\" pointer-events=\"none\"><text class=\"class\" x=\"3\" y=\"10\">{}</text></svg>",
            y + 7,
            esc(class)
        );
    }
}

/// The details shown when the pointer rests on an attempt.
fn hover(row: &Row, bar: &Bar) -> String {
    let mut text = format!(
        "{} attempt {}: {}{}",
        row.operation,
        bar.attempt,
        bar.status.as_str(),
        if bar.retried { ", retried" } else { "" }
    );
    if let Some(class) = &bar.error_class {
        let _ = write!(text, "\nerror class: {class}");
    }
    if let Some(code) = bar.exit_code {
        let _ = write!(text, "\nexit code: {code}");
    }
    let _ = write!(
        text,
        "\nduration: {} (+{} to +{})",
        millis_text(bar.duration_ms()),
        millis_text(bar.start_ms),
        millis_text(bar.end_ms)
    );
    if let Some(expected) = row.expected_ms {
        let _ = write!(text, ", expected {}", millis_text(expected));
    }
    if let Some(command) = &row.command {
        let short: String = command.chars().take(COMMAND_CHARS).collect();
        let more = if short.len() < command.len() {
            " ..."
        } else {
            ""
        };
        let _ = write!(text, "\ncommand: {}{more}", short.trim_end());
    }
    if let Some(log) = &bar.log_path {
        let _ = write!(text, "\nlog: {}", log.display());
    }
    if let Some(error) = &bar.error {
        let _ = write!(text, "\nerror: {error}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_picks_round_ticks() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(tick_step(9), 1);
        assert_eq!(tick_step(95_000), 10_000);
        assert_eq!(tick_step(150_000), 20_000);
        assert_eq!(tick_step(400_000), 50_000);
        assert_eq!(millis_text(350), "350ms");
        assert_eq!(millis_text(12_340), "12.3s");
        assert_eq!(millis_text(245_000), "4m05s");
    }
}

//! The run summary printed when a run ends: how many operations ended how, how long it took,
//! where the logs are, and how to resume.

use std::time::Duration;

use crate::base::text;
use crate::model::outcome::OperationStatus;
use crate::model::outcome::RunOutcome;

/// How many planned operations ended in each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunTally {
    /// Completed.
    pub completed: usize,
    /// Failed.
    pub failed: usize,
    /// Killed after their timeout.
    pub timed_out: usize,
    /// Requirements not completed.
    pub blocked: usize,
    /// Not run because an earlier stage failed.
    pub skipped: usize,
    /// Stopped by an interrupt.
    pub interrupted: usize,
    /// Planned but with no final status.
    pub not_started: usize,
}

impl RunTally {
    /// Counts final statuses against the number of planned operations.
    pub fn from_statuses(
        planned: usize,
        statuses: impl IntoIterator<Item = OperationStatus>,
    ) -> Self {
        let mut tally = Self::default();
        let mut seen = 0;
        for status in statuses {
            seen += 1;
            match status {
                OperationStatus::Completed => tally.completed += 1,
                OperationStatus::Failed => tally.failed += 1,
                OperationStatus::TimedOut => tally.timed_out += 1,
                OperationStatus::Blocked => tally.blocked += 1,
                OperationStatus::Skipped => tally.skipped += 1,
                OperationStatus::Interrupted => tally.interrupted += 1,
                OperationStatus::Pending | OperationStatus::Running => seen -= 1,
            }
        }
        tally.not_started = planned.saturating_sub(seen);
        tally
    }

    /// `3 completed, 1 failed`: the non-zero counts, or `nothing run`.
    pub fn text(&self) -> String {
        let parts: Vec<String> = [
            (self.completed, "completed"),
            (self.failed, "failed"),
            (self.timed_out, "timed out"),
            (self.blocked, "blocked"),
            (self.skipped, "skipped"),
            (self.interrupted, "interrupted"),
            (self.not_started, "not started"),
        ]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, what)| format!("{count} {what}"))
        .collect();
        if parts.is_empty() {
            "nothing run".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// The summary lines for a finished run.
pub fn summary_lines(
    run_id: &str,
    outcome: RunOutcome,
    duration: Duration,
    tally: &RunTally,
    logs: &str,
) -> Vec<String> {
    let took = text::duration(duration);
    let head = match outcome {
        RunOutcome::Completed => format!("[v] Run {run_id} completed in {took}"),
        RunOutcome::Failed => format!("[x] Run {run_id} failed after {took}"),
        RunOutcome::Interrupted => format!("[!] Run {run_id} interrupted after {took}"),
    };
    let mut out = vec![
        "=".repeat(60),
        format!("{head}: {}", tally.text()),
        format!("    logs: {logs}"),
    ];
    if outcome != RunOutcome::Completed {
        out.push("    continue with: avdeploy resume".to_owned());
    }
    out
}

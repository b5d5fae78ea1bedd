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

    /// Whether `resume` would run anything that can now succeed: a failure, a timeout, an
    /// interruption, an operation never started, or one blocked by a requirement of the run
    /// itself (`blocked_outside` of the blocked ones wait for modules the run does not plan).
    pub fn left_for_resume(&self, blocked_outside: usize) -> bool {
        self.failed + self.timed_out + self.interrupted + self.not_started > 0
            || self.blocked > blocked_outside
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

/// What a run that did not complete leaves to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NextSteps<'a> {
    /// Modules whose operations blocked ones require but the run did not include.
    pub run_first: &'a [String],
    /// Whether `resume` would run something that can now succeed.
    pub resume: bool,
}

impl NextSteps<'_> {
    /// The `run first` and `continue with` lines.
    fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(advice) = run_first_advice(self.run_first) {
            out.push(format!(
                "    blocked by requirements outside this run: {advice}"
            ));
        }
        if self.resume {
            out.push("    continue with: avdeploy resume".to_owned());
        }
        out
    }
}

/// What to run before operations blocked by requirements in `modules`, which their run did not
/// plan ("run `avdeploy run M` first, or `avdeploy run all`"); `None` without such modules.
pub fn run_first_advice(modules: &[String]) -> Option<String> {
    match modules {
        [] => None,
        [module] => Some(format!(
            "run `avdeploy run {module}` first, or `avdeploy run all`"
        )),
        modules => {
            let runs: Vec<String> = modules
                .iter()
                .map(|module| format!("avdeploy run {module}"))
                .collect();
            Some(format!(
                "run `avdeploy run all`, or first {}",
                text::code_list(&runs)
            ))
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
    next: &NextSteps<'_>,
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
        out.extend(next.lines());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_the_modules_a_run_left_out_and_at_resume_only_when_it_helps() {
        let tally = RunTally {
            completed: 1,
            blocked: 2,
            ..RunTally::default()
        };
        let modules = ["00-resource-group".to_owned(), "01-networking".to_owned()];
        let next = NextSteps {
            run_first: &modules,
            resume: tally.left_for_resume(2),
        };
        let lines = summary_lines(
            "r1",
            RunOutcome::Failed,
            Duration::from_secs(3),
            &tally,
            "logs",
            &next,
        );
        assert_eq!(
            lines[3..],
            [
                "    blocked by requirements outside this run: run `avdeploy run all`, or first `avdeploy run 00-resource-group`, `avdeploy run 01-networking`"
            ]
        );
        assert!(tally.left_for_resume(1), "one blocked inside the run");
        let one = NextSteps {
            run_first: &modules[..1],
            resume: true,
        };
        assert_eq!(
            one.lines(),
            [
                "    blocked by requirements outside this run: run `avdeploy run 00-resource-group` first, or `avdeploy run all`",
                "    continue with: avdeploy resume"
            ]
        );
    }
}

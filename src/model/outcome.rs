//! The status of an operation and the outcome of a run, as the engine reports them and the state
//! stores them.

use std::fmt;
use std::str::FromStr;

/// Where an operation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    /// Requirements were not completed; it never started.
    Blocked,
    /// Finished with exit code 0 (and, for run-command, a zero sentinel).
    Completed,
    /// Finished unsuccessfully.
    Failed,
    /// Stopped by Ctrl-C, SIGTERM or the death of the engine.
    Interrupted,
    /// Planned but not started yet.
    Pending,
    /// Running now.
    Running,
    /// Not run because an earlier stage failed or the run was interrupted first.
    Skipped,
    /// Killed after exceeding `duration.timeout`.
    TimedOut,
}

impl OperationStatus {
    /// Every status, in the order they are listed to users.
    pub const ALL: [OperationStatus; 8] = [
        Self::Pending,
        Self::Running,
        Self::Completed,
        Self::Failed,
        Self::TimedOut,
        Self::Blocked,
        Self::Skipped,
        Self::Interrupted,
    ];

    /// The snake_case name used in state, JSON and on the console.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blocked => "blocked",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Skipped => "skipped",
            Self::TimedOut => "timed_out",
        }
    }

    /// Whether this status ends an operation's attempt.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Running)
    }
}

impl fmt::Display for OperationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OperationStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown operation status `{s}`"))
    }
}

/// How a whole run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Every planned operation completed.
    Completed,
    /// At least one operation failed, timed out or was blocked.
    Failed,
    /// Ctrl-C or SIGTERM stopped the run.
    Interrupted,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for status in OperationStatus::ALL {
            assert_eq!(status.as_str().parse::<OperationStatus>(), Ok(status));
        }
        assert!("done".parse::<OperationStatus>().is_err());
    }
}

//! Whether an operation is up to date or will run, and why: the one rule `run` acts on when it
//! skips a completed operation, and that `plan` shows.

use std::borrow::Cow;

use crate::model::fingerprint::Fingerprint;
use crate::model::outcome::OperationStatus;

/// Where an operation stands against what it would run now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Completed before and runs the same now: `run` skips it.
    UpToDate,
    /// `run` starts it, for this reason.
    WillRun(RunReason),
}

/// Why an operation will run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RunReason {
    /// Completed before, but what it reads or runs differs now (the changed parts).
    Changed(Vec<String>),
    /// Its latest attempt failed.
    Failed,
    /// Up to date, but `--force` (or naming the operation) runs it anyway.
    Forced,
    /// Its latest attempt was interrupted (or its engine died while it ran).
    Interrupted,
    /// It has never completed, nor been attempted.
    NeverRun,
    /// Its latest attempt was killed after its timeout.
    TimedOut,
}

impl RunReason {
    /// The reason as users read it: `never run`, `changed: AZURE_RESOURCE_GROUP, script`, ...
    pub(crate) fn text(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::Changed(parts) => return Cow::Owned(format!("changed: {}", parts.join(", "))),
            Self::Failed => "failed",
            Self::Forced => "--force",
            Self::Interrupted => "interrupted",
            Self::NeverRun => "never run",
            Self::TimedOut => "timed out",
        })
    }
}

/// What changed since the operation last completed: the parts of `now` that differ from
/// `before`. Empty when it did not complete before, or when either fingerprint is unknown (an
/// attempt recorded before fingerprints existed counts as up to date).
pub(crate) fn changes(
    completed: bool,
    now: Option<&Fingerprint>,
    before: Option<&Fingerprint>,
) -> Vec<String> {
    match (now, before) {
        (Some(now), Some(before)) if completed => now.changes(before),
        _ => Vec::new(),
    }
}

/// Whether an operation is skipped as up to date: it completed before, nothing it reads or runs
/// changed, and the run is not forced.
pub(crate) fn is_up_to_date(force: bool, completed: bool, changed: &[String]) -> bool {
    !force && completed && changed.is_empty()
}

/// The freshness of an operation by the rule of [`is_up_to_date`]; `latest` is the status of
/// its latest attempt, which says why one that is not completed will run.
pub(crate) fn freshness(
    force: bool,
    completed: bool,
    changed: Vec<String>,
    latest: Option<OperationStatus>,
) -> Freshness {
    if is_up_to_date(force, completed, &changed) {
        return Freshness::UpToDate;
    }
    Freshness::WillRun(if !changed.is_empty() {
        RunReason::Changed(changed)
    } else if completed {
        RunReason::Forced
    } else {
        match latest {
            Some(OperationStatus::Failed) => RunReason::Failed,
            Some(OperationStatus::TimedOut) => RunReason::TimedOut,
            Some(OperationStatus::Interrupted | OperationStatus::Running) => RunReason::Interrupted,
            _ => RunReason::NeverRun,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_and_unchanged_is_up_to_date_unless_forced() {
        assert_eq!(
            freshness(false, true, Vec::new(), None),
            Freshness::UpToDate
        );
        assert_eq!(
            freshness(true, true, Vec::new(), Some(OperationStatus::Completed)),
            Freshness::WillRun(RunReason::Forced)
        );
    }

    #[test]
    fn the_reason_follows_the_latest_attempt() {
        let reason = |latest| match freshness(false, false, Vec::new(), latest) {
            Freshness::WillRun(reason) => reason.text(),
            Freshness::UpToDate => "up to date".into(),
        };
        assert_eq!(reason(None), "never run");
        assert_eq!(reason(Some(OperationStatus::Failed)), "failed");
        assert_eq!(reason(Some(OperationStatus::TimedOut)), "timed out");
        assert_eq!(reason(Some(OperationStatus::Running)), "interrupted");
        assert_eq!(reason(Some(OperationStatus::Blocked)), "never run");
    }

    #[test]
    fn changes_win_over_force() {
        let changed = vec!["AZURE_RESOURCE_GROUP".to_owned(), "script".to_owned()];
        assert_eq!(
            freshness(true, true, changed, None),
            Freshness::WillRun(RunReason::Changed(vec![
                "AZURE_RESOURCE_GROUP".to_owned(),
                "script".to_owned()
            ]))
        );
        assert!(changes(false, None, None).is_empty());
    }
}

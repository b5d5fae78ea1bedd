//! Expected against measured durations for `status`: each operation's `duration.expected` beside
//! what it took, and the operations whose expectation is off by more than half from the median of
//! their completed attempts, with the value to put in their file.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::base::text;
use crate::model::deployment::Deployment;
use crate::report::status_view::StatusJson;

/// An operation whose `duration.expected` is off by more than 50% from what it measures.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpectedOff {
    /// The operation id.
    pub operation: String,
    /// Its `duration.expected`, in seconds.
    pub expected_seconds: u64,
    /// The median of its latest completed attempts, in milliseconds.
    pub median_ms: u64,
    /// The value to put in `duration.expected`: the median in whole seconds, at least 1.
    pub suggested_seconds: u64,
    /// The operation file, relative to the deployment folder.
    pub file: String,
}

/// Whether `expected_seconds` is more than 50% away from `median_ms`.
pub fn is_off(expected_seconds: u64, median_ms: u64) -> bool {
    let expected_ms = u128::from(expected_seconds) * 1000;
    let median_ms = u128::from(median_ms);
    expected_ms.abs_diff(median_ms) * 2 > expected_ms
}

/// Adds to `doc` each operation's expected duration and measured median (`medians`, by
/// operation id), and lists those whose expectation is off.
pub fn annotate(doc: &mut StatusJson, deployment: &Deployment, medians: &HashMap<String, u64>) {
    for op in &mut doc.operations {
        let Some(declared) = deployment.operation(&op.operation) else {
            continue;
        };
        let expected = declared.duration.expected;
        op.expected_seconds = Some(expected);
        op.median_ms = medians.get(&op.operation).copied();
        if let Some(median_ms) = op.median_ms
            && is_off(expected, median_ms)
        {
            doc.expected_off.push(ExpectedOff {
                operation: op.operation.clone(),
                expected_seconds: expected,
                median_ms,
                suggested_seconds: median_ms.div_ceil(1000).max(1),
                file: declared.path.display().to_string(),
            });
        }
    }
}

/// The `status` lines about expectations that are off; empty when none is.
pub fn render_expected_off(off: &[ExpectedOff]) -> String {
    if off.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nduration.expected is off by more than 50% from the median of completed attempts for {}:\n",
        text::plural(off.len(), "operation")
    );
    for op in off {
        let _ = writeln!(
            out,
            "  {}: expected {}, median {}: set `expected: {}` in {}",
            op.operation,
            text::duration(Duration::from_secs(op.expected_seconds)),
            crate::report::html::millis_text(op.median_ms),
            op.suggested_seconds,
            op.file
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_means_more_than_half_away_either_way() {
        assert!(!is_off(30, 45_000));
        assert!(is_off(30, 45_001));
        assert!(!is_off(30, 15_000));
        assert!(is_off(30, 14_999));
        assert!(is_off(0, 1));
        assert!(!is_off(0, 0));
    }
}

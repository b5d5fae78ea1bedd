//! Whether a failed attempt is retried, and after how long: the error class's limits when the
//! catalog knows the failure, the operation's own policy otherwise.

use std::time::Duration;

use crate::exec::backoff::{self, DEFAULT_MAX_DELAY, RetryPolicy};
use crate::exec::error_catalog::{Classification, ErrorPolicy};

/// The class name reported for failures the catalog does not know.
pub(crate) const UNCLASSIFIED: &str = "unclassified";

/// The decision to retry a failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RetryPlan {
    /// The wait before the next attempt.
    pub(crate) delay: Duration,
    /// The most attempts the applicable policy allows.
    pub(crate) max_attempts: u32,
    /// The error class, or [`UNCLASSIFIED`].
    pub(crate) class: String,
}

/// The retry after failed attempt `attempt` (1-based), `elapsed` after the first attempt
/// started; `None` when the failure must not (or may no more) be retried.
pub(crate) fn plan(
    classification: Option<&Classification>,
    policy: &RetryPolicy,
    attempt: u32,
    elapsed: Duration,
    jitter: f64,
) -> Option<RetryPlan> {
    let Some(found) = classification else {
        return (attempt < policy.max_attempts).then(|| RetryPlan {
            delay: backoff::delay(policy.backoff, DEFAULT_MAX_DELAY, attempt, jitter),
            max_attempts: policy.max_attempts,
            class: UNCLASSIFIED.to_owned(),
        });
    };
    let ErrorPolicy::Retry(limits) = found.policy else {
        return None;
    };
    if attempt >= limits.max_attempts {
        return None;
    }
    // The wait Azure asks for comes from output: it never exceeds the class's longest wait.
    let delay = found.retry_after.map_or_else(
        || backoff::delay(limits.backoff, limits.max_delay, attempt, jitter),
        |asked| asked.min(limits.max_delay),
    );
    if limits
        .max_elapsed
        .is_some_and(|max| elapsed.saturating_add(delay) > max)
    {
        return None;
    }
    Some(RetryPlan {
        delay,
        max_attempts: limits.max_attempts,
        class: found.class.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::error_catalog::RetryLimits;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn found(policy: ErrorPolicy, retry_after: Option<Duration>) -> Classification {
        Classification {
            class: "c".into(),
            policy,
            hint: None,
            retry_after,
            line: String::new(),
        }
    }

    fn limits(max_elapsed: Option<Duration>) -> ErrorPolicy {
        ErrorPolicy::Retry(RetryLimits {
            max_attempts: 3,
            backoff: S(10),
            max_delay: S(60),
            max_elapsed,
        })
    }

    #[test]
    fn unknown_failures_follow_the_operation_policy() {
        let none = RetryPolicy::default();
        assert_eq!(plan(None, &none, 1, S(0), 0.0), None);
        let two = RetryPolicy {
            max_attempts: 2,
            backoff: S(4),
        };
        let planned = plan(None, &two, 1, S(0), 1.0).unwrap();
        assert_eq!(
            (planned.delay, planned.class.as_str()),
            (S(4), UNCLASSIFIED)
        );
        assert_eq!(plan(None, &two, 2, S(0), 0.0), None);
    }

    #[test]
    fn classes_use_their_limits_and_retry_after() {
        let policy = RetryPolicy::default();
        assert_eq!(
            plan(Some(&found(ErrorPolicy::Fail, None)), &policy, 1, S(0), 0.0),
            None
        );
        let planned = plan(Some(&found(limits(None), None)), &policy, 2, S(0), 1.0).unwrap();
        assert_eq!((planned.delay, planned.max_attempts), (S(20), 3));
        let asked = plan(
            Some(&found(limits(None), Some(S(7)))),
            &policy,
            1,
            S(0),
            0.0,
        );
        assert_eq!(asked.unwrap().delay, S(7));
        assert_eq!(
            plan(Some(&found(limits(None), None)), &policy, 3, S(0), 0.0),
            None
        );
    }

    #[test]
    fn max_elapsed_stops_retries() {
        let policy = RetryPolicy::default();
        let class = found(limits(Some(S(100))), Some(S(30)));
        assert!(plan(Some(&class), &policy, 1, S(60), 0.0).is_some());
        assert_eq!(plan(Some(&class), &policy, 1, S(80), 0.0), None);
    }

    #[test]
    fn a_huge_retry_after_is_capped_by_max_delay_and_counts_against_max_elapsed() {
        let huge = Some(Duration::from_secs(u64::MAX));
        let capped = plan(
            Some(&found(limits(None), huge)),
            &RetryPolicy::default(),
            1,
            S(0),
            0.5,
        );
        assert_eq!(capped.map(|p| p.delay), Some(S(60)));
        let late = found(limits(Some(S(100))), huge);
        assert_eq!(
            plan(Some(&late), &RetryPolicy::default(), 1, S(30), 0.5).map(|p| p.delay),
            Some(S(60))
        );
        assert_eq!(
            plan(Some(&late), &RetryPolicy::default(), 1, S(41), 0.5),
            None
        );
    }
}

//! The wording of messages that appear both on the console and in the JSONL log.

use std::time::Duration;

use crate::base::text;
use crate::model::outcome::OperationStatus;

/// `retry k/n in Ns: <class>`: `k` is the attempt about to start, `n` the most attempts.
pub fn retry_text(failed_attempt: u32, max_attempts: u32, delay: Duration, class: &str) -> String {
    format!(
        "retry {}/{max_attempts} in {}: {class}",
        failed_attempt + 1,
        text::duration(delay)
    )
}

/// How an operation ended, after its name: `completed successfully`, `failed (exit code: 1)`,
/// `timed out after 2m00s (exit code: 124)`, or the status's name.
pub fn finished_text(
    status: OperationStatus,
    exit_code: Option<i32>,
    duration: Duration,
) -> String {
    let code = exit_code.map_or_else(|| "none".to_owned(), |code| code.to_string());
    match status {
        OperationStatus::Completed => "completed successfully".to_owned(),
        OperationStatus::Failed => format!("failed (exit code: {code})"),
        OperationStatus::TimedOut => format!(
            "timed out after {} (exit code: {code})",
            text::duration(duration)
        ),
        other => other.as_str().to_owned(),
    }
}

/// Why an operation completed before runs again: `changed: AZURE_RESOURCE_GROUP, script`.
pub fn changed_reason(changed: &[String]) -> String {
    format!("changed: {}", changed.join(", "))
}

/// `still running (1m10s elapsed, 2m00s expected)`.
pub fn heartbeat_text(elapsed: Duration, expected: Duration) -> String {
    format!(
        "still running ({} elapsed, {} expected)",
        text::duration(elapsed),
        text::duration(expected)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_counts_the_next_attempt() {
        let text = retry_text(1, 3, Duration::from_secs(5), "Conflict");
        assert_eq!(text, "retry 2/3 in 5s: Conflict");
        let text = heartbeat_text(Duration::from_secs(70), Duration::from_secs(120));
        assert_eq!(text, "still running (1m10s elapsed, 2m00s expected)");
    }
}

//! The wording of messages that appear both on the console and in the JSONL log.

use std::time::Duration;

use crate::base::text;

/// `retry k/n in Ns: <class>`: `k` is the attempt about to start, `n` the most attempts.
pub fn retry_text(failed_attempt: u32, max_attempts: u32, delay: Duration, class: &str) -> String {
    format!(
        "retry {}/{max_attempts} in {}: {class}",
        failed_attempt + 1,
        text::duration(delay)
    )
}

/// `requires a, b (not completed)`.
pub fn blocked_text(missing: &[String]) -> String {
    format!("requires {} (not completed)", missing.join(", "))
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

//! Small text helpers shared by every reporter: durations for humans, plurals, and the wording
//! of messages that appear both on the console and in the JSONL log.

use std::time::Duration;

/// A duration as people read it: `45s`, `2m`, `1m10s`, `1h05m`.
pub fn human_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// `count` followed by `noun`, with an `s` unless the count is one.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `retry k/n in Ns: <class>`: `k` is the attempt about to start, `n` the most attempts.
pub fn retry_text(failed_attempt: u32, max_attempts: u32, delay: Duration, class: &str) -> String {
    format!(
        "retry {}/{max_attempts} in {}: {class}",
        failed_attempt + 1,
        human_duration(delay)
    )
}

/// `requires a, b (not completed)`.
pub fn blocked_text(missing: &[String]) -> String {
    format!("requires {} (not completed)", missing.join(", "))
}

/// `still running (1m10s elapsed, 2m expected)`.
pub fn heartbeat_text(elapsed: Duration, expected: Duration) -> String {
    format!(
        "still running ({} elapsed, {} expected)",
        human_duration(elapsed),
        human_duration(expected)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        let cases = [
            (0, "0s"),
            (45, "45s"),
            (120, "2m"),
            (70, "1m10s"),
            (3900, "1h05m"),
        ];
        for (secs, text) in cases {
            assert_eq!(human_duration(Duration::from_secs(secs)), text);
        }
    }

    #[test]
    fn retry_counts_the_next_attempt() {
        let text = retry_text(1, 3, Duration::from_secs(5), "Conflict");
        assert_eq!(text, "retry 2/3 in 5s: Conflict");
        assert_eq!(plural(1, "operation"), "1 operation");
        assert_eq!(plural(2, "operation"), "2 operations");
    }
}

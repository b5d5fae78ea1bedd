//! Retry policies and the jittered exponential backoff between attempts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest single wait exponential backoff produces for an operation's own policy.
pub(crate) const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(300);

/// An operation's own retry policy, used for failures the error catalog does not know
/// (`retry: {max_attempts, backoff}` in the operation file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// The most attempts, the first included: 1 means no retry.
    pub max_attempts: u32,
    /// The base delay: the wait before the second attempt, doubled for each later one.
    pub backoff: Duration,
}

impl Default for RetryPolicy {
    /// No retry; a 10 s base should the operation raise `max_attempts`.
    fn default() -> Self {
        Self {
            max_attempts: 1,
            backoff: Duration::from_secs(10),
        }
    }
}

/// The wait after failed attempt number `attempt` (1-based): `base * 2^(attempt-1)` capped at
/// `cap`, then jittered into its upper half (`jitter` in `[0, 1)` picks the point).
///
/// Keeping at least half the delay stops retries from bunching up, while the random half spreads
/// parallel operations that failed together.
pub(crate) fn delay(base: Duration, cap: Duration, attempt: u32, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(30);
    let full = base.saturating_mul(1 << exponent).min(cap);
    let jitter = jitter.clamp(0.0, 1.0);
    full / 2 + full.div_f64(2.0).mul_f64(jitter)
}

/// A small pseudo-random source for jitter (xorshift), seeded from the clock and process id.
#[derive(Clone, Debug)]
pub(crate) struct Jitter {
    state: u64,
}

impl Jitter {
    /// A source seeded from the current time and process id.
    pub(crate) fn from_entropy() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // Only the low bits vary between runs; truncation is intended.
        #[expect(clippy::cast_possible_truncation)]
        let seed = (nanos as u64) ^ (u64::from(std::process::id()) << 32);
        Self::seeded(seed)
    }

    /// A source with a fixed seed (tests).
    pub(crate) fn seeded(seed: u64) -> Self {
        Self { state: seed | 1 }
    }

    /// The next value in `[0, 1)`.
    pub(crate) fn next_unit(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        // 53 random bits fit an f64 mantissa exactly.
        #[expect(clippy::cast_precision_loss)]
        let value = (self.state >> 11) as f64 / (1u64 << 53) as f64;
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn doubles_up_to_the_cap() {
        assert_eq!(delay(S(10), S(300), 1, 1.0), S(10));
        assert_eq!(delay(S(10), S(300), 2, 1.0), S(20));
        assert_eq!(delay(S(10), S(300), 3, 1.0), S(40));
        assert_eq!(delay(S(10), S(60), 4, 1.0), S(60));
        assert_eq!(delay(S(10), S(60), 40, 1.0), S(60));
    }

    #[test]
    fn jitter_keeps_the_upper_half() {
        assert_eq!(delay(S(10), S(300), 2, 0.0), S(10));
        assert_eq!(delay(S(10), S(300), 2, 0.5), S(15));
    }

    #[test]
    fn jitter_source_stays_in_range() {
        let mut jitter = Jitter::seeded(42);
        let values: Vec<f64> = (0..1000).map(|_| jitter.next_unit()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        assert!(values.iter().any(|v| *v < 0.5) && values.iter().any(|v| *v >= 0.5));
        assert_eq!(RetryPolicy::default().max_attempts, 1);
    }
}

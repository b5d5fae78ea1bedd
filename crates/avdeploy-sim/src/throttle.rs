//! Azure Resource Manager's write throttling: a token bucket per subscription (200 writes burst,
//! 10 per second refill by default), refilled in simulated time.

use crate::clock;
use crate::error::SimError;
use crate::settings::Settings;
use crate::store::Store;

/// The bucket's parameters in simulated time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Maximum tokens.
    pub burst: f64,
    /// Tokens added per simulated second.
    pub refill: f64,
    /// Real seconds per simulated second.
    pub scale: f64,
}

impl Bucket {
    /// The bucket described by the settings.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            burst: settings.write_burst,
            refill: settings.write_refill,
            scale: settings.time_scale,
        }
    }

    /// Tokens after refilling from `at_ms` to `now_ms`.
    pub fn refilled(&self, tokens: f64, at_ms: i64, now_ms: i64) -> f64 {
        if at_ms == i64::MIN || self.scale <= 0.0 {
            return self.burst;
        }
        #[expect(clippy::cast_precision_loss, reason = "millisecond gaps are small")]
        let real_seconds = (now_ms.saturating_sub(at_ms)).max(0) as f64 / 1000.0;
        (tokens + real_seconds / self.scale * self.refill).min(self.burst)
    }

    /// Takes one token: `Ok` with the new count, or `Err(retry_after)` in whole simulated
    /// seconds when the bucket is empty.
    pub fn take(&self, tokens: f64) -> Result<f64, u64> {
        if tokens >= 1.0 {
            return Ok(tokens - 1.0);
        }
        let wait = if self.refill > 0.0 {
            ((1.0 - tokens) / self.refill).ceil().max(1.0)
        } else {
            3600.0
        };
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "positive and bounded"
        )]
        Err(wait.min(3600.0) as u64)
    }
}

/// Spends one write token; `Ok(Err(retry_after))` when the subscription is throttled.
pub fn spend_write(store: &mut Store, settings: &Settings) -> Result<Result<(), u64>, SimError> {
    let bucket = Bucket::from_settings(settings);
    let now = clock::now_ms();
    store.with_bucket(bucket.burst, |tokens, at_ms| {
        let tokens = bucket.refilled(tokens, at_ms, now);
        match bucket.take(tokens) {
            Ok(left) => (left, now, Ok(())),
            Err(retry) => (tokens, now, Err(retry)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUCKET: Bucket = Bucket {
        burst: 3.0,
        refill: 1.0,
        scale: 1.0,
    };

    #[test]
    fn drains_then_refuses_with_retry_after() {
        let mut tokens = BUCKET.refilled(0.0, i64::MIN, 0);
        for _ in 0..3 {
            tokens = BUCKET.take(tokens).unwrap();
        }
        assert_eq!(BUCKET.take(tokens), Err(1));
        let later = BUCKET.refilled(tokens, 0, 2_000);
        assert_eq!(later, 2.0);
    }

    #[test]
    fn time_scale_speeds_refill_and_zero_never_throttles() {
        let fast = Bucket {
            scale: 0.01,
            ..BUCKET
        };
        assert_eq!(fast.refilled(0.0, 0, 10), 1.0);
        let instant = Bucket {
            scale: 0.0,
            ..BUCKET
        };
        assert_eq!(instant.refilled(0.0, 0, 0), 3.0);
    }
}

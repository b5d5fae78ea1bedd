//! Simulated time: Azure's durations multiplied by the time scale, and wall-clock milliseconds
//! shared by all `az` processes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The real duration of `seconds` of Azure time at `scale`.
pub fn scaled(seconds: f64, scale: f64) -> Duration {
    let real = seconds * scale;
    if real.is_finite() && real > 0.0 {
        Duration::from_secs_f64(real.min(1.0e9))
    } else {
        Duration::ZERO
    }
}

/// Waits for `seconds` of Azure time at `scale`.
pub fn pass(seconds: f64, scale: f64) {
    let real = scaled(seconds, scale);
    if !real.is_zero() {
        std::thread::sleep(real);
    }
}

/// Milliseconds, saturating, of a duration.
pub fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A Unix-millisecond instant as Azure prints times (`2026-01-01T00:00:00.000Z`).
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Now, as Azure prints times.
pub fn iso_now() -> String {
    iso(now_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_and_clamps() {
        assert_eq!(scaled(120.0, 0.005), Duration::from_millis(600));
        assert_eq!(scaled(120.0, 0.0), Duration::ZERO);
        assert_eq!(scaled(-1.0, 1.0), Duration::ZERO);
    }
}

//! The simulator's settings, read from the environment of each `az` call.

use std::path::PathBuf;

use crate::error::SimError;
use crate::faults::FaultRule;

/// The directory of the simulated subscription (set by the engine).
pub const DIR_VAR: &str = "AVDEPLOY_SIM_DIR";
/// Multiplier from Azure's durations to real time.
pub const TIME_SCALE_VAR: &str = "AVDEPLOY_SIM_TIME_SCALE";
/// Seed of the fault injection's random draws.
pub const SEED_VAR: &str = "AVDEPLOY_SIM_SEED";
/// Fault rules, separated by `;` or newlines.
pub const FAULTS_VAR: &str = "AVDEPLOY_SIM_FAULTS";
/// A file of fault rules, one a line.
pub const FAULTS_FILE_VAR: &str = "AVDEPLOY_SIM_FAULTS_FILE";
/// Size of the write token bucket.
pub const WRITE_BURST_VAR: &str = "AVDEPLOY_SIM_WRITE_BURST";
/// Tokens added to the write bucket per simulated second.
pub const WRITE_REFILL_VAR: &str = "AVDEPLOY_SIM_WRITE_REFILL";
/// The simulated subscription id.
pub const SUBSCRIPTION_VAR: &str = "AVDEPLOY_SIM_SUBSCRIPTION";
/// The engine's expected duration of the current operation, in seconds.
pub const EXPECTED_SECONDS_VAR: &str = "AVD_EXPECTED_SECONDS";

/// The default time scale: a two-minute `vm create` takes 0.6 s.
pub const DEFAULT_TIME_SCALE: f64 = 0.005;
/// The default subscription id.
pub const DEFAULT_SUBSCRIPTION: &str = "5e1d0c0a-0000-4000-8000-00000000a2de";

/// Everything an `az` call needs to know about the simulated subscription.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The simulator's state directory.
    pub dir: PathBuf,
    /// Real seconds per simulated second.
    pub time_scale: f64,
    /// Seed for probabilistic faults.
    pub seed: u64,
    /// Write bucket size.
    pub write_burst: f64,
    /// Write bucket refill per simulated second.
    pub write_refill: f64,
    /// Subscription id.
    pub subscription: String,
    /// The run-command duration hint in simulated seconds.
    pub expected_seconds: Option<f64>,
    /// Fault rules in the order given.
    pub faults: Vec<FaultRule>,
}

impl Settings {
    /// Reads the settings through `var` (normally `std::env::var`); `None` when the directory
    /// variable is unset.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, SimError> {
        let Some(dir) = var(DIR_VAR).filter(|d| !d.is_empty()) else {
            return Ok(None);
        };
        let mut faults = Vec::new();
        if let Some(path) = var(FAULTS_FILE_VAR).filter(|p| !p.is_empty()) {
            let text = std::fs::read_to_string(&path).map_err(|source| SimError::FaultFile {
                path: PathBuf::from(&path),
                source,
            })?;
            faults.extend(FaultRule::parse_all(&text)?);
        }
        if let Some(text) = var(FAULTS_VAR) {
            faults.extend(FaultRule::parse_all(&text)?);
        }
        Ok(Some(Self {
            dir: PathBuf::from(dir),
            time_scale: time_scale(&var)?,
            seed: number(&var, SEED_VAR, 0.0)? as u64,
            write_burst: number(&var, WRITE_BURST_VAR, 200.0)?,
            write_refill: number(&var, WRITE_REFILL_VAR, 10.0)?,
            subscription: var(SUBSCRIPTION_VAR).unwrap_or_else(|| DEFAULT_SUBSCRIPTION.to_owned()),
            expected_seconds: var(EXPECTED_SECONDS_VAR).and_then(|v| v.trim().parse().ok()),
            faults,
        }))
    }

    /// Settings with defaults for a directory (used by `avdeploy sim`).
    pub fn for_dir(dir: PathBuf) -> Self {
        Self {
            dir,
            time_scale: DEFAULT_TIME_SCALE,
            seed: 0,
            write_burst: 200.0,
            write_refill: 10.0,
            subscription: DEFAULT_SUBSCRIPTION.to_owned(),
            expected_seconds: None,
            faults: Vec::new(),
        }
    }
}

/// The time scale from `AVDEPLOY_SIM_TIME_SCALE` (default [`DEFAULT_TIME_SCALE`]): simulated Azure
/// seconds times this are real seconds.
pub fn time_scale(var: &impl Fn(&str) -> Option<String>) -> Result<f64, SimError> {
    number(var, TIME_SCALE_VAR, DEFAULT_TIME_SCALE)
}

fn number(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: f64,
) -> Result<f64, SimError> {
    let Some(value) = var(name).filter(|v| !v.trim().is_empty()) else {
        return Ok(default);
    };
    match value.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
        _ => Err(SimError::Setting {
            name,
            value,
            expected: "a non-negative number",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_directory_means_no_settings() {
        assert!(Settings::from_env(|_| None).unwrap().is_none());
    }

    #[test]
    fn reads_numbers_and_rejects_garbage() {
        let s = Settings::from_env(|k| match k {
            DIR_VAR => Some("/tmp/x".into()),
            TIME_SCALE_VAR => Some("0".into()),
            SEED_VAR => Some("42".into()),
            _ => None,
        })
        .unwrap()
        .unwrap();
        assert_eq!(s.time_scale, 0.0);
        assert_eq!(s.seed, 42);
        assert_eq!(s.write_burst, 200.0);
        let err = Settings::from_env(|k| match k {
            DIR_VAR => Some("/tmp/x".into()),
            TIME_SCALE_VAR => Some("fast".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(err.to_string().contains("AVDEPLOY_SIM_TIME_SCALE"));
    }
}

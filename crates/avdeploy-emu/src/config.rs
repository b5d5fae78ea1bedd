//! What an emulator serves: its state directory, time scale, fault rules and the emulated
//! tenant and subscription. Read from the same `AVDEPLOY_SIM_*` variables as the `az` shim.

use std::path::PathBuf;

use avdeploy_sim::faults::FaultRule;
use avdeploy_sim::settings::{self, Settings};

use crate::error::EmuError;

/// The emulated tenant (the shim's, so both backends answer alike).
pub const DEFAULT_TENANT: &str = avdeploy_sim::directory::TENANT;
/// The emulated subscription's display name.
pub const DEFAULT_SUBSCRIPTION_NAME: &str = "avdeploy emulated subscription";

/// Seeded fault injection and write throttling.
#[derive(Debug, Clone, Default)]
pub struct FaultConfig {
    /// Seed of the probabilistic rules' draws.
    pub seed: u64,
    /// Rules in the shim's syntax (`MATCH [TRIGGER] => FAULT`), matched against each request's
    /// command words, flags and URL segments.
    pub rules: Vec<FaultRule>,
    /// Size of the subscription's write token bucket; `None` disables throttling.
    pub write_burst: Option<f64>,
    /// Write tokens added per emulated second.
    pub write_refill: f64,
}

/// Everything an emulator needs to start.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where the store, the request log and the CA certificate are kept.
    pub state_dir: PathBuf,
    /// Real seconds per emulated second.
    pub time_scale: f64,
    /// Injected failures and throttling.
    pub faults: FaultConfig,
    /// The emulated tenant id.
    pub tenant_id: String,
    /// The emulated subscription id.
    pub subscription_id: String,
    /// The emulated subscription's display name.
    pub subscription_name: String,
}

impl EmulatorConfig {
    /// Settings for `state_dir` from `AVDEPLOY_SIM_TIME_SCALE`, `_SEED`, `_FAULTS`,
    /// `_FAULTS_FILE`, `_WRITE_BURST`, `_WRITE_REFILL` and `_SUBSCRIPTION`, read through `var`.
    pub fn from_env(
        state_dir: PathBuf,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, EmuError> {
        let dir = state_dir.to_string_lossy().into_owned();
        let with_dir = |name: &str| {
            if name == settings::DIR_VAR {
                Some(dir.clone())
            } else {
                var(name)
            }
        };
        let read = Settings::from_env(with_dir)
            .map_err(|source| EmuError::Setting { source })?
            .unwrap_or_else(|| Settings::for_dir(state_dir.clone()));
        Ok(Self {
            state_dir,
            time_scale: read.time_scale,
            faults: FaultConfig {
                seed: read.seed,
                rules: read.faults,
                write_burst: Some(read.write_burst),
                write_refill: read.write_refill,
            },
            tenant_id: DEFAULT_TENANT.to_owned(),
            subscription_id: read.subscription,
            subscription_name: DEFAULT_SUBSCRIPTION_NAME.to_owned(),
        })
    }

    /// Defaults for `state_dir`: the shim's time scale and subscription, no faults.
    pub fn for_dir(state_dir: PathBuf) -> Self {
        Self {
            state_dir,
            time_scale: settings::DEFAULT_TIME_SCALE,
            faults: FaultConfig::default(),
            tenant_id: DEFAULT_TENANT.to_owned(),
            subscription_id: settings::DEFAULT_SUBSCRIPTION.to_owned(),
            subscription_name: DEFAULT_SUBSCRIPTION_NAME.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shim_variables() {
        let config = EmulatorConfig::from_env(PathBuf::from("/tmp/e"), |k| match k {
            "AVDEPLOY_SIM_TIME_SCALE" => Some("0.5".into()),
            "AVDEPLOY_SIM_SEED" => Some("9".into()),
            "AVDEPLOY_SIM_FAULTS" => Some("vm create => throttle 5".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.time_scale, 0.5);
        assert_eq!(config.faults.seed, 9);
        assert_eq!(config.faults.rules.len(), 1);
        assert_eq!(config.subscription_id, settings::DEFAULT_SUBSCRIPTION);
    }

    #[test]
    fn refuses_bad_rules() {
        let err = EmulatorConfig::from_env(PathBuf::from("/tmp/e"), |k| {
            (k == "AVDEPLOY_SIM_FAULTS").then(|| "vm create => explode".to_owned())
        })
        .unwrap_err();
        assert!(matches!(err, EmuError::Setting { .. }));
    }
}

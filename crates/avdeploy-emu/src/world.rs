//! The emulator's state behind the server: the store, the running operations, the fault
//! counters and the run-command slots.

use std::collections::HashMap;

use crate::config::EmulatorConfig;
use crate::error::EmuError;
use crate::exchange::Response;
use crate::faults::Injector;
use crate::lro::Operations;
use crate::store::Store;

/// Everything a request may read or change.
#[derive(Debug)]
pub(crate) struct World {
    /// How the emulator was started.
    pub(crate) config: EmulatorConfig,
    /// `https://127.0.0.1:<port>`.
    pub(crate) base_url: String,
    /// Resources and directory objects.
    pub(crate) store: Store,
    /// Long-running operations.
    pub(crate) operations: Operations,
    /// Fault rules and the write bucket.
    pub(crate) faults: Injector,
    /// The provisioning state (`Creating`, `Updating`) of resources whose operation runs, by
    /// lower-case id, with the operation's id.
    pub(crate) pending: HashMap<String, (String, &'static str)>,
    /// When each VM's current run command ends (ms since the epoch), by lower-case VM id.
    pub(crate) run_commands: HashMap<String, i64>,
}

impl World {
    /// Opens the store of the configured state directory.
    pub(crate) fn open(config: EmulatorConfig, base_url: String) -> Result<Self, EmuError> {
        let store = Store::open(&config.state_dir)?;
        let faults = Injector::new(
            config.faults.clone(),
            config.time_scale,
            config.subscription_id.clone(),
        );
        Ok(Self {
            config,
            base_url,
            store,
            operations: Operations::default(),
            faults,
            pending: HashMap::new(),
            run_commands: HashMap::new(),
        })
    }

    /// Persists the store; a failure becomes a 500 in ARM's format.
    pub(crate) fn save(&self) -> Result<(), Response> {
        self.store.save().map_err(|e| {
            Response::error(
                500,
                "InternalServerError",
                &format!("{e}: {:?}", e.to_string()),
            )
        })
    }
}

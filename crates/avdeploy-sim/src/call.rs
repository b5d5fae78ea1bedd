//! One `az` invocation in progress: its arguments, settings and store, and the shared steps of a
//! write (throttling, in-progress conflicts, simulated duration).

use serde_json::Value;

use crate::args::AzArgs;
use crate::clock;
use crate::failure::{AzFailure, CallError};
use crate::resource::Address;
use crate::settings::Settings;
use crate::store::{Busy, Store};
use crate::throttle;

/// The result of a command: JSON to print (null prints nothing) or an error.
pub type Outcome = Result<Value, CallError>;

/// What an operation in progress blocks, and which error an overlapping call gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exclusive {
    /// Run commands on one VM (`Conflict`).
    RunCommand(String),
    /// Writes under one virtual network (`AnotherOperationInProgress`).
    Vnet(String),
}

impl Exclusive {
    fn key(&self) -> &str {
        match self {
            Self::RunCommand(key) | Self::Vnet(key) => key,
        }
    }
}

/// An `az` call being answered.
pub struct Call {
    /// The raw arguments after `az`.
    pub argv: Vec<String>,
    /// The parsed arguments.
    pub args: AzArgs,
    /// The simulator's settings.
    pub settings: Settings,
    /// The simulated subscription.
    pub store: Store,
}

impl Call {
    /// Waits for a read's simulated duration.
    pub fn read_delay(&self) {
        clock::pass(crate::catalog::READ_SECONDS, self.settings.time_scale);
    }

    /// Performs a write that takes `seconds`: spends a write token, holds `exclusive` for the
    /// duration (refusing if another call holds it), waits, then applies `mutate`.
    pub fn write(
        &mut self,
        seconds: f64,
        exclusive: Option<Exclusive>,
        mutate: impl FnOnce(&mut Self) -> Outcome,
    ) -> Outcome {
        if let Err(retry_after) = throttle::spend_write(&mut self.store, &self.settings)? {
            return Err(AzFailure::throttled(&self.settings.subscription, retry_after).into());
        }
        let holder = format!("pid {}: az {}", std::process::id(), self.args.command());
        if let Some(exclusive) = &exclusive {
            let now = clock::now_ms();
            let until = now + clock::millis(clock::scaled(seconds, self.settings.time_scale));
            let busy = Busy {
                key: exclusive.key().to_owned(),
                holder: holder.clone(),
                until_ms: until,
            };
            if self.store.claim(&busy, now)?.is_some() {
                return Err(self.overlap_failure(exclusive).into());
            }
        }
        clock::pass(seconds, self.settings.time_scale);
        let result = mutate(self);
        if let Some(exclusive) = &exclusive {
            self.store.release(exclusive.key(), &holder)?;
        }
        result
    }

    fn overlap_failure(&self, exclusive: &Exclusive) -> AzFailure {
        match exclusive {
            Exclusive::RunCommand(_) => AzFailure::run_command_conflict(),
            Exclusive::Vnet(_) => AzFailure::another_operation(
                &self.settings.subscription,
                "eastus",
                &format!("{:08x}-0000-4000-8000-000000000000", std::process::id()),
            ),
        }
    }

    /// The stored body at `address`, or the CLI's not-found error (exit 3).
    pub fn existing(&mut self, address: &Address) -> Result<Value, CallError> {
        match self.store.get(&address.key())? {
            Some(record) => Ok(record.body),
            None if address.family.path == "group" => {
                Err(AzFailure::group_not_found(address.name()).into())
            }
            None => {
                Err(
                    AzFailure::not_found(&address.family.arm_type(), address.name(), &address.rg)
                        .into(),
                )
            }
        }
    }

    /// The location of resource group `rg`, or ResourceGroupNotFound.
    pub fn group_location(&mut self, rg: &str) -> Result<String, CallError> {
        let key = format!("group||{rg}").to_lowercase();
        match self.store.get(&key)? {
            Some(record) => Ok(record.body["location"]
                .as_str()
                .unwrap_or("eastus")
                .to_owned()),
            None => Err(AzFailure::group_not_found(rg).into()),
        }
    }
}

//! The execution engine: scheduling, processes, retries and the events they emit.

mod attempt;
pub(crate) mod attempt_log;
pub(crate) mod backoff;
pub(crate) mod error_catalog;
pub(crate) mod event;
pub(crate) mod inputs;
pub(crate) mod launcher;
pub(crate) mod orphans;
mod output_sink;
pub(crate) mod process;
pub(crate) mod retry;
pub(crate) mod retry_after;
pub(crate) mod run_command;
pub(crate) mod scheduler;
pub(crate) mod signal;
pub(crate) mod spawn;
#[cfg(test)]
mod test_support;
pub(crate) mod unit;
mod units;
pub(crate) mod unix;
#[cfg(test)]
mod virtual_process;

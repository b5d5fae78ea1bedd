//! The execution engine: scheduling, processes, retries and the events they emit.

mod attempt;
pub mod attempt_log;
pub mod backoff;
pub mod error_catalog;
pub mod event;
pub mod inputs;
pub mod launcher;
pub mod orphans;
mod output_sink;
pub mod process;
pub mod retry;
pub mod retry_after;
pub mod run_command;
pub mod scheduler;
pub mod signal;
pub mod spawn;
#[cfg(test)]
mod test_support;
pub mod unit;
mod units;
pub mod unix;
#[cfg(test)]
mod virtual_process;

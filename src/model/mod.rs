//! The validated, resolved deployment the engine plans and runs.

pub mod deployment;
pub mod duration;
pub mod fingerprint;
pub mod instances;
pub mod markers;
pub mod module;
pub mod operation;
pub mod outcome;
pub mod settings;
pub mod shell;
pub mod shell_facts;
pub mod shell_vars;
pub mod variables;

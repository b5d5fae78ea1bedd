//! The wire formats the deployment engine and the Azure simulator share, and nothing else.
//!
//! The engine and the simulator are separate crates that never import each other; they meet
//! only in what travels between them through `az`:
//!
//! - [`sentinel`]: how a script sent with `az vm run-command invoke` is wrapped so that its exit
//!   code comes back as the last line of its output (`AVDEPLOY_EXIT_CODE=<n>`). The engine wraps
//!   and parses; the simulator unwraps, runs the body and prints the line.
//! - [`quote`]: PowerShell single-quoted literals and the forms a secret value takes inside a
//!   generated script, so both sides mask the same text.
//! - [`redact`]: which variable names mark secrets and how secret values are masked (`***`) in
//!   logs, state and the simulator's call log.

pub mod quote;
pub mod redact;
pub mod sentinel;

//! Generated Windows PowerShell 5.1: parallel downloads, sequential installs, parallel blocks.

mod apps_script;
mod blocks_script;
mod generate;
mod msi_conflict;
// Quoting is shared with the simulator, so it lives with the wire formats.
use avdeploy_wire::quote;
mod runtime;
pub mod spec;
mod writer;

pub use generate::generate;
pub use msi_conflict::msi_conflicts;
pub use quote::{literal, quote, redact_script, secret_forms};
pub use spec::{AppItem, AppsSpec, Block, ErrorAction, Install, InstallKind, ScriptSpec, ToolStep};

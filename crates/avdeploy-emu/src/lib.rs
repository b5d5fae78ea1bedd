//! A local Azure for the real Azure CLI: Entra ID's token endpoints, Resource Manager and
//! Microsoft Graph served over HTTPS on 127.0.0.1 with a per-run certificate authority, with the
//! resource semantics, durations and fault rules of the `az` shim (`avdeploy-sim`).

mod actions;
mod arm;
mod arm_id;
mod attachments;
pub mod cloud;
pub mod config;
mod deployments;
mod durations;
pub mod error;
mod exchange;
mod faults;
mod filter;
mod graph;
mod identity;
mod ids;
mod images;
mod lists;
mod lro;
pub mod requests_log;
mod resources;
mod roles;
mod router;
mod run_command;
pub mod server;
mod shapes;
mod sso;
pub mod store;
mod template;
mod tls;
mod views;
mod vm;
mod world;

pub use cloud::CloudEndpoints;
pub use config::{EmulatorConfig, FaultConfig};
pub use error::EmuError;
pub use server::Emulator;
pub use store::show;

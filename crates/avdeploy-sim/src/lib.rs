//! The Azure CLI simulator: a test double for `az`, used with `avdeploy run --simulate`. It shares
//! nothing with the deployment engine but the wire formats of `avdeploy-wire`; the `avdeploy`
//! binary installs its `az` shim first on the operations' PATH.

pub mod args;
pub mod avd;
pub mod call;
pub mod calls;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod command_tree;
pub mod compute;
pub mod directory;
pub mod error;
pub mod failure;
pub mod faults;
pub mod gallery;
pub mod graph;
pub mod guest;
pub mod managed_command;
pub mod network;
pub mod nsg_rule;
pub mod output;
pub mod props;
mod ps_command;
mod ps_eval;
mod ps_lex;
mod ps_parse;
mod ps_value;
pub mod ps_walk;
pub mod query;
pub mod references;
pub mod resource;
pub mod rest;
pub mod roles;
pub mod runcommand;
pub mod script_effects;
pub mod settings;
pub mod shapes;
mod share_data;
pub mod shim;
pub mod special;
pub mod storage;
pub mod store;
pub mod table;
pub mod throttle;
pub mod update_args;
pub mod verbs;
pub mod yaml;

pub use cli::{SimCommand, execute, snapshot};
pub use error::SimError;
pub use shim::{az_main, install_shim};
